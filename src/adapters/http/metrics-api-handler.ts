/**
 * The metrics APIs as a function: a parsed request in, a response object out (status + JSON body), or a
 * decision to forward to the remote adapter. No sockets here; the server (metrics-api-server.ts) does
 * HTTP, security and forwarding. Prometheus and the object lister come in as ports.
 *
 * Status codes: bad path/selector 400; unknown metric/resource/object 404 (with the reason: which rule,
 * which query, what Prometheus said); Prometheus unreachable or timing out 503; Prometheus rejecting a
 * query 500 (a config problem) — each a metav1.Status.
 *
 * Non-finite samples (+Inf, -Inf, NaN: a ratio at zero traffic) are missing values, never 0: a pod or
 * object with one is left out of a list (the HPA treats it as missing and does not scale down on it), a
 * single object answers 404 saying so, and an external metric with one answers 404 as a whole (the HPA
 * adds external items up, so leaving one out would lower the total). Each case is logged with the reason.
 */
import { SERVED_METRICS } from "../../core/ehpa/serving.js";
import { httpStatusFor, ToolkitError } from "../../core/errors.js";
import { matches, type Selector, tryParseSelector } from "../../core/labels/selector.js";
import {
  type ApiResourceEntry,
  apiGroup,
  apiGroupList,
  apiResourceList,
  CUSTOM_GROUP,
  EXTERNAL_GROUP,
  externalMetricValueList,
  metricValueList,
  metricValueListJson,
  nodeMetrics,
  nodeMetricsList,
  podMetrics,
  podMetricsList,
  RESOURCE_GROUP,
  RESOURCE_METRICS_RESOURCES,
  SERVED_GROUPS,
  status,
  toLabelSelector,
} from "../../core/metrics/api-objects.js";
import type { CompiledConfig, CompiledRule } from "../../core/metrics/config.js";
import {
  assembleNodes,
  assemblePods,
  buildCustomQuery,
  buildExternalQuery,
  buildNodeResourceQuery,
  buildPodResourceQuery,
  noMetricsQuery,
  parseSampleValue,
  type Sample,
} from "../../core/metrics/queries.js";
import {
  type CustomMetricEntry,
  findCustomMetric,
  type Registry,
  registeredNamespaced,
  ruleById,
} from "../../core/metrics/registry.js";
import { groupResourceString, lookupResource, type ResourceInfo } from "../../core/metrics/resources.js";
import { type Route, route } from "../../core/metrics/routes.js";
import type { PredictionSource } from "../kube/prediction-cache.js";
import type { InstantResult, LabelValues, PrometheusClient } from "../prometheus/client.js";
import type { ObjectLister } from "./object-lister.js";
import type { RemoteAdapter } from "./security.js";

export interface ApiRequest {
  method: string;
  /** The path without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
}

export type ApiResponse =
  /** `json`, when present, is the body already serialized (exactly `JSON.stringify(body)`). */
  { kind: "json"; status: number; body: unknown; json?: string } | { kind: "forward"; reason: string };

/** What the handler reads on every request. */
export interface HandlerContext {
  config: CompiledConfig;
  registry: Registry;
  /** False until the first relist finished. */
  relisted: boolean;
  prometheus: PrometheusClient;
  lister?: ObjectLister | undefined;
  remote?: RemoteAdapter | undefined;
  /** `tidescale_prediction` and `tidescale_cron` from the EHPA/TSP watch cache (`--serve-predictions`). */
  predictions?: PredictionSource | undefined;
  nowMs: number;
  /** Warnings for the log (objects skipped, empty discovery). */
  warn?: (obj: object, msg: string) => void;
  /** Called when a request names a resource the cluster's catalog lacks (refreshes discovery, rate-limited). */
  onResourceMiss?: ((name: string) => void) | undefined;
}

const json = (statusCode: number, body: unknown): ApiResponse => ({ kind: "json", status: statusCode, body });
const fail = (code: number, message: string, causes?: string[]): ApiResponse =>
  json(code, status(code, message, causes ? { causes } : {}));

/** The path group label for metrics and logs. */
export function pathGroup(r: Route): "discovery" | "custom" | "external" | "resource" | "other" {
  switch (r.t) {
    case "apis":
    case "group":
    case "discovery":
      return "discovery";
    case "custom":
      return "custom";
    case "external":
      return "external";
    case "nodes":
    case "pods":
      return "resource";
    default:
      return "other";
  }
}

/** Handles one API request (everything under /apis). */
export async function handleApiRequest(req: ApiRequest, ctx: HandlerContext): Promise<ApiResponse> {
  const r = route(req.method, req.path);
  try {
    switch (r.t) {
      case "error":
        return fail(r.code, r.message);
      case "apis":
        return json(200, apiGroupList(SERVED_GROUPS));
      case "group": {
        const g = SERVED_GROUPS.find((x) => x.group === r.group)!;
        return json(200, apiGroup(g.group, g.versions));
      }
      case "discovery":
        return json(200, discoveryDocument(r.group, r.version, ctx));
      case "custom":
        return await customMetric(r, req.query, ctx);
      case "external":
        return await externalMetric(r, req.query, ctx);
      case "nodes":
        return await nodeUsage(r, req.query, ctx);
      case "pods":
        return await podUsage(r, req.query, ctx);
    }
  } catch (e) {
    return errorResponse(e);
  }
}

/**
 * Maps a thrown error to a Status, its HTTP code from the error's code (`httpStatusFor`: Prometheus down
 * -> 503, timeout -> 504, bad input -> 400, ...). A client error (4xx) says what is wrong as is; a server
 * error names the `context` it happened in, and an internal one (500) also lists it as the cause.
 */
export function errorResponse(e: unknown, context = "unable to fetch metrics"): ApiResponse {
  if (!(e instanceof ToolkitError)) {
    const msg = e instanceof Error ? e.message : String(e);
    return fail(500, `Internal error occurred: ${msg}`, [msg]);
  }
  const code = httpStatusFor(e.code);
  if (code < 500) return fail(code, e.oneLine());
  const what = `${context}: ${e.oneLine()}`;
  return code === 500 ? fail(500, `Internal error occurred: ${what}`, [what]) : fail(code, what);
}

// ---------- discovery ----------

/** The APIResourceList of a group-version: local entries merged with the remote adapter's. */
export function discoveryDocument(group: string, version: string, ctx: HandlerContext): unknown {
  const gv = `${group}/${version}`;
  let local: ApiResourceEntry[] = [];
  if (group === CUSTOM_GROUP) {
    const seen = new Set<string>();
    for (const e of ctx.registry.custom.values()) {
      const name = `${e.groupResource}/${e.apiName}`;
      if (seen.has(name)) continue;
      seen.add(name);
      local.push({
        name,
        singularName: "",
        namespaced: e.namespaced,
        kind: "MetricValueList",
        verbs: ["get"],
      });
    }
    local.sort((a, b) => cmp(a.name, b.name));
  } else if (group === EXTERNAL_GROUP) {
    const names = new Set([...ctx.registry.external.keys(), ...(ctx.predictions ? SERVED_METRICS : [])]);
    local = [...names].sort().map((name) => ({
      name,
      singularName: "",
      namespaced: true,
      kind: "ExternalMetricValueList",
      verbs: ["get"],
    }));
  } else if (group === RESOURCE_GROUP) {
    local = ctx.config.resourceRules ? [...RESOURCE_METRICS_RESOURCES] : [];
  }
  const remote = ctx.remote?.resources(gv);
  if (remote && remote.length > 0) {
    const names = new Set(local.map((x) => x.name));
    for (const x of remote) if (!names.has(x.name)) local.push({ ...x });
  }
  return apiResourceList(gv, local);
}

// ---------- selectors ----------

function parseSelectorParam(q: URLSearchParams, name: string): Selector | ApiResponse {
  const text = q.get(name) ?? "";
  const r = tryParseSelector(text);
  if (!r.ok)
    return fail(
      400,
      `invalid ${name} ${JSON.stringify(text.slice(0, 200))}: position ${r.error.position}: ${r.error.message}`,
    );
  return r.value;
}

function isResponse(x: unknown): x is ApiResponse {
  return !!x && typeof x === "object" && "kind" in x;
}

// ---------- Prometheus ----------

function queryFailure(e: unknown, rule: string, query: string): ApiResponse {
  if (e instanceof ToolkitError && (e.code === "UNAVAILABLE" || e.code === "TIMEOUT"))
    return fail(httpStatusFor(e.code), `unable to fetch metrics: ${rule} query ${query}: ${e.oneLine()}`);
  const said = e instanceof ToolkitError ? e.oneLine() : String(e);
  return fail(500, `Internal error occurred: unable to fetch metrics: ${rule} query ${query}: ${said}`, [
    `unable to fetch metrics: Prometheus rejected the query: ${said}`,
  ]);
}

const notVector = (rule: string, query: string, resultType: string): ApiResponse =>
  fail(
    500,
    `Internal error occurred: unable to fetch metrics: ${rule} query ${query} returned a ${resultType}, not a vector`,
  );

async function runVector(ctx: HandlerContext, rule: string, query: string): Promise<Sample[] | ApiResponse> {
  let res: InstantResult;
  try {
    res = await ctx.prometheus.query(query, ctx.nowMs / 1000);
  } catch (e) {
    return queryFailure(e, rule, query);
  }
  if (res.resultType !== "vector") return notVector(rule, query, res.resultType);
  return res.result;
}

/**
 * A vector query reduced to the sample count and the value text per value of `label` (the last sample
 * wins, samples without the label are left out: what associateByLabel does). Uses the client's
 * `queryByLabel` when it has one (no per-sample objects), else `query`.
 */
async function runByLabel(
  ctx: HandlerContext,
  rule: string,
  query: string,
  label: string,
): Promise<Omit<LabelValues, "resultType"> | ApiResponse> {
  let res: InstantResult | LabelValues;
  try {
    res = ctx.prometheus.queryByLabel
      ? await ctx.prometheus.queryByLabel(query, ctx.nowMs / 1000, label)
      : await ctx.prometheus.query(query, ctx.nowMs / 1000);
  } catch (e) {
    return queryFailure(e, rule, query);
  }
  if ("byLabel" in res) return res;
  if (res.resultType !== "vector") return notVector(rule, query, res.resultType);
  const byLabel = new Map<string, string>();
  for (const s of res.result) {
    const n = s.metric[label];
    if (n !== undefined) byLabel.set(n, s.value[1]);
  }
  return { samples: res.result.length, byLabel };
}

// ---------- custom metrics ----------

function resourceOf(name: string, ctx: HandlerContext): ResourceInfo | undefined {
  const catalog = ctx.config.resourceCatalog;
  if (catalog) {
    const r = catalog.lookup(name);
    if (!r) ctx.onResourceMiss?.(name);
    return r;
  }
  const extra = ctx.config.rules.flatMap((r) => r.resources.custom);
  return lookupResource(name, undefined, extra);
}

async function customMetric(
  r: Extract<Route, { t: "custom" }>,
  q: URLSearchParams,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const gv = `${CUSTOM_GROUP}/${r.version}`;
  const metricSel = parseSelectorParam(q, "metricLabelSelector");
  if (isResponse(metricSel)) return metricSel;
  const labelSel = parseSelectorParam(q, "labelSelector");
  if (isResponse(labelSel)) return labelSel;
  const resource = resourceOf(r.resource, ctx);
  const notFoundMsg = `the server could not find the metric ${r.metric} for ${r.resource}`;
  if (!resource) {
    if (shouldForward(ctx, gv, `${r.resource}/${r.metric}`))
      return { kind: "forward", reason: "unknown resource" };
    return fail(404, `${notFoundMsg}: unknown resource "${r.resource}"`);
  }
  const namespaced = r.namespace !== undefined;
  const entry = findCustomMetric(ctx.registry, resource, namespaced, r.metric);
  const gr = groupResourceString(resource);
  if (!entry) {
    if (shouldForward(ctx, gv, `${gr}/${r.metric}`))
      return { kind: "forward", reason: "metric not served locally" };
    return fail(404, `${notFoundMsg}: ${whyNotRegistered(ctx, resource, namespaced, r.metric)}`);
  }
  const rule = ruleById(ctx.config, entry.ruleId);
  if (!rule) return fail(404, `${notFoundMsg}: its rule ${entry.ruleId} is no longer in the config`);
  if (rule.metricsQuery === undefined) return fail(404, `${notFoundMsg}: ${noMetricsQuery(rule.id)}`);

  // Object names.
  let names: readonly string[];
  const wildcard = r.name === "*";
  const memo = memoFor(entry, rule);
  const metricSelText = q.get("metricLabelSelector") ?? "";
  let fromSeries: SeriesNames | undefined;
  if (!wildcard) names = [r.name];
  else if (ctx.lister) {
    const objs = await ctx.lister.list(resource, r.namespace, q.get("labelSelector") ?? "");
    names = objs.map((o) => o.name);
    if (names.length === 0)
      return fail(
        404,
        `${notFoundMsg}: no ${gr} match labelSelector ${JSON.stringify(q.get("labelSelector") ?? "")}${r.namespace !== undefined ? ` in namespace ${r.namespace}` : ""} (${ctx.lister.source})`,
      );
  } else {
    // Without a lister the names depend only on the (immutable) entry, the namespace and the selector
    // text: remember them, and the PromQL built for them, per entry.
    const nkey = `${r.namespace ?? "\u0000"}\u0000${q.get("labelSelector") ?? ""}`;
    fromSeries = memo.bySeries.get(nkey);
    if (!fromSeries) {
      const found: string[] = [];
      for (const o of entry.objects.values()) {
        if (namespaced && o.namespace !== r.namespace) continue;
        if (matches(labelSel, o.labels)) found.push(o.name);
      }
      found.sort();
      fromSeries = { names: found, built: new Map() };
      if (memo.bySeries.size >= QUERY_MEMO_MAX) memo.bySeries.clear();
      memo.bySeries.set(nkey, fromSeries);
    }
    names = fromSeries.names;
    if (names.length === 0)
      return fail(
        404,
        `${notFoundMsg}: no ${gr} with series of ${entry.seriesName}${r.namespace !== undefined ? ` in namespace ${r.namespace}` : ""} match labelSelector ${JSON.stringify(q.get("labelSelector") ?? "")} (objects come from Prometheus series: no Kubernetes lister configured)`,
      );
  }
  const build = () =>
    buildCustomQuery({
      rule,
      seriesName: entry.seriesName,
      resource,
      namespace: r.namespace,
      names,
      metricSelector: metricSel.requirements,
    });
  let built: BuiltQuery;
  if (fromSeries) {
    const hit = fromSeries.built.get(metricSelText);
    if (hit) built = hit;
    else {
      built = build();
      if (fromSeries.built.size >= QUERY_MEMO_MAX) fromSeries.built.clear();
      fromSeries.built.set(metricSelText, built);
    }
  } else built = cachedCustomQuery(memo, r.namespace, names, metricSelText, build);
  if (!built.ok) {
    // The request's own selector is bad input; a rule that cannot serve this metric is NotFound.
    const code = built.error.code === "INVALID_INPUT" ? 400 : 404;
    return fail(code, `${notFoundMsg}: ${built.error.message}`);
  }
  const answer = await runByLabel(ctx, rule.id, built.value.query, built.value.resourceLabel);
  if (isResponse(answer)) return answer;
  // In the order of `names`, names without a sample or with a non-finite value left out (associateByLabel).
  const found: Array<{ name: string; value: number }> = [];
  const nonFinite: string[] = [];
  for (const n of names) {
    const text = answer.byLabel.get(n);
    if (text === undefined) continue;
    const v = parseSampleValue(text);
    if (v.ok) found.push({ name: n, value: v.value });
    else nonFinite.push(`${built.value.resourceLabel}=${JSON.stringify(n)}: ${v.error}`);
  }
  if (nonFinite.length > 0)
    ctx.warn?.(
      { rule: rule.id, metric: r.metric, query: built.value.query, left_out: nonFinite.slice(0, 20) },
      "non-finite values left out (missing, not 0)",
    );
  if (!wildcard && found.length === 0 && nonFinite.length > 0)
    return fail(
      404,
      `the server could not find the metric ${r.metric} for ${r.resource} ${r.name}: ${rule.id} query ${built.value.query} returned ${nonFinite[0]} (a non-finite value is a missing metric, never served)`,
    );
  if (!wildcard && found.length === 0) {
    const count = answer.samples;
    return fail(
      404,
      `the server could not find the metric ${r.metric} for ${r.resource} ${r.name}: ${rule.id} query ${built.value.query} returned ${count} sample(s), none with ${built.value.resourceLabel}=${JSON.stringify(r.name)}` +
        (count === 0 ? " (no data: is the series recent enough for the rate window?)" : ""),
    );
  }
  const selector = metricSel.requirements.length > 0 ? toLabelSelector(metricSel.requirements) : null;
  const common = {
    resource,
    namespace: namespaced ? r.namespace : undefined,
    metricName: r.metric,
    selector,
    timestampMs: ctx.nowMs,
  };
  // The answer goes out as text written directly (same bytes as JSON.stringify of the object); the
  // object itself is only built when someone reads `body`.
  const version = r.version;
  return {
    kind: "json",
    status: 200,
    json: metricValueListJson(version, common, found),
    get body() {
      return metricValueList(
        version,
        found.map((f) => ({ ...common, name: f.name, value: f.value })),
      );
    },
  };
}

// The HPA asks the same question every sync period: remember the PromQL per registry entry (a relist or a
// config reload makes new entries and rules, which drops the memo). Registry entries are not changed
// after buildRegistry returns, so what is derived from one stays valid as long as the entry lives.
type BuiltQuery = ReturnType<typeof buildCustomQuery>;
interface SeriesNames {
  names: readonly string[];
  /** By metricLabelSelector text. */
  built: Map<string, BuiltQuery>;
}
interface EntryMemo {
  rule: CompiledRule;
  /** By namespace, metricLabelSelector and names (names from a lister). */
  byKey: Map<string, BuiltQuery>;
  /** By namespace and labelSelector text (names from the entry's series objects). */
  bySeries: Map<string, SeriesNames>;
}
const queryMemo = new WeakMap<CustomMetricEntry, EntryMemo>();
const QUERY_MEMO_MAX = 256;

function memoFor(entry: CustomMetricEntry, rule: CompiledRule): EntryMemo {
  let memo = queryMemo.get(entry);
  if (!memo || memo.rule !== rule) {
    memo = { rule, byKey: new Map(), bySeries: new Map() };
    queryMemo.set(entry, memo);
  }
  return memo;
}

function cachedCustomQuery(
  memo: EntryMemo,
  namespace: string | undefined,
  names: readonly string[],
  metricSelector: string,
  build: () => BuiltQuery,
): BuiltQuery {
  const key = `${namespace ?? "\u0000"}\u0000${metricSelector}\u0000${names.join("\u0000")}`;
  const hit = memo.byKey.get(key);
  if (hit) return hit;
  const built = build();
  if (memo.byKey.size >= QUERY_MEMO_MAX) memo.byKey.clear();
  memo.byKey.set(key, built);
  return built;
}

function whyNotRegistered(
  ctx: HandlerContext,
  resource: ResourceInfo,
  namespaced: boolean,
  metric: string,
): string {
  const scope = registeredNamespaced(resource);
  if (scope !== namespaced)
    return `${groupResourceString(resource)} metrics are ${scope ? "namespaced: use /namespaces/{ns}/" : "cluster-scoped: drop /namespaces/{ns}/ from the path"}`;
  const elsewhere = [...ctx.registry.custom.values()]
    .filter((e) => e.apiName === metric)
    .map((e) => `${e.groupResource}${e.namespaced ? "" : " (cluster-scoped)"}`);
  if (elsewhere.length > 0) return `it is discovered for ${[...new Set(elsewhere)].join(", ")} only`;
  if (!ctx.relisted) return "discovery has not finished its first relist yet";
  if (ctx.config.rules.length === 0) return "the config has no rules";
  const failing = ctx.registry.diagnostics.filter((d) => d.error && d.id.startsWith("rules["));
  if (failing.length > 0)
    return `no rule discovered it; failing seriesQuery: ${failing.map((d) => `${d.id}: ${d.error}`).join("; ")}`;
  return "no rule discovered it (see `tidescale rules test`)";
}

function shouldForward(ctx: HandlerContext, gv: string, resource: string): boolean {
  if (!ctx.remote) return false;
  // Unknown remote discovery (not fetched yet): forward and let the remote answer.
  if (ctx.remote.resources(gv) === undefined) return true;
  return ctx.remote.serves(gv, resource);
}

// ---------- external metrics ----------

async function externalMetric(
  r: Extract<Route, { t: "external" }>,
  q: URLSearchParams,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const gv = `${EXTERNAL_GROUP}/v1beta1`;
  const sel = parseSelectorParam(q, "labelSelector");
  if (isResponse(sel)) return sel;
  if (ctx.predictions?.serves(r.metric)) return predictionMetric(r, sel, ctx.predictions, ctx.nowMs);
  const entry = ctx.registry.external.get(r.metric);
  const notFound = `the server could not find the metric ${r.metric} for namespaces`;
  if (!entry) {
    if (shouldForward(ctx, gv, r.metric)) return { kind: "forward", reason: "metric not served locally" };
    const why = !ctx.relisted
      ? "discovery has not finished its first relist yet"
      : ctx.config.externalRules.length === 0
        ? "the config has no externalRules"
        : "no external rule discovered it (see `tidescale rules test`)";
    return fail(404, `${notFound}: ${why}`);
  }
  const rule = ruleById(ctx.config, entry.ruleId) as CompiledRule | undefined;
  if (!rule) return fail(404, `${notFound}: its rule ${entry.ruleId} is no longer in the config`);
  if (rule.metricsQuery === undefined) return fail(404, `${notFound}: ${noMetricsQuery(rule.id)}`);
  const built = buildExternalQuery({
    rule,
    seriesName: entry.seriesName,
    namespace: r.namespace,
    selector: sel.requirements,
  });
  if (!built.ok) {
    const { code, message } = built.error;
    return fail(
      httpStatusFor(code),
      code === "INVALID_INPUT" ? message : `Internal error occurred: ${message}`,
    );
  }
  let res: InstantResult;
  try {
    res = await ctx.prometheus.query(built.value, ctx.nowMs / 1000);
  } catch (e) {
    const vec = await Promise.resolve(
      errorResponse(e, `unable to fetch metrics: ${rule.id} query ${built.value}`),
    );
    return vec;
  }
  if (res.resultType !== "scalar" && res.resultType !== "vector")
    return fail(500, `Internal error occurred: ${rule.id} query ${built.value} returned a ${res.resultType}`);
  const samples =
    res.resultType === "scalar"
      ? [{ metric: null, value: res.result }]
      : res.result.map((s) => ({ metric: s.metric as Record<string, string> | null, value: s.value }));
  const items: Parameters<typeof externalMetricValueList>[0][number][] = [];
  for (const s of samples) {
    const v = parseSampleValue(s.value[1]);
    if (!v.ok) {
      const series = s.metric === null ? "scalar" : JSON.stringify(s.metric);
      ctx.warn?.(
        { rule: rule.id, metric: r.metric, query: built.value, series },
        `external metric ${v.error}`,
      );
      return fail(
        404,
        `${notFound}: ${rule.id} query ${built.value} returned ${v.error} for ${series} (a non-finite value is a missing metric, never served)`,
      );
    }
    items.push({
      metricName: r.metric,
      metricLabels: s.metric,
      timestampMs: s.value[0] * 1000,
      value: v.value,
    });
  }
  return json(200, externalMetricValueList(items));
}

/** `tidescale_prediction` / `tidescale_cron`, answered from the watch cache (no query). */
function predictionMetric(
  r: Extract<Route, { t: "external" }>,
  sel: Selector,
  source: PredictionSource,
  nowMs: number,
): ApiResponse {
  const a = source.answer(r.metric, r.namespace, sel, nowMs);
  if (!a.ok) return fail(a.error.code, a.error.message);
  return json(
    200,
    externalMetricValueList([
      { metricName: r.metric, metricLabels: a.value.labels, timestampMs: nowMs, value: a.value.value },
    ]),
  );
}

// ---------- resource metrics ----------

/** The config's resourceRules, or the answer when it has none: forward to the remote adapter, else 404. */
function resourceRulesOr(
  ctx: HandlerContext,
  resource: "nodes" | "pods",
): NonNullable<HandlerContext["config"]["resourceRules"]> | ApiResponse {
  const rr = ctx.config.resourceRules;
  if (rr) return rr;
  if (shouldForward(ctx, `${RESOURCE_GROUP}/v1beta1`, resource))
    return { kind: "forward", reason: "no resourceRules" };
  return fail(404, "resource metrics are not configured (the config has no resourceRules)");
}

/** Runs the resourceRules' cpu and memory queries together; the first failure is the answer. */
async function runCpuAndMemory(
  ctx: HandlerContext,
  cpuQuery: string,
  memQuery: string,
): Promise<[Sample[], Sample[]] | ApiResponse> {
  const [cpu, mem] = await Promise.all([
    runVector(ctx, "resourceRules.cpu", cpuQuery),
    runVector(ctx, "resourceRules.memory", memQuery),
  ]);
  if (isResponse(cpu)) return cpu;
  if (isResponse(mem)) return mem;
  return [cpu, mem];
}

async function nodeUsage(
  r: Extract<Route, { t: "nodes" }>,
  q: URLSearchParams,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const rr = resourceRulesOr(ctx, "nodes");
  if (isResponse(rr)) return rr;
  const sel = parseSelectorParam(q, "labelSelector");
  if (isResponse(sel)) return sel;
  let names: string[] | undefined;
  if (r.name !== undefined) names = [r.name];
  else if (ctx.lister) {
    names = (await ctx.lister.list(lookupResource("nodes")!, undefined, q.get("labelSelector") ?? "")).map(
      (o) => o.name,
    );
    if (names.length === 0) return json(200, nodeMetricsList([], ctx.nowMs));
  } else if (sel.requirements.length > 0) {
    return fail(
      400,
      "labelSelector on node metrics needs a Kubernetes API to list nodes (--lister-kubeconfig)",
    );
  }
  const cpuQ = buildNodeResourceQuery(rr.cpu, "cpu", names);
  const memQ = buildNodeResourceQuery(rr.memory, "memory", names);
  if (!cpuQ.ok || !memQ.ok)
    return fail(500, `Internal error occurred: ${!cpuQ.ok ? cpuQ.error : !memQ.ok ? memQ.error : ""}`);
  const both = await runCpuAndMemory(ctx, cpuQ.value.query, memQ.value.query);
  if (isResponse(both)) return both;
  const [cpu, mem] = both;
  const { nodes, skipped } = assembleNodes(cpu, mem, cpuQ.value.nodeLabel);
  if (skipped.length > 0) ctx.warn?.({ skipped }, "nodes skipped in resource metrics");
  const inputs = nodes.map((n) => ({
    name: n.name,
    timestampMs: n.timestampMs,
    windowMs: rr.windowMs,
    usage: { cpu: n.cpu, memory: n.memory },
  }));
  if (r.name !== undefined) {
    const one = inputs.find((n) => n.name === r.name);
    if (!one)
      return fail(404, `nodemetrics.metrics.k8s.io "${r.name}" not found${whySkipped(skipped, r.name)}`);
    return json(200, nodeMetrics(one, ctx.nowMs));
  }
  const order = names ?? inputs.map((n) => n.name);
  const byName = new Map(inputs.map((n) => [n.name, n]));
  return json(
    200,
    nodeMetricsList(
      order.flatMap((n) => (byName.has(n) ? [byName.get(n)!] : [])),
      ctx.nowMs,
    ),
  );
}

async function podUsage(
  r: Extract<Route, { t: "pods" }>,
  q: URLSearchParams,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const rr = resourceRulesOr(ctx, "pods");
  if (isResponse(rr)) return rr;
  const sel = parseSelectorParam(q, "labelSelector");
  if (isResponse(sel)) return sel;
  let names: string[] | undefined;
  if (r.name !== undefined) names = [r.name];
  else if (ctx.lister) {
    const objs = await ctx.lister.list(lookupResource("pods")!, r.namespace, q.get("labelSelector") ?? "", {
      runningPodsOnly: true,
    });
    if (objs.length === 0) return json(200, podMetricsList([], ctx.nowMs));
    if (r.namespace === undefined) {
      // All namespaces: one query per namespace, as upstream.
      const byNs = new Map<string, string[]>();
      for (const o of objs) byNs.set(o.namespace, [...(byNs.get(o.namespace) ?? []), o.name]);
      const parts = await Promise.all([...byNs].map(([ns, ns_names]) => podsIn(ctx, ns, ns_names)));
      const items = [];
      for (const p of parts) {
        if (isResponse(p)) return p;
        items.push(...p.items);
      }
      return json(200, podMetricsList(items, ctx.nowMs));
    }
    names = objs.map((o) => o.name);
  } else if (sel.requirements.length > 0) {
    return fail(
      400,
      "labelSelector on pod metrics needs a Kubernetes API to list pods (--lister-kubeconfig)",
    );
  }
  const got = await podsIn(ctx, r.namespace, names);
  if (isResponse(got)) return got;
  if (r.name !== undefined) {
    const one = got.items.find((p) => p.name === r.name);
    if (!one)
      return fail(
        404,
        `podmetrics.metrics.k8s.io "${r.namespace}/${r.name}" not found${whySkipped(got.skipped, `${r.namespace}/${r.name}`)}`,
      );
    return json(200, podMetrics(one, ctx.nowMs));
  }
  return json(200, podMetricsList(got.items, ctx.nowMs));
}

async function podsIn(
  ctx: HandlerContext,
  namespace: string | undefined,
  names: string[] | undefined,
): Promise<
  | {
      items: Array<{
        namespace: string;
        name: string;
        timestampMs: number;
        windowMs: number;
        containers: Array<{ name: string; usage: { cpu: number; memory: number } }>;
      }>;
      /** `ns/name: reason` of the pods left out. */
      skipped: string[];
    }
  | ApiResponse
> {
  const rr = ctx.config.resourceRules!;
  const cpuQ = buildPodResourceQuery(rr.cpu, "cpu", namespace, names);
  const memQ = buildPodResourceQuery(rr.memory, "memory", namespace, names);
  if (!cpuQ.ok || !memQ.ok)
    return fail(500, `Internal error occurred: ${!cpuQ.ok ? cpuQ.error : !memQ.ok ? memQ.error : ""}`);
  const both = await runCpuAndMemory(ctx, cpuQ.value.query, memQ.value.query);
  if (isResponse(both)) return both;
  const [cpu, mem] = both;
  const { pods, skipped } = assemblePods(cpu, mem, {
    pod: cpuQ.value.podLabel,
    container: rr.cpu.containerLabel,
    namespace: namespace === undefined ? cpuQ.value.namespaceLabel : undefined,
    defaultNamespace: namespace ?? "",
  });
  if (skipped.length > 0) ctx.warn?.({ skipped }, "pods skipped in resource metrics");
  const order = names ? new Map(names.map((n, i) => [n, i])) : undefined;
  const sorted = order ? [...pods].sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0)) : pods;
  const items = sorted.map((p) => ({
    namespace: p.namespace,
    name: p.name,
    timestampMs: p.timestampMs,
    windowMs: rr.windowMs,
    containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
  }));
  return { items, skipped };
}

/** `: <reason>` when `key` (`name` or `ns/name`) was skipped with one (a missing half, a non-finite value). */
function whySkipped(skipped: readonly string[], key: string): string {
  const hit = skipped.find((s) => s.startsWith(`${key}: `));
  return hit === undefined ? "" : `: ${hit.slice(key.length + 2)}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
