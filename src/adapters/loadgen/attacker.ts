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
import { type Dispatcher, interceptors, Pool } from "undici";
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
  const pools = new Map<string, Dispatcher>();
  const rawPools: Pool[] = [];
  const poolFor = (origin: string): Dispatcher => {
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
      rawPools.push(pool);
      d = o.redirects > 0 ? pool.compose(interceptors.redirect({ maxRedirections: o.redirects })) : pool;
      pools.set(origin, d);
    }
    return d;
  };
  const targets: Prepared[] = o.targets.map((t) => {
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
  });

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

  const send = (seq: number, intended: number | undefined): void => {
    const t = targets[seq % targets.length]!;
    inFlight++;
    sent++;
    const sentAt = performance.now();
    // Closed model (rate 0): there is no schedule, so a request is never late.
    const intendedAt = intended ?? sentAt;
    let code = 0;
    let statusText = "";
    let bytesIn = 0;
    let kept: Buffer[] | null = o.maxBody !== 0 ? [] : null;
    let keptBytes = 0;
    const done = (error: string): void => {
      const end = performance.now();
      let err = error;
      if (err === "" && (code < 200 || code >= 400))
        err = `${code} ${statusText || STATUS_CODES[code] || ""}`.trim();
      complete({
        attack: o.name,
        seq,
        code: error === "" ? code : 0,
        timestamp: instantFromEpochMs(timeOrigin + sentAt),
        latency: Math.round((end - sentAt) * 1e6),
        bytesOut: t.body ? t.body.length : 0,
        bytesIn,
        error: err,
        body: kept && keptBytes > 0 ? Buffer.concat(kept).toString("base64") : null,
        method: t.method,
        url: t.url,
        headers: null,
        lateness: Math.max(0, Math.round((sentAt - intendedAt) * 1e6)),
        dropped: false,
      });
    };
    t.dispatcher.dispatch(
      {
        origin: t.origin,
        path: t.path,
        method: t.method as Dispatcher.HttpMethod,
        headers: t.headers,
        body: t.body ?? null,
        reset: !o.keepalive,
      },
      {
        onRequestStart() {},
        onResponseStart(_c, statusCode, _h, statusMessage) {
          code = statusCode;
          statusText = statusMessage ?? "";
        },
        onResponseData(_c, chunk) {
          bytesIn += chunk.length;
          if (kept && (o.maxBody < 0 || keptBytes < o.maxBody)) {
            const take = o.maxBody < 0 ? chunk : chunk.subarray(0, o.maxBody - keptBytes);
            kept.push(take);
            keptBytes += take.length;
          }
        },
        onResponseEnd() {
          done("");
        },
        onResponseError(_c, e) {
          kept = null;
          done(`${t.method} ${t.url}: ${describeError(e)}`);
        },
      },
    );
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
    if (!closed) total = Math.min(total, dueCount(o.rate, performance.now() - t0, total));
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
  await Promise.all(rawPools.map((p) => p.close()));
  return { scheduled: sent + dropped, sent, dropped };
}

function describeError(e: Error): string {
  const code = (e as { code?: string }).code;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return `timeout (${e.message})`;
  return e.message || code || "request failed";
}
