/**
 * Building the PromQL for a request from a rule's metricsQuery template (prometheus-adapter's
 * `.Series`, `.LabelMatchers` and `.GroupBy` fields), and matching the returned samples back to objects
 * by the resource label.
 *
 * - Custom: `.Series` = the Prometheus series name, `.LabelMatchers` = metric selector (sorted), then
 *   `nsLabel="NS"` when the request has a namespace, then the resource-name matcher; `.GroupBy` = resLabel.
 * - External: requirements, then `nsLabel="NS"` unless `resources.namespaced: false`; `.GroupBy` empty.
 * - Resource metrics: pods `nsLabel="NS",podLabel=~"p1|p2"` grouped by `podLabel,containerLabel`; nodes
 *   `nodeLabel=~"n1|n2"` grouped by `nodeLabel`. Without object names (no Kubernetes API to list from)
 *   the name matcher is `label!=""`.
 */
import { type CodedError, coded, err, ok, type Result } from "../errors.js";
import { type CompiledResourceQuery, type CompiledRule, queryTemplateData } from "./config.js";
import {
  isPromLabelName,
  isPromMetricName,
  type LabelRequirement,
  renderLabelMatchers,
  requirementMatcher,
} from "./promql.js";
import { lookupResource, type ResourceInfo } from "./resources.js";
import type { CompiledTemplate, TemplateValue } from "./template.js";

/** A sample of an instant-vector result. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

const NAMESPACES = lookupResource("namespaces")!;
const PODS = lookupResource("pods")!;
const NODES = lookupResource("nodes")!;

/**
 * The template data of a query, refusing what cannot be placed in PromQL unquoted: `.Series` must be a
 * metric name (a UTF-8 series name from Prometheus 3 could otherwise carry query text) and every
 * `.GroupBy` entry a label name. `.LabelMatchers` and `.LabelValuesByName` come escaped from promql.ts.
 */
function templateData(
  where: string,
  args: Parameters<typeof queryTemplateData>[0],
): Result<TemplateValue, string> {
  if (args.series !== "" && !isPromMetricName(args.series))
    return err(`${where}: series name ${JSON.stringify(args.series)} is not a valid Prometheus metric name`);
  const bad = args.groupBy.find((l) => !isPromLabelName(l));
  if (bad !== undefined)
    return err(`${where}: group-by label ${JSON.stringify(bad)} is not a valid Prometheus label name`);
  return ok(queryTemplateData(args));
}

/** What a request for a metric of a rule without `metricsQuery` answers (404, as upstream). */
export function noMetricsQuery(ruleId: string): string {
  return `${ruleId} has no metricsQuery: its metrics are discovered but cannot be queried`;
}

function render(
  tmpl: CompiledTemplate | undefined,
  data: TemplateValue,
  where: string,
): Result<string, string> {
  if (tmpl === undefined) return err(noMetricsQuery(where.replace(/\.metricsQuery$/, "")));
  let q: string;
  try {
    q = tmpl.render(data);
  } catch (e) {
    return err(`${where}: template: ${(e as Error).message}`);
  }
  if (q.trim() === "") return err(`${where}: empty query produced by metrics query template`);
  return ok(q);
}

/** Inputs of a custom-metrics query. */
export interface CustomQueryInput {
  rule: CompiledRule;
  seriesName: string;
  resource: ResourceInfo;
  /** The request's namespace (undefined for root-scoped paths). */
  namespace?: string | undefined;
  /** Object names; undefined means "every object with data" (`label!=""`). */
  names?: readonly string[] | undefined;
  metricSelector: readonly LabelRequirement[];
}

/**
 * Why the label matchers could not be rendered: INVALID_INPUT when one of the request's own requirements
 * has no PromQL form (an invalid label name, or `gt`/`lt`), INTERNAL when the rule's labels are at fault.
 */
function matcherFailure(request: readonly LabelRequirement[], error: string): CodedError {
  return coded(request.some((r) => !requirementMatcher(r).ok) ? "INVALID_INPUT" : "INTERNAL", error);
}

/** The PromQL for a custom-metrics request plus the label that carries object names in the result. */
export function buildCustomQuery(
  i: CustomQueryInput,
): Result<{ query: string; resourceLabel: string }, CodedError> {
  const resLabel = i.rule.resources.labelForResource(i.resource);
  if (resLabel === undefined)
    return err(
      coded(
        "INTERNAL",
        `${i.rule.id}: no label maps to resource "${i.resource.resource}" (resources.overrides/template)`,
      ),
    );
  let namespace: { label: string; value: string } | undefined;
  if (i.namespace !== undefined) {
    const nsLabel = i.rule.resources.labelForResource(NAMESPACES);
    if (nsLabel === undefined)
      return err(
        coded(
          "INTERNAL",
          `${i.rule.id}: no label maps to namespaces, so a namespaced request cannot be scoped`,
        ),
      );
    namespace = { label: nsLabel, value: i.namespace };
  }
  const extraReqs: LabelRequirement[] =
    i.names === undefined ? [{ key: resLabel, operator: "exists", values: [] }] : [];
  const m = renderLabelMatchers({
    requirements: [...i.metricSelector, ...extraReqs],
    namespace,
    resource: i.names === undefined ? undefined : { label: resLabel, names: i.names },
  });
  if (!m.ok) return err(matcherFailure(i.metricSelector, m.error));
  const data = templateData(`${i.rule.id}.metricsQuery`, {
    series: i.seriesName,
    labelMatchers: m.value.matchers,
    labelValuesByName: m.value.valuesByName,
    groupBy: [resLabel],
  });
  if (!data.ok) return err(coded("INTERNAL", data.error));
  const q = render(i.rule.metricsQuery, data.value, `${i.rule.id}.metricsQuery`);
  if (!q.ok) return err(coded("INTERNAL", q.error));
  return ok({ query: q.value, resourceLabel: resLabel });
}

/** Inputs of an external-metrics query. */
export interface ExternalQueryInput {
  rule: CompiledRule;
  seriesName: string;
  namespace: string;
  selector: readonly LabelRequirement[];
}

/** The PromQL for an external-metrics request. */
export function buildExternalQuery(i: ExternalQueryInput): Result<string, CodedError> {
  let namespace: { label: string; value: string } | undefined;
  if (i.rule.namespaced && i.namespace !== "") {
    const nsLabel = i.rule.resources.labelForResource(NAMESPACES);
    if (nsLabel === undefined)
      return err(
        coded(
          "INTERNAL",
          `${i.rule.id}: no label maps to namespaces; add resources.overrides for the namespace label or set resources.namespaced: false`,
        ),
      );
    namespace = { label: nsLabel, value: i.namespace };
  }
  const m = renderLabelMatchers({ requirements: i.selector, namespace });
  if (!m.ok) return err(matcherFailure(i.selector, m.error));
  const data = templateData(`${i.rule.id}.metricsQuery`, {
    series: i.seriesName,
    labelMatchers: m.value.matchers,
    labelValuesByName: m.value.valuesByName,
    groupBy: [],
  });
  if (!data.ok) return err(coded("INTERNAL", data.error));
  const q = render(i.rule.metricsQuery, data.value, `${i.rule.id}.metricsQuery`);
  return q.ok ? q : err(coded("INTERNAL", q.error));
}

/** The PromQL for pod CPU or memory (`containerQuery`) in one namespace (or all, when undefined). */
export function buildPodResourceQuery(
  q: CompiledResourceQuery,
  which: "cpu" | "memory",
  namespace: string | undefined,
  podNames: readonly string[] | undefined,
): Result<{ query: string; podLabel: string; namespaceLabel: string | undefined }, string> {
  const where = `resourceRules.${which}`;
  const podLabel = q.resources.labelForResource(PODS);
  if (podLabel === undefined) return err(`${where}: no label maps to pods`);
  const nsLabel = q.resources.labelForResource(NAMESPACES);
  if (nsLabel === undefined) return err(`${where}: no label maps to namespaces`);
  const m = renderLabelMatchers({
    requirements: podNames === undefined ? [{ key: podLabel, operator: "exists", values: [] }] : [],
    namespace: namespace === undefined ? undefined : { label: nsLabel, value: namespace },
    resource: podNames === undefined ? undefined : { label: podLabel, names: podNames },
  });
  if (!m.ok) return m;
  const groupBy =
    namespace === undefined ? [nsLabel, podLabel, q.containerLabel] : [podLabel, q.containerLabel];
  const data = templateData(`${where}.containerQuery`, {
    series: "",
    labelMatchers: m.value.matchers,
    labelValuesByName: m.value.valuesByName,
    groupBy,
  });
  if (!data.ok) return data;
  const r = render(q.containerQuery, data.value, `${where}.containerQuery`);
  if (!r.ok) return r;
  return ok({ query: r.value, podLabel, namespaceLabel: nsLabel });
}

/** The PromQL for node CPU or memory (`nodeQuery`). */
export function buildNodeResourceQuery(
  q: CompiledResourceQuery,
  which: "cpu" | "memory",
  nodeNames: readonly string[] | undefined,
): Result<{ query: string; nodeLabel: string }, string> {
  const where = `resourceRules.${which}`;
  const nodeLabel = q.resources.labelForResource(NODES);
  if (nodeLabel === undefined) return err(`${where}: no label maps to nodes`);
  const m = renderLabelMatchers({
    requirements: nodeNames === undefined ? [{ key: nodeLabel, operator: "exists", values: [] }] : [],
    resource: nodeNames === undefined ? undefined : { label: nodeLabel, names: nodeNames },
  });
  if (!m.ok) return m;
  const data = templateData(`${where}.nodeQuery`, {
    series: "",
    labelMatchers: m.value.matchers,
    labelValuesByName: m.value.valuesByName,
    groupBy: [nodeLabel],
  });
  if (!data.ok) return data;
  const r = render(q.nodeQuery, data.value, `${where}.nodeQuery`);
  if (!r.ok) return r;
  return ok({ query: r.value, nodeLabel });
}

/**
 * A Prometheus sample value as text (`"1.5"`, `"1e+06"`, `"+Inf"`, `"-Inf"`, `"NaN"`) as a finite
 * number, or why it is not one. A non-finite value is never served: the caller leaves the item out (a
 * missing value, which the HPA does not scale down on) and says why.
 */
export function parseSampleValue(text: string): Result<number, string> {
  const v =
    text === "+Inf" || text === "Inf"
      ? Number.POSITIVE_INFINITY
      : text === "-Inf"
        ? Number.NEGATIVE_INFINITY
        : Number(text);
  if (Number.isFinite(v) && text.trim() !== "") return ok(v);
  if (v === Number.POSITIVE_INFINITY) return err("value +Inf is not finite");
  if (v === Number.NEGATIVE_INFINITY) return err("value -Inf is not finite");
  return err(text === "NaN" ? "value NaN is not a number" : `value ${JSON.stringify(text)} is not a number`);
}

/** A sample's value as a number; NaN for a non-finite or unreadable one (see parseSampleValue). */
export function sampleValue(s: Sample): number {
  const v = parseSampleValue(s.value[1]);
  return v.ok ? v.value : Number.NaN;
}

/**
 * Matches samples to object names by the resource label. With `names`, keeps their order and omits names
 * without a sample or with a non-finite value; without, every sample carrying the label (sorted by name). The last sample per name
 * wins (upstream map overwrite).
 */
export function associateByLabel(
  samples: readonly Sample[],
  label: string,
  names: readonly string[] | undefined,
): Array<{ name: string; value: number; timestampMs: number; labels: Record<string, string> }> {
  const byName = new Map<string, Sample>();
  for (const s of samples) {
    const n = s.metric[label];
    if (n !== undefined) byName.set(n, s);
  }
  const order = names ?? [...byName.keys()].sort();
  const out: Array<{ name: string; value: number; timestampMs: number; labels: Record<string, string> }> = [];
  for (const n of order) {
    const s = byName.get(n);
    if (s && Number.isFinite(sampleValue(s)))
      out.push({
        name: n,
        value: sampleValue(s),
        timestampMs: Math.round(s.value[0] * 1000),
        labels: s.metric,
      });
  }
  return out;
}

/** Pod usage assembled from cpu and memory samples (prometheus-adapter resource provider rules). */
export interface PodUsage {
  namespace: string;
  name: string;
  timestampMs: number;
  containers: Array<{ name: string; cpu: number; memory: number }>;
}

/**
 * Joins cpu and memory container samples into pods. A pod needs both cpu and memory samples or it is
 * skipped (the reason is returned); a container with only one of them gets 0 for the other; the pod
 * timestamp is the earliest sample time. Negative values become 0 (as upstream); a pod with a non-finite
 * value (+Inf, -Inf, NaN) is skipped with the reason, never served with 0.
 */
export function assemblePods(
  cpu: readonly Sample[],
  memory: readonly Sample[],
  labels: { pod: string; container: string; namespace: string | undefined; defaultNamespace: string },
): { pods: PodUsage[]; skipped: string[] } {
  type Acc = {
    cpu: boolean;
    mem: boolean;
    /** Why a value of this pod cannot be served. */
    bad?: string;
    ts: number;
    containers: Map<string, { cpu: number; memory: number }>;
  };
  const pods = new Map<string, Acc & { namespace: string; name: string }>();
  const add = (s: Sample, which: "cpu" | "memory") => {
    const name = s.metric[labels.pod];
    if (name === undefined) return;
    const ns = (labels.namespace && s.metric[labels.namespace]) || labels.defaultNamespace;
    const key = `${ns}/${name}`;
    let p = pods.get(key);
    if (!p) {
      p = {
        namespace: ns,
        name,
        cpu: false,
        mem: false,
        ts: Number.POSITIVE_INFINITY,
        containers: new Map(),
      };
      pods.set(key, p);
    }
    const cname = s.metric[labels.container] ?? "";
    let c = p.containers.get(cname);
    if (!c) {
      c = { cpu: 0, memory: 0 };
      p.containers.set(cname, c);
    }
    const parsed = parseSampleValue(s.value[1]);
    if (!parsed.ok)
      p.bad ??= `${which === "cpu" ? "CPU" : "memory"} of container "${cname}": ${parsed.error}`;
    const v = parsed.ok ? Math.max(parsed.value, 0) : 0;
    if (which === "cpu") {
      c.cpu = v;
      p.cpu = true;
    } else {
      c.memory = v;
      p.mem = true;
    }
    p.ts = Math.min(p.ts, Math.round(s.value[0] * 1000));
  };
  for (const s of cpu) add(s, "cpu");
  for (const s of memory) add(s, "memory");
  const out: PodUsage[] = [];
  const skipped: string[] = [];
  for (const p of [...pods.values()].sort((a, b) =>
    cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`),
  )) {
    if (!p.cpu || !p.mem) {
      skipped.push(`${p.namespace}/${p.name}: missing ${p.cpu ? "memory" : "CPU"}`);
      continue;
    }
    if (p.bad !== undefined) {
      skipped.push(`${p.namespace}/${p.name}: ${p.bad}`);
      continue;
    }
    out.push({
      namespace: p.namespace,
      name: p.name,
      timestampMs: p.ts,
      containers: [...p.containers.entries()]
        .sort((a, b) => cmp(a[0], b[0]))
        .map(([name, u]) => ({ name, cpu: u.cpu, memory: u.memory })),
    });
  }
  return { pods: out, skipped };
}

/**
 * Node usage from cpu and memory samples; nodes missing either, or with a non-finite value, are skipped
 * with a reason. Negative values become 0.
 */
export function assembleNodes(
  cpu: readonly Sample[],
  memory: readonly Sample[],
  nodeLabel: string,
): { nodes: Array<{ name: string; timestampMs: number; cpu: number; memory: number }>; skipped: string[] } {
  const c = new Map(cpu.flatMap((s) => (s.metric[nodeLabel] ? [[s.metric[nodeLabel]!, s] as const] : [])));
  const m = new Map(memory.flatMap((s) => (s.metric[nodeLabel] ? [[s.metric[nodeLabel]!, s] as const] : [])));
  const names = [...new Set([...c.keys(), ...m.keys()])].sort();
  const nodes: Array<{ name: string; timestampMs: number; cpu: number; memory: number }> = [];
  const skipped: string[] = [];
  for (const n of names) {
    const cs = c.get(n);
    const ms = m.get(n);
    if (!cs || !ms) {
      skipped.push(`${n}: missing ${cs ? "memory" : "CPU"}`);
      continue;
    }
    const cpuValue = parseSampleValue(cs.value[1]);
    const memValue = parseSampleValue(ms.value[1]);
    if (!cpuValue.ok || !memValue.ok) {
      skipped.push(
        `${n}: ${!cpuValue.ok ? `CPU ${cpuValue.error}` : `memory ${memValue.ok ? "" : memValue.error}`}`,
      );
      continue;
    }
    nodes.push({
      name: n,
      timestampMs: Math.round(Math.min(cs.value[0], ms.value[0]) * 1000),
      cpu: Math.max(cpuValue.value, 0),
      memory: Math.max(memValue.value, 0),
    });
  }
  return { nodes, skipped };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
