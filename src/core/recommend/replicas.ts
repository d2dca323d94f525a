/**
 * Replicas from the workload's usage history and a target utilization: the replicas that keep every pod at
 * `targetUtilization` of its request when the workload's total usage is at its lowest, at the policy
 * percentile and at its highest over the window (ours, with decaying weights and memory sized from memory),
 * beside Crane's figure (ceil(P95 ÷ (0.5 × per-pod request)), its memory slot fed with CPU samples).
 */
import {
  coverage,
  decayWeights,
  evidenceOf,
  spanText,
  sufficiency,
  totals,
  weightedQuantile,
} from "./series.js";
import type {
  Abstention,
  PodSeries,
  RecommendPolicy,
  ReplicasRecommendation,
  WorkloadUsage,
} from "./types.js";

/** Sum of the containers' requests of one resource, or the first container without one. */
export function perPodRequest(
  usage: WorkloadUsage,
  resource: "cpuMilli" | "memoryBytes",
): { ok: true; value: number } | { ok: false; container: string } {
  let sum = 0;
  for (const c of usage.containers) {
    const r = c.requests[resource] ?? c.limits[resource];
    if (r === undefined || r <= 0) return { ok: false, container: c.name };
    sum += r;
  }
  return { ok: true, value: sum };
}

/** The abstention for a container without a CPU request. */
export function noRequests(container: string, what: string): Abstention {
  return {
    abstain: true,
    reason: "no-requests",
    message: `container "${container}" has no CPU request, so ${what} has nothing to be relative to (set resources.requests.cpu, e.g. from the requests recommendation)`,
  };
}

/** ceil(usage ÷ (target × request)), at least `floor`; usage and request in the same unit. */
export function replicasFor(usage: number, request: number, target: number, floor: number): number {
  return Math.max(floor, Math.ceil(usage / (target * request) - 1e-9));
}

/** All CPU (or memory) series of the workload, containers together. */
export function workloadSeries(usage: WorkloadUsage, resource: "cpu" | "memory"): PodSeries[] {
  return usage.containers.flatMap((c) => (resource === "cpu" ? c.cpu : c.memory));
}

/** The replicas recommendation. */
export function recommendReplicas(
  usage: WorkloadUsage,
  policy: RecommendPolicy,
  crane: RecommendPolicy,
): ReplicasRecommendation {
  const cpuSeries = workloadSeries(usage, "cpu");
  const cov = coverage(cpuSeries, usage.stepMs, usage.windowStartMs, usage.windowEndMs);
  const no = sufficiency(cov, policy.data, "workload CPU", true);
  if (no) return no;
  const req = perPodRequest(usage, "cpuMilli");
  if (!req.ok) return noRequests(req.container, "a target utilization");
  const requestCores = req.value / 1000;
  const rp = policy.replicas;
  const cpu = totals(cpuSeries);
  const values = cpu.map((p) => p.v);
  const weights = decayWeights(cpu, usage.windowEndMs, policy.cpu.halfLifeMs);
  const pCpu = weightedQuantile(values, rp.percentile, weights);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const at = (v: number) => replicasFor(v, requestCores, rp.targetUtilization, rp.minReplicas);

  const mem = totals(workloadSeries(usage, "memory"));
  const memReq = perPodRequest(usage, "memoryBytes");
  const memoryReplicas =
    mem.length > 0 && memReq.ok
      ? replicasFor(
          weightedQuantile(
            mem.map((p) => p.v),
            rp.percentile,
            decayWeights(mem, usage.windowEndMs, policy.memory.halfLifeMs),
          ),
          memReq.value,
          rp.targetUtilization,
          rp.minReplicas,
        )
      : undefined;
  const replicas = Math.max(at(pCpu), memoryReplicas ?? 0);

  const cr = crane.replicas;
  const craneP = weightedQuantile(values, cr.percentile);
  const craneCpu = replicasFor(craneP, requestCores, cr.targetUtilization, cr.minReplicas);
  // Crane's memory slot: the CPU percentile (cores) over the per-pod memory request (bytes).
  const craneMem = memReq.ok ? replicasFor(craneP, memReq.value, cr.targetUtilization, cr.minReplicas) : 0;
  const method =
    `total CPU over ${cov.pods} pod series: min ${+low.toPrecision(4)}, p${rp.percentile * 100} ` +
    `${+pCpu.toPrecision(4)} (half-life ${spanText(policy.cpu.halfLifeMs)}), max ${+high.toPrecision(4)} cores; ` +
    `per-pod request ${req.value}m at ${rp.targetUtilization * 100} % → ${at(low)} / ${at(pCpu)} / ${at(high)} pods` +
    (memoryReplicas === undefined ? "" : `; memory → ${memoryReplicas}`);
  return {
    abstain: false,
    min: at(low),
    replicas,
    max: Math.max(at(high), replicas),
    crane: Math.max(craneCpu, craneMem),
    memoryReplicas,
    current: usage.currentReplicas,
    evidence: evidenceOf(
      "sum of container_cpu_usage_seconds_total rate over the workload's pods",
      cov,
      method,
    ),
  };
}
