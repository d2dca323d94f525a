/**
 * bench/recommend (`npm run bench recommend`): recommendations for many workloads from one real
 * Prometheus, the way `tidescale recommend -l ... -A` computes them: per workload `fetchWorkloadUsage`
 * (the CPU and memory range queries, counted: the goal allows at most 3 per workload), then the requests,
 * replicas and (unless REC_BENCH_HPA=0) the HPA recommendation replayed through the simulator.
 * Goal (issue 11): 1,000 workloads in under 60 s on 2 cores.
 *
 * Data: REC_BENCH_WORKLOADS (1000) Deployments of REC_BENCH_PODS (1) pods with one container, each with
 * REC_BENCH_HOURS (6) hours of cAdvisor series at a 1-minute scrape (test/support/cadvisor-history.ts),
 * backfilled with promtool. REC_BENCH_CONCURRENCY (8) workloads are in flight at once. Every loop is
 * bounded by the workload count.
 */
import { availableParallelism, cpus } from "node:os";
import { createPrometheusClient } from "../../src/adapters/prometheus/client.js";
import { fetchWorkloadUsage } from "../../src/adapters/recommend/usage.js";
import { recommendWorkload } from "../../src/core/recommend/index.js";
import { CRANE_POLICY, withPolicy } from "../../src/core/recommend/policy.js";
import { recommendReplicas } from "../../src/core/recommend/replicas.js";
import { recommendRequests } from "../../src/core/recommend/requests.js";
import type { WorkloadInfo } from "../../src/core/recommend/workload.js";
import { cadvisorHistory, deploymentPodName, diurnal } from "../../test/support/cadvisor-history.js";
import { startPrometheus } from "../../test/support/prometheus.js";

const WORKLOADS = Number(process.env.REC_BENCH_WORKLOADS ?? 1000);
const PODS = Number(process.env.REC_BENCH_PODS ?? 1);
const HOURS = Number(process.env.REC_BENCH_HOURS ?? 6);
const CONCURRENCY = Number(process.env.REC_BENCH_CONCURRENCY ?? 8);
const HPA = process.env.REC_BENCH_HPA !== "0";
const NS = "bench";
const END = Math.floor(Date.now() / 60_000) * 60 - 3600;

function workloads(): WorkloadInfo[] {
  return Array.from({ length: WORKLOADS }, (_, i) => ({
    ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: NS, name: `svc${i}` },
    replicas: PODS,
    containers: [{ name: "app", requests: { cpuMilli: 250, memoryBytes: 256 * 1_048_576 }, limits: {} }],
  }));
}

function history(): string {
  return cadvisorHistory({
    workloads: Array.from({ length: WORKLOADS }, (_, i) => ({
      namespace: NS,
      pods: Array.from({ length: PODS }, (_, p) => deploymentPodName(`svc${i}`, p, i + 1)),
      containers: [
        {
          name: "app",
          cpu: diurnal(0.1 + (i % 7) * 0.02, 0.05, i % 24, 0.1, i),
          memory: diurnal(150e6, 10e6, 12, 0.02, i),
        },
      ],
    })),
    startSec: END - HOURS * 3600,
    endSec: END,
    cgroupSeries: false,
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const text = history();
  const prom = await startPrometheus({ backfillOpenMetrics: text, retention: "30d", timeoutMs: 600_000 });
  const setupS = (performance.now() - t0) / 1000;
  console.log(
    `setup: ${WORKLOADS} workloads × ${PODS} pod(s), ${HOURS} h at 1 m, ${(text.length / 1e6).toFixed(0)} MB OpenMetrics, backfilled and started in ${setupS.toFixed(1)} s`,
  );
  const client = createPrometheusClient({ url: prom.url, timeoutMs: 60_000 });
  const policy = withPolicy({ data: { minHistoryMs: 3_600_000 } });
  const queries = new Map<string, number>();
  let abstained = 0;
  let hpaWorse = 0;
  try {
    const infos = workloads();
    let next = 0;
    const start = performance.now();
    const worker = async () => {
      while (next < infos.length) {
        const info = infos[next++]!;
        const usage = await fetchWorkloadUsage(client, info, {
          endMs: END * 1000,
          windowMs: HOURS * 3_600_000,
          onQuery: () => queries.set(info.ref.name, (queries.get(info.ref.name) ?? 0) + 1),
        });
        if (HPA) {
          const r = recommendWorkload(usage, policy);
          if (r.hpa.abstain || r.containers[0]!.cpu.abstain) abstained++;
          else if (r.hpa.verdict.startsWith("no improvement")) hpaWorse++;
        } else {
          const req = recommendRequests(usage, policy, CRANE_POLICY);
          recommendReplicas(usage, policy, CRANE_POLICY);
          if (req[0]!.cpu.abstain) abstained++;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - start) / 1000;
    const counts = [...queries.values()];
    const maxQ = Math.max(...counts);
    const total = counts.reduce((a, b) => a + b, 0);
    console.log(
      `recommend ${WORKLOADS} workloads (${HPA ? "requests + replicas + HPA replayed" : "requests + replicas"}): ` +
        `${seconds.toFixed(1)} s wall, ${((seconds / WORKLOADS) * 1000).toFixed(1)} ms per workload; ` +
        `range queries: ${total} total, at most ${maxQ} per workload (goal ≤ 3); abstained ${abstained}` +
        (HPA ? `; HPA no better than the current replicas: ${hpaWorse}` : ""),
    );
    console.log(
      `machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores available; goal < 60 s: ${seconds < 60 ? "met" : "NOT met"}`,
    );
    if (maxQ > 3) process.exitCode = 1;
  } finally {
    await client.close();
    await prom.stop();
  }
}

await main();
