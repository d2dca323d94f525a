/**
 * Doctor rules for HorizontalPodAutoscalers: the controller's conditions and events decoded into what
 * went wrong and the fix. A Pods or External metric the adapter does not serve is matched against the
 * served names, and the nearest are suggested.
 */
import { editDistance } from "../validation.js";
import { type Condition, describeCondition, type Finding } from "./finding.js";

/** The fields of an HPA (and its recent events) the rules read. */
export interface HpaSnapshot {
  namespace: string;
  name: string;
  /** spec.scaleTargetRef */
  scaleTargetRef: { kind: string; name: string };
  conditions: Condition[];
  /** Recent Warning events of the HPA: reason and message. */
  events: Array<{ reason: string; message: string }>;
}

/** The metric names the metrics APIs serve (from their discovery documents). */
export interface ServedMetrics {
  custom: readonly string[];
  external: readonly string[];
}

/** Up to `max` served names nearest to `name` (fewest edits, then alphabetical), within half its length. */
export function nearestNames(name: string, served: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 2));
  return [...new Set(served)]
    .map((s) => ({ s, d: editDistance(name, s) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.s.localeCompare(b.s))
    .slice(0, max)
    .map((x) => x.s);
}

/** What the HPA says, from its conditions and events: one entry per reason (conditions first). */
function signals(h: HpaSnapshot): Array<{ reason: string; message: string; seen: string }> {
  const out: Array<{ reason: string; message: string; seen: string }> = [];
  const reasons = new Set<string>();
  for (const c of h.conditions) {
    if (c.status !== "False" || !c.reason) continue;
    reasons.add(c.reason);
    out.push({ reason: c.reason, message: c.message ?? "", seen: describeCondition(c) });
  }
  for (const e of h.events) {
    if (reasons.has(e.reason)) continue;
    reasons.add(e.reason);
    out.push({ reason: e.reason, message: e.message, seen: `event ${e.reason}: ${e.message}` });
  }
  return out;
}

/** The metric name in the controller's message: `unable to get metric NAME:` (Pods) or `unable to get external metric NS/NAME/SELECTOR:`. */
function metricInMessage(message: string, kind: "Pods" | "External"): string | undefined {
  const re =
    kind === "Pods" ? /unable to get metric ([^\s:]+)/ : /unable to get external metric [^/\s]+\/([^/\s]+)\//;
  return re.exec(message)?.[1];
}

function metricNotServed(
  h: HpaSnapshot,
  s: { message: string; seen: string },
  kind: "Pods" | "External",
  served: readonly string[],
): Finding {
  const metric = metricInMessage(s.message, kind) ?? "<metric>";
  const near = nearestNames(metric, served);
  const api = kind === "Pods" ? "custom.metrics.k8s.io" : "external.metrics.k8s.io";
  const field = kind === "Pods" ? "pods.metric.name" : "external.metric.name";
  return {
    id: kind === "Pods" ? "hpa.pods-metric-not-served" : "hpa.external-metric-not-served",
    object: `hpa/${h.namespace}/${h.name}`,
    seen: s.seen,
    why: served.includes(metric)
      ? `${metric} is listed by ${api} but the query for it returned nothing for these objects (no recent series with their labels)`
      : `${api} does not serve a metric named ${metric}${near.length ? `; nearest served: ${near.join(", ")}` : ""}`,
    fix:
      near.length && !served.includes(metric)
        ? `set spec.metrics[].${field} to ${near[0]}: kubectl -n ${h.namespace} edit hpa ${h.name}`
        : `check the adapter's rules: tidescale rules test --config rules.yaml --prometheus-url <url> ; kubectl get --raw /apis/${api}/v1beta1 | jq '.resources[].name'`,
  };
}

function decode(h: HpaSnapshot, s: { reason: string; message: string; seen: string }, served: ServedMetrics) {
  const object = `hpa/${h.namespace}/${h.name}`;
  const target = `${h.scaleTargetRef.kind.toLowerCase()}/${h.scaleTargetRef.name}`;
  switch (s.reason) {
    case "FailedGetScale":
      return {
        id: "hpa.failed-get-scale",
        object,
        seen: s.seen,
        why: `the scale target ${target} cannot be read: it does not exist in ${h.namespace}, or its kind has no scale subresource`,
        fix: `kubectl -n ${h.namespace} get ${target} ; correct spec.scaleTargetRef (apiVersion, kind, name) or create the workload`,
      };
    case "FailedGetResourceMetric": {
      const resource = /missing request for (\w+)/.exec(s.message)?.[1];
      if (resource)
        return {
          id: "hpa.missing-resource-request",
          object,
          seen: s.seen,
          why: `a Utilization target is a percentage of the pods' ${resource} request, and a container of ${target} has no ${resource} request (kubectl get hpa shows <unknown>)`,
          fix: `set a request on every container: kubectl -n ${h.namespace} set resources ${target} --requests=${resource}=${resource === "cpu" ? "100m" : "128Mi"}\n  (or in the pod template: resources: {requests: {${resource}: ...}}), or use an AverageValue target`,
        };
      return {
        id: "hpa.resource-metric-unavailable",
        object,
        seen: s.seen,
        why: "metrics.k8s.io has no usage for the target's pods (no metrics server, or its series are missing)",
        fix: "kubectl get apiservice v1beta1.metrics.k8s.io ; kubectl top pods -n " + h.namespace,
      };
    }
    case "FailedGetPodsMetric":
      return metricNotServed(h, s, "Pods", served.custom);
    case "FailedGetExternalMetric":
      return metricNotServed(h, s, "External", served.external);
    default:
      return undefined;
  }
}

/** The findings of one HPA: one per decoded reason in its conditions and recent events. */
export function checkHpa(h: HpaSnapshot, served: ServedMetrics): Finding[] {
  const findings: Finding[] = [];
  for (const s of signals(h)) {
    const f = decode(h, s, served);
    if (f) findings.push(f);
  }
  return findings;
}
