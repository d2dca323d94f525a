/**
 * The HTTPS (or, for `--insecure-dev`, HTTP) server in front of the metrics APIs. Per request:
 * health/openapi/version endpoints, then authentication (401) and authorization (403) through the
 * security ports, then the pure handler (metrics-api-handler.ts), forwarding to the remote adapter when
 * the handler says so. Answers are JSON whatever the Accept header asks (the HPA asks for protobuf first
 * and accepts JSON). Own metrics on /metrics.
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Server as TlsServer } from "node:tls";
import { status } from "../../core/metrics/api-objects.js";
import type { CompiledConfig } from "../../core/metrics/config.js";
import type { Registry } from "../../core/metrics/registry.js";
import type { PredictionSource } from "../kube/prediction-cache.js";
import type { PrometheusClient } from "../prometheus/client.js";
import type { AdapterMetrics, PathGroup } from "./adapter-metrics.js";
import { alwaysAllowPath } from "./auth/authorization.js";
import { requestAttributes } from "./auth/request-info.js";
import { type ApiResponse, handleApiRequest } from "./metrics-api-handler.js";
import type { ObjectLister } from "./object-lister.js";
import {
  type Authenticator,
  type Authorizer,
  allowAll,
  INSECURE_DEV_USER,
  type RemoteAdapter,
  type UserInfo,
} from "./security.js";

/** The log calls the server makes (pino's Logger satisfies it). */
export interface ServerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type GateResult =
  | { ok: true; user: UserInfo }
  | { ok: false; code: 401 | 403; status: Record<string, unknown> };

export interface MetricsApiServerOptions {
  /** Current config, registry and whether the first relist finished (read on every request). */
  state: { readonly config: CompiledConfig; readonly registry: Registry; readonly relisted: boolean };
  prometheus: PrometheusClient;
  lister?: ObjectLister | undefined;
  remote?: RemoteAdapter | undefined;
  /** `tidescale_prediction` / `tidescale_cron` from the EHPA/TSP watch cache. */
  predictions?: PredictionSource | undefined;
  /** Full security gate (H7's `Security.gate`); when absent, `authenticator`/`authorizer` are used. */
  gate?: ((req: IncomingMessage) => Promise<GateResult>) | undefined;
  authenticator?: Authenticator | undefined;
  authorizer?: Authorizer | undefined;
  /** HTTPS options; plain HTTP when absent (`--insecure-dev` only). */
  tls?: https.ServerOptions | undefined;
  /** Called with the TLS server so certificate reloads reach it. */
  attachTls?: ((server: TlsServer) => void) | undefined;
  metrics: AdapterMetrics;
  log: ServerLog;
  now?: () => number;
  /** Called when a request names a resource the cluster's discovery lacks (refreshes it, rate-limited). */
  onResourceMiss?: ((name: string) => void) | undefined;
  /** Why the server is not ready yet besides discovery (object caches still syncing), or undefined. */
  notReady?: (() => string | undefined) | undefined;
}

export interface MetricsApiServer {
  readonly server: Server;
  /** Listens and resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, waits for in-flight requests (up to `graceMs`), then closes the remaining ones. */
  close(graceMs?: number): Promise<void>;
}

const OPENAPI_V2 = JSON.stringify({
  swagger: "2.0",
  info: { title: "tidescale metrics adapter", version: "v0.1.0" },
  paths: {},
  definitions: {},
});
const OPENAPI_V3 = JSON.stringify({ paths: {} });
const VERSION = JSON.stringify({
  major: "0",
  minor: "1",
  gitVersion: "v0.1.0",
  platform: `${process.platform}/${process.arch}`,
});

/** Builds the server (not listening yet). */
export function createMetricsApiServer(opts: MetricsApiServerOptions): MetricsApiServer {
  const now = opts.now ?? Date.now;
  const authn = opts.authenticator ?? allowAll;
  const authz = opts.authorizer ?? allowAll;
  // No security configured (allowAll both ways, `--insecure-dev`): the answer is known without awaiting
  // anything; the same users as the general gate below would give.
  const openGate =
    !opts.gate && authn === allowAll && authz === allowAll
      ? (req: IncomingMessage): GateResult => ({
          ok: true,
          user: alwaysAllowPath(req.url ?? "/")
            ? { name: "system:anonymous", groups: [] }
            : INSECURE_DEV_USER,
        })
      : undefined;
  const gate =
    opts.gate ??
    (async (req: IncomingMessage): Promise<GateResult> => {
      const url = req.url ?? "/";
      if (alwaysAllowPath(url)) return { ok: true, user: { name: "system:anonymous", groups: [] } };
      const a = await authn.authenticate(req);
      if (!a.ok) return { ok: false, code: 401, status: status(401, `Unauthorized: ${a.reason}`) };
      const attrs = requestAttributes(req.method ?? "GET", url, a.user);
      const d = await authz.authorize(attrs);
      if (!d.allowed) return { ok: false, code: 403, status: status(403, `forbidden: ${d.reason}`) };
      return { ok: true, user: a.user };
    });

  // prom-client children resolved once per label set instead of hashing the labels on every request.
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<PathGroup, { observe(v: number): void }>();
  const record = (code: number, group: PathGroup, seconds: number) => {
    const key = `${code} ${group}`;
    let c = counters.get(key);
    if (!c) {
      c = opts.metrics.requests.labels({ code: String(code), path: group });
      counters.set(key, c);
    }
    c.inc();
    let h = timers.get(group);
    if (!h) {
      h = opts.metrics.requestSeconds.labels({ path: group });
      timers.set(group, h);
    }
    h.observe(seconds);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now();
    let group: PathGroup = "other";
    res.on("finish", () => {
      record(res.statusCode, group, (performance.now() - t0) / 1000);
    });
    serve(req, res, (g) => {
      group = g;
    }).catch((e: unknown) => {
      opts.log.error({ err: (e as Error)?.message ?? String(e), url: req.url }, "request failed");
      if (!res.headersSent) send(res, req, 500, status(500, "Internal error occurred: request failed"));
      else res.destroy();
    });
  };

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    setGroup: (g: PathGroup) => void,
  ): Promise<void> {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const query = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : "");
    const method = req.method ?? "GET";
    // The label says what was asked for, also when the gate rejects it (401/403).
    const group = pathGroupOf(path);
    setGroup(group);
    if (group === "health") {
      if (path === "/readyz" && !opts.state.relisted) {
        sendText(res, req, 503, "discovery: first relist not finished\n");
        return;
      }
      const waiting = path === "/readyz" ? opts.notReady?.() : undefined;
      if (waiting !== undefined) {
        sendText(res, req, 503, `${waiting}\n`);
        return;
      }
      sendText(res, req, 200, "ok");
      return;
    }
    const g = openGate ? openGate(req) : await gate(req);
    if (!g.ok) {
      send(res, req, g.code, g.status);
      return;
    }
    if (group === "metrics") {
      const body = await opts.metrics.registry.metrics();
      res.writeHead(200, { "content-type": opts.metrics.registry.contentType });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    if (group === "openapi") {
      const body = path === "/openapi/v2" ? OPENAPI_V2 : path === "/openapi/v3" ? OPENAPI_V3 : VERSION;
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    if (path !== "/apis" && !path.startsWith("/apis/")) {
      send(res, req, 404, status(404, "the server could not find the requested resource"));
      return;
    }
    const r: ApiResponse = await handleApiRequest(
      { method, path, query },
      {
        config: opts.state.config,
        registry: opts.state.registry,
        relisted: opts.state.relisted,
        prometheus: opts.prometheus,
        lister: opts.lister,
        remote: opts.remote,
        predictions: opts.predictions,
        nowMs: now(),
        warn: (o, m) => opts.log.warn(o, m),
        onResourceMiss: opts.onResourceMiss,
      },
    );
    if (r.kind === "forward") {
      if (!opts.remote) {
        send(res, req, 404, status(404, "the server could not find the requested resource"));
        return;
      }
      await opts.remote.forward(req, res, g.user);
      return;
    }
    if (r.status >= 500)
      opts.log.warn({ url: rawUrl, code: r.status, message: messageOf(r.body) }, "request failed");
    if (r.json !== undefined) sendJsonText(res, req, r.status, r.json);
    else send(res, req, r.status, r.body);
  }

  const server: Server = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);
  if (opts.tls && opts.attachTls) opts.attachTls(server as unknown as TlsServer);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => server.closeAllConnections(), graceMs);
        t.unref();
        server.close(() => {
          clearTimeout(t);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * The `path` label of the adapter's own request metrics, from the request path alone (so a request the
 * gate rejects is counted under what it asked for): health probes, /metrics, OpenAPI and version,
 * discovery (`/apis`, `/apis/<group>`, `/apis/<group>/<version>`), the three metrics APIs, or other.
 */
export function pathGroupOf(path: string): PathGroup {
  if (path === "/healthz" || path === "/livez" || path === "/readyz") return "health";
  if (path === "/metrics") return "metrics";
  if (path === "/openapi/v2" || path === "/openapi/v3" || path === "/version") return "openapi";
  if (path !== "/apis" && !path.startsWith("/apis/")) return "other";
  const segs = path.split("/").filter((s) => s !== "");
  if (segs.length <= 3) return "discovery";
  if (segs[1] === "custom.metrics.k8s.io") return "custom";
  if (segs[1] === "external.metrics.k8s.io") return "external";
  if (segs[1] === "metrics.k8s.io") return "resource";
  return "other";
}

function messageOf(body: unknown): string | undefined {
  return body && typeof body === "object" && "message" in body
    ? String((body as { message: unknown }).message)
    : undefined;
}

function send(res: ServerResponse, req: IncomingMessage, code: number, body: unknown): void {
  // Encode once: the length and the bytes come from the same buffer.
  const buf = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(code, { "content-type": "application/json", "content-length": buf.length });
  res.end(req.method === "HEAD" ? undefined : buf);
}

function sendJsonText(res: ServerResponse, req: IncomingMessage, code: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  res.writeHead(code, { "content-type": "application/json", "content-length": buf.length });
  res.end(req.method === "HEAD" ? undefined : buf);
}

function sendText(
  res: ServerResponse,
  req: IncomingMessage,
  code: number,
  text: string,
  contentType = "text/plain; charset=utf-8",
): void {
  const buf = Buffer.from(text, "utf8");
  res.writeHead(code, { "content-type": contentType, "content-length": buf.length });
  res.end(req.method === "HEAD" ? undefined : buf);
}
