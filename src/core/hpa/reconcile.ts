/**
 * One reconcile of one HPA (horizontal.go reconcileAutoscaler, computeReplicasForMetrics and
 * computeReplicasForMetric), pure: the instant, the pods, the
 * metric readings and the controller memory come in; the decision, conditions, events, status, the next
 * memory and an explanation go out.
 */
import { matches, tryParseSelector } from "../labels/selector.js";
import { tryParseQuantity } from "../quantity/quantity.js";
import {
  limitLegacy,
  limitWithBehavior,
  type PolicyProposal,
  type ResolvedBehavior,
  resolveBehavior,
  stabilizeLegacy,
  stabilizeWithBehavior,
  storeScaleEvent,
} from "./behavior.js";
import {
  fetchExternalMetric,
  fetchObjectMetric,
  MAX_INT64,
  podsMetricsByPod,
  resourceMetricsByPod,
} from "./metric-sources.js";
import type { PodGrouping } from "./pods.js";
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
  Condition,
  ConditionType,
  ControllerConfig,
  HpaBehavior,
  HpaEvent,
  HpaState,
  HpaStatus,
  MetricIdentifier,
  MetricProposal,
  MetricSpec,
  MetricStatus,
  MetricTarget,
  PodGroups,
  ReconcileInput,
  ReconcileResult,
} from "./types.js";

/** kube-controller-manager defaults (RecommendedDefaultHPAControllerConfiguration, production factor 2). */
export const DEFAULT_CONTROLLER_CONFIG: Readonly<ControllerConfig> = Object.freeze({
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  initialReadinessDelayMs: 30_000,
  downscaleStabilizationWindowMs: 5 * 60_000,
  syncPeriodMs: 15_000,
  scaleUpLimitFactor: 2,
  scaleUpLimitMinimum: 4,
  configurableTolerance: true,
  podLevelResources: true,
});

/** Controller memory of a freshly (re)started controller: no history. */
export function emptyState(): HpaState {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

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

/** A per-HPA tolerance quantity as an approximate float (`AsApproximateFloat64`). */
function toleranceValue(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const q = tryParseQuantity(text);
  return q.ok ? q.value.toNumber() : fallback;
}

/**
 * Per-direction tolerances (KEP-4951): `spec.behavior.scaleUp/scaleDown.tolerance` when set and the
 * HPAConfigurableTolerance gate is on, else the cluster-wide `--horizontal-pod-autoscaler-tolerance`.
 */
export function tolerancesFor(hpa: ReconcileInput["hpa"], config: ControllerConfig): Tolerances {
  const b = config.configurableTolerance ? hpa.spec.behavior : undefined;
  return {
    scaleUp: toleranceValue(b?.scaleUp?.tolerance, config.tolerance),
    scaleDown: toleranceValue(b?.scaleDown?.tolerance, config.tolerance),
  };
}

interface MetricOutcome {
  proposal: MetricProposal;
  /** Failure: the condition the controller remembers, the event, the error it returns. */
  failure?: { reason: string; inner: string; outer: string };
}

interface MetricContext {
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

/** resolveBehavior, memoized per behavior object and window (the HPA object is reused across reconciles). */
const resolved = new WeakMap<HpaBehavior, { windowMs: number; value: ResolvedBehavior }>();
function resolvedBehavior(b: HpaBehavior, windowMs: number): ResolvedBehavior {
  const hit = resolved.get(b);
  if (hit !== undefined && hit.windowMs === windowMs) return hit.value;
  const value = resolveBehavior(b, windowMs);
  resolved.set(b, { windowMs, value });
  return value;
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

function computeMetric(
  spec: MetricSpec,
  index: number,
  ctx: MetricContext,
  reading: ReconcileInput["metrics"][number],
): MetricOutcome {
  const explain = ctx.explain;
  switch (spec.type) {
    case "Resource":
    case "ContainerResource": {
      const isContainer = spec.type === "ContainerResource";
      const src = isContainer ? spec.containerResource : spec.resource;
      const container = isContainer ? spec.containerResource.container : "";
      const reason = isContainer ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
      const target = src.target;
      if (target.averageValue === undefined && target.averageUtilization === undefined) {
        const inner =
          "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set";
        return failed(
          index,
          spec.type,
          reason,
          inner,
          resourceOuter(isContainer, src.name, container, inner),
        );
      }
      const fetched = resourceMetricsByPod(reading, src.name, container, ctx.pods, ctx.now);
      if (!fetched.ok) {
        const inner = `failed to get ${src.name} utilization: unable to get metrics for resource ${src.name}: ${fetched.error}`;
        return failed(
          index,
          spec.type,
          reason,
          inner,
          resourceOuter(isContainer, src.name, container, inner),
        );
      }
      if (target.averageValue !== undefined) {
        const t = targetMilli(target.averageValue);
        const calc = plainMetricReplicas({
          currentReplicas: ctx.specReplicas,
          pods: ctx.pods,
          metrics: fetched.value,
          tolerances: ctx.tolerances,
          timing: ctx.timing,
          groupNames: explain,
          targetUsage: t,
          resource: src.name,
        });
        if (!calc.ok) {
          const inner = `failed to get ${src.name} utilization: ${calc.error}`;
          return failed(
            index,
            spec.type,
            reason,
            inner,
            resourceOuter(isContainer, src.name, container, inner),
            calc.groups,
          );
        }
        const status = resourceStatus(isContainer, src.name, container, {
          averageValue: formatMilli(calc.usage),
        });
        return ok(index, spec, calc, status, t, {
          rawAverage: calc.usage,
          detail: explain
            ? describeCalc(calc, milliToDecimal(t), `average ${milliToDecimal(calc.usage)}`)
            : "",
        });
      }
      const tu = target.averageUtilization!;
      const calc = resourceUtilizationReplicas({
        currentReplicas: ctx.specReplicas,
        pods: ctx.pods,
        metrics: fetched.value,
        tolerances: ctx.tolerances,
        timing: ctx.timing,
        groupNames: explain,
        targetUtilization: tu,
        resource: src.name,
        container,
        podLevelResources: ctx.config.podLevelResources,
      });
      if (!calc.ok) {
        const inner = `failed to get ${src.name} utilization: ${calc.error}`;
        return failed(
          index,
          spec.type,
          reason,
          inner,
          resourceOuter(isContainer, src.name, container, inner),
          calc.groups,
        );
      }
      const status = resourceStatus(isContainer, src.name, container, {
        averageUtilization: calc.utilization!,
        averageValue: formatMilli(calc.usage),
      });
      return ok(index, spec, calc, status, tu, {
        utilization: calc.utilization!,
        rawAverage: calc.usage,
        detail: explain ? describeCalc(calc, `${tu}%`, `utilization ${calc.utilization}%`) : "",
      });
    }
    case "Pods": {
      const m = spec.pods.metric;
      const reason = "FailedGetPodsMetric";
      const fetched = podsMetricsByPod(reading, ctx.pods, ctx.now);
      if (!fetched.ok) {
        const inner = `unable to get metric ${m.name}: ${fetched.error}`;
        return failed(index, spec.type, reason, inner, `failed to get pods metric value: ${inner}`);
      }
      const t = targetMilli(spec.pods.target.averageValue ?? "0");
      const calc = plainMetricReplicas({
        currentReplicas: ctx.specReplicas,
        pods: ctx.pods,
        metrics: fetched.value,
        tolerances: ctx.tolerances,
        timing: ctx.timing,
        groupNames: explain,
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
        detail: explain ? describeCalc(calc, milliToDecimal(t), `average ${milliToDecimal(calc.usage)}`) : "",
      });
    }
    case "Object": {
      const o = spec.object;
      const reason = "FailedGetObjectMetric";
      const target: MetricTarget = o.target;
      if (target.type === "Value" && target.value !== undefined) {
        const fetched = fetchObjectMetric(reading);
        if (!fetched.ok) {
          const inner = `unable to get metric ${o.metric.name}: ${o.describedObject.kind} on ${ctx.namespace} ${o.describedObject.name}/${fetched.error}`;
          return failed(index, spec.type, reason, inner, `failed to get object metric value: ${inner}`);
        }
        const t = targetMilli(target.value);
        const calc = valueReplicas({
          currentReplicas: ctx.specReplicas,
          usage: fetched.value,
          target: t,
          tolerances: ctx.tolerances,
          pods: ctx.pods,
        });
        if (!calc.ok)
          return failed(
            index,
            spec.type,
            reason,
            calc.error,
            `failed to get object metric value: ${calc.error}`,
          );
        const status: MetricStatus = {
          type: "Object",
          object: {
            describedObject: { ...o.describedObject },
            metric: identifier(o.metric),
            current: { value: formatMilli(calc.usage) },
          },
        };
        return ok(index, spec, calc, status, t, {
          value: calc.usage,
          detail: explain ? describeCalc(calc, milliToDecimal(t), `value ${milliToDecimal(calc.usage)}`) : "",
        });
      }
      if (target.type === "AverageValue" && target.averageValue !== undefined) {
        const fetched = fetchObjectMetric(reading);
        if (!fetched.ok) {
          const inner = `unable to get metric ${o.metric.name}: ${o.describedObject.kind} on ${ctx.namespace} ${o.describedObject.name}/${fetched.error}`;
          return failed(
            index,
            spec.type,
            reason,
            inner,
            `failed to get object metric value: failed to get ${o.metric.name} object metric: ${inner}`,
          );
        }
        const t = targetMilli(target.averageValue);
        const calc = perPodReplicas({
          statusReplicas: ctx.statusReplicas,
          usage: fetched.value,
          target: t,
          tolerances: ctx.tolerances,
        });
        const status: MetricStatus = {
          type: "Object",
          object: { metric: identifier(o.metric), current: { averageValue: formatMilli(calc.usage) } },
        };
        return ok(index, spec, calc, status, t, {
          value: fetched.value,
          detail: explain ? perPodDetail("value", fetched.value, ctx.statusReplicas, t, calc) : "",
        });
      }
      const inner =
        "invalid object metric source: neither a value target nor an average value target was set";
      return failed(index, spec.type, reason, inner, `failed to get object metric value: ${inner}`);
    }
    case "External": {
      const e = spec.external;
      const reason = "FailedGetExternalMetric";
      if (e.target.averageValue !== undefined) {
        const fetched = fetchExternalMetric(reading);
        if (!fetched.ok) {
          const inner = `unable to get external metric ${ctx.namespace}/${e.metric.name}/${formatGoLabelSelector(e.metric.selector)}: ${fetched.error}`;
          return failed(
            index,
            spec.type,
            reason,
            inner,
            `${externalOuterPrefix(e.metric.name)}failed to get ${e.metric.name} external metric: ${inner}`,
          );
        }
        const t = targetMilli(e.target.averageValue);
        const calc = perPodReplicas({
          statusReplicas: ctx.statusReplicas,
          usage: fetched.value,
          target: t,
          tolerances: ctx.tolerances,
        });
        const average = fetched.value >= MAX_INT64 ? MAX_INT64 : calc.usage;
        const status: MetricStatus = {
          type: "External",
          external: { metric: identifier(e.metric), current: { averageValue: formatMilli(average) } },
        };
        return ok(index, spec, { ...calc, usage: average }, status, t, {
          value: fetched.value,
          detail: explain ? perPodDetail("total", fetched.value, ctx.statusReplicas, t, calc) : "",
        });
      }
      if (e.target.value !== undefined) {
        const fetched = fetchExternalMetric(reading);
        if (!fetched.ok) {
          const inner = `unable to get external metric ${ctx.namespace}/${e.metric.name}/${formatGoLabelSelector(e.metric.selector)}: ${fetched.error}`;
          return failed(
            index,
            spec.type,
            reason,
            inner,
            `${externalOuterPrefix(e.metric.name)}failed to get external metric ${e.metric.name}: ${inner}`,
          );
        }
        const t = targetMilli(e.target.value);
        const calc = valueReplicas({
          currentReplicas: ctx.specReplicas,
          usage: fetched.value,
          target: t,
          tolerances: ctx.tolerances,
          pods: ctx.pods,
        });
        if (!calc.ok)
          return failed(
            index,
            spec.type,
            reason,
            calc.error,
            `${externalOuterPrefix(e.metric.name)}failed to get external metric ${e.metric.name}: ${calc.error}`,
          );
        const status: MetricStatus = {
          type: "External",
          external: { metric: identifier(e.metric), current: { value: formatMilli(calc.usage) } },
        };
        return ok(index, spec, calc, status, t, {
          value: calc.usage,
          detail: explain ? describeCalc(calc, milliToDecimal(t), `total ${milliToDecimal(calc.usage)}`) : "",
        });
      }
      const inner =
        "invalid external metric source: neither a value target nor an average value target was set";
      return failed(index, spec.type, reason, inner, `${externalOuterPrefix(e.metric.name)}${inner}`);
    }
    default: {
      const type = String((spec as { type: string }).type);
      const inner = `unknown metric source type ${JSON.stringify(type)}`;
      return failed(index, type, "InvalidMetricSourceType", inner, inner);
    }
  }
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

const CONDITION_KEYS = ["type", "status", "reason", "message", "lastTransitionTime"];

/** A plain object with exactly the fields {@link putCondition} writes, in that order. */
function isPlainCondition(c: Condition): boolean {
  if (Object.getPrototypeOf(c) !== Object.prototype) return false;
  const keys = Object.keys(c);
  if (keys.length !== CONDITION_KEYS.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== CONDITION_KEYS[i]) return false;
  return true;
}

/**
 * Puts back the previous status's entry where the new one equals it (and it is a plain entry of the
 * same fields), so a condition that did not change over the reconcile is one object shared between
 * results (entries are immutable).
 */
function keepUnchanged(list: Condition[], previous: readonly Condition[]): void {
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    for (let j = 0; j < previous.length; j++) {
      const p = previous[j]!;
      if (p.type !== c.type) continue;
      if (
        p !== c &&
        p.status === c.status &&
        p.reason === c.reason &&
        p.message === c.message &&
        p.lastTransitionTime === c.lastTransitionTime &&
        isPlainCondition(p)
      )
        list[i] = p;
      break;
    }
  }
}

/** The ValidMetricFound message, one string per metric name (it is kept in every result). */
const validMetricMessages = new Map<string, string>();
function validMetricMessage(metric: string): string {
  let m = validMetricMessages.get(metric);
  if (m === undefined) {
    m = `the HPA was able to successfully calculate a replica count from ${metric}`;
    if (validMetricMessages.size > 1000) validMetricMessages.clear();
    validMetricMessages.set(metric, m);
  }
  return m;
}

/** The policy proposals of a rate limit, for the explanation. */
function policiesText(proposals: readonly PolicyProposal[]): string {
  return proposals
    .map(
      (p) =>
        `${p.policy.type} ${p.policy.value}/${p.policy.periodSeconds}s from ${p.periodStart} -> ${p.proposed}`,
    )
    .join(", ");
}

/**
 * setCondition (status.ts, upstream setConditionInList) on the reconcile's own copy of the list, edited
 * in place: an absent type is appended; the transition time changes only on a status flip.
 */
function putCondition(
  list: Condition[],
  type: ConditionType,
  status: Condition["status"],
  reason: string,
  message: string,
  now: number,
): Condition[] {
  let i = 0;
  while (i < list.length && list[i]!.type !== type) i++;
  const existing = list[i];
  const lastTransitionTime =
    existing === undefined || existing.status !== status ? now : existing.lastTransitionTime;
  list[i] = { type, status, reason, message, lastTransitionTime };
  return list;
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

/** The metrics step of one reconcile (computeReplicasForMetrics): -1 when it fails. */
interface MetricsStep {
  replicas: number;
  metric: string;
  statuses: MetricStatus[];
  proposals: MetricProposal[];
  conditions: Condition[];
  events: HpaEvent[];
  error?: string;
  explanation: string[] | undefined;
}

function selectorFailure(
  input: ReconcileInput,
): { event: HpaEvent; reason: string; message: string; error: string } | undefined {
  const scale = input.scale;
  if (scale?.selector === undefined) return undefined;
  if (scale.selector === "") {
    return {
      event: { type: "Warning", reason: "SelectorRequired", message: "selector is required" },
      reason: "InvalidSelector",
      message: "the HPA target's scale is missing a selector",
      error: "selector is required",
    };
  }
  const parsed = tryParseSelector(scale.selector);
  if (!parsed.ok) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${parsed.error.message}`;
    return {
      event: { type: "Warning", reason: "InvalidSelector", message: msg },
      reason: "InvalidSelector",
      message: msg,
      error: msg,
    };
  }
  const self = `${input.hpa.metadata.namespace}/${input.hpa.metadata.name}`;
  const controlling = new Set<string>();
  const others = (scale.otherHpas ?? []).flatMap((o) => {
    const ns = o.namespace ?? input.hpa.metadata.namespace;
    if (ns !== input.hpa.metadata.namespace) return [];
    const s = tryParseSelector(o.selector);
    return s.ok && o.selector !== "" ? [{ key: `${ns}/${o.name}`, selector: s.value }] : [];
  });
  for (const pod of input.pods) {
    const labels = pod.labels ?? {};
    if (matches(parsed.value, labels)) controlling.add(self);
    for (const o of others) if (o.key !== self && matches(o.selector, labels)) controlling.add(o.key);
  }
  if (controlling.size > 1) {
    const msg = `pods by selector ${scale.selector} are controlled by multiple HPAs: [${[...controlling].sort().join(" ")}]`;
    return {
      event: { type: "Warning", reason: "AmbiguousSelector", message: msg },
      reason: "AmbiguousSelector",
      message: msg,
      error: msg,
    };
  }
  return undefined;
}

function computeReplicasForMetrics(
  input: ReconcileInput,
  config: ControllerConfig,
  conditions0: Condition[],
): MetricsStep {
  const { hpa, now } = input;
  let conditions = conditions0;
  const events: HpaEvent[] = [];
  const explanation: string[] | undefined = input.explain === false ? undefined : [];
  const sel = selectorFailure(input);
  if (sel) {
    events.push(sel.event);
    conditions = putCondition(conditions, "ScalingActive", "False", sel.reason, sel.message, now);
    explanation?.push(`The target's selector is unusable: ${sel.error}. No metric is read.`);
    return {
      replicas: -1,
      metric: "",
      statuses: [],
      proposals: [],
      conditions,
      events,
      error: sel.error,
      explanation,
    };
  }
  const ctx: MetricContext = {
    explain: input.explain !== false,
    timing: {
      now,
      cpuInitializationPeriodMs: config.cpuInitializationPeriodMs,
      initialReadinessDelayMs: config.initialReadinessDelayMs,
    },
    namespace: hpa.metadata.namespace,
    now,
    specReplicas: input.currentReplicas,
    statusReplicas: input.scale?.statusReplicas ?? input.currentReplicas,
    pods: input.pods,
    tolerances: tolerancesFor(hpa, config),
    config,
  };
  const specs = hpa.spec.metrics;
  const statuses: MetricStatus[] = [];
  const proposals: MetricProposal[] = [];
  let replicas = 0;
  let metric = "";
  let invalid = 0;
  let firstFailure: { reason: string; inner: string; outer: string } | undefined;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const out = computeMetric(spec, i, ctx, input.metrics[i]) as MetricOutcome & { detail?: string };
    proposals.push(out.proposal);
    statuses.push(out.proposal.status);
    if (out.failure) {
      events.push({ type: "Warning", reason: out.failure.reason, message: out.failure.inner });
      if (firstFailure === undefined) firstFailure = out.failure;
      invalid++;
      explanation?.push(`Metric ${i} (${spec.type}) failed [${out.failure.reason}]: ${out.failure.inner}.`);
      continue;
    }
    const p = out.proposal.replicas!;
    explanation?.push(`Metric ${i} (${out.proposal.name}): ${out.detail ?? ""} -> proposes ${p}.`);
    if (replicas === 0 || p > replicas) {
      replicas = p;
      metric = out.proposal.name;
    }
  }
  if (invalid >= specs.length || (invalid > 0 && replicas < input.currentReplicas)) {
    const f = firstFailure ?? { reason: "", inner: "", outer: "" };
    conditions = putCondition(
      conditions,
      "ScalingActive",
      "False",
      f.reason,
      `the HPA was unable to compute the replica count: ${f.inner}`,
      now,
    );
    const error = `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${f.outer}`;
    explanation?.push(
      invalid >= specs.length
        ? "Every metric failed: the controller does not scale."
        : `Some metrics failed and the valid ones propose ${replicas}, fewer than the current ${input.currentReplicas}: a scale-down without full information is refused.`,
    );
    return { replicas: -1, metric: "", statuses, proposals, conditions, events, error, explanation };
  }
  conditions = putCondition(
    conditions,
    "ScalingActive",
    "True",
    "ValidMetricFound",
    validMetricMessage(metric),
    now,
  );
  const result: MetricsStep = { replicas, metric, statuses, proposals, conditions, events, explanation };
  if (invalid > 0) {
    result.error = `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstFailure!.outer}`;
    explanation?.push(
      `${invalid} metric(s) failed, but the valid ones do not ask for a scale-down, so the controller goes ahead (and reports the error).`,
    );
  }
  explanation?.push(`The largest proposal wins: ${replicas} from ${metric}.`);
  return result;
}

/** The controller configuration: the input's fields over the defaults (the last merge is reused). */
let lastConfigIn: Partial<ControllerConfig> | undefined;
let lastConfig: ControllerConfig = DEFAULT_CONTROLLER_CONFIG;
function controllerConfig(given: Partial<ControllerConfig> | undefined): ControllerConfig {
  if (given === undefined) return DEFAULT_CONTROLLER_CONFIG;
  if (given === lastConfigIn && sameMerge(given, lastConfig)) return lastConfig;
  lastConfigIn = given;
  lastConfig = { ...DEFAULT_CONTROLLER_CONFIG, ...given };
  return lastConfig;
}
/** Whether `merged` still is `{...DEFAULT_CONTROLLER_CONFIG, ...given}` (the input may have been edited). */
function sameMerge(given: Partial<ControllerConfig>, merged: ControllerConfig): boolean {
  const d = DEFAULT_CONTROLLER_CONFIG;
  // An explicitly undefined field (which the spread copies) never matches here, so it merges anew.
  return (
    (given.tolerance ?? d.tolerance) === merged.tolerance &&
    (given.cpuInitializationPeriodMs ?? d.cpuInitializationPeriodMs) === merged.cpuInitializationPeriodMs &&
    (given.initialReadinessDelayMs ?? d.initialReadinessDelayMs) === merged.initialReadinessDelayMs &&
    (given.downscaleStabilizationWindowMs ?? d.downscaleStabilizationWindowMs) ===
      merged.downscaleStabilizationWindowMs &&
    (given.syncPeriodMs ?? d.syncPeriodMs) === merged.syncPeriodMs &&
    (given.scaleUpLimitFactor ?? d.scaleUpLimitFactor) === merged.scaleUpLimitFactor &&
    (given.scaleUpLimitMinimum ?? d.scaleUpLimitMinimum) === merged.scaleUpLimitMinimum &&
    (given.configurableTolerance ?? d.configurableTolerance) === merged.configurableTolerance &&
    (given.podLevelResources ?? d.podLevelResources) === merged.podLevelResources
  );
}

/** `Kind/namespace/name` of the scale target, as the controller's messages name it. */
function targetRef(hpa: ReconcileInput["hpa"]): string {
  const t = hpa.spec.scaleTargetRef;
  return `${t.kind}/${hpa.metadata.namespace}/${t.name}`;
}

/** schema.ParseGroupVersion's error for more than one "/" (memoized for the last text). */
let lastApiVersion = "";
let lastApiVersionError: string | undefined;
function groupVersionError(apiVersion: string): string | undefined {
  if (apiVersion !== lastApiVersion) {
    lastApiVersion = apiVersion;
    lastApiVersionError =
      apiVersion !== "/" && apiVersion.split("/").length > 2
        ? `unexpected GroupVersion string: ${apiVersion}`
        : undefined;
  }
  return lastApiVersionError;
}

/**
 * One reconcile of one HPA at `input.now` (horizontal.go reconcileAutoscaler):
 * 1. scale GET (failure: FailedGetScale, stop); seed the recommendation history when empty;
 * 2. one of: scaling disabled (spec.replicas 0, minReplicas ≠ 0), above max, below min (corrected
 *    without metrics), or the metrics step followed by legacy or behavior normalization;
 * 3. scale UPDATE when the count changes (SuccessfulRescale / FailedRescale), scale event recording;
 * 4. the new status.
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const config = controllerConfig(input.config);
  const { hpa, now } = input;
  const spec = hpa.spec;
  const prev: HpaStatus = input.status ??
    hpa.status ?? { currentReplicas: 0, desiredReplicas: 0, currentMetrics: [], conditions: [] };
  let conditions: Condition[] = prev.conditions.slice();
  const events: HpaEvent[] = [];
  const explanation: string[] | undefined = input.explain === false ? undefined : [];
  const state: HpaState = {
    // Entries are immutable (replaced, never edited), so the lists are copied shallowly.
    recommendations: input.state.recommendations.slice(),
    scaleUpEvents: input.state.scaleUpEvents.slice(),
    scaleDownEvents: input.state.scaleDownEvents.slice(),
  };
  if (input.state.recommendationsRecorded === true) state.recommendationsRecorded = true;
  const C = input.currentReplicas;

  const badGroupVersion = groupVersionError(spec.scaleTargetRef.apiVersion ?? "");
  const getError = badGroupVersion ?? input.scale?.getError;
  if (getError !== undefined) {
    events.push({ type: "Warning", reason: "FailedGetScale", message: getError });
    conditions = putCondition(
      conditions,
      "AbleToScale",
      "False",
      "FailedGetScale",
      `the HPA controller was unable to get the target's current scale: ${getError}`,
      now,
    );
    explanation?.push(
      `Reading the scale subresource of ${targetRef(hpa)} failed: ${getError}. Nothing else happens.`,
    );
    keepUnchanged(conditions, prev.conditions);
    const status: HpaStatus = { ...prev, conditions };
    return {
      desiredReplicas: prev.desiredReplicas,
      rescale: false,
      case: "failedGetScale",
      metricProposals: [],
      conditions,
      events,
      currentMetrics: prev.currentMetrics,
      status,
      nextState: state,
      error:
        badGroupVersion !== undefined
          ? `invalid API version in scale target reference: ${getError}`
          : `failed to query scale subresource for ${targetRef(hpa)}: ${getError}`,
      explanation: explanation ?? [],
    };
  }
  conditions = putCondition(
    conditions,
    "AbleToScale",
    "True",
    "SucceededGetScale",
    "the HPA controller was able to get the target's current scale",
    now,
  );
  explanation?.push(`The target ${targetRef(hpa)} has ${C} replicas (spec.replicas).`);
  if (state.recommendations.length === 0 && state.recommendationsRecorded !== true) {
    state.recommendations.push({ replicas: C, timestamp: now });
    explanation?.push(
      `No recommendation history (fresh controller): recorded {${C}, now}, which holds off scale-downs for one stabilization window.`,
    );
  }
  const minReplicas = spec.minReplicas;
  let desired = 0;
  let rescaleReason = "";
  let rescale = true;
  let statuses: MetricStatus[] = [];
  let proposals: MetricProposal[] = [];
  let resultCase: ReconcileResult["case"];
  let metricsReplicas: number | undefined;
  let stabilizedReplicas: number | undefined;
  let retError: string | undefined;

  if (C === 0 && minReplicas !== 0) {
    resultCase = "disabled";
    desired = 0;
    rescale = false;
    conditions = putCondition(
      conditions,
      "ScalingActive",
      "False",
      "ScalingDisabled",
      "scaling is disabled since the replica count of the target is zero",
      now,
    );
    explanation?.push("The target has 0 replicas and minReplicas is not 0: autoscaling is disabled.");
  } else if (C > spec.maxReplicas) {
    resultCase = "aboveMax";
    rescaleReason = "Current number of replicas above Spec.MaxReplicas";
    desired = spec.maxReplicas;
    explanation?.push(
      `${C} replicas is above maxReplicas ${spec.maxReplicas}: scale to ${desired} without reading metrics.`,
    );
  } else if (C < minReplicas) {
    resultCase = "belowMin";
    rescaleReason = "Current number of replicas below Spec.MinReplicas";
    desired = minReplicas;
    explanation?.push(
      `${C} replicas is below minReplicas ${minReplicas}: scale to ${desired} without reading metrics.`,
    );
  } else {
    const step = computeReplicasForMetrics(input, config, conditions);
    conditions = step.conditions;
    events.push(...step.events);
    if (step.explanation) explanation?.push(...step.explanation);
    proposals = step.proposals;
    statuses = step.statuses;
    if (step.replicas === -1) {
      const message = step.error ?? "";
      events.push({ type: "Warning", reason: "FailedComputeMetricsReplicas", message });
      explanation?.push(
        `The metrics step failed: status.desiredReplicas stays ${prev.desiredReplicas}, no scaling (event FailedComputeMetricsReplicas).`,
      );
      keepUnchanged(conditions, prev.conditions);
      const status: HpaStatus = {
        currentReplicas: C,
        desiredReplicas: prev.desiredReplicas,
        currentMetrics: statuses,
        conditions,
      };
      if (prev.lastScaleTime !== undefined) status.lastScaleTime = prev.lastScaleTime;
      return {
        desiredReplicas: prev.desiredReplicas,
        rescale: false,
        case: "metricsFailed",
        metricsReplicas: -1,
        metricProposals: proposals,
        conditions,
        events,
        currentMetrics: statuses,
        status,
        nextState: state,
        error: `failed to compute desired number of replicas based on listed metrics for ${targetRef(hpa)}: ${message}`,
        explanation: explanation ?? [],
      };
    }
    resultCase = "metrics";
    if (step.error !== undefined) retError = step.error;
    metricsReplicas = step.replicas;
    let rescaleMetric = "";
    if (step.replicas > desired) {
      desired = step.replicas;
      rescaleMetric = step.metric;
    }
    if (desired > C) rescaleReason = `${rescaleMetric} above target`;
    if (desired < C) rescaleReason = "All metrics below target";

    if (spec.behavior === undefined) {
      const stab = stabilizeLegacy(
        state.recommendations,
        desired,
        now,
        config.downscaleStabilizationWindowMs,
      );
      state.recommendations = stab.recommendations;
      stabilizedReplicas = stab.replicas;
      conditions = putCondition(conditions, "AbleToScale", "True", stab.reason, stab.message, now);
      explanation?.push(
        stab.replicas !== desired
          ? `Legacy stabilization (no spec.behavior): the highest recommendation of the last ${config.downscaleStabilizationWindowMs / 1000}s is ${stab.replicas}, so ${desired} becomes ${stab.replicas} [ScaleDownStabilized].`
          : `Legacy stabilization (no spec.behavior): no higher recommendation in the last ${config.downscaleStabilizationWindowMs / 1000}s; ${desired} stands.`,
      );
      const lim = limitLegacy(
        C,
        stab.replicas,
        minReplicas,
        spec.maxReplicas,
        config.scaleUpLimitFactor,
        config.scaleUpLimitMinimum,
      );
      conditions = putCondition(
        conditions,
        "ScalingLimited",
        lim.replicas === stab.replicas ? "False" : "True",
        lim.reason,
        lim.message,
        now,
      );
      explanation?.push(
        lim.replicas === stab.replicas
          ? `Limits: min ${minReplicas}, max ${spec.maxReplicas}, scale-up cap max(${config.scaleUpLimitFactor}×${C}, ${config.scaleUpLimitMinimum}) = ${lim.limit}: ${stab.replicas} is within range.`
          : `Limits: min ${minReplicas}, max ${spec.maxReplicas}, scale-up cap max(${config.scaleUpLimitFactor}×${C}, ${config.scaleUpLimitMinimum}) = ${lim.limit}: ${stab.replicas} becomes ${lim.replicas} [${lim.reason}].`,
      );
      desired = lim.replicas;
    } else {
      const behavior = resolvedBehavior(spec.behavior, config.downscaleStabilizationWindowMs);
      const stab = stabilizeWithBehavior(
        state.recommendations,
        C,
        desired,
        now,
        behavior.scaleUp.stabilizationWindowSeconds,
        behavior.scaleDown.stabilizationWindowSeconds,
      );
      state.recommendations = stab.recommendations;
      stabilizedReplicas = stab.replicas;
      conditions = putCondition(conditions, "AbleToScale", "True", stab.reason, stab.message, now);
      explanation?.push(
        `Stabilization: lowest recommendation in the scale-up window (${behavior.scaleUp.stabilizationWindowSeconds}s) is ${stab.upRecommendation}, highest in the scale-down window (${behavior.scaleDown.stabilizationWindowSeconds}s) is ${stab.downRecommendation}; from ${C} the stabilized count is ${stab.replicas}${stab.replicas !== desired ? ` [${stab.reason}]` : ""}.`,
      );
      const lim = limitWithBehavior({
        currentReplicas: C,
        desired: stab.replicas,
        minReplicas,
        maxReplicas: spec.maxReplicas,
        behavior,
        upEvents: state.scaleUpEvents,
        downEvents: state.scaleDownEvents,
        now,
      });
      conditions = putCondition(
        conditions,
        "ScalingLimited",
        lim.replicas === stab.replicas ? "False" : "True",
        lim.reason,
        lim.message,
        now,
      );
      const dir = stab.replicas > C ? "scaleUp" : "scaleDown";
      explanation?.push(
        stab.replicas === C
          ? "No change requested: rate limits do not apply."
          : `Rate limit (${dir}, selectPolicy ${behavior[dir].selectPolicy}${lim.proposals.length > 0 ? `: ${policiesText(lim.proposals)}` : ""}) is ${lim.limit}; min ${minReplicas}, max ${spec.maxReplicas}: ${lim.replicas === stab.replicas ? `${stab.replicas} is within range` : `${stab.replicas} becomes ${lim.replicas} [${lim.reason}]`}.`,
      );
      desired = lim.replicas;
    }
    rescale = desired !== C;
  }

  let lastScaleTime = prev.lastScaleTime;
  let event: HpaEvent | undefined;
  if (rescale) {
    const updateError = input.scale?.updateError;
    if (updateError !== undefined) {
      event = {
        type: "Warning",
        reason: "FailedRescale",
        message: `New size: ${desired}; reason: ${rescaleReason}; error: ${updateError}`,
      };
      events.push(event);
      conditions = putCondition(
        conditions,
        "AbleToScale",
        "False",
        "FailedUpdateScale",
        `the HPA controller was unable to update the target scale: ${updateError}`,
        now,
      );
      explanation?.push(`Updating the scale to ${desired} failed: ${updateError}.`);
      keepUnchanged(conditions, prev.conditions);
      const status: HpaStatus = {
        currentReplicas: C,
        desiredReplicas: prev.desiredReplicas,
        currentMetrics: statuses,
        conditions,
      };
      if (lastScaleTime !== undefined) status.lastScaleTime = lastScaleTime;
      const r: ReconcileResult = {
        desiredReplicas: prev.desiredReplicas,
        rescale: true,
        case: resultCase,
        rescaleReason,
        metricProposals: proposals,
        conditions,
        event,
        events,
        currentMetrics: statuses,
        status,
        nextState: state,
        error: `failed to rescale ${targetRef(hpa)}: ${updateError}`,
        explanation: explanation ?? [],
      };
      if (metricsReplicas !== undefined) r.metricsReplicas = metricsReplicas;
      if (stabilizedReplicas !== undefined) r.stabilizedReplicas = stabilizedReplicas;
      return r;
    }
    conditions = putCondition(
      conditions,
      "AbleToScale",
      "True",
      "SucceededRescale",
      `the HPA controller was able to update the target scale to ${desired}`,
      now,
    );
    event = {
      type: "Normal",
      reason: "SuccessfulRescale",
      message: `New size: ${desired}; reason: ${rescaleReason}`,
    };
    events.push(event);
    if (spec.behavior !== undefined) {
      const behavior = resolvedBehavior(spec.behavior, config.downscaleStabilizationWindowMs);
      const stored = storeScaleEvent(behavior, state.scaleUpEvents, state.scaleDownEvents, C, desired, now);
      state.scaleUpEvents = stored.scaleUpEvents;
      state.scaleDownEvents = stored.scaleDownEvents;
    }
    lastScaleTime = now;
    explanation?.push(`Scale ${C} -> ${desired} (${rescaleReason}).`);
  } else {
    desired = C;
    if (resultCase !== "disabled") explanation?.push(`No scaling: the count stays ${C}.`);
  }

  keepUnchanged(conditions, prev.conditions);
  const status: HpaStatus = {
    currentReplicas: C,
    desiredReplicas: desired,
    currentMetrics: statuses,
    conditions,
  };
  if (lastScaleTime !== undefined) status.lastScaleTime = lastScaleTime;
  const result: ReconcileResult = {
    desiredReplicas: desired,
    rescale,
    case: resultCase,
    metricProposals: proposals,
    conditions,
    events,
    currentMetrics: statuses,
    status,
    nextState: state,
    explanation: explanation ?? [],
  };
  if (rescaleReason !== "" || rescale) result.rescaleReason = rescaleReason;
  if (event !== undefined) result.event = event;
  if (metricsReplicas !== undefined) result.metricsReplicas = metricsReplicas;
  if (stabilizedReplicas !== undefined) result.stabilizedReplicas = stabilizedReplicas;
  if (retError !== undefined) result.error = retError;
  return result;
}
