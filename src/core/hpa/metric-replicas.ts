/**
 * The replica proposal of one metric spec (horizontal.go computeReplicasForMetric), one function per
 * metric source type: it reads the metrics API response the controller would get, runs the replica
 * calculator and builds the metric's status entry, or the failure (condition reason, event text, error)
 * exactly as upstream words it. Pure.
 */
import { tryParseQuantity } from "../quantity/quantity.js";
import {
  fetchExternalMetric,
  fetchObjectMetric,
  MAX_INT64,
  podsMetricsByPod,
  resourceMetricsByPod,
} from "./metric-sources.js";
import type { PodGrouping, PodMetricsByPod } from "./pods.js";
import {
  type CalcOk,
  type CalcResult,
  perPodReplicas,
  plainMetricReplicas,
  resourceUtilizationReplicas,
  type Tolerances,
  valueReplicas,
} from "./replica-calculator.js";
import { formatGoLabelSelector, formatMilli, metricName, milliToDecimal } from "./status.js";
import type {
  ContainerResourceMetricSpec,
  ControllerConfig,
  ExternalMetricSpec,
  MetricIdentifier,
  MetricProposal,
  MetricSpec,
  MetricStatus,
  MetricTarget,
  ObjectMetricSpec,
  PodGroups,
  PodsMetricSpec,
  ReconcileInput,
  ResourceMetricSpec,
} from "./types.js";

const milliCache = new Map<string, number>();

/**
 * Milli-value of a target quantity (`Quantity.MilliValue()`, rounding up); memoized per text. Like
 * upstream's int64 result it saturates at ±2^63 (`1e400` → int64 max), so no target is ever infinite.
 */
export function targetMilli(text: string): number {
  let v = milliCache.get(text);
  if (v === undefined) {
    const q = tryParseQuantity(text);
    v = q.ok ? Math.max(-MAX_INT64, Math.min(q.value.milliValue(), MAX_INT64)) : Number.NaN;
    if (milliCache.size > 10_000) milliCache.clear();
    milliCache.set(text, v);
  }
  return v;
}

export interface MetricOutcome {
  proposal: MetricProposal;
  /** Failure: the condition the controller remembers, the event, the error it returns. */
  failure?: { reason: string; inner: string; outer: string };
}

export interface MetricContext {
  explain: boolean;
  timing: { now: number; cpuInitializationPeriodMs: number; initialReadinessDelayMs: number };
  namespace: string;
  now: number;
  specReplicas: number;
  statusReplicas: number;
  pods: ReconcileInput["pods"];
  tolerances: Tolerances;
  config: ControllerConfig;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : String(+n.toFixed(6)));

function groupsOf(g: PodGrouping | undefined): PodGroups | undefined {
  return g;
}

/** metricName(spec), memoized per spec object (the HPA object is reused across reconciles). */
const names = new WeakMap<MetricSpec, string>();
function nameOf(spec: MetricSpec): string {
  let n = names.get(spec);
  if (n === undefined) {
    n = metricName(spec);
    names.set(spec, n);
  }
  return n;
}

function describeCalc(calc: CalcResult, target: string, unit: string): string {
  if (!calc.ok) return calc.error;
  const parts: string[] = [];
  if (calc.groups) {
    const g = calc.groups;
    parts.push(
      `pods: ${g.ready.length} ready, ${g.unready.length} unready, ${g.missing.length} missing, ${g.ignored.length} ignored`,
    );
  }
  parts.push(`ratio ${fmt(calc.ratio)} (${unit} against target ${target})`);
  switch (calc.path) {
    case "within-tolerance":
      parts.push("within tolerance: keep the current count");
      break;
    case "fast":
      parts.push(`ceil(${fmt(calc.ratio)} × ${calc.multiplier} ready pods) = ${calc.replicas}`);
      break;
    case "rebalanced-within-tolerance":
      parts.push(
        `rebalanced ratio ${fmt(calc.rebalancedRatio ?? 0)} is within tolerance: keep the current count`,
      );
      break;
    case "rebalanced-direction-flip":
      parts.push(
        `rebalanced ratio ${fmt(calc.rebalancedRatio ?? 0)} would reverse the scale direction: keep the current count`,
      );
      break;
    case "rebalanced-count-flip":
      parts.push(
        `ceil(${fmt(calc.rebalancedRatio ?? 0)} × ${calc.multiplier}) would move against the ratio: keep the current count`,
      );
      break;
    case "rebalanced":
      parts.push(
        `rebalanced (missing/unready pods filled in): ceil(${fmt(calc.rebalancedRatio ?? 0)} × ${calc.multiplier} entries) = ${calc.replicas}`,
      );
      break;
    case "ready-pods":
      parts.push(`ceil(${fmt(calc.ratio)} × ${calc.multiplier} Running+Ready pods) = ${calc.replicas}`);
      break;
    case "scale-from-zero":
      parts.push(`current replicas are 0: ceil(${fmt(calc.ratio)}) = ${calc.replicas}, no tolerance`);
      break;
    case "per-pod":
      parts.push(`per-pod target: ${calc.replicas}`);
      break;
  }
  return parts.join("; ");
}

function failed(
  index: number,
  type: string,
  reason: string,
  inner: string,
  outer: string,
  groups?: PodGrouping | undefined,
): MetricOutcome {
  const proposal: MetricProposal = {
    index,
    type,
    name: "",
    valid: false,
    error: outer,
    reason,
    status: { type: "" },
  };
  if (groups !== undefined) proposal.pods = groups;
  return { proposal, failure: { reason, inner, outer } };
}

function resourceStatus(
  isContainer: boolean,
  name: string,
  container: string,
  current: MetricStatusCurrent,
): MetricStatus {
  return isContainer
    ? { type: "ContainerResource", containerResource: { name, container, current } }
    : { type: "Resource", resource: { name, current } };
}

function resourceOuter(isContainer: boolean, name: string, container: string, inner: string): string {
  return isContainer
    ? `failed to get ${container} container metric value: ${inner}`
    : `failed to get ${name} resource metric value: ${inner}`;
}

function perPodDetail(
  what: string,
  usage: number,
  statusReplicas: number,
  target: number,
  calc: CalcOk,
): string {
  return `${what} ${milliToDecimal(usage)} over ${statusReplicas} pods against average target ${milliToDecimal(target)}: ratio ${fmt(calc.ratio)}; ${calc.replicas === statusReplicas ? "within tolerance: keep the pod count" : `ceil(${milliToDecimal(usage)} / ${milliToDecimal(target)}) = ${calc.replicas}`}`;
}

/** The start of an External metric's outer error (built only on failure). */
function externalOuterPrefix(name: string): string {
  return `failed to get ${name} external metric value: `;
}

type MetricStatusCurrent = NonNullable<MetricStatus["resource"]>["current"];

/** The status copy of a spec's metric identifier, made once per spec object and shared by the statuses. */
const identifiers = new WeakMap<MetricIdentifier, MetricIdentifier>();
function identifier(m: MetricIdentifier): MetricIdentifier {
  let id = identifiers.get(m);
  if (id === undefined || id.name !== m.name || id.selector !== m.selector) {
    id = m.selector === undefined ? { name: m.name } : { name: m.name, selector: m.selector };
    identifiers.set(m, id);
  }
  return id;
}

function ok(
  index: number,
  spec: MetricSpec,
  calc: CalcResult & { ok: true },
  status: MetricStatus,
  target: number,
  extra: { utilization?: number; rawAverage?: number; value?: number; detail: string },
): MetricOutcome & { detail: string } {
  const proposal: MetricProposal = {
    index,
    type: spec.type,
    name: nameOf(spec),
    valid: true,
    replicas: calc.replicas,
    ratio: calc.ratio,
    target,
    path: calc.path,
    status,
  };
  if (calc.rebalancedRatio !== undefined) proposal.rebalancedRatio = calc.rebalancedRatio;
  if (extra.utilization !== undefined) proposal.utilization = extra.utilization;
  if (extra.rawAverage !== undefined) proposal.rawAverage = extra.rawAverage;
  if (extra.value !== undefined) proposal.value = extra.value;
  const pods = groupsOf(calc.groups);
  if (pods) proposal.pods = pods;
  return { proposal, detail: extra.detail };
}

type Reading = ReconcileInput["metrics"][number];
type Outcome = MetricOutcome & { detail?: string };

/**
 * One metric's replica proposal (computeReplicasForMetric), or its failure: the condition reason, the
 * event text and the error the controller returns. One function per metric source type.
 */
export function computeMetric(
  spec: MetricSpec,
  index: number,
  ctx: MetricContext,
  reading: Reading,
): Outcome {
  switch (spec.type) {
    case "Resource":
    case "ContainerResource":
      return resourceMetric(spec, index, ctx, reading);
    case "Pods":
      return podsMetric(spec, index, ctx, reading);
    case "Object":
      return objectMetric(spec, index, ctx, reading);
    case "External":
      return externalMetric(spec, index, ctx, reading);
    default:
      return unknownMetric(spec, index);
  }
}

/** The naming of a Resource or ContainerResource metric that its failures and statuses use. */
interface ResourceSource {
  spec: ResourceMetricSpec | ContainerResourceMetricSpec;
  index: number;
  isContainer: boolean;
  name: string;
  container: string;
  reason: string;
}

function resourceFailure(r: ResourceSource, inner: string, groups?: PodGrouping): MetricOutcome {
  return failed(
    r.index,
    r.spec.type,
    r.reason,
    inner,
    resourceOuter(r.isContainer, r.name, r.container, inner),
    groups,
  );
}

/** The calculator arguments shared by the per-pod metrics (Resource, ContainerResource, Pods). */
function podArgs(ctx: MetricContext, metrics: PodMetricsByPod) {
  return {
    currentReplicas: ctx.specReplicas,
    pods: ctx.pods,
    metrics,
    tolerances: ctx.tolerances,
    timing: ctx.timing,
    groupNames: ctx.explain,
  };
}

/** Resource / ContainerResource: an AverageValue or a Utilization target over the pods' usage. */
function resourceMetric(
  spec: ResourceMetricSpec | ContainerResourceMetricSpec,
  index: number,
  ctx: MetricContext,
  reading: Reading,
): Outcome {
  const isContainer = spec.type === "ContainerResource";
  const src = isContainer ? spec.containerResource : spec.resource;
  const r: ResourceSource = {
    spec,
    index,
    isContainer,
    name: src.name,
    container: isContainer ? spec.containerResource.container : "",
    reason: isContainer ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric",
  };
  const target = src.target;
  if (target.averageValue === undefined && target.averageUtilization === undefined) {
    return resourceFailure(
      r,
      "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set",
    );
  }
  const fetched = resourceMetricsByPod(reading, r.name, r.container, ctx.pods, ctx.now);
  if (!fetched.ok) {
    return resourceFailure(
      r,
      `failed to get ${r.name} utilization: unable to get metrics for resource ${r.name}: ${fetched.error}`,
    );
  }
  return target.averageValue !== undefined
    ? resourceAverageValue(r, target.averageValue, ctx, fetched.value)
    : resourceUtilization(r, target.averageUtilization!, ctx, fetched.value);
}

function resourceAverageValue(
  r: ResourceSource,
  averageValue: string,
  ctx: MetricContext,
  metrics: PodMetricsByPod,
): Outcome {
  const t = targetMilli(averageValue);
  const calc = plainMetricReplicas({
    ...podArgs(ctx, metrics),
    targetUsage: t,
    resource: r.name,
  });
  if (!calc.ok) return resourceFailure(r, `failed to get ${r.name} utilization: ${calc.error}`, calc.groups);
  const status = resourceStatus(r.isContainer, r.name, r.container, {
    averageValue: formatMilli(calc.usage),
  });
  return ok(r.index, r.spec, calc, status, t, {
    rawAverage: calc.usage,
    detail: ctx.explain ? describeCalc(calc, milliToDecimal(t), `average ${milliToDecimal(calc.usage)}`) : "",
  });
}

function resourceUtilization(
  r: ResourceSource,
  tu: number,
  ctx: MetricContext,
  metrics: PodMetricsByPod,
): Outcome {
  const calc = resourceUtilizationReplicas({
    ...podArgs(ctx, metrics),
    targetUtilization: tu,
    resource: r.name,
    container: r.container,
    podLevelResources: ctx.config.podLevelResources,
  });
  if (!calc.ok) return resourceFailure(r, `failed to get ${r.name} utilization: ${calc.error}`, calc.groups);
  const status = resourceStatus(r.isContainer, r.name, r.container, {
    averageUtilization: calc.utilization!,
    averageValue: formatMilli(calc.usage),
  });
  return ok(r.index, r.spec, calc, status, tu, {
    utilization: calc.utilization!,
    rawAverage: calc.usage,
    detail: ctx.explain ? describeCalc(calc, `${tu}%`, `utilization ${calc.utilization}%`) : "",
  });
}

/** Pods: the average of a per-pod custom metric against an AverageValue target. */
function podsMetric(spec: PodsMetricSpec, index: number, ctx: MetricContext, reading: Reading): Outcome {
  const m = spec.pods.metric;
  const reason = "FailedGetPodsMetric";
  const fetched = podsMetricsByPod(reading, ctx.pods, ctx.now);
  if (!fetched.ok) {
    const inner = `unable to get metric ${m.name}: ${fetched.error}`;
    return failed(index, spec.type, reason, inner, `failed to get pods metric value: ${inner}`);
  }
  const t = targetMilli(spec.pods.target.averageValue ?? "0");
  const calc = plainMetricReplicas({
    ...podArgs(ctx, fetched.value),
    targetUsage: t,
    resource: "",
  });
  if (!calc.ok)
    return failed(
      index,
      spec.type,
      reason,
      calc.error,
      `failed to get pods metric value: ${calc.error}`,
      calc.groups,
    );
  const status: MetricStatus = {
    type: "Pods",
    pods: { metric: identifier(m), current: { averageValue: formatMilli(calc.usage) } },
  };
  return ok(index, spec, calc, status, t, {
    rawAverage: calc.usage,
    detail: ctx.explain ? describeCalc(calc, milliToDecimal(t), `average ${milliToDecimal(calc.usage)}`) : "",
  });
}

/**
 * Object and External metrics: one number (an object's value, or the sum of an external metric) against
 * a Value target (ratio × Running+Ready pods) or an AverageValue target (per pod). What differs between
 * the two sources is only how their errors and status entries read.
 */
interface SingleValue {
  spec: ObjectMetricSpec | ExternalMetricSpec;
  index: number;
  reason: "FailedGetObjectMetric" | "FailedGetExternalMetric";
  /** The number's name in the explanation: "value" (Object) or "total" (External). */
  label: string;
  fetched: ReturnType<typeof fetchObjectMetric>;
  /** The inner error of a failed fetch. */
  fetchError: (error: string) => string;
}

/** How one target of a source words its failures and builds its status entry. */
interface TargetWording {
  outer: (inner: string) => string;
  status: (current: MetricStatusCurrent) => MetricStatus;
}

function valueTarget(m: SingleValue, ctx: MetricContext, value: string, w: TargetWording): Outcome {
  if (!m.fetched.ok) {
    const inner = m.fetchError(m.fetched.error);
    return failed(m.index, m.spec.type, m.reason, inner, w.outer(inner));
  }
  const t = targetMilli(value);
  const calc = valueReplicas({
    currentReplicas: ctx.specReplicas,
    usage: m.fetched.value,
    target: t,
    tolerances: ctx.tolerances,
    pods: ctx.pods,
  });
  if (!calc.ok) return failed(m.index, m.spec.type, m.reason, calc.error, w.outer(calc.error));
  return ok(m.index, m.spec, calc, w.status({ value: formatMilli(calc.usage) }), t, {
    value: calc.usage,
    detail: ctx.explain
      ? describeCalc(calc, milliToDecimal(t), `${m.label} ${milliToDecimal(calc.usage)}`)
      : "",
  });
}

/** `saturate`: a total at int64 max reports int64 max as its average (External, as upstream). */
function averageValueTarget(
  m: SingleValue,
  ctx: MetricContext,
  averageValue: string,
  w: TargetWording,
  saturate: boolean,
): Outcome {
  if (!m.fetched.ok) {
    const inner = m.fetchError(m.fetched.error);
    return failed(m.index, m.spec.type, m.reason, inner, w.outer(inner));
  }
  const usage = m.fetched.value;
  const t = targetMilli(averageValue);
  const calc = perPodReplicas({
    statusReplicas: ctx.statusReplicas,
    usage,
    target: t,
    tolerances: ctx.tolerances,
  });
  const average = saturate && usage >= MAX_INT64 ? MAX_INT64 : calc.usage;
  return ok(
    m.index,
    m.spec,
    { ...calc, usage: average },
    w.status({ averageValue: formatMilli(average) }),
    t,
    {
      value: usage,
      detail: ctx.explain ? perPodDetail(m.label, usage, ctx.statusReplicas, t, calc) : "",
    },
  );
}

/** Object: one object's metric against a Value or AverageValue target. */
function objectMetric(spec: ObjectMetricSpec, index: number, ctx: MetricContext, reading: Reading): Outcome {
  const o = spec.object;
  const target: MetricTarget = o.target;
  const reason = "FailedGetObjectMetric";
  const source = (): SingleValue => ({
    spec,
    index,
    reason,
    label: "value",
    fetched: fetchObjectMetric(reading),
    fetchError: (error) =>
      `unable to get metric ${o.metric.name}: ${o.describedObject.kind} on ${ctx.namespace} ${o.describedObject.name}/${error}`,
  });
  if (target.type === "Value" && target.value !== undefined)
    return valueTarget(source(), ctx, target.value, {
      outer: (inner) => `failed to get object metric value: ${inner}`,
      status: (current) => ({
        type: "Object",
        object: { describedObject: { ...o.describedObject }, metric: identifier(o.metric), current },
      }),
    });
  if (target.type === "AverageValue" && target.averageValue !== undefined)
    return averageValueTarget(
      source(),
      ctx,
      target.averageValue,
      {
        outer: (inner) =>
          `failed to get object metric value: failed to get ${o.metric.name} object metric: ${inner}`,
        status: (current) => ({ type: "Object", object: { metric: identifier(o.metric), current } }),
      },
      false,
    );
  const inner = "invalid object metric source: neither a value target nor an average value target was set";
  return failed(index, spec.type, reason, inner, `failed to get object metric value: ${inner}`);
}

/** External: the sum of an external metric against an AverageValue or Value target. */
function externalMetric(
  spec: ExternalMetricSpec,
  index: number,
  ctx: MetricContext,
  reading: Reading,
): Outcome {
  const e = spec.external;
  const reason = "FailedGetExternalMetric";
  const prefix = `${externalOuterPrefix(e.metric.name)}`;
  const source = (): SingleValue => ({
    spec,
    index,
    reason,
    label: "total",
    fetched: fetchExternalMetric(reading),
    fetchError: (error) =>
      `unable to get external metric ${ctx.namespace}/${e.metric.name}/${formatGoLabelSelector(e.metric.selector)}: ${error}`,
  });
  const status = (current: MetricStatusCurrent): MetricStatus => ({
    type: "External",
    external: { metric: identifier(e.metric), current },
  });
  if (e.target.averageValue !== undefined)
    return averageValueTarget(
      source(),
      ctx,
      e.target.averageValue,
      { outer: (inner) => `${prefix}failed to get ${e.metric.name} external metric: ${inner}`, status },
      true,
    );
  if (e.target.value !== undefined)
    return valueTarget(source(), ctx, e.target.value, {
      outer: (inner) => `${prefix}failed to get external metric ${e.metric.name}: ${inner}`,
      status,
    });
  const inner = "invalid external metric source: neither a value target nor an average value target was set";
  return failed(index, spec.type, reason, inner, `${prefix}${inner}`);
}

/** A `type` the controller does not know (allowed by a snapshot, as upstream's tests do). */
function unknownMetric(spec: never, index: number): Outcome {
  const type = String((spec as { type: string }).type);
  const inner = `unknown metric source type ${JSON.stringify(type)}`;
  return failed(index, type, "InvalidMetricSourceType", inner, inner);
}
