/**
 * The adapter config: prometheus-adapter's `rules`, `externalRules` and `resourceRules`, read as-is
 * (strict: unknown keys are errors with a "did you mean"), then compiled (regexps, templates, resource
 * mappings). Every error names the rule index and the field: `rules[2].name.matches: invalid regex: …`.
 */
import { z } from "zod";
import { parseDurationMs } from "../duration.js";
import { invalidInput, type ToolkitError } from "../errors.js";
import { parseWith } from "../validation.js";
import { compileGoRegex, compileName, type NameMatcher, type SeriesFilter } from "./naming.js";
import { isPromLabelName } from "./promql.js";
import {
  compileResources,
  type ResourceCatalog,
  ResourceConfigError,
  type ResourceMapper,
} from "./resources.js";
import { type CompiledTemplate, compileTemplate, STRUCT, type TemplateValue } from "./template.js";

const ResourcesSchema = z.strictObject({
  overrides: z
    .record(z.string(), z.strictObject({ group: z.string().optional(), resource: z.string().min(1) }))
    .optional(),
  template: z.string().optional(),
  namespaced: z.boolean().optional(),
});

const RuleSchema = z.strictObject({
  seriesQuery: z.string().min(1, "must not be empty"),
  seriesFilters: z
    .array(z.strictObject({ is: z.string().optional(), isNot: z.string().optional() }))
    .optional(),
  resources: ResourcesSchema.optional(),
  name: z.strictObject({ matches: z.string().optional(), as: z.string().optional() }).optional(),
  /** Optional as upstream: a rule without one is discovered, and its metrics answer 404 naming it. */
  metricsQuery: z.string().min(1, "must not be empty").optional(),
});

const ResourceRuleSchema = z.strictObject({
  containerQuery: z.string().min(1),
  nodeQuery: z.string().min(1),
  resources: ResourcesSchema.optional(),
  containerLabel: z.string().optional(),
});

/** The config file schema (prometheus-adapter `MetricsDiscoveryConfig`). */
export const AdapterConfigSchema = z.strictObject({
  rules: z.array(RuleSchema).nullish(),
  externalRules: z.array(RuleSchema).nullish(),
  resourceRules: z
    .strictObject({
      cpu: ResourceRuleSchema,
      memory: ResourceRuleSchema,
      window: z.string().optional(),
    })
    .nullish(),
});

export type AdapterConfigInput = z.input<typeof AdapterConfigSchema>;

/** A discovery rule after compilation. */
export interface CompiledRule {
  /** `rules[3]` or `externalRules[0]`: used in errors, logs and `rules test`. */
  id: string;
  kind: "custom" | "external";
  index: number;
  seriesQuery: string;
  filters: SeriesFilter[];
  resources: ResourceMapper;
  /** `resources.namespaced` (default true; only external rules read it, as upstream). */
  namespaced: boolean;
  name: NameMatcher;
  /** Undefined when the rule has none: its metrics are listed, and requests for them answer 404. */
  metricsQuery: CompiledTemplate | undefined;
}

export interface CompiledResourceQuery {
  containerQuery: CompiledTemplate;
  nodeQuery: CompiledTemplate;
  resources: ResourceMapper;
  containerLabel: string;
}

export interface CompiledResourceRules {
  cpu: CompiledResourceQuery;
  memory: CompiledResourceQuery;
  /** `window` in ms (default 1m), reported in NodeMetrics/PodMetrics. */
  windowMs: number;
}

export interface CompiledConfig {
  rules: CompiledRule[];
  externalRules: CompiledRule[];
  resourceRules: CompiledResourceRules | undefined;
  /** Things that load but are probably wrong (for example a custom rule without `<<.GroupBy>>`). */
  warnings: string[];
  /** The cluster's resources the mappings were bound to (cluster-binding.ts); built-in table when absent. */
  resourceCatalog?: ResourceCatalog | undefined;
}

/** The data a metricsQuery sees at runtime (prometheus-adapter `QueryTemplateArgs`). */
export function queryTemplateData(args: {
  series: string;
  labelMatchers: string;
  labelValuesByName: Record<string, string>;
  groupBy: string[];
}): TemplateValue {
  return {
    [STRUCT]: true,
    Series: args.series,
    LabelMatchers: args.labelMatchers,
    LabelValuesByName: { ...args.labelValuesByName },
    GroupBy: args.groupBy.join(","),
    GroupBySlice: [...args.groupBy],
  };
}

/** Override keys are Prometheus labels: they go into queries as label names, so check them at load. */
function checkOverrideLabels(
  resources: z.output<typeof ResourcesSchema> | undefined,
  at: (field: string) => string,
): void {
  for (const label of Object.keys(resources?.overrides ?? {}))
    if (!isPromLabelName(label))
      throw invalidInput(
        at(`resources.overrides.${label}`),
        `"${label}" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`,
      );
}

const SAMPLE_DATA = queryTemplateData({
  series: "sample_series",
  labelMatchers: 'namespace="default",pod="p"',
  labelValuesByName: { namespace: "default", pod: "p" },
  groupBy: ["pod"],
});

function compileQueryTemplate(text: string, where: string): CompiledTemplate {
  let t: CompiledTemplate;
  try {
    t = compileTemplate(text);
    // Execute once with sample data: unknown fields (.Serie, .LabelMatchersByName) fail here, at load.
    t.render(SAMPLE_DATA);
  } catch (e) {
    throw invalidInput(where, `template: ${(e as Error).message}`);
  }
  return t;
}

function compileRule(
  raw: z.output<typeof RuleSchema>,
  kind: "custom" | "external",
  index: number,
  prefix: string,
): CompiledRule {
  const id = `${kind === "custom" ? "rules" : "externalRules"}[${index}]`;
  const at = (field: string) => (prefix ? `${prefix}: ${id}.${field}` : `${id}.${field}`);
  const filters: SeriesFilter[] = [];
  (raw.seriesFilters ?? []).forEach((f, i) => {
    const fw = at(`seriesFilters[${i}]`);
    if ((f.is === undefined) === (f.isNot === undefined))
      throw invalidInput(fw, 'set exactly one of "is" and "isNot"');
    try {
      if (f.is !== undefined) filters.push({ is: compileGoRegex(f.is) });
      else filters.push({ isNot: compileGoRegex(f.isNot!) });
    } catch (e) {
      throw invalidInput(
        `${fw}.${f.is !== undefined ? "is" : "isNot"}`,
        `invalid regex: ${(e as Error).message}`,
      );
    }
  });
  let name: NameMatcher;
  try {
    name = compileName(raw.name);
  } catch (e) {
    const msg = (e as Error).message;
    const field = msg.slice(0, msg.indexOf(":"));
    throw invalidInput(at(`name.${field}`), msg.slice(field.length + 2));
  }
  // name.matches also acts as an implicit `is` filter (upstream).
  filters.push({ is: name.matches });
  checkOverrideLabels(raw.resources, at);
  let resources: ResourceMapper;
  try {
    resources = compileResources(raw.resources);
  } catch (e) {
    if (e instanceof ResourceConfigError) throw invalidInput(at(`resources.${e.field}`), e.message);
    throw e;
  }
  return {
    id,
    kind,
    index,
    seriesQuery: raw.seriesQuery,
    filters,
    resources,
    namespaced: raw.resources?.namespaced ?? true,
    name,
    metricsQuery:
      raw.metricsQuery === undefined ? undefined : compileQueryTemplate(raw.metricsQuery, at("metricsQuery")),
  };
}

/**
 * Validates and compiles a parsed YAML document. `prefix` (usually the file name) starts every error's
 * `where`. Throws INVALID_INPUT ToolkitErrors.
 */
export function compileConfig(doc: unknown, prefix = ""): CompiledConfig {
  if (doc === null || doc === undefined) doc = {};
  const raw = parseWith(AdapterConfigSchema, doc, prefix);
  const warnings: string[] = [];
  const rules = (raw.rules ?? []).map((r, i) => compileRule(r, "custom", i, prefix));
  const externalRules = (raw.externalRules ?? []).map((r, i) => compileRule(r, "external", i, prefix));
  for (const r of [...rules, ...externalRules])
    if (r.metricsQuery === undefined)
      warnings.push(
        `${r.id}.metricsQuery: not set; the rule's metrics are discovered but every request for them answers 404 (NotFound) naming the rule`,
      );
  for (const r of rules) {
    if (r.metricsQuery !== undefined && !r.metricsQuery.source.includes(".GroupBy"))
      warnings.push(
        `${r.id}.metricsQuery: does not group by <<.GroupBy>>; results cannot be matched to objects unless the query keeps the resource label`,
      );
  }
  let resourceRules: CompiledResourceRules | undefined;
  if (raw.resourceRules) {
    const rr = raw.resourceRules;
    const at = (f: string) => (prefix ? `${prefix}: resourceRules.${f}` : `resourceRules.${f}`);
    const one = (key: "cpu" | "memory"): CompiledResourceQuery => {
      const q = rr[key];
      checkOverrideLabels(q.resources, (f) => at(`${key}.${f}`));
      if (q.containerLabel !== undefined && !isPromLabelName(q.containerLabel))
        throw invalidInput(
          at(`${key}.containerLabel`),
          `"${q.containerLabel}" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`,
        );
      let resources: ResourceMapper;
      try {
        resources = compileResources(q.resources);
      } catch (e) {
        if (e instanceof ResourceConfigError)
          throw invalidInput(at(`${key}.resources.${e.field}`), e.message);
        throw e;
      }
      return {
        containerQuery: compileQueryTemplate(q.containerQuery, at(`${key}.containerQuery`)),
        nodeQuery: compileQueryTemplate(q.nodeQuery, at(`${key}.nodeQuery`)),
        resources,
        containerLabel: q.containerLabel ?? "container",
      };
    };
    resourceRules = {
      cpu: one("cpu"),
      memory: one("memory"),
      windowMs: rr.window === undefined ? 60_000 : parseDurationMs(rr.window, at("window")),
    };
  }
  if (rules.length === 0)
    warnings.push("no rules: custom.metrics.k8s.io is served with an empty resource list");
  if (externalRules.length === 0)
    warnings.push("no externalRules: external.metrics.k8s.io is served with an empty resource list");
  if (!resourceRules) warnings.push("no resourceRules: metrics.k8s.io serves no node or pod metrics");
  return { rules, externalRules, resourceRules, warnings };
}

export type { ToolkitError };
