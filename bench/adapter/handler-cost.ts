/**
 * Micro-benchmark of the adapter's own CPU per request, without sockets or Prometheus:
 * `npx tsx bench/adapter/handler-cost.ts`. One wildcard pods request over 100 pods runs through the real
 * server request handler (routing, gate, handler, JSON answer, own metrics) with a Prometheus client
 * whose transport returns a canned 100-sample answer (read per request, as the real client does).
 * Reports CPU microseconds per request (median of 7 rounds). Bounded: ROUNDS x PER_ROUND requests.
 */
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AdapterMetrics } from "../../src/adapters/http/adapter-metrics.js";
import { createMetricsApiServer } from "../../src/adapters/http/metrics-api-server.js";
import type { InstantResult, PrometheusClient } from "../../src/adapters/prometheus/client.js";
import { scanVectorByLabel } from "../../src/adapters/prometheus/vector-scan.js";
import { compileConfig } from "../../src/core/metrics/config.js";
import { buildRegistry, type SeriesQueryOutcome } from "../../src/core/metrics/registry.js";

const NS = "bench";
const PODS = Array.from({ length: 100 }, (_, i) => `pod-${String(i).padStart(3, "0")}`);
const ROUNDS = 7;
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 3000);

const config = compileConfig({
  rules: [
    {
      seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
      resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
      name: { matches: "^(.*)_total$", as: "${1}_qps" },
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[10s])) by (<<.GroupBy>>)",
    },
  ],
});
const series = PODS.map((pod) => ({ __name__: "http_requests_total", namespace: NS, pod, app: "web" }));
const registry = buildRegistry(
  config,
  new Map<string, SeriesQueryOutcome>([[config.rules[0]!.seriesQuery, { ok: true, series }]]),
);
const t = 1764300000.123;
const body = JSON.stringify({
  status: "success",
  data: {
    resultType: "vector",
    result: PODS.map((pod, i) => ({ metric: { pod }, value: [t, String((i + 1) * 1.0000001)] })),
  },
});
const prometheus: PrometheusClient = {
  async query() {
    return (JSON.parse(body) as { data: InstantResult }).data;
  },
  // What the real client does with the answer text (the scan, or JSON.parse when it declines).
  async queryByLabel(_expr, _time, label) {
    return scanVectorByLabel(body, label) ?? (JSON.parse(body) as { data: InstantResult }).data;
  },
  async queryRange() {
    return [];
  },
  async series() {
    return [];
  },
  async close() {},
};
const metrics = new AdapterMetrics();
const srv = createMetricsApiServer({
  state: { config, registry, relisted: true },
  prometheus,
  metrics,
  log: { info() {}, warn() {}, error() {} },
  now: () => 1764300000123,
});
const handler = srv.server.listeners("request")[0] as (req: IncomingMessage, res: ServerResponse) => void;
const url = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/http_requests_qps`;

/** Minimal request/response doubles: enough of the node:http surface the server uses. */
function once(): Promise<number> {
  return new Promise((resolve) => {
    const req = Object.assign(new EventEmitter(), { url, method: "GET", headers: {} });
    let bytes = 0;
    const emitter = new EventEmitter();
    const res = Object.assign(emitter, {
      statusCode: 200,
      headersSent: false,
      writeHead(code: number, h: Record<string, unknown>) {
        this.statusCode = code;
        this.headersSent = true;
        void h;
        return this;
      },
      end(chunk?: Buffer | string) {
        bytes = chunk ? chunk.length : 0;
        emitter.emit("finish");
        resolve(bytes);
        return this;
      },
      destroy() {},
    });
    handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
}

const check = await once();
if (check < 1000) throw new Error(`answer too small: ${check} bytes`);
for (let i = 0; i < 2000; i++) await once();
const perReq: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // CPU time of this process (user + system), less sensitive than wall time to the shared machine.
  const c0 = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) await once();
  const c = process.cpuUsage(c0);
  perReq.push((c.user + c.system) / PER_ROUND);
}
perReq.sort((a, b) => a - b);
process.stdout.write(
  `adapter handler CPU time per wildcard request over ${PODS.length} pods (answer ${check} bytes): median ${perReq[3]!.toFixed(1)} µs (min ${perReq[0]!.toFixed(1)}, max ${perReq[ROUNDS - 1]!.toFixed(1)}) over ${ROUNDS} rounds of ${PER_ROUND}\n`,
);
