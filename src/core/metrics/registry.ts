/**
 * The discovery registry: which API metrics exist for which resources, built from the series each rule's
 * `seriesQuery` returned (prometheus-adapter's series registry).
 *
 * - Per rule: series pass `seriesFilters` and the implicit `name.matches` filter; every label that maps to
 *   a resource registers `(groupResource, namespaced, apiName) -> (series name, rule)`.
 * - A resource registers with its own scope: cluster-scoped resources (`namespaces`, `nodes`,
 *   `persistentvolumes`, cluster-scoped custom resources from discovery) as root-scoped, the others as
 *   namespaced. Upstream hard-codes the three built-in ones; for them the result is the same.
 * - A later rule or series with the same key replaces the earlier one (upstream); we also record the
 *   collision in the rule diagnostics.
 * - Better than upstream: a failing `seriesQuery` keeps the previous entries of the rules that use it
 *   (and marks them stale) instead of abandoning the whole update.
 * - External metrics are keyed by name only.
 * - For each entry we also keep the objects seen in its series (namespace, name, labels): the adapter uses
 *   them to answer wildcard requests when it has no Kubernetes API to list objects from.
 */
import type { CompiledConfig, CompiledRule } from "./config.js";
import { passesFilters } from "./naming.js";
import { groupResourceString, lookupResource, type ResourceInfo } from "./resources.js";

export type SeriesLabels = Record<string, string>;

/** What one `seriesQuery` returned at a relist. */
export type SeriesQueryOutcome = { ok: true; series: SeriesLabels[] } | { ok: false; error: string };

export interface ObjectRef {
  namespace: string;
  name: string;
  labels: SeriesLabels;
}

export interface CustomMetricEntry {
  apiName: string;
  seriesName: string;
  resource: ResourceInfo;
  groupResource: string;
  namespaced: boolean;
  ruleId: string;
  /** Objects (by `namespace/name`) seen in this metric's series. */
  objects: Map<string, ObjectRef>;
  stale: boolean;
}

export interface ExternalMetricEntry {
  apiName: string;
  seriesName: string;
  ruleId: string;
  stale: boolean;
}

/** Per-rule discovery diagnostics (what `rules test` prints and the logs summarize). */
export interface RuleDiagnostics {
  id: string;
  seriesQuery: string;
  /** The seriesQuery failed at this relist; `stale` entries from the previous relist are kept. */
  error?: string;
  seriesReturned: number;
  seriesPassedFilters: number;
  /** Series names (`__name__`) that passed the filters, with their counts. */
  seriesNames: Record<string, number>;
  /** API metric name -> series name and resources (`pods`, `namespaces`, `deployments.apps`). */
  metrics: Array<{ apiName: string; seriesName: string; resources: string[] }>;
  /** Series dropped because no label maps to a resource (custom rules only). */
  seriesWithoutResource: number;
  /** Keys this rule took over from an earlier rule (upstream replaces silently). */
  replaced: string[];
}

export interface Registry {
  custom: Map<string, CustomMetricEntry>;
  external: Map<string, ExternalMetricEntry>;
  diagnostics: RuleDiagnostics[];
  /** Total series seen (all queries). */
  seriesCount: number;
}

/** The registry key of a custom metric. */
export function customKey(groupResource: string, namespaced: boolean, apiName: string): string {
  return `${groupResource}\u0000${namespaced ? "ns" : "root"}\u0000${apiName}`;
}

/** True when metrics for `r` are registered as namespaced. */
export function registeredNamespaced(r: ResourceInfo): boolean {
  return r.namespaced;
}

/** An empty registry (before the first relist). */
export function emptyRegistry(): Registry {
  return { custom: new Map(), external: new Map(), diagnostics: [], seriesCount: 0 };
}

/** The distinct seriesQuery strings of a config (one `/api/v1/series` call each). */
export function distinctSeriesQueries(cfg: CompiledConfig): string[] {
  return [...new Set([...cfg.rules, ...cfg.externalRules].map((r) => r.seriesQuery))];
}

/**
 * Builds the registry from the outcome of every distinct seriesQuery. `previous` supplies the entries of
 * rules whose query failed.
 */
export function buildRegistry(
  cfg: CompiledConfig,
  outcomes: ReadonlyMap<string, SeriesQueryOutcome>,
  previous?: Registry,
): Registry {
  const reg = emptyRegistry();
  const nsInfo = lookupResource("namespaces")!;
  let seriesCount = 0;
  for (const o of outcomes.values()) if (o.ok) seriesCount += o.series.length;
  reg.seriesCount = seriesCount;
  for (const rule of [...cfg.rules, ...cfg.externalRules]) {
    const d: RuleDiagnostics = {
      id: rule.id,
      seriesQuery: rule.seriesQuery,
      seriesReturned: 0,
      seriesPassedFilters: 0,
      seriesNames: {},
      metrics: [],
      seriesWithoutResource: 0,
      replaced: [],
    };
    reg.diagnostics.push(d);
    const outcome = outcomes.get(rule.seriesQuery) ?? { ok: false, error: "series query was not run" };
    if (!outcome.ok) {
      d.error = outcome.error;
      carryOver(rule, previous, reg);
      continue;
    }
    d.seriesReturned = outcome.series.length;
    const metricInfo = new Map<string, { seriesName: string; resources: Set<string> }>();
    const nsLabel = rule.resources.labelForResource(nsInfo);
    for (const labels of outcome.series) {
      const seriesName = labels.__name__ ?? "";
      if (!passesFilters(seriesName, rule.filters)) continue;
      const apiName = rule.name.apiName(seriesName);
      if (apiName === undefined || apiName === "") continue;
      d.seriesPassedFilters++;
      d.seriesNames[seriesName] = (d.seriesNames[seriesName] ?? 0) + 1;
      let info = metricInfo.get(apiName);
      if (!info) {
        info = { seriesName, resources: new Set() };
        metricInfo.set(apiName, info);
      }
      info.seriesName = seriesName;
      if (rule.kind === "external") {
        const prev = reg.external.get(apiName);
        if (prev && prev.ruleId !== rule.id) d.replaced.push(`${apiName} (from ${prev.ruleId})`);
        reg.external.set(apiName, { apiName, seriesName, ruleId: rule.id, stale: false });
        continue;
      }
      let attached = 0;
      let plain: SeriesLabels | undefined;
      for (const label of Object.keys(labels)) {
        if (label === "__name__") continue;
        const res = rule.resources.resourceForLabel(label);
        if (!res) continue;
        attached++;
        const gr = groupResourceString(res);
        info.resources.add(gr);
        const namespaced = registeredNamespaced(res);
        const key = customKey(gr, namespaced, apiName);
        let entry = reg.custom.get(key);
        if (!entry || entry.ruleId !== rule.id) {
          if (entry) d.replaced.push(`${gr}/${apiName} (from ${entry.ruleId})`);
          entry = {
            apiName,
            seriesName,
            resource: res,
            groupResource: gr,
            namespaced,
            ruleId: rule.id,
            objects: new Map(),
            stale: false,
          };
          reg.custom.set(key, entry);
        }
        entry.seriesName = seriesName;
        const name = labels[label]!;
        const ns = namespaced && nsLabel !== undefined ? (labels[nsLabel] ?? "") : "";
        const okey = `${ns}/${name}`;
        const obj = entry.objects.get(okey);
        if (obj) {
          for (const k in labels)
            if (k !== "__name__" && obj.labels[k] === undefined) obj.labels[k] = labels[k]!;
        } else {
          plain ??= withoutName(labels);
          entry.objects.set(okey, { namespace: ns, name, labels: { ...plain } });
        }
      }
      if (attached === 0) d.seriesWithoutResource++;
    }
    for (const [apiName, info] of metricInfo)
      d.metrics.push({ apiName, seriesName: info.seriesName, resources: [...info.resources].sort() });
    d.metrics.sort((a, b) => (a.apiName < b.apiName ? -1 : a.apiName > b.apiName ? 1 : 0));
  }
  return reg;
}

function withoutName(labels: SeriesLabels): SeriesLabels {
  const out: SeriesLabels = {};
  for (const [k, v] of Object.entries(labels)) if (k !== "__name__") out[k] = v;
  return out;
}

function carryOver(rule: CompiledRule, previous: Registry | undefined, reg: Registry): void {
  if (!previous) return;
  const prevDiag = previous.diagnostics.find((p) => p.id === rule.id && p.seriesQuery === rule.seriesQuery);
  if (!prevDiag) return;
  if (rule.kind === "external") {
    for (const [k, e] of previous.external)
      if (e.ruleId === rule.id) reg.external.set(k, { ...e, stale: true });
  } else {
    for (const [k, e] of previous.custom) if (e.ruleId === rule.id) reg.custom.set(k, { ...e, stale: true });
  }
  const d = reg.diagnostics[reg.diagnostics.length - 1]!;
  d.metrics = prevDiag.metrics;
  d.seriesNames = prevDiag.seriesNames;
}

/** Looks up a custom metric by the resource as requested, scope, and API name. */
export function findCustomMetric(
  reg: Registry,
  resource: ResourceInfo,
  namespaced: boolean,
  apiName: string,
): CustomMetricEntry | undefined {
  return reg.custom.get(customKey(groupResourceString(resource), namespaced, apiName));
}

/** The rule a registry entry came from. */
export function ruleById(cfg: CompiledConfig, id: string): CompiledRule | undefined {
  return [...cfg.rules, ...cfg.externalRules].find((r) => r.id === id);
}
