/**
 * A small Prometheus HTTP API client (undici 7): instant queries, range queries and series lookups, with
 * a per-attempt timeout, retries with exponential backoff on transport errors and 5xx answers, and
 * bearer-token / basic-auth / custom-CA options.
 *
 * Failures are ToolkitErrors that carry what Prometheus said:
 * - UNAVAILABLE: connection refused/reset, DNS, TLS, or a 5xx after the retries;
 * - TIMEOUT: no answer within `timeoutMs` on the last attempt;
 * - INVALID_INPUT: Prometheus rejected the request (4xx, e.g. `bad_data: parse error ...`).
 * `where` is `prometheus <path>`, so logs and Status messages show which call failed.
 */
import { Agent } from "undici";
import { ToolkitError } from "../../core/errors.js";
import { type LabelValues, scanVectorByLabel } from "./vector-scan.js";

export type { LabelValues } from "./vector-scan.js";

/** One labelled sample of an instant vector: value is [unix seconds, "number"]. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One labelled series of a range matrix. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** The `data` of an instant query, as Prometheus returns it. */
export type InstantResult =
  | { resultType: "vector"; result: VectorSample[] }
  | { resultType: "scalar"; result: [number, string] }
  | { resultType: "string"; result: [number, string] }
  | { resultType: "matrix"; result: MatrixSeries[] };

/** A time for the API: a Date, or Unix seconds (fractions allowed). */
export type PromTime = Date | number;

export interface PrometheusClient {
  /** `GET /api/v1/query?query=expr[&time=t]`. */
  query(expr: string, time?: PromTime): Promise<InstantResult>;
  /**
   * The same request as `query`; when the answer is a plain vector it comes back reduced to the value
   * text per value of `label` (no per-sample objects), otherwise as `query` returns it. Optional: a
   * port without it is used through `query`.
   */
  queryByLabel?(
    expr: string,
    time: PromTime | undefined,
    label: string,
  ): Promise<LabelValues | InstantResult>;
  /** `GET /api/v1/query_range?query=expr&start&end&step` (step in seconds). */
  queryRange(expr: string, start: PromTime, end: PromTime, stepSeconds: number): Promise<MatrixSeries[]>;
  /** `GET /api/v1/series?match[]=m1&match[]=m2[&start][&end]`: the label sets of matching series. */
  series(matchers: string[], start?: PromTime, end?: PromTime): Promise<Array<Record<string, string>>>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** A bearer token that can change while the client runs (see token-file.ts). */
export interface TokenSource {
  /** The token to send now ("" sends none). */
  current(): string;
  /** Reads the token again (Prometheus said 401) and returns the one now current. */
  reload(): string;
  /** Stops watching (called by the client's `close`). */
  close(): void;
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:9090` or `https://prom.example/prefix` (a path prefix is kept). */
  url: string;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Extra attempts after the first on transport errors and 5xx (default 2). */
  retries?: number;
  /** First backoff delay; doubles per retry (default 200 ms). */
  backoffMs?: number;
  /**
   * `Authorization: Bearer <token>`. A `TokenSource` (a token file) is asked on every request and re-read
   * on a 401, after which the request is sent once more with the new token.
   */
  bearerToken?: string | TokenSource;
  /** `Authorization: Basic ...`. */
  basicAuth?: { username: string; password: string };
  /** PEM CA bundle to verify an https Prometheus. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM) for mutual TLS. */
  clientCert?: string | Buffer;
  clientKey?: string | Buffer;
  /** Skip TLS verification (development only). */
  insecureSkipVerify?: boolean;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** `POST` sends form-encoded parameters (long queries avoid 414); default `GET`. */
  method?: "GET" | "POST";
  /** Called after every finished request (for the caller's own latency metrics). */
  onRequest?: (info: { path: string; seconds: number; outcome: "ok" | "error" }) => void;
  /** Test hook: replaces the sleep between retries. */
  sleep?: (ms: number) => Promise<void>;
}

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

const ENCODED_MAX = 256;

function toSeconds(t: PromTime): string {
  const s = t instanceof Date ? t.getTime() / 1000 : t;
  return s.toFixed(3);
}

/** Creates a client for the Prometheus at `opts.url`. */
export function createPrometheusClient(opts: PrometheusClientOptions): PrometheusClient {
  let base: URL;
  try {
    base = new URL(opts.url);
  } catch {
    throw new ToolkitError("INVALID_INPUT", "--prometheus-url", `not a URL: "${opts.url}"`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:")
    throw new ToolkitError(
      "INVALID_INPUT",
      "--prometheus-url",
      `must be http:// or https://, got "${opts.url}"`,
    );
  const prefix = base.pathname.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retries = opts.retries ?? 2;
  const backoffMs = opts.backoffMs ?? 200;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const connect: Record<string, unknown> = {};
  if (opts.ca !== undefined) connect.ca = opts.ca;
  if (opts.clientCert !== undefined) connect.cert = opts.clientCert;
  if (opts.clientKey !== undefined) connect.key = opts.clientKey;
  if (opts.insecureSkipVerify) connect.rejectUnauthorized = false;
  const agent = new Agent({ connect, keepAliveTimeout: 30_000, connections: 64 });
  const tokenSource = typeof opts.bearerToken === "object" ? opts.bearerToken : undefined;
  const baseHeaders: Record<string, string> = { accept: "application/json", ...(opts.headers ?? {}) };
  if (typeof opts.bearerToken === "string" && opts.bearerToken)
    baseHeaders.authorization = `Bearer ${opts.bearerToken}`;
  else if (!tokenSource && opts.basicAuth)
    baseHeaders.authorization = `Basic ${Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString("base64")}`;
  const method = opts.method ?? "GET";
  const encodedQueries = new Map<string, string>();

  // Per-request work kept small: the origin and path prefix are fixed, the headers objects are shared
  // (undici does not modify them) and rebuilt only when the token changes, and the dispatcher is called
  // with origin + path (no URL parsing).
  const origin = base.origin;
  let sent = { token: "", get: baseHeaders, post: postHeadersOf(baseHeaders) };
  const currentHeaders = () => {
    if (!tokenSource) return sent;
    const token = tokenSource.current();
    if (token !== sent.token) {
      const get = token ? { ...baseHeaders, authorization: `Bearer ${token}` } : baseHeaders;
      sent = { token, get, post: postHeadersOf(get) };
    }
    return sent;
  };
  async function once(path: string, qs: string, fastLabel: string | undefined): Promise<unknown> {
    const h = currentHeaders();
    const res = await agent.request({
      origin,
      path: method === "POST" || qs === "" ? prefix + path : `${prefix}${path}?${qs}`,
      method,
      headers: method === "POST" ? h.post : h.get,
      ...(method === "POST" ? { body: qs } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (fastLabel !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
      const fast = scanVectorByLabel(text, fastLabel);
      if (fast) return fast;
    }
    let body: { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300 && body?.status === "success") return body.data;
    const said = body?.error
      ? `${body.errorType ?? "error"}: ${body.error}`
      : `HTTP ${res.statusCode}: ${oneLine(text).slice(0, 200) || "(empty body)"}`;
    const where = `prometheus ${path}`;
    if (res.statusCode >= 500 || res.statusCode === 429)
      throw new RetryableError(new ToolkitError("UNAVAILABLE", where, said));
    if (res.statusCode >= 200 && res.statusCode < 300)
      throw new ToolkitError(
        "UNAVAILABLE",
        where,
        `unexpected answer (not a Prometheus API response): ${said}`,
      );
    if (res.statusCode === 404)
      throw new ToolkitError(
        "UNAVAILABLE",
        where,
        `${said} (is --prometheus-url right, including any path prefix?)`,
      );
    if (res.statusCode === 401 && tokenSource)
      throw new Unauthorized(
        new ToolkitError("UNAVAILABLE", where, `${said} (check the Prometheus credentials)`),
        h.token,
      );
    if (res.statusCode === 401 || res.statusCode === 403)
      throw new ToolkitError("UNAVAILABLE", where, `${said} (check the Prometheus credentials)`);
    throw new ToolkitError("INVALID_INPUT", where, said);
  }

  async function call(
    path: string,
    params: Array<[string, string]> | string,
    fastLabel?: string,
  ): Promise<unknown> {
    const qs = typeof params === "string" ? params : new URLSearchParams(params).toString();
    const t0 = performance.now();
    let last: ToolkitError | undefined;
    let reread = false;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1));
      try {
        const data = await once(path, qs, fastLabel);
        opts.onRequest?.({ path, seconds: (performance.now() - t0) / 1000, outcome: "ok" });
        return data;
      } catch (e) {
        // 401 with a token file: re-read it, and when the token changed send the request once more
        // right away (not counted as a retry).
        if (e instanceof Unauthorized && !reread && tokenSource && tokenSource.reload() !== e.token) {
          reread = true;
          attempt--;
          continue;
        }
        const classified = classify(e, path, timeoutMs);
        last = classified.error;
        if (!classified.retry) break;
      }
    }
    opts.onRequest?.({ path, seconds: (performance.now() - t0) / 1000, outcome: "error" });
    throw last ?? new ToolkitError("INTERNAL", `prometheus ${path}`, "no attempt was made");
  }

  async function instant(
    expr: string,
    time: PromTime | undefined,
    label: string | undefined,
  ): Promise<InstantResult | LabelValues> {
    // The adapter sends the same few expressions again and again: encode each once.
    let encoded = encodedQueries.get(expr);
    if (encoded === undefined) {
      encoded = new URLSearchParams([["query", expr]]).toString();
      if (encodedQueries.size >= ENCODED_MAX) encodedQueries.clear();
      encodedQueries.set(expr, encoded);
    }
    // toSeconds gives digits and a dot: nothing to encode.
    const qs = time === undefined ? encoded : `${encoded}&time=${toSeconds(time)}`;
    const data = (await call("/api/v1/query", qs, label)) as InstantResult | LabelValues;
    if (!data || typeof data !== "object" || !("resultType" in data))
      throw new ToolkitError("UNAVAILABLE", "prometheus /api/v1/query", "answer has no resultType");
    return data;
  }

  return {
    query(expr, time) {
      return instant(expr, time, undefined) as Promise<InstantResult>;
    },
    queryByLabel(expr, time, label) {
      return instant(expr, time, label);
    },
    async queryRange(expr, start, end, stepSeconds) {
      const data = (await call("/api/v1/query_range", [
        ["query", expr],
        ["start", toSeconds(start)],
        ["end", toSeconds(end)],
        ["step", String(stepSeconds)],
      ])) as { resultType?: string; result?: MatrixSeries[] };
      return data?.result ?? [];
    },
    async series(matchers, start, end) {
      const params: Array<[string, string]> = matchers.map((m) => ["match[]", m]);
      if (start !== undefined) params.push(["start", toSeconds(start)]);
      if (end !== undefined) params.push(["end", toSeconds(end)]);
      const data = await call("/api/v1/series", params);
      return Array.isArray(data) ? (data as Array<Record<string, string>>) : [];
    },
    async close() {
      tokenSource?.close();
      await agent.close();
    },
  };
}

function postHeadersOf(headers: Record<string, string>): Record<string, string> {
  return { ...headers, "content-type": "application/x-www-form-urlencoded" };
}

/** Prometheus answered 401 to a request sent with `token` (from a TokenSource). */
class Unauthorized extends Error {
  constructor(
    readonly inner: ToolkitError,
    readonly token: string,
  ) {
    super(inner.message);
  }
}

class RetryableError extends Error {
  constructor(readonly inner: ToolkitError) {
    super(inner.message);
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function classify(e: unknown, path: string, timeoutMs: number): { error: ToolkitError; retry: boolean } {
  const where = `prometheus ${path}`;
  if (e instanceof RetryableError) return { error: e.inner, retry: true };
  if (e instanceof Unauthorized) return { error: e.inner, retry: false };
  if (e instanceof ToolkitError) return { error: e, retry: false };
  const err = e as {
    name?: string;
    code?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  const code = err.code ?? err.cause?.code;
  if (
    err.name === "TimeoutError" ||
    err.name === "AbortError" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT" ||
    code === "UND_ERR_CONNECT_TIMEOUT"
  )
    return {
      error: new ToolkitError("TIMEOUT", where, `no answer within ${timeoutMs} ms`, { cause: e }),
      retry: true,
    };
  const msg = oneLine(err.message ?? String(e));
  if (code && (TRANSIENT_CODES.has(code) || code.startsWith("E")))
    return {
      error: new ToolkitError("UNAVAILABLE", where, `cannot reach Prometheus: ${code} ${msg}`.trim(), {
        cause: e,
      }),
      retry: TRANSIENT_CODES.has(code),
    };
  return {
    error: new ToolkitError("UNAVAILABLE", where, `cannot reach Prometheus: ${msg}`, { cause: e }),
    retry: true,
  };
}
