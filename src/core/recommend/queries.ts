/**
 * The usage queries (configurable templates) and the reading of their answers, pure: a template is
 * rendered with every value escaped for PromQL; an answer (range-query series) becomes per-pod series per
 * container, and two series for the same pod and container at the same time are an error naming the labels
 * that tell them apart (the template must aggregate them).
 */
import { invalidInput, ToolkitError } from "../errors.js";
import { promStringBody, quoteMeta } from "../metrics/promql.js";
import type { SeriesPoint } from "../series/csv.js";
import type { PodSeries, WorkloadRef } from "./types.js";

/** The query templates. Placeholders: `{{namespace}}`, `{{pod}}` (an anchored pod-name regex), `{{rate}}`. */
export interface UsageQueries {
  readonly cpu: string;
  readonly memory: string;
}

/** cAdvisor's series, the pause container and the pod cgroup total (`container=""`) left out. */
export const DEFAULT_QUERIES: UsageQueries = {
  cpu: 'rate(container_cpu_usage_seconds_total{namespace="{{namespace}}",pod=~"{{pod}}",container!="",container!="POD"}[{{rate}}])',
  memory:
    'container_memory_working_set_bytes{namespace="{{namespace}}",pod=~"{{pod}}",container!="",container!="POD"}',
};

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;
const KNOWN = new Set(["namespace", "pod", "rate"]);
const PROM_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Checks a template: only known placeholders, and `{{namespace}}` and `{{pod}}` present. */
export function checkTemplate(template: string, where: string): void {
  const seen = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!KNOWN.has(m[1]!))
      throw invalidInput(where, `unknown placeholder {{${m[1]}}} (use {{namespace}}, {{pod}} and {{rate}})`);
    seen.add(m[1]!);
  }
  for (const need of ["namespace", "pod"])
    if (!seen.has(need))
      throw invalidInput(where, `the template has no {{${need}}}: it would read other workloads' series`);
}

/**
 * The regex of a workload's pod names (anchored by PromQL): a Deployment's `<name>-<hash>-<suffix>`, a
 * StatefulSet's `<name>-<ordinal>`, a DaemonSet's `<name>-<suffix>`; other kinds `<name>-<anything>`.
 */
export function podRegex(ref: WorkloadRef): string {
  const name = quoteMeta(ref.name);
  switch (ref.kind) {
    case "Deployment":
      return `${name}-[a-z0-9]+-[a-z0-9]+`;
    case "StatefulSet":
      return `${name}-[0-9]+`;
    case "DaemonSet":
      return `${name}-[a-z0-9]+`;
    default:
      return `${name}-.+`;
  }
}

/** Renders a template for a workload; every value is escaped for a PromQL string. */
export function renderQuery(template: string, ref: WorkloadRef, rate: string, where: string): string {
  if (!PROM_DURATION.test(rate))
    throw invalidInput(where, `rate window "${rate}" is not a PromQL duration such as 5m`);
  return template.replace(PLACEHOLDER, (_, key: string) => {
    if (key === "namespace") return promStringBody(ref.namespace);
    if (key === "pod") return promStringBody(podRegex(ref));
    return rate;
  });
}

/** One series of a range-query answer: its labels and `[unix seconds, "value"]` pairs. */
export interface RangeSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [number, string])[];
}

function pointsOf(s: RangeSeries): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const [t, v] of s.values) {
    const x = Number(v);
    if (Number.isFinite(x)) out.push({ t: Math.round(t * 1000), v: x });
  }
  return out;
}

function differingLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const diff = [...keys].filter((k) => a[k] !== b[k]).sort();
  return diff.length === 0 ? "none" : diff.join(", ");
}

/**
 * Per container, per pod series from an answer. Series of the same pod and container that do not overlap
 * in time (a restarted container's new series) are joined; overlapping ones are an INVALID_INPUT error at
 * `where` (the template's flag) naming the labels that differ.
 */
export function seriesByContainer(answer: readonly RangeSeries[], where: string): Map<string, PodSeries[]> {
  const byKey = new Map<string, { metric: Readonly<Record<string, string>>; points: SeriesPoint[] }>();
  for (const s of answer) {
    const pod = s.metric.pod;
    const container = s.metric.container;
    if (pod === undefined || container === undefined)
      throw invalidInput(
        where,
        `a series has no ${pod === undefined ? "pod" : "container"} label (${JSON.stringify(s.metric)}); keep pod and container in the query's result, e.g. sum by (pod, container) (...)`,
      );
    const key = `${container}\u0000${pod}`;
    const points = pointsOf(s);
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, { metric: s.metric, points });
      continue;
    }
    const overlap =
      points.length > 0 &&
      prev.points.length > 0 &&
      points[0]!.t <= prev.points[prev.points.length - 1]!.t &&
      prev.points[0]!.t <= points[points.length - 1]!.t;
    if (overlap)
      throw new ToolkitError(
        "INVALID_INPUT",
        where,
        `the query returned several series for pod "${pod}" container "${container}" (they differ in ${differingLabels(prev.metric, s.metric)}); aggregate them in the template, e.g. max by (pod, container) (...), or narrow its matchers`,
      );
    prev.points = [...prev.points, ...points].sort((a, b) => a.t - b.t);
  }
  const out = new Map<string, PodSeries[]>();
  for (const [key, v] of byKey) {
    const [container, pod] = key.split("\u0000") as [string, string];
    const list = out.get(container) ?? [];
    list.push({ pod, points: v.points });
    out.set(container, list);
  }
  return out;
}
