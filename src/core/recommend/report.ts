/**
 * Output of the recommendations, pure: the text report (tables per workload), the JSON document and the
 * objects of the YAML output — a Deployment/StatefulSet carrying only the containers' resources (a partial
 * object that `kubectl apply` and `kubectl patch --patch-file` merge by container name) and the HPA.
 */
import { formatTable } from "../sim/kubectl-format.js";
import { formatResource } from "./requests.js";
import { spanText } from "./series.js";
import type {
  Abstention,
  HpaProposal,
  HpaRecommendation,
  ReplayResult,
  ResourceRecommendation,
  WorkloadRecommendation,
} from "./types.js";

export const RECOMMENDATION_JSON_VERSION = "tidescale.recommendation/v1";

const refText = (r: WorkloadRecommendation) =>
  `${r.workload.kind.toLowerCase()}/${r.workload.name} (namespace ${r.workload.namespace})`;

function cell(res: "cpu" | "memory", v: number | undefined): string {
  return v === undefined ? "-" : formatResource(res, v);
}

function resourceRow(container: string, res: "cpu" | "memory", r: ResourceRecommendation): string[] {
  if (r.abstain) return [container, res, "-", "-", "-", `abstains (${r.reason}): ${r.message}`];
  return [
    container,
    res,
    `${cell(res, r.currentRequest)}${r.currentLimit !== undefined ? ` / ${cell(res, r.currentLimit)}` : ""}`,
    `${cell(res, r.request)}${r.limit !== undefined ? ` / ${cell(res, r.limit)}` : ""}`,
    cell(res, r.crane),
    r.evidence.method,
  ];
}

function replayText(r: ReplayResult): string {
  return `${r.underProvisionedMinutes.toFixed(1)} under-provisioned min, ${r.podHours.toFixed(1)} pod-hours, peak ${r.peakReplicas}`;
}

function targetText(p: HpaProposal, cpu: boolean): string {
  return `min ${p.minReplicas}, max ${p.maxReplicas}, target ${p.target}${cpu ? " % CPU" : " per pod"}`;
}

const abstained = (what: string, a: Abstention) => `  ${what}: abstains (${a.reason}): ${a.message}\n`;

/** The HPA lines of the text report. */
export function hpaText(h: HpaRecommendation, cpu = true): string {
  if (h.abstain) return abstained("hpa", h);
  const rows = [
    ["", "SETTINGS", "REPLAY"],
    ["recommended", targetText(h.recommended, cpu), replayText(h.recommended.replay)],
    ["current", h.current.description, replayText(h.current.replay)],
  ];
  if (h.crane) rows.push(["crane", targetText(h.crane, cpu), replayText(h.crane.replay)]);
  const table = formatTable(rows)
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => `    ${l}`)
    .join("\n");
  return (
    `  hpa (sized on ${spanText(h.evidence.coveredMs)} of history, replayed through the simulator):\n${table}\n` +
    `    verdict: ${h.verdict}\n    how: ${h.evidence.method}\n`
  );
}

/** The text report of one workload. */
export function workloadText(r: WorkloadRecommendation): string {
  let out = `${refText(r)}\n`;
  const rows = [["  CONTAINER", "RESOURCE", "CURRENT", "RECOMMENDED", "CRANE", "HOW"]];
  for (const c of r.containers) {
    rows.push(resourceRow(`  ${c.container}`, "cpu", c.cpu));
    rows.push(resourceRow(`  ${c.container}`, "memory", c.memory));
  }
  out += formatTable(rows);
  const rp = r.replicas;
  out += rp.abstain
    ? abstained("replicas", rp)
    : `  replicas: ${rp.current} now; recommended ${rp.replicas} (min ${rp.min}, max ${rp.max} over the window); crane ${rp.crane}\n`;
  out += hpaText(r.hpa);
  return out;
}

/** The whole text report. */
export function recommendationsText(rs: readonly WorkloadRecommendation[]): string {
  return rs.map(workloadText).join("\n");
}

/** The JSON document (`-o json`). */
export function recommendationsJson(rs: readonly WorkloadRecommendation[]): Record<string, unknown> {
  return { apiVersion: RECOMMENDATION_JSON_VERSION, items: rs };
}

function resources(
  cpu: ResourceRecommendation,
  memory: ResourceRecommendation,
): Record<string, Record<string, string>> | undefined {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (!cpu.abstain) {
    requests.cpu = formatResource("cpu", cpu.request);
    if (cpu.limit !== undefined) limits.cpu = formatResource("cpu", cpu.limit);
  }
  if (!memory.abstain) {
    requests.memory = formatResource("memory", memory.request);
    if (memory.limit !== undefined) limits.memory = formatResource("memory", memory.limit);
  }
  if (Object.keys(requests).length === 0) return undefined;
  return Object.keys(limits).length > 0 ? { requests, limits } : { requests };
}

/** The objects of the YAML output, each with a comment line (what it is, and the replay verdict). */
export function patchDocuments(
  r: WorkloadRecommendation,
): { readonly comment: string; readonly object: Record<string, unknown> }[] {
  const out: { comment: string; object: Record<string, unknown> }[] = [];
  const containers = r.containers.flatMap((c) => {
    const res = resources(c.cpu, c.memory);
    return res ? [{ name: c.container, resources: res }] : [];
  });
  const w = r.workload;
  if (containers.length > 0)
    out.push({
      comment: `resource requests for ${refText(r)} (containers merged by name)`,
      object: {
        apiVersion: w.apiVersion,
        kind: w.kind,
        metadata: { name: w.name, namespace: w.namespace },
        spec: { template: { spec: { containers } } },
      },
    });
  if (!r.hpa.abstain)
    out.push({
      comment: `HPA for ${refText(r)}: replay verdict: ${r.hpa.verdict}`,
      object: r.hpa.recommended.object,
    });
  return out;
}
