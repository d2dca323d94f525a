/**
 * Recommendations for one workload from its usage history: resource requests per container, replicas and
 * an HPA replayed through the simulator. Pure: the usage arrives as data (adapters/recommend reads it from
 * Prometheus and the API). Entry point: {@link recommendWorkload}.
 */
import { type HpaInput, recommendHpa } from "./hpa.js";
import { CRANE_POLICY, DEFAULT_POLICY } from "./policy.js";
import { noRequests, perPodRequest, recommendReplicas, replicasFor, workloadSeries } from "./replicas.js";
import { histogramPercentile, recommendRequests } from "./requests.js";
import { totals, weightedQuantile } from "./series.js";
import type { HpaRecommendation, RecommendPolicy, WorkloadRecommendation, WorkloadUsage } from "./types.js";

export { hpaObject, type ReplayMetric, type ReplayModel, recommendHpa, replay, verdict } from "./hpa.js";
export { CRANE_POLICY, DEFAULT_POLICY, withPolicy } from "./policy.js";
export { formatResource } from "./requests.js";
export type * from "./types.js";

/** Whether every metric of an HPA object is CPU (the only metric the replay derives from CPU usage). */
function cpuOnly(object: Record<string, unknown>): boolean {
  const spec = object.spec as { metrics?: unknown } | undefined;
  const metrics = Array.isArray(spec?.metrics) ? (spec.metrics as Record<string, unknown>[]) : [];
  if (metrics.length === 0) return true; // the default metric: CPU at 80 %
  return metrics.every(
    (m) => m.type === "Resource" && (m.resource as { name?: unknown } | undefined)?.name === "cpu",
  );
}

function workloadHpa(usage: WorkloadUsage, policy: RecommendPolicy): HpaRecommendation {
  const req = perPodRequest(usage, "cpuMilli");
  if (!req.ok) return noRequests(req.container, "an HPA utilization target");
  const w = usage.workload;
  const requestCores = req.value / 1000;
  const load = totals(workloadSeries(usage, "cpu"));
  const model = {
    load,
    stepMs: usage.stepMs,
    capacityPerPod: requestCores * policy.hpa.saturationUtilization,
    metric: { kind: "cpu", requestMilli: req.value } as const,
    scaleTargetRef: { apiVersion: w.apiVersion, kind: w.kind, name: w.name },
    namespace: w.namespace,
    hpaName: usage.currentHpa?.name ?? w.name,
  };
  const fixed = Math.max(1, usage.currentReplicas);
  const current: HpaInput["current"] =
    usage.currentHpa && cpuOnly(usage.currentHpa.object)
      ? { description: `HorizontalPodAutoscaler ${usage.currentHpa.name}`, object: usage.currentHpa.object }
      : {
          description: usage.currentHpa
            ? `${fixed} fixed replicas (HPA ${usage.currentHpa.name} scales on metrics other than CPU, which the replay cannot derive)`
            : `${fixed} fixed replicas (no HPA)`,
          object: {
            apiVersion: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            metadata: { name: model.hpaName, namespace: w.namespace },
            spec: { scaleTargetRef: model.scaleTargetRef, minReplicas: fixed, maxReplicas: fixed },
          },
        };
  const values = load.map((p) => p.v);
  const c = CRANE_POLICY;
  const p95Total = values.length > 0 ? weightedQuantile(values, c.replicas.percentile) : 0;
  const crane = {
    minReplicas: replicasFor(p95Total, requestCores, c.replicas.targetUtilization, c.replicas.minReplicas),
    perPodP99: usage.containers.reduce(
      (s, ct) => s + histogramPercentile(ct.cpu, usage.windowEndMs, c.cpu, true),
      0,
    ),
    p95Total,
  };
  return recommendHpa(
    { model, current, crane, windowStartMs: usage.windowStartMs, windowEndMs: usage.windowEndMs },
    policy,
    c,
  );
}

/** Requests per container, replicas and an HPA for one workload, each with its evidence or abstention. */
export function recommendWorkload(
  usage: WorkloadUsage,
  policy: RecommendPolicy = DEFAULT_POLICY,
): WorkloadRecommendation {
  return {
    workload: usage.workload,
    containers: recommendRequests(usage, policy, CRANE_POLICY),
    replicas: recommendReplicas(usage, policy, CRANE_POLICY),
    hpa: workloadHpa(usage, policy),
  };
}
