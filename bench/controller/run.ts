/**
 * bench/controller (serving part): `tidescale_prediction` answered by the adapter's request handler from
 * the EHPA/TSP watch cache (src/adapters/kube/prediction-cache.ts) with 1,000 TSPs of 120 samples each
 * (the 2 x 1 h window at 60 s the controller writes), against a peer in the same run that does what
 * Crane's adapter does: go through every TSP on each request to find the target's (here an in-memory
 * scan, so the peer is cheaper than Crane's apiserver list). Latency per request through
 * `handleApiRequest` (routing, selector parsing, lookup, window peak, response object), medians of 5 runs
 * of 20,000 requests. Goal (issue 9): p99 < 2 ms from the cache.
 *
 * The informer feeds the cache through the same `onTsp` calls used here; the apiserver is not involved
 * in answering a request, so none is started. `npm run bench controller`.
 */
import { performance } from "node:perf_hooks";
import { handleApiRequest } from "../../src/adapters/http/metrics-api-handler.js";
import { PredictionCache, type PredictionSource } from "../../src/adapters/kube/prediction-cache.js";
import { predictionValue, requestTarget } from "../../src/core/ehpa/serving.js";
import type { TspMetricStatus } from "../../src/core/ehpa/types.js";
import type { Selector } from "../../src/core/labels/selector.js";
import { compileConfig } from "../../src/core/metrics/config.js";
import { emptyRegistry } from "../../src/core/metrics/registry.js";

const N_TSP = Number(process.env.CTRL_BENCH_TSPS ?? 1000);
const REQUESTS = Number(process.env.CTRL_BENCH_REQUESTS ?? 20_000);
const RUNS = 5;
const NS = "bench";
const now = Math.floor(Date.now() / 1000);

function status(i: number): TspMetricStatus {
  const samples = Array.from({ length: 120 }, (_, k) => ({
    timestamp: now - 60 + k * 60,
    value: String(100 + i + 50 * Math.sin(k / 10) + k / 7),
  }));
  return {
    resourceIdentifier: "pods.http_requests_qps",
    ready: true,
    servedQuantile: "p90",
    prediction: [{ labels: [{ name: "quantile", value: "p90" }], samples }],
  };
}

const tsps = Array.from({ length: N_TSP }, (_, i) => ({
  metadata: { name: `ehpa-w${i}`, namespace: NS },
  spec: {
    targetRef: { kind: "Deployment", name: `w${i}`, namespace: NS },
    predictionWindowSeconds: 3600,
  },
  status: { predictionMetrics: [status(i)] },
}));

const cache = new PredictionCache();
for (const t of tsps) cache.onTsp("add", t);

/** Crane's way: every request goes through all TSPs to find the one of the target. */
const scanPeer: PredictionSource = {
  serves: (m) => cache.serves(m),
  answer(metric: string, namespace: string, selector: Selector, nowMs: number) {
    const req = requestTarget(metric, namespace, selector);
    if (!req.ok) return req;
    const { target } = req.value;
    const t = tsps.find(
      (x) =>
        x.metadata.namespace === namespace &&
        x.spec.targetRef.kind === target.kind &&
        x.spec.targetRef.name === target.name,
    );
    const v = predictionValue(
      t && { name: t.metadata.name, windowSeconds: 3600, metrics: t.status.predictionMetrics },
      target,
      req.value.resourceIdentifier ?? "",
      nowMs / 1000,
    );
    return v.ok ? { ok: true, value: { value: v.value, labels: {} } } : v;
  },
};

const config = compileConfig({});
const registry = emptyRegistry();

async function run(source: PredictionSource): Promise<{ p50: number; p99: number; max: number }> {
  const lat = new Float64Array(REQUESTS);
  for (let r = 0; r < REQUESTS; r++) {
    const i = (r * 7919) % N_TSP;
    const query = new URLSearchParams({
      labelSelector: `targetKind=Deployment,targetName=w${i},targetNamespace=${NS},resourceIdentifier=pods.http_requests_qps`,
    });
    const t0 = performance.now();
    const res = await handleApiRequest(
      {
        method: "GET",
        path: `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/tidescale_prediction`,
        query,
      },
      {
        config,
        registry,
        relisted: true,
        prometheus: undefined as never,
        predictions: source,
        nowMs: Date.now(),
      },
    );
    lat[r] = performance.now() - t0;
    if (res.kind !== "json" || res.status !== 200)
      throw new Error(`request ${r}: ${JSON.stringify(res).slice(0, 300)}`);
  }
  lat.sort();
  return {
    p50: lat[Math.floor(REQUESTS * 0.5)]!,
    p99: lat[Math.floor(REQUESTS * 0.99)]!,
    max: lat[REQUESTS - 1]!,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await run(cache); // warm-up
  const results: Record<string, { p50: number[]; p99: number[] }> = {
    cache: { p50: [], p99: [] },
    scan: { p50: [], p99: [] },
  };
  for (let k = 0; k < RUNS; k++) {
    for (const [name, src] of [
      ["cache", cache],
      ["scan", scanPeer],
    ] as const) {
      const r = await run(src);
      results[name]!.p50.push(r.p50);
      results[name]!.p99.push(r.p99);
    }
  }
  const fmt = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(
    `tidescale_prediction through handleApiRequest, ${N_TSP} TSPs x 120 samples, ${REQUESTS} requests x ${RUNS} runs (medians)`,
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(`  ${name.padEnd(6)} p50 ${fmt(median(r.p50))}  p99 ${fmt(median(r.p99))}`);
  }
  const ratio = median(results.scan!.p99) / median(results.cache!.p99);
  console.log(
    `  scan/cache p99 ratio ${ratio.toFixed(1)}x; goal p99 < 2 ms: ${median(results.cache!.p99) < 2 ? "met" : "NOT met"}`,
  );
}

await main();
