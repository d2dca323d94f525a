/**
 * The attack engine: sends requests on an absolute open-model schedule (request i is due at
 * start + i * interval; never paced by responses) through one undici Pool per origin, waking on a timer
 * and dispatching every request whose due time has passed. Each result records the actual send time, the
 * latency from it, and how late the send was relative to the intended time.
 *
 * Requests in flight are capped, in total (`maxWorkers`) and per origin (`maxConnections`, so a request
 * never waits inside the HTTP client's pool: its time to a connection failure is its own). A due request
 * that finds the cap reached is not materialised: it is the gap between the next index to send and the
 * due count, so memory stays bounded at any rate. It goes out late when a slot frees; what is still waiting
 * when sending ends is reported as one dropped record with its count.
 *
 * Before the clock starts, the engine runs itself briefly against a throwaway in-process server (JIT,
 * undici's parser) and opens connections to each target origin, so the first scheduled requests are not
 * late. `stop` (first Ctrl-C) ends scheduling and aborts what is still in flight after a short grace.
 * Rate 0 is vegeta's closed model: `maxWorkers` loops, each sending its next request when the previous
 * response ends.
 */
import { createServer, STATUS_CODES } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { buildConnector, type Dispatcher, Pool } from "undici";
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
  /** Cap on requests in flight in total (Infinity = no cap). Required for rate 0. */
  maxWorkers: number;
  /** Cap on connections, and so on requests in flight, per origin (0 = no cap). */
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
  /**
   * Stops the attack: no more sends; requests still in flight get `STOP_GRACE_MS` to finish, then are
   * aborted and recorded as interrupted.
   */
  signal?: AbortSignal | undefined;
  /** Live counters for a progress display: `sent` grows as requests go out. */
  counters?: { sent: number } | undefined;
  /** Receives the warm-up's results (discarded); lets the caller warm its own result path too. */
  onWarmUpResult?: ((r: AttackResult) => void) | undefined;
}

export interface AttackSummary {
  scheduled: number;
  sent: number;
  dropped: number;
  /** Requests aborted in flight by a stop. */
  interrupted: number;
}

/** How long requests in flight may still finish after a stop before they are aborted. */
export const STOP_GRACE_MS = 500;

interface Origin {
  pool: Pool;
  /** Requests in flight to this origin (first hop). */
  inFlight: number;
  /** Connections opened before the clock started, handed to the pool as it asks for connections. */
  spare: Socket[];
  url: URL;
  connector: buildConnector.connector;
}

interface Prepared {
  origin: Origin;
  path: string;
  method: string;
  headers: string[];
  body: Buffer | undefined;
  url: string;
}

/** Runs one attack; resolves when every sent request has completed (or was aborted by a stop). */
export async function runAttack(o: AttackOptions): Promise<AttackSummary> {
  await warmUp(o);
  const attack = new Attack(o);
  if (!o.signal?.aborted) await attack.openConnections();
  return attack.run();
}

/**
 * The warm-up: 2,000 requests on a 5k/s schedule, all of them sent even when the machine is too busy to
 * keep the schedule (overdue ones go out at once), bounded by WARM_UP_LIMIT_MS of wall time. Fewer (200)
 * left the first second of a 5k/s attack 2-3x later at p99 in interleaved runs: V8 had not yet optimised
 * the send and result path. A fixed 0.4 s window instead of a count sent only ~150 on a loaded machine.
 */
const WARM_UP_PER_SECOND = 5000;
const WARM_UP_REQUESTS = 2000;
const WARM_UP_LIMIT_MS = 3000;

/**
 * Runs the engine itself against a throwaway server in this process, so that undici's one-time setup,
 * the JIT of the send and result path, and the caller's encoder are warm before the schedule starts,
 * without sending anything extra to the target.
 */
async function warmUp(o: AttackOptions): Promise<void> {
  const srv = createServer((_q, s) => s.end("ok"));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
    const rate = { freq: WARM_UP_PER_SECOND, perMs: 1000 };
    const warm = new Attack(
      {
        ...o,
        targets: [{ method: "GET", url, headers: [], body: undefined }],
        rate,
        durationMs: (WARM_UP_REQUESTS * rate.perMs) / rate.freq,
        maxWorkers: 64,
        maxConnections: 8,
        redirects: 0,
        onResult: o.onWarmUpResult ?? (() => {}),
        // A stop (Ctrl-C) during the warm-up ends it too.
        signal: o.signal
          ? AbortSignal.any([o.signal, AbortSignal.timeout(WARM_UP_LIMIT_MS)])
          : AbortSignal.timeout(WARM_UP_LIMIT_MS),
        counters: undefined,
      },
      { sendAll: true },
    );
    await warm.openConnections();
    await warm.run();
  } finally {
    // Wait until its connections are closed on both sides: their teardown must not run on the clock.
    const closed = new Promise<void>((r) => srv.close(() => r()));
    srv.closeAllConnections();
    await closed;
  }
}

class Attack {
  private readonly origins = new Map<string, Origin>();
  private readonly targets: Prepared[];
  private readonly closed: boolean;
  private readonly timeOrigin = performance.timeOrigin;
  private total: number;
  private next = 0;
  private inFlight = 0;
  private sent = 0;
  private dropped = 0;
  private interrupted = 0;
  private schedulingDone = false;
  private stopped = false;
  /** The pools were destroyed by a stop (in-flight requests aborted). */
  private aborted = false;
  private timer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private finish: () => void = () => {};

  /** Send every scheduled request even after the duration has passed (the warm-up's count). */
  private readonly sendAll: boolean;

  constructor(
    private readonly o: AttackOptions,
    internal: { sendAll?: boolean } = {},
  ) {
    this.sendAll = internal.sendAll ?? false;
    this.closed = o.rate.freq === 0;
    this.total = this.closed ? Number.POSITIVE_INFINITY : scheduledHits(o.rate, o.durationMs);
    this.targets = o.targets.map((t) => this.prepare(t));
  }

  private originFor(url: URL): Origin {
    let d = this.origins.get(url.origin);
    if (!d) {
      const https = url.protocol === "https:";
      const connector = buildConnector({
        rejectUnauthorized: !this.o.insecure,
        allowH2: https && this.o.http2,
        timeout: 10_000,
      });
      const origin: Origin = { pool: undefined as unknown as Pool, inFlight: 0, spare: [], url, connector };
      origin.pool = new Pool(url.origin, {
        connections: this.o.maxConnections > 0 ? this.o.maxConnections : null,
        pipelining: 1,
        ...(https ? { allowH2: this.o.http2 } : {}),
        connect: (opts, cb) => {
          for (let s = origin.spare.pop(); s; s = origin.spare.pop()) {
            // undici expects the callback after connect() returns, as a real connection would.
            if (!s.destroyed && s.readyState === "open") return queueMicrotask(() => cb(null, s));
            s.destroy();
          }
          connector(opts, cb);
        },
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
      });
      d = origin;
      this.origins.set(url.origin, d);
    }
    return d;
  }

  private prepare(t: PreparedTarget): Prepared {
    const u = new URL(t.url);
    const headers: string[] = [];
    for (const [k, v] of t.headers) headers.push(k, v);
    if (this.o.name !== "") headers.push("x-vegeta-attack", this.o.name);
    return {
      origin: this.originFor(u),
      path: `${u.pathname}${u.search}`,
      method: t.method,
      headers,
      body: t.body ? Buffer.from(t.body) : undefined,
      url: t.url,
    };
  }

  /**
   * Opens connections to every origin before the clock starts, waiting at most 1 s; a target that
   * refuses them is attacked anyway. As many as the first moments are likely to use: one per closed-model
   * worker, or 10 ms worth of the rate (each request in flight holds a connection, and the first
   * responses of a run can take that long; with 10 per 5k/s a cold start opened new ones on the clock).
   */
  async openConnections(): Promise<void> {
    const perSecond = (this.o.rate.freq * 1000) / this.o.rate.perMs;
    const want = this.closed ? this.o.maxWorkers : Math.ceil(Math.max(4, perSecond / 100));
    const caps = [want, this.o.maxWorkers, this.o.maxConnections > 0 ? this.o.maxConnections : want];
    const n = Math.min(...caps, 256);
    const opening: Promise<void>[] = [];
    for (const origin of this.origins.values()) {
      const u = origin.url;
      const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
      const https = u.protocol === "https:";
      // One connection for HTTP/2 (its streams share it), n for HTTP/1.1.
      for (let i = 0; i < (https && this.o.http2 ? 1 : n); i++) {
        opening.push(
          new Promise<void>((resolve) => {
            origin.connector(
              { hostname, host: u.host, protocol: u.protocol, port: u.port },
              (err, socket) => {
                if (!err && socket) {
                  if (this.schedulingDone) socket.destroy();
                  else origin.spare.push(socket as Socket);
                }
                resolve();
              },
            );
          }),
        );
      }
    }
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(opening),
      new Promise<void>((r) => {
        bound = setTimeout(r, 1000);
      }),
    ]);
    clearTimeout(bound);
  }

  /** Sends on the schedule until the duration ends or the signal stops it; resolves when all are done. */
  async run(): Promise<AttackSummary> {
    const o = this.o;
    const finished = new Promise<void>((r) => {
      this.finish = r;
    });
    const onAbort = () => this.stop();
    this.t0 = performance.now();
    if (o.signal?.aborted) {
      // Stopped before the clock started (a Ctrl-C during the warm-up): nothing was scheduled.
      this.total = 0;
      this.stop();
    } else o.signal?.addEventListener("abort", onAbort, { once: true });
    if (!this.schedulingDone) {
      if (this.closed) {
        const loops = Math.max(1, o.maxWorkers);
        for (let i = 0; i < loops; i++) this.send(this.next++, undefined);
        if (o.durationMs > 0) this.timer = setTimeout(() => this.endScheduling(), o.durationMs);
      } else {
        this.tick();
      }
    }
    this.maybeFinish();
    await finished;
    o.signal?.removeEventListener("abort", onAbort);
    clearTimeout(this.graceTimer);
    await Promise.all(
      [...this.origins.values()].map((d) => {
        for (const s of d.spare) s.destroy();
        return this.aborted ? undefined : d.pool.close();
      }),
    );
    return {
      scheduled: this.sent + this.dropped,
      sent: this.sent,
      dropped: this.dropped,
      interrupted: this.interrupted,
    };
  }

  /** First stop: no more sends; in flight get STOP_GRACE_MS, then are aborted. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Requests due but not yet sent are dropped; later ones never existed.
    if (!this.closed && !this.schedulingDone) {
      this.total = Math.min(this.total, dueCount(this.o.rate, performance.now() - this.t0, this.total));
    }
    this.endScheduling();
    if (this.inFlight > 0) {
      this.graceTimer = setTimeout(() => {
        this.aborted = true;
        for (const d of this.origins.values()) void d.pool.destroy(new Interrupted());
      }, STOP_GRACE_MS);
    }
  }

  private maybeFinish(): void {
    if (this.schedulingDone && this.inFlight === 0) this.finish();
  }

  /** May request `seq` go out now (caps on requests in flight, in total and to its origin)? */
  private hasSlot(seq: number): boolean {
    if (this.inFlight >= this.o.maxWorkers) return false;
    const cap = this.o.maxConnections;
    return cap === 0 || this.targets[seq % this.targets.length]!.origin.inFlight < cap;
  }

  /** Sends every due request that has a slot, in schedule order. */
  private sendDue(): number {
    const elapsed = performance.now() - this.t0;
    const due = dueCount(this.o.rate, elapsed, this.total);
    while (this.next < due && this.hasSlot(this.next)) {
      this.send(this.next, this.t0 + dueOffsetMs(this.o.rate, this.next));
      this.next++;
    }
    return due;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.schedulingDone) return;
    const due = this.sendDue();
    const elapsed = performance.now() - this.t0;
    if (this.next >= this.total || (!this.sendAll && this.o.durationMs > 0 && elapsed >= this.o.durationMs)) {
      this.endScheduling();
      return;
    }
    // Waiting for a slot: a completion sends the next one. Otherwise wake at the next due time
    // (timers have ~1 ms granularity, so fast rates go out in small batches).
    const wait = this.next < due ? 1 : this.t0 + dueOffsetMs(this.o.rate, this.next) - performance.now();
    this.timer = setTimeout(() => this.tick(), Math.max(0, wait));
  }

  private complete(r: AttackResult, t: Prepared): void {
    this.inFlight--;
    t.origin.inFlight--;
    this.o.onResult(r);
    if (!this.schedulingDone) {
      if (this.closed) {
        if (this.o.durationMs === 0 || performance.now() - this.t0 < this.o.durationMs)
          this.send(this.next++, undefined);
        else if (this.inFlight === 0) this.endScheduling();
      } else if (this.next < this.total) {
        // Catch up on requests that waited for a free slot.
        this.sendDue();
      }
    }
    this.maybeFinish();
  }

  private dispatch(t: Prepared, h: RequestHandler): void {
    t.origin.pool.dispatch(
      {
        origin: t.origin.url.origin,
        path: t.path,
        method: t.method as Dispatcher.HttpMethod,
        headers: t.headers,
        body: t.body ?? null,
        reset: !this.o.keepalive,
      },
      h,
    );
  }

  private readonly done = (h: RequestHandler, error: string): void => {
    if (error === "" && h.location !== undefined && this.redirect(h)) return;
    if (error === "" && h.redirectError !== "") error = h.redirectError;
    const end = performance.now();
    const t = h.target;
    let err = error;
    if (err === "" && (h.code < 200 || h.code >= 400)) {
      err = `${h.code} ${h.statusText || STATUS_CODES[h.code] || ""}`.trim();
    }
    if (h.interrupted) this.interrupted++;
    // Closed model (rate 0): there is no schedule, so a request is never late.
    const intendedAt = h.intendedAt ?? h.sentAt;
    this.complete(
      {
        attack: this.o.name,
        seq: h.seq,
        code: error === "" ? h.code : 0,
        timestamp: instantFromEpochMs(this.timeOrigin + h.sentAt),
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
        ...(this.closed ? { closed: true } : {}),
      },
      t,
    );
  };

  /** Follows a redirect (vegeta: up to -redirects hops; latency runs from the first send). */
  private redirect(h: RequestHandler): boolean {
    if (h.hops >= this.o.redirects) {
      h.redirectError = `${h.target.method} ${h.target.url}: stopped after ${this.o.redirects} redirects`;
      return false;
    }
    let next: URL;
    try {
      next = new URL(h.location!, h.current.url);
    } catch {
      h.redirectError = `${h.target.method} ${h.target.url}: invalid redirect location "${h.location}"`;
      return false;
    }
    const toGet = h.code === 303 || ((h.code === 301 || h.code === 302) && h.current.method === "POST");
    const hop = this.prepare({
      method: toGet ? "GET" : h.current.method,
      url: next.href,
      headers: pairs(h.current.headers),
      body: toGet ? undefined : h.current.body,
    });
    h.restart(hop);
    this.dispatch(hop, h);
    return true;
  }

  private send(seq: number, intendedAt: number | undefined): void {
    const t = this.targets[seq % this.targets.length]!;
    this.inFlight++;
    t.origin.inFlight++;
    this.sent++;
    if (this.o.counters) this.o.counters.sent = this.sent;
    this.dispatch(t, new RequestHandler(seq, t, intendedAt, this.o.maxBody, this.o.redirects > 0, this.done));
  }

  private endScheduling(): void {
    if (this.schedulingDone) return;
    this.schedulingDone = true;
    clearTimeout(this.timer);
    // Requests that were due but never got a free slot are dropped, visibly, as one record with a count.
    if (!this.closed && Number.isFinite(this.total) && this.next < this.total) {
      const t = this.targets[this.next % this.targets.length]!;
      this.dropped = this.total - this.next;
      this.o.onResult({
        attack: this.o.name,
        seq: this.next,
        code: 0,
        timestamp: instantFromEpochMs(this.timeOrigin + this.t0 + dueOffsetMs(this.o.rate, this.next)),
        latency: 0,
        bytesOut: 0,
        bytesIn: 0,
        error: "dropped: due but not sent before the attack ended (requests in flight at their cap)",
        body: null,
        method: t.method,
        url: t.url,
        headers: null,
        lateness: 0,
        dropped: true,
        ...(this.dropped > 1 ? { count: this.dropped } : {}),
      });
      this.next = this.total;
    }
    this.maybeFinish();
  }
}

/** The reason given to requests aborted by a stop. */
class Interrupted extends Error {
  constructor() {
    super(`interrupted: no response ${STOP_GRACE_MS} ms after the attack was stopped`);
  }
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
  /** Set when a redirect cannot be followed (too many hops, bad location). */
  redirectError = "";
  /** Aborted in flight by a stop. */
  interrupted = false;

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
    this.interrupted = e instanceof Interrupted;
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
