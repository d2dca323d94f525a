/**
 * The JSON objects of the metrics APIs exactly as the Kubernetes types marshal them:
 * MetricValueList (custom.metrics.k8s.io v1beta1 and v1beta2), ExternalMetricValueList, NodeMetrics and
 * PodMetrics (metrics.k8s.io v1beta1), APIResourceList / APIGroup / APIGroupList discovery, and
 * metav1.Status errors. Values go through `formatMetricValue` (apimachinery Quantity canonical form);
 * a non-finite value is never served (the handler leaves such items out and says why): passing one here
 * is a programming error and throws a RangeError.
 * Timestamps are RFC 3339 UTC with second precision.
 */
import { formatDuration } from "../duration.js";
import { formatMetricValue } from "../quantity/quantity.js";
import type { LabelRequirement } from "./promql.js";
import { describedApiVersion, type ResourceInfo } from "./resources.js";

export const CUSTOM_GROUP = "custom.metrics.k8s.io";
export const EXTERNAL_GROUP = "external.metrics.k8s.io";
export const RESOURCE_GROUP = "metrics.k8s.io";

/** Groups and versions served, in prioritized order (the first is the preferred version). */
export const SERVED_GROUPS: ReadonlyArray<{ group: string; versions: string[] }> = [
  { group: CUSTOM_GROUP, versions: ["v1beta1", "v1beta2"] },
  { group: EXTERNAL_GROUP, versions: ["v1beta1"] },
  { group: RESOURCE_GROUP, versions: ["v1beta1"] },
];

/** `v`, or a RangeError when it is not finite (no Quantity can carry it, and 0 would be a lie). */
export function finiteValue(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new RangeError(`${what}: non-finite value ${v} cannot be served`);
  return v;
}

/** RFC 3339 in UTC with second precision (`2023-02-28T19:52:01Z`), from Unix milliseconds. */
export function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** A Kubernetes LabelSelector (matchLabels + matchExpressions) from parsed requirements, as upstream. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/**
 * Converts requirements to a LabelSelector the way `metav1.ParseToLabelSelector` does: `=`/`==` go to
 * matchLabels, the rest to matchExpressions (In, NotIn, Exists, DoesNotExist). `!=` becomes NotIn.
 */
export function toLabelSelector(reqs: readonly LabelRequirement[]): LabelSelectorObject {
  const sel: LabelSelectorObject = {};
  for (const r of reqs) {
    if (r.operator === "=" || r.operator === "==") {
      sel.matchLabels ??= {};
      sel.matchLabels[r.key] = r.values[0] ?? "";
      continue;
    }
    const op =
      r.operator === "in"
        ? "In"
        : r.operator === "notin" || r.operator === "!="
          ? "NotIn"
          : r.operator === "exists"
            ? "Exists"
            : r.operator === "!"
              ? "DoesNotExist"
              : r.operator === "gt"
                ? "Gt"
                : "Lt";
    sel.matchExpressions ??= [];
    const e: { key: string; operator: string; values?: string[] } = { key: r.key, operator: op };
    if (r.values.length > 0) e.values = [...r.values];
    sel.matchExpressions.push(e);
  }
  return sel;
}

/** One value of a MetricValueList, independent of version. */
export interface MetricValueInput {
  resource: ResourceInfo;
  namespace?: string | undefined;
  name: string;
  metricName: string;
  /** Metric selector; null when none was given. */
  selector: LabelSelectorObject | null;
  timestampMs: number;
  value: number;
  windowSeconds?: number | undefined;
}

/** `describedObject`: kind, namespace (namespaced only), name, apiVersion (`/v1` for core, as upstream). */
export function describedObject(v: MetricValueInput): Record<string, string> {
  const o: Record<string, string> = { kind: v.resource.kind };
  if (v.namespace) o.namespace = v.namespace;
  o.name = v.name;
  o.apiVersion = describedApiVersion(v.resource);
  return o;
}

/** A `MetricValueList` for custom.metrics.k8s.io `version` (v1beta1 or v1beta2). */
export function metricValueList(version: string, items: readonly MetricValueInput[]): unknown {
  // Items usually share one timestamp (the response time): format it once.
  let lastMs = Number.NaN;
  let lastText = "";
  const stamp = (ms: number) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = rfc3339(ms);
    }
    return lastText;
  };
  return {
    kind: "MetricValueList",
    apiVersion: `${CUSTOM_GROUP}/${version}`,
    metadata: {},
    items: items.map((v) => {
      const value = metricValueText(finiteValue(v.value, v.name));
      if (version === "v1beta1") {
        const item: Record<string, unknown> = {
          describedObject: describedObject(v),
          metricName: v.metricName,
          timestamp: stamp(v.timestampMs),
        };
        if (v.windowSeconds !== undefined) item.window = v.windowSeconds;
        item.value = value;
        item.selector = v.selector;
        return item;
      }
      const item: Record<string, unknown> = {
        describedObject: describedObject(v),
        metric: { name: v.metricName, selector: v.selector },
        timestamp: stamp(v.timestampMs),
      };
      if (v.windowSeconds !== undefined) item.windowSeconds = v.windowSeconds;
      item.value = value;
      return item;
    }),
  };
}

const DECIMAL_SUFFIX: Readonly<Record<number, string>> = {
  [-3]: "m",
  0: "",
  3: "k",
  6: "M",
  9: "G",
  12: "T",
  15: "P",
  18: "E",
};

/**
 * Same text as `formatMetricValue(value)` (upstream `NewMilliQuantity(int64(v*1000), DecimalSI)`
 * printed canonically), with a plain-number fast path for milli values within ±2^53: trailing groups
 * of three zeros move into the SI suffix (`1500m`, `2`, `3k`). Larger, infinite or NaN values take the
 * exact BigInt path.
 */
export function metricValueText(value: number): string {
  const product = value * 1000;
  if (!(product > -9007199254740992 && product < 9007199254740992)) return formatMetricValue(value);
  let m = Math.trunc(product);
  if (m === 0) return "0";
  let e = -3;
  while (m % 1000 === 0 && e < 18) {
    m /= 1000;
    e += 3;
  }
  return `${m}${DECIMAL_SUFFIX[e]}`;
}

/** What every item of a MetricValueList answer shares (the handler stamps one time on all items). */
export interface MetricValueListCommon {
  resource: ResourceInfo;
  namespace?: string | undefined;
  metricName: string;
  selector: LabelSelectorObject | null;
  timestampMs: number;
  windowSeconds?: number | undefined;
}

/**
 * The JSON text of `metricValueList(version, values.map(v => ({ ...common, ...v })))`, byte for byte
 * what `JSON.stringify` gives for it, written directly: the parts every item shares are encoded once and
 * each item only adds its name and value (the hot path of a wildcard request over many objects).
 */
export function metricValueListJson(
  version: string,
  common: MetricValueListCommon,
  values: ReadonlyArray<{ name: string; value: number }>,
): string {
  const ns = common.namespace ? `"namespace":${JSON.stringify(common.namespace)},` : "";
  const head = `{"describedObject":{"kind":${JSON.stringify(common.resource.kind)},${ns}"name":`;
  const apiVersion = `,"apiVersion":${JSON.stringify(describedApiVersion(common.resource))}}`;
  const selector = JSON.stringify(common.selector);
  const stamp = JSON.stringify(rfc3339(common.timestampMs));
  const w = common.windowSeconds;
  let middle: string;
  let tail: string;
  if (version === "v1beta1") {
    middle = `${apiVersion},"metricName":${JSON.stringify(common.metricName)},"timestamp":${stamp}${w !== undefined ? `,"window":${JSON.stringify(w)}` : ""},"value":`;
    tail = `,"selector":${selector}}`;
  } else {
    middle = `${apiVersion},"metric":{"name":${JSON.stringify(common.metricName)},"selector":${selector}},"timestamp":${stamp}${w !== undefined ? `,"windowSeconds":${JSON.stringify(w)}` : ""},"value":`;
    tail = "}";
  }
  let out = `{"kind":"MetricValueList","apiVersion":${JSON.stringify(`${CUSTOM_GROUP}/${version}`)},"metadata":{},"items":[`;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) out += ",";
    const text = metricValueText(finiteValue(v.value, v.name));
    out += `${head}${JSON.stringify(v.name)}${middle}"${text}"${tail}`;
  }
  return `${out}]}`;
}

/** One external metric value. `metricLabels` null for scalar results. */
export interface ExternalValueInput {
  metricName: string;
  metricLabels: Record<string, string> | null;
  timestampMs: number;
  value: number;
}

/** An `ExternalMetricValueList` (external.metrics.k8s.io/v1beta1). */
export function externalMetricValueList(items: readonly ExternalValueInput[]): unknown {
  return {
    kind: "ExternalMetricValueList",
    apiVersion: `${EXTERNAL_GROUP}/v1beta1`,
    metadata: {},
    items: items.map((v) => ({
      metricName: v.metricName,
      metricLabels: v.metricLabels,
      timestamp: rfc3339(v.timestampMs),
      value: formatMetricValue(finiteValue(v.value, v.metricName)),
    })),
  };
}

/** CPU (cores) and memory (bytes) usage. */
export interface Usage {
  cpu: number;
  memory: number;
}

/** Usage in Quantity form: CPU DecimalSI, memory BinarySI (negatives become 0, as upstream). */
export function usageObject(u: Usage): { cpu: string; memory: string } {
  const clean = (v: number) => Math.max(finiteValue(v, "usage"), 0);
  return {
    cpu: formatMetricValue(clean(u.cpu), "DecimalSI"),
    memory: formatMetricValue(clean(u.memory), "BinarySI"),
  };
}

export interface NodeMetricsInput {
  name: string;
  timestampMs: number;
  windowMs: number;
  usage: Usage;
}

export interface PodMetricsInput {
  namespace: string;
  name: string;
  timestampMs: number;
  windowMs: number;
  containers: Array<{ name: string; usage: Usage }>;
}

function nodeItem(n: NodeMetricsInput, nowMs: number): Record<string, unknown> {
  return {
    metadata: { name: n.name, creationTimestamp: rfc3339(nowMs) },
    timestamp: rfc3339(n.timestampMs),
    window: formatDuration(n.windowMs),
    usage: usageObject(n.usage),
  };
}

function podItem(p: PodMetricsInput, nowMs: number): Record<string, unknown> {
  return {
    metadata: { name: p.name, namespace: p.namespace, creationTimestamp: rfc3339(nowMs) },
    timestamp: rfc3339(p.timestampMs),
    window: formatDuration(p.windowMs),
    containers: p.containers.map((c) => ({ name: c.name, usage: usageObject(c.usage) })),
  };
}

/** `NodeMetrics` (single) for metrics.k8s.io/v1beta1. */
export function nodeMetrics(n: NodeMetricsInput, nowMs: number): unknown {
  return { kind: "NodeMetrics", apiVersion: `${RESOURCE_GROUP}/v1beta1`, ...nodeItem(n, nowMs) };
}

/** `NodeMetricsList`. */
export function nodeMetricsList(items: readonly NodeMetricsInput[], nowMs: number): unknown {
  return {
    kind: "NodeMetricsList",
    apiVersion: `${RESOURCE_GROUP}/v1beta1`,
    metadata: {},
    items: items.map((n) => nodeItem(n, nowMs)),
  };
}

/** `PodMetrics` (single). */
export function podMetrics(p: PodMetricsInput, nowMs: number): unknown {
  return { kind: "PodMetrics", apiVersion: `${RESOURCE_GROUP}/v1beta1`, ...podItem(p, nowMs) };
}

/** `PodMetricsList`. */
export function podMetricsList(items: readonly PodMetricsInput[], nowMs: number): unknown {
  return {
    kind: "PodMetricsList",
    apiVersion: `${RESOURCE_GROUP}/v1beta1`,
    metadata: {},
    items: items.map((p) => podItem(p, nowMs)),
  };
}

/** A discovery entry (`APIResource`). */
export interface ApiResourceEntry {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

/** `APIResourceList` for `/apis/<group>/<version>`. */
export function apiResourceList(groupVersion: string, resources: readonly ApiResourceEntry[]): unknown {
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources: [...resources] };
}

/** The fixed discovery of metrics.k8s.io/v1beta1. */
export const RESOURCE_METRICS_RESOURCES: readonly ApiResourceEntry[] = [
  { name: "nodes", singularName: "", namespaced: false, kind: "NodeMetrics", verbs: ["get", "list"] },
  { name: "pods", singularName: "", namespaced: true, kind: "PodMetrics", verbs: ["get", "list"] },
];

/** `APIGroup` for `/apis/<group>`: all versions, preferring the first. */
export function apiGroup(group: string, versions: readonly string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { kind: "APIGroup", apiVersion: "v1", name: group, versions: vs, preferredVersion: vs[0] };
}

/** `APIGroupList` for `/apis`. */
export function apiGroupList(groups: ReadonlyArray<{ group: string; versions: string[] }>): unknown {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((g) => {
      const { kind: _k, apiVersion: _a, ...rest } = apiGroup(g.group, g.versions);
      return rest;
    }),
  };
}

/** metav1.StatusReason by HTTP code, as apimachinery's `errors` package uses them. */
export function statusReason(code: number): string {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

/** A metav1.Status failure object. `causes` go to `details.causes` (InternalError style). */
export function status(
  code: number,
  message: string,
  extra: { details?: Record<string, unknown>; causes?: string[] } = {},
): Record<string, unknown> {
  const s: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: statusReason(code),
  };
  const details: Record<string, unknown> = { ...(extra.details ?? {}) };
  if (extra.causes && extra.causes.length > 0) details.causes = extra.causes.map((m) => ({ message: m }));
  if (Object.keys(details).length > 0) s.details = details;
  s.code = code;
  return s;
}
