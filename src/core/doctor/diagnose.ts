/**
 * `tidescale doctor`'s pure part: the snapshot decoded from API objects, all rules in the order data
 * flows (APIServices, Prometheus, then each HPA), and the human text.
 */
import { type ApiServiceSnapshot, checkApiServices } from "./apiservices.js";
import type { Condition, Finding } from "./finding.js";
import { checkHpa, type HpaSnapshot, type ServedMetrics } from "./hpa.js";

export interface DoctorSnapshot {
  apiServices: ApiServiceSnapshot[];
  hpas: HpaSnapshot[];
  served: ServedMetrics;
  /** Set when `--prometheus-url` was given. */
  prometheus?: { url: string; error?: string | undefined } | undefined;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function conditions(status: Obj): Condition[] {
  const list = Array.isArray(status.conditions) ? status.conditions : [];
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
    service: svc
      ? {
          namespace: str(svc.namespace),
          name: str(svc.name),
          port: typeof svc.port === "number" ? svc.port : undefined,
        }
      : undefined,
    conditions: conditions(obj(a.status)),
  };
}

/** An autoscaling/v2 (or v2beta2) HPA and its Warning events as the rules see them. */
export function hpaFromObject(o: unknown, events: readonly unknown[]): HpaSnapshot {
  const h = obj(o);
  const meta = obj(h.metadata);
  const ref = obj(obj(h.spec).scaleTargetRef);
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    scaleTargetRef: { kind: str(ref.kind), name: str(ref.name) },
    conditions: conditions(obj(h.status)),
    events: events
      .map(obj)
      .filter((e) => str(e.type) === "Warning")
      .map((e) => ({ reason: str(e.reason), message: str(e.message) })),
  };
}

/** The metric names of a metrics API discovery document (`pods/http_requests_qps` -> `http_requests_qps`). */
export function servedNames(discovery: unknown): string[] {
  const resources = Array.isArray(obj(discovery).resources) ? (obj(discovery).resources as unknown[]) : [];
  const names = resources.map((r) => str(obj(r).name)).map((n) => n.slice(n.lastIndexOf("/") + 1));
  return [...new Set(names.filter((n) => n !== ""))].sort();
}

/** Every finding, in the order data flows. */
export function diagnose(s: DoctorSnapshot): Finding[] {
  const findings = checkApiServices(s.apiServices);
  if (s.prometheus?.error !== undefined)
    findings.push({
      id: "prometheus.unreachable",
      object: `prometheus ${s.prometheus.url}`,
      seen: s.prometheus.error,
      why: "the adapter's metrics come from this Prometheus; while it does not answer, every metric is missing",
      fix: `curl -s ${s.prometheus.url}/-/ready ; check --prometheus-url and that Prometheus runs`,
    });
  for (const h of s.hpas) findings.push(...checkHpa(h, s.served));
  return findings;
}

/** The human text: one block per finding, or the healthy line. */
export function renderFindings(findings: readonly Finding[], checked: string): string {
  if (findings.length === 0) return `healthy: ${checked}\n`;
  const blocks = findings.map(
    (f) => `${f.object}: ${f.id}\n  seen: ${f.seen}\n  why:  ${f.why}\n  fix:  ${f.fix}\n`,
  );
  return `${blocks.join("\n")}\n${findings.length} finding${findings.length === 1 ? "" : "s"} (${checked})\n`;
}
