/**
 * The PromQL whose history a TimeSeriesPrediction forecasts, for one EHPA metric, resolved as Crane
 * does, first match wins:
 * 1. the annotation `metric-query.autoscaling.tidescale.dev/<identifier>` on the EHPA (Crane's
 *    `metric-query.autoscaling.crane.io/<identifier>` is accepted too);
 * 2. the metrics adapter's own rule for that metric, from the same rules file the adapter runs with
 *    (a `rules` entry for a Pods metric, an `externalRules` entry for an External metric, `resourceRules`
 *    for cpu and memory), rendered for the workload's pods and summed to one series;
 * 3. built-in templates: cpu = summed `irate(container_cpu_usage_seconds_total[3m])` of the workload's
 *    pods, memory = summed `container_memory_working_set_bytes`, Pods and External =
 *    `sum(<metric>{<selector>})` (Pods also scoped to the namespace and the workload's pods).
 *
 * Identifiers are Crane's: `resource.<name>`, `container-resource.<name>`, `pods.<metric>`,
 * `external.<metric>`. The workload's pods are matched by name as Crane does: Deployment
 * `<name>-<replicaset hash>-<5 chars>`, StatefulSet `<name>-<ordinal>`, DaemonSet `<name>-<5 chars>`.
 * Every value reaching PromQL is quoted; metric and label names are checked.
 */
import { err, ok, type Result } from "../errors.js";
import type { MetricSpec } from "../hpa/types.js";
import { trySelectorFromLabelSelector } from "../labels/selector.js";
import type { CompiledConfig, CompiledResourceQuery, CompiledRule } from "../metrics/config.js";
import { queryTemplateData } from "../metrics/config.js";
import { type LabelRequirement, promString, renderLabelMatchers } from "../metrics/promql.js";
import { escapeRegex, lookupResource, type ResourceInfo } from "../metrics/resources.js";

export const QUERY_ANNOTATION_PREFIX = "metric-query.autoscaling.tidescale.dev/";
export const CRANE_QUERY_ANNOTATION_PREFIX = "metric-query.autoscaling.crane.io/";

const NAMESPACES = lookupResource("namespaces") as ResourceInfo;
const PODS = lookupResource("pods") as ResourceInfo;

/** Crane's identifier of a metric (the TSP's `resourceIdentifier`); undefined for Object metrics. */
export function metricIdentifier(m: MetricSpec): string | undefined {
  switch (m.type) {
    case "Resource":
      return `resource.${m.resource.name}`;
    case "ContainerResource":
      return `container-resource.${m.containerResource.name}`;
    case "Pods":
      return `pods.${m.pods.metric.name}`;
    case "External":
      return `external.${m.external.metric.name}`;
    default:
      return undefined;
  }
}

/** An adapter rule that serves an API metric name, with the Prometheus series it is computed from. */
export interface RuleSeries {
  rule: CompiledRule;
  seriesName: string;
}

/**
 * The adapter's view: its compiled rules file, and which rule + series serves an API metric name (the
 * caller finds series names by running each rule's seriesQuery, as the adapter's discovery does).
 */
export interface AdapterRules {
  config: CompiledConfig;
  lookup(kind: "custom" | "external", apiName: string): RuleSeries | undefined;
}

/** Builds `lookup` from each rule's discovered series names (the first rule that names a metric wins). */
export function indexRuleSeries(
  config: CompiledConfig,
  seriesByRule: ReadonlyMap<CompiledRule, readonly string[]>,
): AdapterRules {
  const index = { custom: new Map<string, RuleSeries>(), external: new Map<string, RuleSeries>() };
  for (const [kind, rules] of [
    ["custom", config.rules],
    ["external", config.externalRules],
  ] as const) {
    for (const rule of rules) {
      for (const seriesName of seriesByRule.get(rule) ?? []) {
        const api = rule.name.apiName(seriesName);
        if (api !== undefined && !index[kind].has(api)) index[kind].set(api, { rule, seriesName });
      }
    }
  }
  return { config, lookup: (kind, apiName) => index[kind].get(apiName) };
}

export interface HistoryQueryInput {
  namespace: string;
  target: { kind: string; name: string };
  metric: MetricSpec;
  annotations?: Readonly<Record<string, string>> | undefined;
  adapter?: AdapterRules | undefined;
}

export type QuerySource = "annotation" | "adapter-rule" | "template";

export interface ResolvedQuery {
  identifier: string;
  query: string;
  source: QuerySource;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A regex matching the names of the workload's pods (Crane's per-kind patterns). */
export function podNameRegex(kind: string, name: string): string {
  const n = escapeRegex(name);
  switch (kind) {
    case "Deployment":
      return `${n}-[a-z0-9]+-[a-z0-9]{5}`;
    case "StatefulSet":
      return `${n}-[0-9]+`;
    case "DaemonSet":
      return `${n}-[a-z0-9]{5}`;
    default:
      return `${n}-.+`;
  }
}

/** Resolves the history query of one metric (see the module comment). */
export function resolveHistoryQuery(i: HistoryQueryInput): Result<ResolvedQuery, string> {
  const identifier = metricIdentifier(i.metric);
  if (!identifier) return err(`${i.metric.type} metrics are not predicted`);
  const annotated =
    i.annotations?.[QUERY_ANNOTATION_PREFIX + identifier] ??
    i.annotations?.[CRANE_QUERY_ANNOTATION_PREFIX + identifier];
  if (annotated !== undefined) {
    if (annotated.trim() === "") return err(`annotation ${QUERY_ANNOTATION_PREFIX}${identifier} is empty`);
    return ok({ identifier, query: annotated, source: "annotation" });
  }
  const fromRule = adapterRuleQuery(i);
  if (fromRule)
    return fromRule.ok ? ok({ identifier, query: fromRule.value, source: "adapter-rule" }) : fromRule;
  const t = templateQuery(i);
  return t.ok ? ok({ identifier, query: t.value, source: "template" }) : t;
}

function selectorRequirements(m: MetricSpec): Result<LabelRequirement[], string> {
  const sel =
    m.type === "Pods"
      ? m.pods.metric.selector
      : m.type === "External"
        ? m.external.metric.selector
        : undefined;
  if (!sel) return ok([]);
  const s = trySelectorFromLabelSelector(sel);
  if (!s.ok) return err(`metric selector ${s.error.field}: ${s.error.message}`);
  return ok(s.value.requirements.map((r) => ({ key: r.key, operator: r.operator, values: r.values })));
}

function podMatcher(i: HistoryQueryInput, podLabel: string): string {
  return `${podLabel}=~${promString(podNameRegex(i.target.kind, i.target.name))}`;
}

function renderTemplate(
  render: (data: ReturnType<typeof queryTemplateData>) => string,
  where: string,
  series: string,
  matchers: string,
  valuesByName: Record<string, string>,
): Result<string, string> {
  try {
    const q = render(
      queryTemplateData({ series, labelMatchers: matchers, labelValuesByName: valuesByName, groupBy: [] }),
    );
    return ok(`sum(${q})`);
  } catch (e) {
    return err(`${where}: template: ${(e as Error).message}`);
  }
}

/** Step 2: undefined when the adapter has no rule for this metric. */
function adapterRuleQuery(i: HistoryQueryInput): Result<string, string> | undefined {
  const a = i.adapter;
  if (!a) return undefined;
  const m = i.metric;
  if (m.type === "Resource" || m.type === "ContainerResource") {
    const name = m.type === "Resource" ? m.resource.name : m.containerResource.name;
    const rr = a.config.resourceRules;
    if (!rr || (name !== "cpu" && name !== "memory")) return undefined;
    const container = m.type === "ContainerResource" ? m.containerResource.container : undefined;
    return resourceRuleQuery(i, rr[name], container);
  }
  if (m.type !== "Pods" && m.type !== "External") return undefined;
  const found =
    m.type === "Pods" ? a.lookup("custom", m.pods.metric.name) : a.lookup("external", m.external.metric.name);
  if (!found) return undefined;
  const reqs = selectorRequirements(m);
  if (!reqs.ok) return reqs;
  const nsLabel = found.rule.resources.labelForResource(NAMESPACES);
  const scoped = m.type === "Pods" || found.rule.namespaced;
  const rendered = renderLabelMatchers({
    requirements: reqs.value,
    namespace: nsLabel && scoped ? { label: nsLabel, value: i.namespace } : undefined,
  });
  if (!rendered.ok) return rendered;
  let matchers = rendered.value.matchers;
  if (m.type === "Pods") {
    const podLabel = found.rule.resources.labelForResource(PODS);
    if (!podLabel)
      return err(`${found.rule.id}: no label maps to pods, so the workload's pods cannot be selected`);
    matchers = [matchers, podMatcher(i, podLabel)].filter(Boolean).join(",");
  }
  const tmpl = found.rule.metricsQuery;
  if (tmpl === undefined)
    return err(`${found.rule.id} has no metricsQuery, so its history cannot be queried`);
  return renderTemplate(
    (d) => tmpl.render(d),
    `${found.rule.id}.metricsQuery`,
    found.seriesName,
    matchers,
    rendered.value.valuesByName,
  );
}

function resourceRuleQuery(
  i: HistoryQueryInput,
  q: CompiledResourceQuery,
  container: string | undefined,
): Result<string, string> {
  const nsLabel = q.resources.labelForResource(NAMESPACES);
  const podLabel = q.resources.labelForResource(PODS);
  if (!nsLabel || !podLabel) return err("resourceRules: no labels map to namespaces and pods");
  const parts = [`${nsLabel}=${promString(i.namespace)}`, podMatcher(i, podLabel)];
  if (container !== undefined) parts.push(`${q.containerLabel}=${promString(container)}`);
  return renderTemplate(
    (d) => q.containerQuery.render(d),
    "resourceRules.containerQuery",
    "",
    parts.join(","),
    {},
  );
}

/** Step 3: the built-in templates. */
function templateQuery(i: HistoryQueryInput): Result<string, string> {
  const m = i.metric;
  const scope = [`namespace=${promString(i.namespace)}`, podMatcher(i, "pod")];
  const hint = `set the annotation ${QUERY_ANNOTATION_PREFIX}${metricIdentifier(m)}`;
  if (m.type === "Resource" || m.type === "ContainerResource") {
    const name = m.type === "Resource" ? m.resource.name : m.containerResource.name;
    const matchers =
      m.type === "ContainerResource"
        ? [...scope, `container=${promString(m.containerResource.container)}`]
        : [...scope, 'container!=""'];
    if (name === "cpu") return ok(`sum(irate(container_cpu_usage_seconds_total{${matchers.join(",")}}[3m]))`);
    if (name === "memory") return ok(`sum(container_memory_working_set_bytes{${matchers.join(",")}})`);
    return err(`no built-in history query for resource "${name}"; ${hint}`);
  }
  if (m.type !== "Pods" && m.type !== "External") return err(`${m.type} metrics are not predicted`);
  const name = m.type === "Pods" ? m.pods.metric.name : m.external.metric.name;
  if (!METRIC_NAME.test(name)) return err(`"${name}" is not a Prometheus metric name; ${hint}`);
  const reqs = selectorRequirements(m);
  if (!reqs.ok) return reqs;
  const sel = renderLabelMatchers({ requirements: reqs.value });
  if (!sel.ok) return sel;
  const matchers = [...(m.type === "Pods" ? scope : []), sel.value.matchers].filter(Boolean);
  return ok(`sum(${name}{${matchers.join(",")}})`);
}
