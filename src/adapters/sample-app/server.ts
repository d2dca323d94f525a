/**
 * The sample service that autoscaling demos put under load: node:http, prom-client metrics, a
 * configurable service time and CPU work per request, a concurrency capacity, a bounded queue beyond it,
 * and 503 rejections beyond the queue, so one replica saturates at a known rate
 * (capacity / service time, or 1 / cpu work per process when CPU-bound).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface SampleAppOptions {
  host: string;
  port: number;
  /** Wall time each request waits (a timer, costs no CPU), in ms. */
  serviceTimeMs: number;
  /** CPU time each request burns on the event loop, in ms. */
  cpuWorkMs: number;
  /** Requests served at the same time. */
  capacity: number;
  /** Requests waiting beyond the capacity; more are rejected with 503. */
  queue: number;
  /** Upper bound on the wait for in-flight requests on shutdown, in ms. */
  drainTimeoutMs: number;
  /** From POD_NAME / POD_NAMESPACE: added as `pod` / `namespace` labels to every series. */
  pod?: string | undefined;
  namespace?: string | undefined;
  logger: Logger;
}

export interface SampleApp {
  readonly port: number;
  readonly url: string;
  readonly registry: Registry;
  /** Marks the app unready, stops accepting, waits for in-flight and queued requests, closes connections. */
  drain(): Promise<{ drained: boolean; inFlight: number }>;
}

const PROBES = new Set(["/metrics", "/healthz", "/livez", "/readyz"]);
const MAX_PATHS = 50;
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/** Busy-waits `ms` of CPU time on the event loop (the point: it blocks, as real CPU-bound work does). */
function burnCpu(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
}

/** Starts the sample app; resolves once it listens. */
export async function startSampleApp(opts: SampleAppOptions): Promise<SampleApp> {
  const registry = new Registry();
  const defaults: Record<string, string> = {};
  if (opts.namespace) defaults.namespace = opts.namespace;
  if (opts.pod) defaults.pod = opts.pod;
  registry.setDefaultLabels(defaults);
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests served, by method, path and status (probes and /metrics excluded).",
    labelNames: ["method", "path", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from arrival to the end of the response, queueing included.",
    labelNames: ["method", "path", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "http_requests_in_flight",
    help: "Requests being served now (at most the capacity).",
    registers: [registry],
  });
  const queued = new Gauge({
    name: "http_requests_queued",
    help: "Requests waiting for a free slot.",
    registers: [registry],
  });
  new Gauge({
    name: "sample_app_capacity",
    help: "Configured concurrency capacity of this replica.",
    registers: [registry],
  }).set(opts.capacity);
  new Gauge({
    name: "sample_app_queue_limit",
    help: "Configured queue length beyond the capacity; further requests get 503.",
    registers: [registry],
  }).set(opts.queue);

  const seenPaths = new Set<string>();
  const pathLabel = (p: string): string => {
    if (seenPaths.has(p)) return p;
    if (seenPaths.size >= MAX_PATHS) return "other";
    seenPaths.add(p);
    return p;
  };

  let active = 0;
  const waiting: Array<() => void> = [];
  let draining = false;
  let idleWaiter: (() => void) | undefined;

  const finish = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    start: number,
    status: number,
  ): void => {
    const method = KNOWN_METHODS.has(req.method ?? "") ? req.method! : "other";
    const labels = { method, path: pathLabel(path), status: String(status) };
    requests.inc(labels);
    duration.observe(labels, (performance.now() - start) / 1000);
    if (draining) res.shouldKeepAlive = false;
  };

  const release = (): void => {
    active--;
    inFlight.dec();
    const next = waiting.shift();
    if (next) {
      queued.dec();
      next();
    } else if (active === 0 && idleWaiter) idleWaiter();
  };

  const serve = (req: IncomingMessage, res: ServerResponse, path: string, start: number): void => {
    active++;
    inFlight.inc();
    const respond = (): void => {
      if (opts.cpuWorkMs > 0) burnCpu(opts.cpuWorkMs);
      finish(req, res, path, start, 200);
      res.writeHead(200, { "content-type": "text/plain", "content-length": "3" });
      res.end("ok\n");
      release();
    };
    if (opts.serviceTimeMs > 0) setTimeout(respond, opts.serviceTimeMs);
    else respond();
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    req.resume();
    if (PROBES.has(path)) {
      if (path === "/metrics") {
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { "content-type": registry.contentType });
            res.end(text);
          },
          (e: unknown) => {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(`metrics failed: ${(e as Error).message}\n`);
          },
        );
        return;
      }
      const ok = path !== "/readyz" || !draining;
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(ok ? "ok\n" : "draining\n");
      return;
    }
    if (active < opts.capacity) {
      serve(req, res, path, start);
    } else if (waiting.length < opts.queue) {
      queued.inc();
      waiting.push(() => serve(req, res, path, start));
    } else {
      finish(req, res, path, start, 503);
      res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" });
      res.end("overloaded\n");
    }
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;

  return {
    port,
    url: `http://${host}:${port}`,
    registry,
    async drain() {
      draining = true;
      server.close();
      server.closeIdleConnections();
      const drained = await new Promise<boolean>((resolve) => {
        if (active === 0 && waiting.length === 0) {
          resolve(true);
          return;
        }
        const timer = setTimeout(() => resolve(false), opts.drainTimeoutMs);
        idleWaiter = () => {
          if (waiting.length === 0) {
            clearTimeout(timer);
            resolve(true);
          }
        };
      });
      const left = active + waiting.length;
      server.closeAllConnections();
      return { drained, inFlight: left };
    },
  };
}
