/**
 * Step 2 of the history-query resolution (tsp.ts: annotation, then this, then built-in templates): the
 * metrics adapter's own rule for the metric, from the same rules file the adapter runs with. A `rules`
 * entry serves a Pods metric, an `externalRules` entry an External metric, `resourceRules` cpu and
 * memory. The rule's metricsQuery is rendered for the workload's pods (namespace and Crane's pod-name
 * pattern) with an empty group-by and summed to one series, which is what the prediction forecasts.
 * Every value reaching PromQL is quoted (the adapter's own matcher rendering).
 */
import { err, ok, type Result } from "../errors.js";
import type { MetricSpec } from "../hpa/types.js";
import { trySelectorFromLabelSelector } from "../labels/selector.js";
import type { CompiledConfig, CompiledResourceQuery, CompiledRule } from "../metrics/config.js";
import { queryTemplateData } from "../metrics/config.js";
import { type LabelRequirement, promString, renderLabelMatchers } from "../metrics/promql.js";
import { lookupResource, type ResourceInfo } from "../metrics/resources.js";
import { podNameRegex, type RuleQueryResolver } from "./tsp.js";

const NAMESPACES = lookupResource("namespaces") as ResourceInfo;
const PODS = lookupResource("pods") as ResourceInfo;

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

interface HistoryQueryInput {
  namespace: string;
  target: { kind: string; name: string };
  metric: MetricSpec;
  adapter: AdapterRules;
}

/** The resolver core's `desiredTsp` calls: the adapter rule's query, or undefined when it has none. */
export function adapterRuleResolver(
  adapter: AdapterRules,
  onProblem?: (msg: string) => void,
): RuleQueryResolver {
  return (metric, _identifier, ehpa) => {
    const r = adapterRuleQuery({
      namespace: ehpa.metadata.namespace,
      target: ehpa.spec.scaleTargetRef,
      metric,
      adapter,
    });
    if (r && !r.ok) onProblem?.(r.error);
    return r?.ok ? r.value : undefined;
  };
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

/** The rule's query; undefined when the adapter has no rule for this metric. */
export function adapterRuleQuery(i: HistoryQueryInput): Result<string, string> | undefined {
  const a = i.adapter;
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
  // A rule without metricsQuery serves nothing (the adapter answers 404): the next step applies.
  const template = found?.rule.metricsQuery;
  if (!found || !template) return undefined;
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
  return renderTemplate(
    (d) => template.render(d),
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
