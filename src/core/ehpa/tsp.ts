/**
 * The TimeSeriesPrediction `ehpa-<name>` of an EHPA and the value its prediction metric serves.
 *
 * History query of each predictable metric, resolved in Crane's order: the annotation
 * `metric-query.autoscaling.tidescale.dev/<resourceIdentifier>` (then Crane's
 * `metric-query.autoscaling.crane.io/<resourceIdentifier>`), then the caller's resolver (the adapter's own
 * rule for that metric), then the built-in templates: CPU and memory of the workload's pods (matched by
 * the pod-name pattern of the workload kind), and `sum(<metric>{<selector>})` for Pods and External
 * metrics. Every label value and regex that reaches PromQL is escaped.
 *
 * Served value: the maximum of the served quantile's samples with timestamp in [now, now + window],
 * rounded up to milli-units (never truncated to an integer, never a non-finite number).
 */
import { err, ok, type Result } from "../errors.js";
import type { LabelSelectorSpec, MetricSpec } from "../hpa/types.js";
import { isPromLabelName, promString, quoteMeta, regexAlternatives } from "../metrics/promql.js";
import type { FieldProblem } from "./algorithm.js";
import { CRANE_QUERY_ANNOTATION_PREFIX, QUERY_ANNOTATION_PREFIX, resourceIdentifier } from "./identifiers.js";
import { type ManagedMeta, managedMeta } from "./managed-hpa.js";
import {
  type Ehpa,
  TSP_API_VERSION,
  type TspMetricStatus,
  type TspPredictionMetric,
  type TspSpec,
} from "./types.js";

/** Resolves a metric's history query from the adapter's rules (h9-ctrl supplies it), or undefined. */
export type RuleQueryResolver = (m: MetricSpec, resourceIdentifier: string, ehpa: Ehpa) => string | undefined;

/** The desired TSP manifest. */
export interface ManagedTsp {
  apiVersion: typeof TSP_API_VERSION;
  kind: "TimeSeriesPrediction";
  metadata: ManagedMeta;
  spec: TspSpec;
}

/** Anchored PromQL regex matching the pod names of a workload (Crane's per-kind patterns). */
export function podNameRegex(kind: string, name: string): string {
  const n = quoteMeta(name);
  switch (kind) {
    case "StatefulSet":
      return `^${n}-[0-9]+$`;
    case "DaemonSet":
      return `^${n}-[a-z0-9]{5}$`;
    case "Deployment":
      return `^${n}-[a-z0-9]+-[a-z0-9]{5}$`;
    default:
      return `^${n}-.*$`;
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** PromQL matchers of a label selector, or undefined when a key is not a Prometheus label name. */
function selectorMatchers(sel: LabelSelectorSpec | undefined): string[] | undefined {
  const keys = [...Object.keys(sel?.matchLabels ?? {}), ...(sel?.matchExpressions ?? []).map((e) => e.key)];
  if (!keys.every(isPromLabelName)) return undefined;
  const out: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {}).sort()) out.push(`${k}=${promString(v)}`);
  for (const e of sel?.matchExpressions ?? []) {
    const alts = regexAlternatives(e.values ?? []);
    if (e.operator === "In") out.push(`${e.key}=~${promString(`^(?:${alts})$`)}`);
    else if (e.operator === "NotIn") out.push(`${e.key}!~${promString(`^(?:${alts})$`)}`);
    else if (e.operator === "Exists") out.push(`${e.key}!=""`);
    else out.push(`${e.key}=""`);
  }
  return out;
}

/** The built-in history query of a metric (cpu, memory, Pods, External), or undefined. */
export function builtinQuery(ehpa: Ehpa, m: MetricSpec): string | undefined {
  const ns = promString(ehpa.metadata.namespace);
  const pod = promString(podNameRegex(ehpa.spec.scaleTargetRef.kind, ehpa.spec.scaleTargetRef.name));
  const resource =
    m.type === "Resource"
      ? m.resource.name
      : m.type === "ContainerResource"
        ? m.containerResource.name
        : undefined;
  const container =
    m.type === "ContainerResource"
      ? `,container=${promString(m.containerResource.container)}`
      : ',container!=""';
  if (resource === "cpu")
    return `sum(irate(container_cpu_usage_seconds_total{namespace=${ns},pod=~${pod}${container}}[3m]))`;
  if (resource === "memory")
    return `sum(container_memory_working_set_bytes{namespace=${ns},pod=~${pod}${container}})`;
  if (m.type !== "Pods" && m.type !== "External") return undefined;
  const id = m.type === "Pods" ? m.pods.metric : m.external.metric;
  const sel = selectorMatchers(id.selector);
  if (!METRIC_NAME.test(id.name) || sel === undefined) return undefined;
  const matchers = m.type === "Pods" ? [`namespace=${ns}`, `pod=~${pod}`, ...sel] : sel;
  return `sum(${id.name}{${matchers.join(",")}})`;
}

/** Resolves the history query of one metric (annotation, then rules, then built-in templates). */
export function historyQuery(
  ehpa: Ehpa,
  m: MetricSpec,
  identifier: string,
  rules?: RuleQueryResolver,
): string | undefined {
  const a = ehpa.metadata.annotations ?? {};
  return (
    a[QUERY_ANNOTATION_PREFIX + identifier] ??
    a[CRANE_QUERY_ANNOTATION_PREFIX + identifier] ??
    rules?.(m, identifier, ehpa) ??
    builtinQuery(ehpa, m)
  );
}

/**
 * The desired TSP of a validated EHPA with prediction, or the metrics whose history query cannot be
 * resolved (field `spec.metrics[i]`). Returns undefined when the EHPA has no prediction.
 */
export function desiredTsp(
  ehpa: Ehpa,
  rules?: RuleQueryResolver,
): Result<ManagedTsp, FieldProblem[]> | undefined {
  const p = ehpa.spec.prediction;
  if (!p) return undefined;
  const metrics: TspPredictionMetric[] = [];
  const problems: FieldProblem[] = [];
  ehpa.spec.metrics.forEach((m, i) => {
    const id = resourceIdentifier(m);
    if (id === undefined) return;
    const q = historyQuery(ehpa, m, id, rules);
    if (q === undefined) {
      problems.push({
        field: `spec.metrics[${i}]`,
        message: `no history query for ${id}: add the annotation ${QUERY_ANNOTATION_PREFIX}${id}`,
      });
      return;
    }
    metrics.push({
      resourceIdentifier: id,
      type: "ExpressionQuery",
      expressionQuery: { expression: q },
      algorithm: structuredClone(p.predictionAlgorithm),
    });
  });
  if (problems.length > 0) return err(problems);
  const ref = ehpa.spec.scaleTargetRef;
  const targetRef = { kind: ref.kind, name: ref.name, namespace: ehpa.metadata.namespace };
  return ok({
    apiVersion: TSP_API_VERSION,
    kind: "TimeSeriesPrediction",
    metadata: managedMeta(ehpa),
    spec: {
      targetRef: ref.apiVersion ? { apiVersion: ref.apiVersion, ...targetRef } : targetRef,
      predictionWindowSeconds: p.predictionWindowSeconds,
      predictionMetrics: metrics,
    },
  });
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Whether an observed TSP spec equals the desired one (key order and CRD defaults ignored). */
export function tspSpecEqual(desired: TspSpec, observed: unknown): boolean {
  if (observed === null || typeof observed !== "object") return false;
  const o = { predictionWindowSeconds: 3600, ...(observed as object) };
  return JSON.stringify(sorted(desired)) === JSON.stringify(sorted(o));
}

/** Why a prediction cannot be served. */
export type NotServable = "not-ready" | "outdated" | "no-series";

/** The served value: a number rounded up to milli-units, and the slot it comes from. */
export interface ServedPrediction {
  value: number;
  /** Unix seconds of the peak sample. */
  at: number;
}

/**
 * The prediction metric's value at `nowSec`: the maximum of the served quantile's samples in
 * [now, now + window], rounded up to milli-units. Not ready, no finite sample in the window ("outdated")
 * or no series of the served quantile → a reason instead.
 */
export function servedPrediction(
  status: TspMetricStatus,
  nowSec: number,
  windowSeconds: number,
): Result<ServedPrediction, NotServable> {
  if (!status.ready) return err("not-ready");
  const series = status.prediction.find((s) =>
    s.labels.some((l) => l.name === "quantile" && l.value === status.servedQuantile),
  );
  if (!series) return err("no-series");
  let best: ServedPrediction | undefined;
  for (const s of series.samples) {
    if (s.timestamp < nowSec || s.timestamp > nowSec + windowSeconds) continue;
    const v = Number(s.value);
    if (!Number.isFinite(v)) continue;
    if (!best || v > best.value) best = { value: v, at: s.timestamp };
  }
  if (!best) return err("outdated");
  return ok({ value: Math.ceil(Math.round(best.value * 1e9) / 1e6) / 1000, at: best.at });
}

/** The resourceIdentifiers of a TSP status whose prediction is servable at `nowSec`. */
export function servableIdentifiers(
  statuses: readonly TspMetricStatus[] | undefined,
  nowSec: number,
  windowSeconds: number,
): Set<string> {
  const out = new Set<string>();
  for (const s of statuses ?? [])
    if (servedPrediction(s, nowSec, windowSeconds).ok) out.add(s.resourceIdentifier);
  return out;
}
