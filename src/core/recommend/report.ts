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

/** Annotations the apiserver or kubectl maintain: not part of what a user applies. */
const SERVER_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "deployment.kubernetes.io/revision",
];

/** The workload object as read, reduced to what one applies, with the containers' resources replaced. */
function fullObject(
  object: Record<string, unknown>,
  resourcesByContainer: ReadonlyMap<string, Record<string, Record<string, string>>>,
): Record<string, unknown> {
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  const annotations = { ...((meta.annotations ?? {}) as Record<string, string>) };
  for (const a of SERVER_ANNOTATIONS) delete annotations[a];
  const spec = structuredClone(object.spec ?? {}) as {
    template?: { spec?: { containers?: Record<string, unknown>[] } };
  };
  for (const c of spec.template?.spec?.containers ?? []) {
    const res = resourcesByContainer.get(String(c.name));
    if (res) c.resources = { ...((c.resources ?? {}) as object), ...res };
  }
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec,
  };
}

/** Where the YAML objects come from: the workload as read (else a partial object) and the served HPA version. */
export interface PatchContext {
  readonly object?: Record<string, unknown>;
  readonly hpaApiVersion?: string;
}

/**
 * The objects of the YAML output, each with a comment line (what it is, and the replay verdict): the
 * workload with the recommended resources (the whole object as read when given, so that client-side
 * validation of `kubectl apply` finds every required field; else only the containers' resources, which
 * `kubectl patch --patch-file` merges by container name), and the HPA.
 */
export function patchDocuments(
  r: WorkloadRecommendation,
  ctx: PatchContext = {},
): { readonly comment: string; readonly object: Record<string, unknown> }[] {
  const out: { comment: string; object: Record<string, unknown> }[] = [];
  const byName = new Map<string, Record<string, Record<string, string>>>();
  for (const c of r.containers) {
    const res = resources(c.cpu, c.memory);
    if (res) byName.set(c.container, res);
  }
  const w = r.workload;
  if (byName.size > 0)
    out.push({
      comment: `resource requests for ${refText(r)}`,
      object: ctx.object
        ? fullObject(ctx.object, byName)
        : {
            apiVersion: w.apiVersion,
            kind: w.kind,
            metadata: { name: w.name, namespace: w.namespace },
            spec: {
              template: {
                spec: { containers: [...byName].map(([name, resources]) => ({ name, resources })) },
              },
            },
          },
    });
  if (!r.hpa.abstain)
    out.push({
      comment: `HPA for ${refText(r)}: replay verdict: ${r.hpa.verdict}`,
      object: { ...r.hpa.recommended.object, apiVersion: ctx.hpaApiVersion ?? "autoscaling/v2" },
    });
  return out;
}
