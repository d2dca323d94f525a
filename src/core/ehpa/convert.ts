/**
 * Crane EHPA manifest (autoscaling.crane.io/v1alpha1) → tidescale EHPA (autoscaling.tidescale.dev/v1alpha1).
 *
 * What changes: the apiVersion; the metric specs and behavior, which Crane embeds as autoscaling/v2beta2,
 * are written in autoscaling/v2 form (the JSON of MetricSpec and behavior is the same in both, so the
 * fields carry over unchanged); `scaleStrategy: Manual` (Crane's name before Dec 2021) becomes
 * `Preview`; Crane's query annotations `metric-query.autoscaling.crane.io/<id>` become
 * `metric-query.autoscaling.tidescale.dev/<id>`; server-set metadata and status are dropped. A cron
 * without `timezone` ran in the controller's local zone in Crane and runs in UTC here: a note says so.
 * The result is then validated; every problem names its field.
 */
import { err, ok, type Result } from "../errors.js";
import type { FieldProblem } from "./algorithm.js";
import { CRANE_QUERY_ANNOTATION_PREFIX, QUERY_ANNOTATION_PREFIX } from "./identifiers.js";
import { validateEhpa } from "./spec.js";
import { CRANE_EHPA_API_VERSION, EHPA_API_VERSION } from "./types.js";

/** A converted manifest, with notes on what changed in meaning. */
export interface Converted {
  manifest: Record<string, unknown>;
  notes: string[];
}

const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "selfLink",
];

function convertMetadata(md: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...md };
  for (const k of SERVER_METADATA) delete out[k];
  const ann = md.annotations as Record<string, string> | undefined;
  if (ann && typeof ann === "object") {
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries(ann)) {
      if (k.startsWith(CRANE_QUERY_ANNOTATION_PREFIX)) {
        const nk = QUERY_ANNOTATION_PREFIX + k.slice(CRANE_QUERY_ANNOTATION_PREFIX.length);
        next[nk] = v;
        notes.push(`metadata.annotations: ${k} renamed to ${nk}`);
      } else if (k !== "kubectl.kubernetes.io/last-applied-configuration") next[k] = v;
    }
    out.annotations = next;
  }
  return out;
}

function convertSpec(spec: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  if (out.scaleStrategy === "Manual") {
    out.scaleStrategy = "Preview";
    notes.push("spec.scaleStrategy: Manual (Crane's name before Dec 2021) is Preview");
  }
  if (Array.isArray(out.crons))
    out.crons.forEach((c: unknown, i: number) => {
      if (c && typeof c === "object" && (c as { timezone?: unknown }).timezone === undefined)
        notes.push(
          `spec.crons[${i}].timezone: unset; Crane used the controller's local zone, tidescale uses UTC (set it to keep local times)`,
        );
    });
  return out;
}

/**
 * Converts one document. Crane's and our apiVersion are both accepted (ours is only validated).
 * Problems name the field (`apiVersion`, `spec.maxReplicas`, ...).
 */
export function convertCraneEhpa(doc: unknown): Result<Converted, FieldProblem[]> {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    return err([{ field: "(root)", message: "expected an EffectiveHorizontalPodAutoscaler object" }]);
  const o = doc as Record<string, unknown>;
  if (o.kind !== "EffectiveHorizontalPodAutoscaler")
    return err([
      { field: "kind", message: `expected EffectiveHorizontalPodAutoscaler, got ${JSON.stringify(o.kind)}` },
    ]);
  if (o.apiVersion !== CRANE_EHPA_API_VERSION && o.apiVersion !== EHPA_API_VERSION)
    return err([
      {
        field: "apiVersion",
        message: `expected ${CRANE_EHPA_API_VERSION} (or ${EHPA_API_VERSION}), got ${JSON.stringify(o.apiVersion)}`,
      },
    ]);
  const notes: string[] = [];
  const manifest: Record<string, unknown> = { apiVersion: EHPA_API_VERSION, kind: o.kind };
  if (o.metadata && typeof o.metadata === "object")
    manifest.metadata = convertMetadata(o.metadata as Record<string, unknown>, notes);
  else manifest.metadata = o.metadata;
  manifest.spec =
    o.spec && typeof o.spec === "object" ? convertSpec(o.spec as Record<string, unknown>, notes) : o.spec;
  for (const [k, v] of Object.entries(o))
    if (!["apiVersion", "kind", "metadata", "spec", "status"].includes(k)) manifest[k] = v;
  const v = validateEhpa(manifest);
  if (!v.ok) return err(v.error);
  return ok({ manifest, notes });
}
