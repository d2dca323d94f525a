/**
 * The attack engine: sends requests on an absolute open-model schedule (request i is due at
 * start + i * interval; never paced by responses) through one undici Pool per origin, waking on a timer
 * and dispatching every request whose due time has passed. Each result records the actual send time, the
 * latency from it, and how late the send was relative to the intended time. With an in-flight cap
 * (`maxWorkers`) due requests wait for a free slot (and get late); those still waiting when the attack
 * window closes are reported as dropped. Rate 0 is vegeta's closed model: `maxWorkers` loops, each sending
 * its next request when the previous response ends.
 */
import { createServer, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { type Dispatcher, Pool } from "undici";
import type { Rate } from "../../core/loadgen/rate.js";
import { type AttackResult, instantFromEpochMs } from "../../core/loadgen/result.js";
import { dueCount, dueOffsetMs, scheduledHits } from "../../core/loadgen/schedule.js";

/** A target ready to send (body files already read). */
export interface PreparedTarget {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array | undefined;
}

export interface AttackOptions {
  targets: PreparedTarget[];
  rate: Rate;
  /** Length of the sending window in ms; 0 = until `signal` aborts. */
  durationMs: number;
  /** Cap on requests in flight (Infinity = open model without a cap). Required for rate 0. */
  maxWorkers: number;
  /** Cap on connections per origin (0 = no cap). */
  maxConnections: number;
  /** Per-request timeout in ms (headers and body each); 0 = none. */
  timeoutMs: number;
  keepalive: boolean;
  http2: boolean;
  insecure: boolean;
  /** Redirects to follow; <= 0 = do not follow (a 3xx counts as success). */
  redirects: number;
  name: string;
  /** Response body bytes to keep in each result (0 = none, -1 = all). */
  maxBody: number;
  /** Receives every result, dropped ones included, as they complete. */
  onResult: (r: AttackResult) => void;
  /** Stops scheduling; in-flight requests still complete. */
  signal?: AbortSignal;
  /** Live counters for a progress display: `sent` grows as requests go out. */
  counters?: { sent: number };
}

export interface AttackSummary {
  scheduled: number;
  sent: number;
  dropped: number;
}

interface Prepared {
  dispatcher: Dispatcher;
  origin: string;
  path: string;
  method: string;
  headers: string[];
  body: Buffer | undefined;
  url: string;
}

/**
 * Sends a few requests to a throwaway server inside this process before the clock starts, so that
 * undici's one-time setup (compiling its llhttp parser) and the JIT warm-up do not make the first
 * scheduled requests late, without sending anything extra to the target.
 */
export async function warmUp(): Promise<void> {
  const srv = createServer((_q, s) => s.end("ok"));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const pool = new Pool(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`, { connections: 4 });
  try {
    for (let i = 0; i < 50; i++) {
      const res = await pool.request({ path: "/", method: "GET" });
      await res.body.dump();
    }
  } finally {
    await pool.close();
    srv.close();
  }
}

/** Runs one attack; resolves when every sent request has completed. */
export async function runAttack(o: AttackOptions): Promise<AttackSummary> {
  await warmUp();
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let d = pools.get(origin);
    if (!d) {
      const pool = new Pool(origin, {
        connections: o.maxConnections > 0 ? o.maxConnections : null,
        pipelining: 1,
        ...(origin.startsWith("https:") ? { allowH2: o.http2 } : {}),
        connect: { rejectUnauthorized: !o.insecure },
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      d = pool;
      pools.set(origin, d);
    }
    return d;
  };
  const prepare = (t: PreparedTarget): Prepared => {
    const u = new URL(t.url);
    const headers: string[] = [];
    for (const [k, v] of t.headers) headers.push(k, v);
    if (o.name !== "") headers.push("x-vegeta-attack", o.name);
    return {
      dispatcher: poolFor(u.origin),
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: t.method,
      headers,
      body: t.body ? Buffer.from(t.body) : undefined,
      url: t.url,
    };
  };
  const targets = o.targets.map(prepare);

  const timeOrigin = performance.timeOrigin;
  const closed = o.rate.freq === 0;
  let total = closed ? Number.POSITIVE_INFINITY : scheduledHits(o.rate, o.durationMs);
  let next = 0;
  let inFlight = 0;
  let sent = 0;
  let dropped = 0;
  let schedulingDone = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const t0 = performance.now();

  const maybeFinish = (): void => {
    if (schedulingDone && inFlight === 0) finish();
  };

  const complete = (r: AttackResult): void => {
    inFlight--;
    o.onResult(r);
    if (!schedulingDone) {
      if (closed) {
        if (o.durationMs === 0 || performance.now() - t0 < o.durationMs) send(next++, undefined);
        else if (inFlight === 0) endScheduling();
      } else if (next < total && inFlight < o.maxWorkers) {
        // Catch up on requests that waited for a free slot.
        const due = dueCount(o.rate, performance.now() - t0, total);
        while (next < due && inFlight < o.maxWorkers) {
          send(next, t0 + dueOffsetMs(o.rate, next));
          next++;
        }
      }
    }
    maybeFinish();
  };

  const dispatch = (t: Prepared, h: RequestHandler): void => {
    t.dispatcher.dispatch(
      {
        origin: t.origin,
        path: t.path,
        method: t.method as Dispatcher.HttpMethod,
        headers: t.headers,
        body: t.body ?? null,
        reset: !o.keepalive,
      },
      h,
    );
  };

  const done = (h: RequestHandler, error: string): void => {
    if (error === "" && h.location !== undefined) {
      // Follow the redirect (vegeta: up to -redirects hops); latency runs from the first send.
      if (h.hops >= o.redirects) {
        error = `${h.target.method} ${h.target.url}: stopped after ${o.redirects} redirects`;
      } else {
        let next: URL;
        try {
          next = new URL(h.location, h.current.url);
        } catch {
          next = new URL(h.current.url);
          error = `${h.target.method} ${h.target.url}: invalid redirect location "${h.location}"`;
        }
        if (error === "") {
          const toGet = h.code === 303 || ((h.code === 301 || h.code === 302) && h.current.method === "POST");
          const hop = prepare({
            method: toGet ? "GET" : h.current.method,
            url: next.href,
            headers: pairs(h.current.headers),
            body: toGet ? undefined : h.current.body,
          });
          h.restart(hop);
          dispatch(hop, h);
          return;
        }
      }
    }
    const end = performance.now();
    const t = h.target;
    let err = error;
    if (err === "" && (h.code < 200 || h.code >= 400)) {
      err = `${h.code} ${h.statusText || STATUS_CODES[h.code] || ""}`.trim();
    }
    // Closed model (rate 0): there is no schedule, so a request is never late.
    const intendedAt = h.intendedAt ?? h.sentAt;
    complete({
      attack: o.name,
      seq: h.seq,
      code: error === "" ? h.code : 0,
      timestamp: instantFromEpochMs(timeOrigin + h.sentAt),
      latency: Math.round((end - h.sentAt) * 1e6),
      bytesOut: t.body ? t.body.length : 0,
      bytesIn: h.bytesIn,
      error: err,
      body: h.kept && h.keptBytes > 0 ? Buffer.concat(h.kept).toString("base64") : null,
      method: t.method,
      url: t.url,
      headers: null,
      lateness: Math.max(0, Math.round((h.sentAt - intendedAt) * 1e6)),
      dropped: false,
      ...(closed ? { closed: true } : {}),
    });
  };

  const send = (seq: number, intendedAt: number | undefined): void => {
    const t = targets[seq % targets.length]!;
    inFlight++;
    sent++;
    if (o.counters) o.counters.sent = sent;
    const h = new RequestHandler(seq, t, intendedAt, o.maxBody, o.redirects > 0, done);
    dispatch(t, h);
  };

  const endScheduling = (): void => {
    if (schedulingDone) return;
    schedulingDone = true;
    if (timer) clearTimeout(timer);
    // Requests that were due but never got a free slot are dropped, visibly.
    if (!closed && Number.isFinite(total)) {
      for (; next < total; next++) {
        const t = targets[next % targets.length]!;
        dropped++;
        o.onResult({
          attack: o.name,
          seq: next,
          code: 0,
          timestamp: instantFromEpochMs(timeOrigin + t0 + dueOffsetMs(o.rate, next)),
          latency: 0,
          bytesOut: 0,
          bytesIn: 0,
          error: `dropped: not sent before the attack ended (${o.maxWorkers} requests in flight, -max-workers)`,
          body: null,
          method: t.method,
          url: t.url,
          headers: null,
          lateness: 0,
          dropped: true,
        });
      }
    }
    maybeFinish();
  };

  const tick = (): void => {
    timer = undefined;
    if (schedulingDone) return;
    const elapsed = performance.now() - t0;
    const due = dueCount(o.rate, elapsed, total);
    while (next < due && inFlight < o.maxWorkers) {
      send(next, t0 + dueOffsetMs(o.rate, next));
      next++;
    }
    if (next >= total || (o.durationMs > 0 && elapsed >= o.durationMs)) {
      endScheduling();
      return;
    }
    // Wake at the next due time (timers have ~1 ms granularity, so fast rates go out in small batches).
    const wait = next < due ? 1 : t0 + dueOffsetMs(o.rate, next) - performance.now();
    timer = setTimeout(tick, Math.max(0, wait));
  };

  const onAbort = (): void => {
    if (!closed && !schedulingDone) {
      // Requests already due still go out (unless the in-flight cap holds them); later ones never existed.
      total = Math.min(total, dueCount(o.rate, performance.now() - t0, total));
      while (next < total && inFlight < o.maxWorkers) {
        send(next, t0 + dueOffsetMs(o.rate, next));
        next++;
      }
    }
    endScheduling();
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener("abort", onAbort, { once: true });

  if (!schedulingDone) {
    if (closed) {
      const loops = Math.max(1, o.maxWorkers);
      for (let i = 0; i < loops; i++) send(next++, undefined);
      if (o.durationMs > 0) {
        timer = setTimeout(() => endScheduling(), o.durationMs);
      }
    } else {
      tick();
    }
  }
  await finished;
  o.signal?.removeEventListener("abort", onAbort);
  await Promise.all([...pools.values()].map((p) => p.close()));
  return { scheduled: sent + dropped, sent, dropped };
}

/**
 * One request's undici handler (the callback API: no response stream objects). The actual send time is
 * taken in `onConnect`, which undici calls right before it writes the request to a connection, so time
 * spent waiting for a free connection in the pool counts as send lateness, not as latency.
 */
class RequestHandler {
  sentAt: number;
  private connected = false;
  /** The request of the current hop (differs from `target` after a redirect). */
  current: Prepared;
  hops = 0;
  location: string | undefined;
  code = 0;
  statusText = "";
  bytesIn = 0;
  kept: Buffer[] | null;
  keptBytes = 0;

  constructor(
    readonly seq: number,
    readonly target: Prepared,
    readonly intendedAt: number | undefined,
    private readonly maxBody: number,
    private readonly followRedirects: boolean,
    private readonly done: (h: RequestHandler, error: string) => void,
  ) {
    this.sentAt = performance.now();
    this.current = target;
    this.kept = maxBody !== 0 ? [] : null;
  }

  /** Starts the next hop of a redirect: the send time stays the first one's. */
  restart(hop: Prepared): void {
    this.current = hop;
    this.hops++;
    this.location = undefined;
    this.code = 0;
    this.statusText = "";
    // As Go's client: only the final response's body counts.
    this.bytesIn = 0;
    this.keptBytes = 0;
    if (this.kept) this.kept = [];
  }

  onConnect(): void {
    if (!this.connected) this.sentAt = performance.now();
    this.connected = true;
  }

  onHeaders(statusCode: number, headers: Buffer[] | null, _resume: unknown, statusText: string): boolean {
    this.code = statusCode;
    this.statusText = statusText;
    if (
      this.followRedirects &&
      statusCode >= 301 &&
      statusCode <= 308 &&
      statusCode !== 304 &&
      statusCode !== 305 &&
      headers
    ) {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        if (headers[i]!.length === 8 && headers[i]!.toString("latin1").toLowerCase() === "location") {
          this.location = headers[i + 1]!.toString("utf8");
        }
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytesIn += chunk.length;
    if (this.kept && (this.maxBody < 0 || this.keptBytes < this.maxBody)) {
      const take = this.maxBody < 0 ? chunk : chunk.subarray(0, this.maxBody - this.keptBytes);
      this.kept.push(take);
      this.keptBytes += take.length;
    }
    return true;
  }

  onComplete(): void {
    this.done(this, "");
  }

  onError(e: Error): void {
    this.kept = null;
    this.done(this, `${this.target.method} ${this.target.url}: ${describeError(e)}`);
  }
}

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] !== "x-vegeta-attack") out.push([flat[i]!, flat[i + 1]!]);
  }
  return out;
}

function describeError(e: Error): string {
  const code = (e as { code?: string }).code;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return `timeout (${e.message})`;
  return e.message || code || "request failed";
}
