/**
 * bench/simulate: 30 days at a 15 s sync period (172,800 reconciles) with 3 metrics (Pods qps, Resource cpu
 * Utilization, External queue) and up to 100 pods, through the real engine. Goal: the 30 days in < 1 s.
 *
 * Reports the median of several runs (the machine is shared, so medians), steps per second, and as a peer
 * measured in the same process the same simulation with a do-nothing engine that keeps the replica count
 * (the simulator's own cost: load, pods, metric readings, records). `npm run bench simulate`.
 * Knobs (flags when run directly with tsx, or environment variables through `npm run bench`):
 * `--runs N` / SIM_BENCH_RUNS (default 7), `--days D` / SIM_BENCH_DAYS (default 30),
 * `--no-record` / SIM_BENCH_NO_RECORD=1 (skip per-step records).
 */
import {
  type HpaObject,
  parseHpa,
  type ReconcileInput,
  type ReconcileResult,
} from "../../src/core/hpa/index.js";
import { parseQuantity } from "../../src/core/quantity/quantity.js";
import { loadFunction } from "../../src/core/sim/load.js";
import { parseScenario, resolveTraces } from "../../src/core/sim/scenario.js";
import { simulate } from "../../src/core/sim/simulate.js";

const args = process.argv.slice(2);
const flag = (name: string, env: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : process.env[env] ? Number(process.env[env]) : fallback;
};
const runs = flag("--runs", "SIM_BENCH_RUNS", 7);
const days = flag("--days", "SIM_BENCH_DAYS", 30);
const record = !args.includes("--no-record") && process.env.SIM_BENCH_NO_RECORD !== "1";

const doc = {
  apiVersion: "autoscaling.tidescale.dev/v1alpha1",
  kind: "Simulation",
  metadata: { name: "bench-30d" },
  spec: {
    duration: `${days * 24}h`,
    syncPeriod: "15s",
    startReplicas: 10,
    start: "2026-11-01T00:00:00Z",
    workload: {
      capacityPerPod: 50,
      startupDelay: "5s",
      readinessDelay: "20s",
      cpu: { request: "500m", idle: "20m", perRequest: "8m" },
      metrics: {
        http_requests_qps: { from: "servedPerPod" },
        queue_messages: { from: "unserved", scale: 10 },
      },
    },
    load: [
      { sine: { mean: 2100, amplitude: 1900, peakAt: "14h" } },
      { sine: { mean: 0, amplitude: 300, period: "7d", peakAt: "60h" } },
      { noise: { amplitude: 150, interval: "15s", seed: 7 } },
      { spike: { at: "100h", duration: "20m", value: 1500, rise: "2m" } },
      { spike: { at: "400h", duration: "1h", value: 800 } },
    ],
    hpa: {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 2,
        maxReplicas: 100,
        metrics: [
          {
            type: "Pods",
            pods: {
              metric: { name: "http_requests_qps" },
              target: { type: "AverageValue", averageValue: "40" },
            },
          },
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
          },
          {
            type: "External",
            external: { metric: { name: "queue_messages" }, target: { type: "Value", value: "1k" } },
          },
        ],
        behavior: { scaleDown: { policies: [{ type: "Percent", value: 20, periodSeconds: 60 }] } },
      },
    },
  },
};

const spec = parseScenario(doc, "bench", (t, w) => parseQuantity(t, w).milliValue());
const hpa: HpaObject = parseHpa(spec.hpa, "bench: spec.hpa");
const load = loadFunction(resolveTraces(spec.load, new Map()));

/** The peer: a reconcile that keeps the replica count, so only the simulator's own work is timed. */
function keepReplicas(input: ReconcileInput): ReconcileResult {
  const status = {
    currentReplicas: input.currentReplicas,
    desiredReplicas: input.currentReplicas,
    currentMetrics: [],
    conditions: [],
  };
  return {
    desiredReplicas: input.currentReplicas,
    rescale: false,
    case: "metrics",
    metricProposals: [],
    conditions: [],
    events: [],
    currentMetrics: [],
    status,
    nextState: input.state,
    explanation: [],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time of `fn` in ms; its CPU time (user + system, ms) is appended to `cpu`. */
function time(fn: () => void, cpu: number[]): number {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  const d = process.cpuUsage(c);
  cpu.push((d.user + d.system) / 1000);
  return wall;
}

// one warm-up of each, then interleaved runs
let summary = simulate(spec, hpa, load, { recordSteps: record }).summary;
simulate(spec, hpa, load, { recordSteps: record, reconcile: keepReplicas });
const full: number[] = [];
const peer: number[] = [];
const fullCpu: number[] = [];
const peerCpu: number[] = [];
for (let i = 0; i < runs; i++) {
  full.push(time(() => (summary = simulate(spec, hpa, load, { recordSteps: record }).summary), fullCpu));
  peer.push(time(() => simulate(spec, hpa, load, { recordSteps: record, reconcile: keepReplicas }), peerCpu));
}
const steps = summary.reconciles;
const mFull = median(full);
const mPeer = median(peer);
console.log(
  `simulate: ${days} days at 15s sync = ${steps} reconciles, 3 metrics, max 100 pods, records ${record ? "on" : "off"}`,
);
console.log(
  `  scenario result: peak ${summary.peakReplicas} replicas (lowest ${summary.minReplicasSeen}), ${summary.scaleEvents} scale events, ` +
    `${summary.podHours.toFixed(0)} pod-hours, ${summary.underProvisionedMinutes?.toFixed(1)} min under-provisioned`,
);
console.log(
  `  with the engine:   median ${mFull.toFixed(0)} ms  (${Math.round((steps / mFull) * 1000).toLocaleString("en")} steps/s)  runs: ${full.map((x) => x.toFixed(0)).join(" ")}`,
);
console.log(
  `  peer (no engine):  median ${mPeer.toFixed(0)} ms  (${Math.round((steps / mPeer) * 1000).toLocaleString("en")} steps/s)  runs: ${peer.map((x) => x.toFixed(0)).join(" ")}`,
);
console.log(
  `  CPU time (user+sys; less sensitive to other processes on the machine): full median ${median(fullCpu).toFixed(0)} ms, ` +
    `peer median ${median(peerCpu).toFixed(0)} ms`,
);
console.log(
  `  engine share: ${(((mFull - mPeer) / mFull) * 100).toFixed(0)}% of the time; goal < 1000 ms: ${mFull < 1000 ? "met" : "NOT met"}`,
);
