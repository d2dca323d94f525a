/**
 * Doctor rules for the adapter's discovery rules against Prometheus: a seriesQuery that fails or matches
 * nothing (with the nearest series names Prometheus has), series that exist but lack the labels the
 * query requires (namespace, pod), series dropped by the rule's filters, and series no label of which
 * maps to a resource.
 */
import type { RuleDiagnostics, SeriesLabels } from "../metrics/registry.js";
import type { Finding } from "./finding.js";

/** What the doctor found out about a rule whose seriesQuery returned nothing. */
export interface EmptyRuleProbe {
  /** The series name the query selects, when it names one. */
  seriesName?: string | undefined;
  /** Series of that name without the query's label matchers (a few). */
  byName: SeriesLabels[];
  /** Series names Prometheus has that are nearest to `seriesName`. */
  nearest: string[];
}

export interface RulesSnapshot {
  /** Where the rules came from (a file or `configmap/ns/name`). */
  source: string;
  /** The discovery window (e.g. `10m`), for messages. */
  window: string;
  diagnostics: RuleDiagnostics[];
  /** Probes by rule id, for the rules that returned no series. */
  probes: Record<string, EmptyRuleProbe>;
}

const NAME = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|$)/;
const NAME_MATCHER = /__name__\s*=\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/;

/** The series name a seriesQuery selects: `name{...}` or `{__name__="name",...}`. */
export function seriesNameOf(seriesQuery: string): string | undefined {
  return NAME.exec(seriesQuery)?.[1] ?? NAME_MATCHER.exec(seriesQuery)?.[1];
}

/** Labels a seriesQuery requires to be present: `l!=""`, `l=~".+"`, or an equality with a non-empty value. */
export function requiredLabels(seriesQuery: string): string[] {
  const out: string[] = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(!=|=~|!~|=)\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(seriesQuery); m; m = re.exec(seriesQuery)) {
    const [, label, op, value] = m;
    if (label === "__name__" || !label) continue;
    const required =
      (op === "!=" && value === "") ||
      (op === "=~" && /^\.\+/.test(value ?? "")) ||
      (op === "=" && value !== "");
    if (required && !out.includes(label)) out.push(label);
  }
  return out;
}

const where = (s: RulesSnapshot, d: RuleDiagnostics) => `rules ${s.source} ${d.id}`;

/** The relabelling that gives scraped series the namespace and pod labels of the pods they come from. */
const RELABEL_FIX = `give the series the labels in the scrape config:
        relabel_configs:
          - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
          - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
        (a ServiceMonitor/PodMonitor from kube-prometheus adds them), or map the labels they have in the rule: resources.overrides`;

function emptyRule(s: RulesSnapshot, d: RuleDiagnostics): Finding {
  const probe = s.probes[d.id];
  const seen = `seriesQuery ${d.seriesQuery} returned no series in the last ${s.window}`;
  const name = probe?.seriesName;
  if (name && probe && probe.byName.length > 0) {
    const need = requiredLabels(d.seriesQuery);
    const missing = need.filter((l) => !probe.byName.some((x) => (x[l] ?? "") !== ""));
    const has = Object.keys(probe.byName[0] ?? {})
      .filter((l) => l !== "__name__")
      .sort();
    return {
      severity: "error",
      id: "rules.series-missing-labels",
      object: where(s, d),
      seen: `${seen}; ${name} exists with labels ${has.join(", ") || "(none)"}`,
      why: `the series ${name} have no ${(missing.length ? missing : need).join(", ")} label${missing.length === 1 ? "" : "s"}, which the rule requires to attach them to Kubernetes objects`,
      fix: RELABEL_FIX,
    };
  }
  const near = probe?.nearest ?? [];
  return {
    severity: "error",
    id: "rules.matches-nothing",
    object: where(s, d),
    seen,
    why: name
      ? `Prometheus has no series named ${name}${near.length ? `; nearest names it has: ${near.join(", ")}` : " (the target exporting it is not scraped, or the name differs)"}`
      : "no series match the query's selector",
    fix: near.length
      ? `correct the seriesQuery (and metricsQuery) to ${near[0]}, then: tidescale rules test --config <rules> --prometheus-url <url>`
      : `curl -s '<prometheus>/api/v1/series' --data-urlencode 'match[]=${d.seriesQuery}' ; check that the exporter is scraped (its target up)`,
  };
}

function filteredOut(s: RulesSnapshot, d: RuleDiagnostics): Finding {
  return {
    severity: "error",
    id: "rules.all-series-filtered",
    object: where(s, d),
    seen: `seriesQuery ${d.seriesQuery} returned ${d.seriesReturned} series, none passed seriesFilters/name.matches`,
    why: "the rule's seriesFilters or name.matches drop every series, so it exposes no metric",
    fix: "loosen name.matches (it must match the series name) or the seriesFilters; tidescale rules test shows the names",
  };
}

function withoutResource(s: RulesSnapshot, d: RuleDiagnostics): Finding {
  const all = d.seriesWithoutResource === d.seriesPassedFilters;
  return {
    severity: all ? "error" : "info",
    id: "rules.series-without-resource",
    object: where(s, d),
    seen: `${d.seriesWithoutResource} of ${d.seriesPassedFilters} series of ${d.seriesQuery} have no label the rule maps to a resource`,
    why: all
      ? "no series carries a label that resources.overrides/template maps to a Kubernetes resource (e.g. namespace, pod), so the rule exposes nothing"
      : "these series carry no label mapped to a resource and are left out; the others are served",
    fix: RELABEL_FIX,
  };
}

/** The findings of each rule: failed query, no series (or series without the labels), all filtered, no resource label. */
export function checkRules(s: RulesSnapshot): Finding[] {
  const findings: Finding[] = [];
  for (const d of s.diagnostics) {
    if (d.error !== undefined)
      findings.push({
        severity: "error",
        id: "rules.series-query-failed",
        object: where(s, d),
        seen: `seriesQuery ${d.seriesQuery}: ${d.error}`,
        why: "Prometheus refused the query (a syntax error, or the URL or path prefix is wrong); the adapter keeps this rule's old metrics at most",
        fix: `curl -s '<prometheus>/api/v1/series' --data-urlencode 'match[]=${d.seriesQuery}'`,
      });
    else if (d.seriesReturned === 0) findings.push(emptyRule(s, d));
    else if (d.seriesPassedFilters === 0) findings.push(filteredOut(s, d));
    else if (d.seriesWithoutResource > 0 && isCustom(d)) findings.push(withoutResource(s, d));
  }
  return findings;
}

const isCustom = (d: RuleDiagnostics) => d.id.startsWith("rules[");
