/**
 * Doctor rules for an HPA metric the controller could not read: one decoder per metric source (Resource,
 * Pods, Object, External). A name the metrics API does not serve is matched against the served names
 * and the nearest are suggested; a Utilization target on pods without requests names the containers.
 */
import { editDistance } from "../validation.js";
import type { Finding } from "./finding.js";

/** A container of a pod of the scale target, and the resources it has no request for. */
export interface MissingRequest {
  pod: string;
  container: string;
  resources: string[];
}

/** The fields of an HPA (and its recent events) the rules read. */
export interface HpaSnapshot {
  namespace: string;
  name: string;
  /** spec.scaleTargetRef */
  scaleTargetRef: { kind: string; name: string };
  minReplicas?: number | undefined;
  maxReplicas?: number | undefined;
  currentReplicas?: number | undefined;
  desiredReplicas?: number | undefined;
  conditions: Array<{
    type: string;
    status: string;
    reason?: string | undefined;
    message?: string | undefined;
  }>;
  /** Recent Warning events of the HPA: reason and message. */
  events: Array<{ reason: string; message: string }>;
  /** Containers of the target's pods without a cpu or memory request (read when the HPA has a Resource metric). */
  missingRequests?: MissingRequest[] | undefined;
}

/**
 * The metric names the metrics APIs serve (from their discovery documents through kube-apiserver);
 * undefined when the API could not be read (its APIService finding says why). `resource`: whether
 * metrics.k8s.io answered its discovery.
 */
export interface ServedMetrics {
  custom: readonly string[] | undefined;
  external: readonly string[] | undefined;
  resource?: boolean | undefined;
}

/** What the HPA said: a condition's or an event's reason and message, and how to show it. */
export interface Signal {
  reason: string;
  message: string;
  seen: string;
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

const hpaObject = (h: HpaSnapshot) => `hpa/${h.namespace}/${h.name}`;
const targetOf = (h: HpaSnapshot) => `${h.scaleTargetRef.kind.toLowerCase()}/${h.scaleTargetRef.name}`;

type MetricKind = "Pods" | "Object" | "External";

/** The metric name in the controller's message: `unable to get metric NAME:` (Pods, Object) or `unable to get external metric NS/NAME/SELECTOR:`. */
export function metricInMessage(message: string, kind: MetricKind): string | undefined {
  const re =
    kind === "External"
      ? /unable to get external metric [^/\s]+\/([^/\s]+)\//
      : /unable to get metric ([^\s:]+)/;
  return re.exec(message)?.[1];
}

const API: Record<MetricKind, string> = {
  Pods: "custom.metrics.k8s.io",
  Object: "custom.metrics.k8s.io",
  External: "external.metrics.k8s.io",
};
const FIELD: Record<MetricKind, string> = {
  Pods: "pods.metric.name",
  Object: "object.metric.name",
  External: "external.metric.name",
};
const ID: Record<MetricKind, string> = {
  Pods: "hpa.pods-metric-not-served",
  Object: "hpa.object-metric-not-served",
  External: "hpa.external-metric-not-served",
};

/**
 * FailedGetPodsMetric / FailedGetObjectMetric / FailedGetExternalMetric: the name is not served (the
 * nearest served names and the edit), or it is served and the query returned nothing for these objects.
 * Undefined when the API's names are unknown (its APIService is not Available: that finding is the cause).
 */
export function metricNotServed(
  h: HpaSnapshot,
  s: Signal,
  kind: MetricKind,
  served: readonly string[] | undefined,
): Finding | undefined {
  if (served === undefined) return undefined;
  const metric = metricInMessage(s.message, kind) ?? "<metric>";
  const near = nearestNames(metric, served);
  const api = API[kind];
  const isServed = served.includes(metric);
  let why: string;
  if (isServed)
    why = `${metric} is listed by ${api} but the query for it returned nothing for these objects (no recent series with their labels)`;
  else if (served.length === 0)
    why = `${api} serves no metric at all: the adapter's rules match no series (see tidescale doctor --rules)`;
  else
    why = `${api} does not serve a metric named ${metric}${near.length ? `; nearest served: ${near.join(", ")}` : ""}`;
  const fix =
    near.length && !isServed
      ? `set spec.metrics[].${FIELD[kind]} to ${near[0]}: kubectl -n ${h.namespace} edit hpa ${h.name}`
      : `check the adapter's rules: tidescale rules test --config rules.yaml --prometheus-url <url> ; kubectl get --raw /apis/${api}/v1beta1 | jq '.resources[].name'`;
  return { severity: "error", id: ID[kind], object: hpaObject(h), seen: s.seen, why, fix };
}

/** `pod/container` list of the containers without a request for `resource` (at most 5 named). */
function missingList(h: HpaSnapshot, resource: string): string | undefined {
  const missing = (h.missingRequests ?? []).filter((m) => m.resources.includes(resource));
  if (missing.length === 0) return undefined;
  const names = missing.slice(0, 5).map((m) => `${m.pod}/${m.container}`);
  return names.join(", ") + (missing.length > 5 ? ` and ${missing.length - 5} more` : "");
}

/** The container names (distinct, in order) without a request for `resource`. */
function missingContainers(h: HpaSnapshot, resource: string): string[] {
  const names = (h.missingRequests ?? [])
    .filter((m) => m.resources.includes(resource))
    .map((m) => m.container);
  return [...new Set(names)];
}

/** FailedGetResourceMetric / FailedGetContainerResourceMetric: a missing request (naming the containers) or no usage. */
export function resourceMetricFailed(h: HpaSnapshot, s: Signal, served: ServedMetrics): Finding | undefined {
  const target = targetOf(h);
  const resource = /missing request for (\w+)/.exec(s.message)?.[1];
  if (resource) {
    const list = missingList(h, resource);
    const containers = missingContainers(h, resource);
    const value = resource === "cpu" ? "100m" : "128Mi";
    const only = containers.length ? ` -c ${containers.join(",")}` : "";
    return {
      severity: "error",
      id: "hpa.missing-resource-request",
      object: hpaObject(h),
      seen: list ? `${s.seen}\n        containers without a ${resource} request: ${list}` : s.seen,
      why: `a Utilization target is a percentage of the pods' ${resource} request, and ${list ? "these containers have" : `a container of ${target} has`} no ${resource} request (kubectl get hpa shows <unknown>)`,
      fix: `set a request on every container: kubectl -n ${h.namespace} set resources ${target}${only} --requests=${resource}=${value}\n        (or in the pod template: resources: {requests: {${resource}: ${value}}}), or use an AverageValue target`,
    };
  }
  // metrics.k8s.io not Available: its APIService finding is the cause.
  if (served.resource === false) return undefined;
  return {
    severity: "error",
    id: "hpa.resource-metric-unavailable",
    object: hpaObject(h),
    seen: s.seen,
    why:
      served.resource === undefined
        ? "no metrics.k8s.io API is registered (no metrics-server, and no adapter with resourceRules), so the pods' usage cannot be read"
        : "metrics.k8s.io has no usage for the target's pods (its series are missing, or the pods are not running)",
    fix: `kubectl get apiservice v1beta1.metrics.k8s.io ; kubectl top pods -n ${h.namespace} ; with tidescale: resourceRules in the rules and deploy/07-apiservice-resource-metrics.yaml`,
  };
}
