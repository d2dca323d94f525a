/**
 * `tidescale rules test`: for each rule, the series it matched, the metric names it exposes (with their
 * resources) and the exact PromQL of a sample request, plus what Prometheus answered. The plan and the
 * text rendering are pure; the command runs the queries. This answers prometheus-adapter's most common
 * question ("why doesn't my metric show up?", or an HPA's 404 "could not find the metric") without reading adapter
 * logs.
 */
import { CUSTOM_GROUP, EXTERNAL_GROUP } from "./api-objects.js";
import type { CompiledConfig } from "./config.js";
import {
  buildCustomQuery,
  buildExternalQuery,
  buildNodeResourceQuery,
  buildPodResourceQuery,
} from "./queries.js";
import type { Registry, RuleDiagnostics } from "./registry.js";

/** A sample request and its PromQL (or why none could be built). */
export interface SampleRequest {
  path: string;
  query?: string;
  error?: string;
}

/** What Prometheus answered for a sample query. */
export interface SampleResult {
  samples?: Array<{ labels: Record<string, string>; value: string }>;
  error?: string;
}

export interface RuleReport extends RuleDiagnostics {
  kind: "custom" | "external";
  sample?: SampleRequest & { result?: SampleResult };
}

export interface RulesReport {
  prometheus: string;
  rules: RuleReport[];
  resourceRules: Array<SampleRequest & { name: string; result?: SampleResult }> | null;
  warnings: string[];
}

/** Builds the report skeleton (sample requests and their PromQL) from a config and a fresh registry. */
export function planRulesReport(cfg: CompiledConfig, reg: Registry, prometheus: string): RulesReport {
  const rules: RuleReport[] = [];
  for (const d of reg.diagnostics) {
    const rule = [...cfg.rules, ...cfg.externalRules].find((r) => r.id === d.id)!;
    const rep: RuleReport = { ...d, kind: rule.kind };
    if (rule.kind === "custom") {
      // Prefer a namespaced resource (pods) for the sample: it shows every part of the matcher order.
      const mine = [...reg.custom.values()].filter((e) => e.ruleId === rule.id && e.objects.size > 0);
      const entry = mine.find((e) => e.namespaced) ?? mine[0];
      if (entry) {
        const obj = [...entry.objects.values()][0]!;
        const ns = entry.namespaced ? obj.namespace : undefined;
        const path =
          `/apis/${CUSTOM_GROUP}/v1beta2` +
          (ns !== undefined ? `/namespaces/${ns}` : "") +
          `/${entry.groupResource}/${obj.name}/${entry.apiName}`;
        const q = buildCustomQuery({
          rule,
          seriesName: entry.seriesName,
          resource: entry.resource,
          namespace: ns,
          names: [obj.name],
          metricSelector: [],
        });
        rep.sample = q.ok ? { path, query: q.value.query } : { path, error: q.error.message };
      }
    } else {
      const entry = [...reg.external.values()].find((e) => e.ruleId === rule.id);
      if (entry) {
        const path = `/apis/${EXTERNAL_GROUP}/v1beta1/namespaces/default/${entry.apiName}`;
        const q = buildExternalQuery({
          rule,
          seriesName: entry.seriesName,
          namespace: "default",
          selector: [],
        });
        rep.sample = q.ok ? { path, query: q.value } : { path, error: q.error.message };
      }
    }
    rules.push(rep);
  }
  let resourceRules: RulesReport["resourceRules"] = null;
  if (cfg.resourceRules) {
    const rr = cfg.resourceRules;
    // A namespace that has data, when discovery saw one (else "default").
    let ns = "default";
    for (const e of reg.custom.values()) {
      const o = e.namespaced ? [...e.objects.values()].find((x) => x.namespace !== "") : undefined;
      if (o) {
        ns = o.namespace;
        break;
      }
    }
    resourceRules = [];
    for (const which of ["cpu", "memory"] as const) {
      const p = buildPodResourceQuery(rr[which], which, ns, undefined);
      resourceRules.push({
        name: `${which} containerQuery`,
        path: `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`,
        ...(p.ok ? { query: p.value.query } : { error: p.error }),
      });
      const n = buildNodeResourceQuery(rr[which], which, undefined);
      resourceRules.push({
        name: `${which} nodeQuery`,
        path: "/apis/metrics.k8s.io/v1beta1/nodes",
        ...(n.ok ? { query: n.value.query } : { error: n.error }),
      });
    }
  }
  return { prometheus, rules, resourceRules, warnings: [...cfg.warnings] };
}

function formatResult(r: SampleResult | undefined): string[] {
  if (!r) return [];
  if (r.error) return [`    prometheus: error: ${r.error}`];
  const s = r.samples ?? [];
  if (s.length === 0) return ["    prometheus: no samples (empty result)"];
  const lines = s.slice(0, 5).map((x) => {
    const labels = Object.entries(x.labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",");
    return `      {${labels}} ${x.value}`;
  });
  if (s.length > 5) lines.push(`      … ${s.length - 5} more`);
  return [`    prometheus: ${s.length} sample(s)`, ...lines];
}

/** Human-readable report. */
export function formatRulesReport(rep: RulesReport): string {
  const out: string[] = [`Prometheus: ${rep.prometheus}`];
  for (const w of rep.warnings) out.push(`warning: ${w}`);
  for (const r of rep.rules) {
    out.push("", `${r.id} (${r.kind === "custom" ? "custom.metrics.k8s.io" : "external.metrics.k8s.io"})`);
    out.push(`  seriesQuery: ${r.seriesQuery}`);
    if (r.error) out.push(`  error: ${r.error}`);
    const names = Object.entries(r.seriesNames)
      .map(([n, c]) => `${n} (${c})`)
      .join(", ");
    out.push(
      `  series: ${r.seriesReturned} returned, ${r.seriesPassedFilters} passed seriesFilters/name.matches${names ? `: ${names}` : ""}`,
    );
    if (r.kind === "custom" && r.seriesWithoutResource > 0)
      out.push(
        `  ${r.seriesWithoutResource} series carry no label that maps to a resource (check resources.overrides/template)`,
      );
    if (r.metrics.length === 0) out.push("  metrics: none");
    else {
      out.push("  metrics:");
      for (const m of r.metrics)
        out.push(
          `    ${m.apiName} <- ${m.seriesName}${r.kind === "custom" ? ` on ${m.resources.length > 0 ? m.resources.join(", ") : "(no resource)"}` : ""}`,
        );
    }
    for (const x of r.replaced) out.push(`  replaces ${x}`);
    if (r.sample) {
      out.push(`  sample request: GET ${r.sample.path}`);
      if (r.sample.query) out.push(`    PromQL: ${r.sample.query}`);
      if (r.sample.error) out.push(`    error: ${r.sample.error}`);
      out.push(...formatResult(r.sample.result));
    }
  }
  if (rep.resourceRules) {
    out.push("", "resourceRules (metrics.k8s.io)");
    for (const s of rep.resourceRules) {
      out.push(`  ${s.name}: GET ${s.path}`);
      if (s.query) out.push(`    PromQL: ${s.query}`);
      if (s.error) out.push(`    error: ${s.error}`);
      out.push(...formatResult(s.result));
    }
  }
  return `${out.join("\n")}\n`;
}
