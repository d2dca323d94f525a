/**
 * HPA status pieces (horizontal.go): the condition list (append on first set,
 * `lastTransitionTime` only on a status flip), the metric names used in reasons and messages (including
 * Go's `%+v` rendering of a metav1.LabelSelector), and milli-quantity formatting for status values. Pure.
 */
import { Quantity } from "../quantity/quantity.js";
import type { Condition, ConditionType, LabelSelectorSpec, MetricSpec } from "./types.js";

/**
 * Sets a condition in a copy of the list (setConditionInList): an absent type is appended; the
 * transition time changes only when the status flips; reason and message are always overwritten.
 */
export function setCondition(
  list: readonly Condition[],
  type: ConditionType,
  status: Condition["status"],
  reason: string,
  message: string,
  now: number,
): Condition[] {
  const out = list.slice(); // entries are immutable: the changed one is replaced
  const i = out.findIndex((c) => c.type === type);
  const existing = i >= 0 ? out[i] : undefined;
  const lastTransitionTime =
    existing === undefined || existing.status !== status ? now : existing.lastTransitionTime;
  const next: Condition = { type, status, reason, message, lastTransitionTime };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/**
 * Go's `%+v` of a `*metav1.LabelSelector` (the generated `String()` method):
 * `nil`, or `&LabelSelector{MatchLabels:map[string]string{k: v,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[a b],},},}`.
 * Map keys are sorted.
 */
export function formatGoLabelSelector(selector: LabelSelectorSpec | undefined): string {
  if (selector === undefined) return "nil";
  const labels = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${selector.matchLabels![k]},`)
    .join("");
  const exprs = (selector.matchExpressions ?? [])
    .map(
      (e) =>
        `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(" ")}],},`,
    )
    .join("");
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/**
 * The metric name used in the rescale reason ("<name> above target") and the ValidMetricFound message
 * (e.g. `pods metric qps`, `Deployment metric qps`, `cpu resource utilization (percentage of request)`).
 * Object AverageValue is labelled "external metric ..." exactly as upstream.
 */
export function metricName(spec: MetricSpec): string {
  switch (spec.type) {
    case "Resource":
      return spec.resource.target.averageValue !== undefined
        ? `${spec.resource.name} resource`
        : `${spec.resource.name} resource utilization (percentage of request)`;
    case "ContainerResource":
      return spec.containerResource.target.averageValue !== undefined
        ? `${spec.containerResource.name} resource`
        : `${spec.containerResource.name} container resource utilization (percentage of request)`;
    case "Pods":
      return `pods metric ${spec.pods.metric.name}`;
    case "Object":
      return spec.object.target.type === "Value" && spec.object.target.value !== undefined
        ? `${spec.object.describedObject.kind} metric ${spec.object.metric.name}`
        : `external metric ${spec.object.metric.name}(${formatGoLabelSelector(spec.object.metric.selector)})`;
    case "External":
      return `external metric ${spec.external.metric.name}(${formatGoLabelSelector(spec.external.metric.selector)})`;
  }
}

/** int64 max, printed exactly (a JS number cannot hold it). */
const MAX_INT64_TEXT = "9223372036854775807m";

/** int64 min, printed exactly. */
const MIN_INT64_TEXT = "-9223372036854775808m";

/**
 * `resource.NewMilliQuantity(milli, DecimalSI).String()`: `41200m`, `50`, `1k`. The argument is an int64
 * upstream: values beyond its range print as int64 max/min (saturated, as `MilliValue()` results are
 * here), and a NaN (which no int64 can hold) prints as 0.
 */
export function formatMilli(milli: number): string {
  if (milli >= 2 ** 63) return MAX_INT64_TEXT;
  if (milli <= -(2 ** 63)) return MIN_INT64_TEXT;
  if (Number.isNaN(milli)) return "0";
  const m = Math.trunc(milli);
  if (Number.isSafeInteger(m)) {
    // Fast path with the canonical DecimalSI result: `<n>m`, or whole units with trailing zeros
    // folded into k/M/G/T/P/E.
    if (m === 0) return "0";
    if (m % 1000 !== 0) return `${m}m`;
    let v = m / 1000;
    let e = 0;
    while (v % 1000 === 0 && e < 18) {
      v /= 1000;
      e += 3;
    }
    return `${v}${DECIMAL_SUFFIX[e / 3]}`;
  }
  return Quantity.fromMilli(BigInt(m), "DecimalSI").toString();
}

const DECIMAL_SUFFIX = ["", "k", "M", "G", "T", "P", "E"];

/** A milli value as a plain decimal for explanations (`41200` -> `41.2`). */
export function milliToDecimal(milli: number): string {
  if (!Number.isFinite(milli)) return String(milli);
  const neg = milli < 0;
  const abs = Math.abs(Math.trunc(milli));
  const units = Math.trunc(abs / 1000);
  const frac = abs % 1000;
  const text = frac === 0 ? `${units}` : `${units}.${String(frac).padStart(3, "0").replace(/0+$/, "")}`;
  return neg ? `-${text}` : text;
}
