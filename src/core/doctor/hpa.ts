/**
 * Doctor rules for HorizontalPodAutoscalers: the controller's conditions and recent Warning events
 * decoded into what went wrong and the fix, one function per reason family (scale target, metrics,
 * selector, limits, updates). A condition and an event with the same reason give one finding.
 */
import { describeCondition, type Finding } from "./finding.js";
import {
  type HpaSnapshot,
  metricNotServed,
  resourceMetricFailed,
  type ServedMetrics,
  type Signal,
} from "./hpa-metrics.js";

export type { HpaSnapshot, MissingRequest, ServedMetrics } from "./hpa-metrics.js";
export { nearestNames } from "./hpa-metrics.js";

/** Events the controller emits next to a more precise one (the per-metric reason says the same). */
const REDUNDANT_EVENTS = new Set(["FailedComputeMetricsReplicas"]);

/**
 * What the HPA says: each condition that reports a problem (status False with a reason, or
 * ScalingLimited=True), then each Warning event whose reason no condition already gave.
 */
function signals(h: HpaSnapshot): Signal[] {
  const out: Signal[] = [];
  const reasons = new Set<string>();
  for (const c of h.conditions) {
    const problem = c.type === "ScalingLimited" ? c.status === "True" : c.status === "False";
    if (!problem || !c.reason) continue;
    reasons.add(c.reason);
    out.push({ reason: c.reason, message: c.message ?? "", seen: describeCondition(c) });
  }
  for (const e of h.events) {
    if (reasons.has(e.reason) || REDUNDANT_EVENTS.has(e.reason)) continue;
    reasons.add(e.reason);
    out.push({ reason: e.reason, message: e.message, seen: `event ${e.reason}: ${e.message}` });
  }
  return out;
}

const hpaObject = (h: HpaSnapshot) => `hpa/${h.namespace}/${h.name}`;
const targetOf = (h: HpaSnapshot) => `${h.scaleTargetRef.kind.toLowerCase()}/${h.scaleTargetRef.name}`;

function failedGetScale(h: HpaSnapshot, s: Signal): Finding {
  return {
    severity: "error",
    id: "hpa.failed-get-scale",
    object: hpaObject(h),
    seen: s.seen,
    why: `the scale target ${targetOf(h)} cannot be read: it does not exist in ${h.namespace}, or its kind has no scale subresource`,
    fix: `kubectl -n ${h.namespace} get ${targetOf(h)} ; correct spec.scaleTargetRef (apiVersion, kind, name) or create the workload`,
  };
}

/** InvalidSelector / SelectorRequired / AmbiguousSelector: the pods cannot be told apart. */
function selectorProblem(h: HpaSnapshot, s: Signal): Finding {
  const target = targetOf(h);
  if (s.reason === "AmbiguousSelector")
    return {
      severity: "error",
      id: "hpa.ambiguous-selector",
      object: hpaObject(h),
      seen: s.seen,
      why: "the pods of this HPA's target are also selected by another HPA's target: two HPAs would fight over them, so the controller scales neither",
      fix: `kubectl -n ${h.namespace} get hpa -o wide ; keep one HPA per workload, or give the workloads distinct pod labels`,
    };
  return {
    severity: "error",
    id: "hpa.invalid-selector",
    object: hpaObject(h),
    seen: s.seen,
    why: `the scale subresource of ${target} has no valid status.selector, so the controller cannot find its pods (a custom resource whose CRD's scale subresource has no labelSelectorPath, or a selector that does not parse)`,
    fix: `kubectl -n ${h.namespace} get --raw /apis/<group>/<version>/namespaces/${h.namespace}/<resource>/${h.scaleTargetRef.name}/scale ; set subresources.scale.labelSelectorPath in the CRD and fill that status field`,
  };
}

const LIMITS: Record<string, (h: HpaSnapshot) => { severity: "error" | "info"; why: string; fix: string }> = {
  TooManyReplicas: (h) => ({
    severity: "error",
    why: `the metrics ask for more replicas than spec.maxReplicas${h.maxReplicas !== undefined ? ` (${h.maxReplicas})` : ""}: the workload runs above its targets`,
    fix: `raise the ceiling if the cluster has room: kubectl -n ${h.namespace} patch hpa ${h.name} --type=merge -p '{"spec":{"maxReplicas":${(h.maxReplicas ?? 1) * 2}}}'`,
  }),
  ScaleUpLimit: (h) => ({
    severity: "info",
    why: "the scale-up is rate limited (spec.behavior.scaleUp policies, or without behavior at most max(2 x current, 4)); the controller continues in the next periods",
    fix: `if it is too slow: kubectl -n ${h.namespace} edit hpa ${h.name} and raise spec.behavior.scaleUp.policies`,
  }),
  TooFewReplicas: (h) => ({
    severity: "info",
    why: `the metrics ask for fewer replicas than spec.minReplicas${h.minReplicas !== undefined ? ` (${h.minReplicas})` : ""}: the workload is held at its floor (normal under low load)`,
    fix: "nothing to do, unless the floor is higher than needed: lower spec.minReplicas",
  }),
  ScaleDownLimit: (h) => ({
    severity: "info",
    why: "the scale-down is rate limited by spec.behavior.scaleDown policies; the controller continues in the next periods",
    fix: `if it is too slow: kubectl -n ${h.namespace} edit hpa ${h.name} and raise spec.behavior.scaleDown.policies`,
  }),
};

/** ScalingLimited=True decoded by its reason. */
function scalingLimited(h: HpaSnapshot, s: Signal): Finding | undefined {
  const decoded = LIMITS[s.reason]?.(h);
  if (!decoded) return undefined;
  const replicas =
    h.desiredReplicas !== undefined
      ? ` (current ${h.currentReplicas ?? "?"}, desired ${h.desiredReplicas})`
      : "";
  return {
    id: `hpa.scaling-limited.${s.reason.replace(/[A-Z]/g, (c, i: number) => (i ? "-" : "") + c.toLowerCase())}`,
    object: hpaObject(h),
    seen: s.seen + replicas,
    ...decoded,
  };
}

/** FailedRescale / FailedUpdateScale / FailedUpdateStatus: the controller's writes are refused. */
function updateRefused(h: HpaSnapshot, s: Signal): Finding {
  const status = s.reason === "FailedUpdateStatus";
  return {
    severity: "error",
    id: status ? "hpa.failed-update-status" : "hpa.failed-rescale",
    object: hpaObject(h),
    seen: s.seen,
    why: status
      ? "the controller cannot write the HPA's status (RBAC of horizontal-pod-autoscaler, or an admission webhook refusing it)"
      : `the controller computed a new size but ${targetOf(h)}'s scale update was refused (RBAC, an admission webhook or a quota)`,
    fix: `kubectl -n ${h.namespace} describe hpa ${h.name} ; kubectl auth can-i update ${status ? "horizontalpodautoscalers/status" : `${h.scaleTargetRef.kind.toLowerCase()}s/scale`} -n ${h.namespace} --as=system:serviceaccount:kube-system:horizontal-pod-autoscaler`,
  };
}

function invalidMetricSource(h: HpaSnapshot, s: Signal): Finding {
  return {
    severity: "error",
    id: "hpa.invalid-metric-source",
    object: hpaObject(h),
    seen: s.seen,
    why: "a spec.metrics[] entry has a type this controller does not know (e.g. ContainerResource on a cluster without the HPAContainerMetrics gate)",
    fix: `kubectl -n ${h.namespace} get hpa ${h.name} -o yaml ; use Resource, Pods, Object or External`,
  };
}

function decode(h: HpaSnapshot, s: Signal, served: ServedMetrics): Finding | undefined {
  switch (s.reason) {
    case "FailedGetScale":
      return failedGetScale(h, s);
    case "FailedGetResourceMetric":
    case "FailedGetContainerResourceMetric":
      return resourceMetricFailed(h, s, served);
    case "FailedGetPodsMetric":
      return metricNotServed(h, s, "Pods", served.custom);
    case "FailedGetObjectMetric":
      return metricNotServed(h, s, "Object", served.custom);
    case "FailedGetExternalMetric":
      return metricNotServed(h, s, "External", served.external);
    case "InvalidSelector":
    case "SelectorRequired":
    case "AmbiguousSelector":
      return selectorProblem(h, s);
    case "FailedRescale":
    case "FailedUpdateScale":
    case "FailedUpdateStatus":
      return updateRefused(h, s);
    case "InvalidMetricSourceType":
      return invalidMetricSource(h, s);
    default:
      return scalingLimited(h, s);
  }
}

/** The findings of one HPA: one per decoded reason in its conditions and recent events. */
export function checkHpa(h: HpaSnapshot, served: ServedMetrics): Finding[] {
  const findings: Finding[] = [];
  const ids = new Set<string>();
  for (const s of signals(h)) {
    const f = decode(h, s, served);
    // FailedRescale (event) and FailedUpdateScale (condition) are one problem.
    if (f && !ids.has(f.id)) {
      ids.add(f.id);
      findings.push(f);
    }
  }
  return findings;
}
