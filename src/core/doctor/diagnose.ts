/**
 * `tidescale doctor`'s pure part: the snapshot decoded from API objects, all rules in the order data
 * flows (APIServices, the adapter, Prometheus, the adapter's rules, each HPA, predictive autoscaling),
 * and the human text.
 */
import { type AdapterReadiness, checkDiscovery, checkReadiness, type MetricsApiRead } from "./adapter.js";
import { type ApiServiceSnapshot, checkApiServices } from "./apiservices.js";
import { checkEhpa, checkTsp, type EhpaSnapshot, type TspSnapshot } from "./ehpa.js";
import type { Condition, Finding } from "./finding.js";
import { checkHpa, type HpaSnapshot, type ServedMetrics } from "./hpa.js";
import { checkPrometheus, type PrometheusSnapshot } from "./prometheus.js";
import { checkRules, type RulesSnapshot } from "./rules.js";

export interface DoctorSnapshot {
  /** kube-apiserver's URL (to recognise Prometheus targets on the Kubernetes API). */
  kubeServer?: string | undefined;
  apiServices: ApiServiceSnapshot[];
  /** The discovery document of each registered metrics API group-version, read through kube-apiserver. */
  discovery: MetricsApiRead[];
  /** The adapters' `/readyz` read through the service proxy (where the Service has endpoints). */
  readiness: AdapterReadiness[];
  hpas: HpaSnapshot[];
  /** Set when `--prometheus-url` was given. */
  prometheus?: PrometheusSnapshot | undefined;
  /** Set when `--rules` (or `--rules-configmap`) was given with `--prometheus-url`. */
  rules?: RulesSnapshot | undefined;
  /** Set when the EHPA CRDs are installed. */
  ehpas?: EhpaSnapshot[] | undefined;
  tsps?: TspSnapshot[] | undefined;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** The conditions of an object's status. */
export function conditions(status: unknown): Condition[] {
  const s = obj(status);
  const list = Array.isArray(s.conditions) ? s.conditions : [];
  return list.map((c) => {
    const o = obj(c);
    return { type: str(o.type), status: str(o.status), reason: str(o.reason), message: str(o.message) };
  });
}

/** An apiregistration.k8s.io/v1 APIService as the rules see it. */
export function apiServiceFromObject(o: unknown): ApiServiceSnapshot {
  const a = obj(o);
  const spec = obj(a.spec);
  const svc = spec.service ? obj(spec.service) : undefined;
  return {
    name: str(obj(a.metadata).name),
    group: str(spec.group),
    version: str(spec.version),
    service: svc ? { namespace: str(svc.namespace), name: str(svc.name), port: num(svc.port) } : undefined,
    conditions: conditions(a.status),
  };
}

/** How long a Warning event counts after its last occurrence (the controller repeats it while the problem lasts). */
export const EVENT_WINDOW_MS = 15 * 60_000;

function eventTime(e: Obj): number {
  const t =
    str(e.lastTimestamp) || str(e.eventTime) || str(obj(e.series).lastObservedTime) || str(e.firstTimestamp);
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : 0;
}

/** The condition type whose True state supersedes an event reason (older events report a past problem). */
function supersededBy(reason: string): string | undefined {
  if (reason === "FailedGetScale") return "AbleToScale";
  if (/^FailedGet.*Metric$|Selector/.test(reason)) return "ScalingActive";
  return undefined;
}

/** When each condition type last became True (ms), from the raw status. */
function trueSince(status: Obj): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of Array.isArray(status.conditions) ? status.conditions.map(obj) : []) {
    const t = Date.parse(str(c.lastTransitionTime));
    if (str(c.status) === "True" && Number.isFinite(t)) out.set(str(c.type), t);
  }
  return out;
}

/**
 * The Warning events that still say something: within {@link EVENT_WINDOW_MS} of `nowMs`, and not older
 * than the moment the condition they concern became True (a metric failing while another metric is valid
 * keeps ScalingActive=True and shows only in events, newer than that moment).
 */
function currentWarnings(events: readonly unknown[], status: Obj, nowMs: number) {
  const since = trueSince(status);
  return events.map(obj).filter((e) => {
    if (str(e.type) !== "Warning") return false;
    const t = eventTime(e);
    if (nowMs - t > EVENT_WINDOW_MS) return false;
    const type = supersededBy(str(e.reason));
    const okSince = type ? since.get(type) : undefined;
    return okSince === undefined || t > okSince;
  });
}

/** An autoscaling/v2 (or v2beta2) HPA and its current Warning events as the rules see them. */
export function hpaFromObject(o: unknown, events: readonly unknown[], nowMs: number): HpaSnapshot {
  const h = obj(o);
  const meta = obj(h.metadata);
  const spec = obj(h.spec);
  const status = obj(h.status);
  const ref = obj(spec.scaleTargetRef);
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    scaleTargetRef: { kind: str(ref.kind), name: str(ref.name) },
    minReplicas: num(spec.minReplicas) ?? 1,
    maxReplicas: num(spec.maxReplicas),
    currentReplicas: num(status.currentReplicas),
    desiredReplicas: num(status.desiredReplicas),
    conditions: conditions(status),
    events: currentWarnings(events, status, nowMs).map((e) => ({
      reason: str(e.reason),
      message: str(e.message),
    })),
  };
}

/** True when the HPA has a Resource or ContainerResource metric (its pods' requests matter). */
export function hasResourceMetric(o: unknown): boolean {
  const metrics = obj(obj(o).spec).metrics;
  return Array.isArray(metrics) && metrics.some((m) => /Resource$/.test(str(obj(m).type)));
}

/** Containers of `pods` (a PodList's items) without a cpu or memory request. */
export function missingRequests(pods: readonly unknown[]): HpaSnapshot["missingRequests"] {
  const out: NonNullable<HpaSnapshot["missingRequests"]> = [];
  for (const p of pods.map(obj)) {
    if (obj(p.metadata).deletionTimestamp) continue;
    const containers = Array.isArray(obj(p.spec).containers) ? (obj(p.spec).containers as unknown[]) : [];
    for (const c of containers.map(obj)) {
      const requests = obj(obj(c.resources).requests);
      const resources = ["cpu", "memory"].filter((r) => requests[r] === undefined);
      if (resources.length) out.push({ pod: str(obj(p.metadata).name), container: str(c.name), resources });
    }
  }
  return out;
}

/** The metric names of a metrics API discovery document (`pods/http_requests_qps` -> `http_requests_qps`). */
export function servedNames(discovery: unknown): string[] {
  const resources = Array.isArray(obj(discovery).resources) ? (obj(discovery).resources as unknown[]) : [];
  const names = resources.map((r) => str(obj(r).name)).map((n) => n.slice(n.lastIndexOf("/") + 1));
  return [...new Set(names.filter((n) => n !== ""))].sort();
}

/**
 * The names each metrics API serves: from its readable discovery documents; `[]` when no APIService
 * serves the group; undefined when one is registered but none of its documents could be read (the
 * APIService or adapter finding says why).
 */
export function servedMetrics(s: Pick<DoctorSnapshot, "apiServices" | "discovery">): ServedMetrics {
  const names = (group: string): string[] | undefined => {
    if (!s.apiServices.some((a) => a.group === group)) return [];
    const ok = s.discovery.filter((r) => r.group === group && r.status === 200);
    return ok.length ? [...new Set(ok.flatMap((r) => r.names))].sort() : undefined;
  };
  const resourceRegistered = s.apiServices.some((a) => a.group === "metrics.k8s.io");
  return {
    custom: names("custom.metrics.k8s.io"),
    external: names("external.metrics.k8s.io"),
    resource: resourceRegistered
      ? s.discovery.some((r) => r.group === "metrics.k8s.io" && r.status === 200)
      : undefined,
  };
}

/** Every finding, in the order data flows. */
export function diagnose(s: DoctorSnapshot): Finding[] {
  const findings = checkApiServices(s.apiServices);
  findings.push(...checkDiscovery(s.apiServices, s.discovery), ...checkReadiness(s.readiness));
  if (s.prometheus) findings.push(...checkPrometheus(s.prometheus, s.kubeServer));
  if (s.rules) findings.push(...checkRules(s.rules));
  const served = servedMetrics(s);
  for (const h of s.hpas) findings.push(...checkHpa(h, served));
  for (const e of s.ehpas ?? []) findings.push(...checkEhpa(e));
  for (const t of s.tsps ?? []) findings.push(...checkTsp(t));
  return findings;
}

/** Who serves each metrics API group-version and what it lists (the JSON output's `served`). */
export interface ServedEntry {
  apiService: string;
  /** `namespace/name` of the Service, or `(local)` for a built-in API. */
  service: string;
  available: boolean;
  /** The metric names its discovery lists; undefined when it could not be read. */
  metrics?: string[] | undefined;
}

export function servedSummary(s: Pick<DoctorSnapshot, "apiServices" | "discovery">): ServedEntry[] {
  return s.apiServices.map((a) => {
    const read = s.discovery.find((r) => r.group === a.group && r.version === a.version);
    return {
      apiService: a.name,
      service: a.service ? `${a.service.namespace}/${a.service.name}` : "(local)",
      available: a.conditions.some((c) => c.type === "Available" && c.status === "True"),
      metrics: read?.status === 200 ? read.names : undefined,
    };
  });
}

/** What was checked, for the summary line: `3 metrics APIServices, 12 custom metrics served, 1 HPA, ...`. */
export function describeChecked(s: DoctorSnapshot): string {
  const served = servedMetrics(s);
  const parts = [`${s.apiServices.length} metrics APIServices`];
  if (served.custom?.length) parts.push(`${served.custom.length} custom metrics served`);
  if (served.external?.length) parts.push(`${served.external.length} external metrics served`);
  parts.push(`${s.hpas.length} HPAs`);
  if (s.prometheus)
    parts.push(s.prometheus.targets ? `Prometheus (${s.prometheus.targets.length} targets)` : "Prometheus");
  if (s.rules) parts.push(`${s.rules.diagnostics.length} rules`);
  if (s.ehpas) parts.push(`${s.ehpas.length} EHPAs`);
  return parts.join(", ");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The human text: one block per finding (notes marked), then the summary, or the healthy line. */
export function renderFindings(findings: readonly Finding[], checked: string): string {
  const errors = findings.filter((f) => f.severity === "error").length;
  const notes = findings.length - errors;
  const blocks = findings.map(
    (f) =>
      `${f.object}: ${f.severity === "info" ? "note " : ""}${f.id}\n  seen: ${f.seen}\n  why:  ${f.why}\n  fix:  ${f.fix}\n`,
  );
  const noted = notes ? `, ${plural(notes, "note")}` : "";
  if (errors === 0) return `${blocks.map((b) => `${b}\n`).join("")}healthy${noted}: ${checked}\n`;
  return `${blocks.join("\n")}\n${plural(errors, "finding")}${noted} (${checked})\n`;
}
