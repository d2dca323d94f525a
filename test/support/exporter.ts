/**
 * A test exporter for Prometheus: serves the counter `http_requests_total{namespace,pod}` for a set of
 * pods that the test keeps up to date, growing at a total request rate that the test controls and that is
 * split evenly over the current pods (like a Service spreading load over its endpoints).
 *
 *   const exp = await startRequestsExporter({ namespace: "demo" });
 *   exp.setPods(["web-1"]); exp.setTotalRate(300);  // 300 req/s, all on web-1
 *   // Prometheus scrapes exp.target; rate(http_requests_total[30s]) ~= 300
 *   await exp.stop();
 */
import { createServer, type Server } from "node:http";

export interface RequestsExporter {
  /** `127.0.0.1:<port>`, the scrape target. */
  target: string;
  port: number;
  /** Replaces the set of pods; new pods start at 0, removed pods disappear from the output. */
  setPods(names: string[]): void;
  /** Total requests per second over all current pods. */
  setTotalRate(rps: number): void;
  /** Current pods. */
  pods(): string[];
  /** Current counter values (pod -> total). */
  counters(): Record<string, number>;
  /** Also serves the gauge `metric{labels} value` (e.g. a queue length for an External metric). */
  setGauge(metric: string, labels: Record<string, string>, value: number): void;
  stop(): Promise<void>;
}

/** Starts the exporter on a free loopback port. `now` is injectable for unit tests (ms). */
export async function startRequestsExporter(opts: {
  namespace: string;
  metric?: string;
  now?: () => number;
}): Promise<RequestsExporter> {
  const metric = opts.metric ?? "http_requests_total";
  const now = opts.now ?? (() => performance.now());
  const counts = new Map<string, number>();
  const gauges = new Map<string, string>(); // "metric{labels}" -> value
  let rate = 0;
  let last = now();

  /** Credits every current pod with its share of the load since the last call. */
  const advance = () => {
    const t = now();
    const dt = Math.max(0, (t - last) / 1000);
    last = t;
    if (counts.size === 0) return;
    const perPod = rate / counts.size;
    for (const [pod, v] of counts) counts.set(pod, v + perPod * dt);
  };

  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  const server: Server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end("not found\n");
      return;
    }
    advance();
    let body = `# HELP ${metric} Requests served, by pod (test exporter).\n# TYPE ${metric} counter\n`;
    for (const [pod, v] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
      body += `${metric}{namespace="${esc(opts.namespace)}",pod="${esc(pod)}"} ${v.toFixed(3)}\n`;
    }
    for (const [series, v] of gauges) body += `${series} ${v}\n`;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    target: `127.0.0.1:${port}`,
    port,
    setPods(names) {
      advance();
      const keep = new Set(names);
      for (const pod of [...counts.keys()]) if (!keep.has(pod)) counts.delete(pod);
      for (const pod of names) if (!counts.has(pod)) counts.set(pod, 0);
    },
    setTotalRate(rps) {
      advance();
      rate = rps;
    },
    pods: () => [...counts.keys()],
    counters: () => {
      advance();
      return Object.fromEntries(counts);
    },
    setGauge(name, labels, value) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(",");
      gauges.set(`${name}{${l}}`, String(value));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
