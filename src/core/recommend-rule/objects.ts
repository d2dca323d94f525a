/**
 * The Recommendation objects a rule wants, and what to do about the ones that exist:
 *
 * - one per (target, recommender), named `<rule>-<kind>-<workload>-<type>` (lowercase; cut and suffixed
 *   with a hash when longer than a name may be), so a rerun finds the same object;
 * - owned by the rule (a controller owner reference: deleting the rule garbage-collects them) and
 *   labelled with the rule, its uid, the target kind and name, and the type;
 * - the plan creates the missing, updates an existing one only when its spec, labels or owner
 *   reference differ, and deletes the ones the rule owns but no longer wants (the selector stopped
 *   matching, the workload is gone, the recommender was removed).
 */
import { managedMetaPresent } from "../ehpa/managed-hpa.js";
import { DNS1123_SUBDOMAIN_MAX } from "../labels/names.js";
import {
  ANALYSIS_API_VERSION,
  type DesiredRecommendation,
  LABELS,
  MANAGED_BY,
  type ObservedRecommendation,
  RECOMMENDATION_KIND,
  type RecommenderType,
  RULE_KIND,
  type RuleMeta,
  type Target,
} from "./types.js";

const LABEL_VALUE_MAX = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** FNV-1a (32 bit) as 8 hex digits: a short stable suffix for names that had to be cut. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** The stable object name of the `type` Recommendation of `target` under rule `rule`. */
export function recommendationName(rule: string, target: Target, type: RecommenderType): string {
  const full = `${rule}-${target.kind}-${target.name}-${type}`.toLowerCase();
  if (full.length <= DNS1123_SUBDOMAIN_MAX) return full;
  const head = full.slice(0, DNS1123_SUBDOMAIN_MAX - 9).replace(/[^a-z0-9]+$/, "");
  return `${head}-${shortHash(full)}`;
}

function labelValue(v: string): string | undefined {
  return v.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(v) ? v : undefined;
}

function recommendationLabels(rule: RuleMeta, target: Target, type: RecommenderType): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.ruleUid]: rule.uid,
    [LABELS.targetKind]: target.kind,
    [LABELS.type]: type,
  };
  const ruleName = labelValue(rule.name);
  if (ruleName) labels[LABELS.rule] = ruleName;
  const targetName = labelValue(target.name);
  if (targetName) labels[LABELS.targetName] = targetName;
  return labels;
}

export function ownerReference(rule: RuleMeta) {
  return {
    apiVersion: ANALYSIS_API_VERSION,
    kind: RULE_KIND,
    name: rule.name,
    uid: rule.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** One desired Recommendation per target and recommender, in target order then recommender order. */
export function desiredRecommendations(
  rule: RuleMeta,
  targets: readonly Target[],
  types: readonly RecommenderType[],
): DesiredRecommendation[] {
  return targets.flatMap((t) =>
    types.map((type) => ({
      apiVersion: ANALYSIS_API_VERSION,
      kind: RECOMMENDATION_KIND,
      metadata: {
        name: recommendationName(rule.name, t, type),
        namespace: t.namespace,
        labels: recommendationLabels(rule, t, type),
        ownerReferences: [ownerReference(rule)],
      },
      spec: {
        targetRef: { apiVersion: t.apiVersion, kind: t.kind, name: t.name, namespace: t.namespace },
        type,
      },
    })),
  );
}

/** Whether `o` is controlled by the rule with `uid`. */
export function ownedBy(o: ObservedRecommendation, uid: string): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.controller === true);
}

export interface RecommendationPlan {
  create: DesiredRecommendation[];
  /** Existing objects whose spec, labels or owner reference differ from the desired ones. */
  update: { desired: DesiredRecommendation; observed: ObservedRecommendation }[];
  unchanged: { desired: DesiredRecommendation; observed: ObservedRecommendation }[];
  /** Owned by the rule, no longer wanted. */
  delete: { namespace: string; name: string }[];
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

function specEqual(d: DesiredRecommendation, observed: unknown): boolean {
  const o = observed as { type?: unknown; targetRef?: Record<string, unknown> } | undefined;
  const ref = o?.targetRef;
  return (
    o?.type === d.spec.type &&
    ref !== undefined &&
    (["apiVersion", "kind", "name", "namespace"] as const).every((k) => ref[k] === d.spec.targetRef[k])
  );
}

function differs(d: DesiredRecommendation, o: ObservedRecommendation): boolean {
  return !specEqual(d, o.spec) || !managedMetaPresent(d.metadata, o.metadata);
}

/**
 * The plan for `desired` against `existing` (all Recommendations in the cache; only those owned by the
 * rule `ruleUid` can be deleted). An existing object of a desired name that another owner controls is
 * left alone and reported as a conflict by the caller (it is neither updated nor deleted).
 */
export function planRecommendations(
  ruleUid: string,
  desired: readonly DesiredRecommendation[],
  existing: readonly ObservedRecommendation[],
): RecommendationPlan & { conflicts: DesiredRecommendation[] } {
  const byKey = new Map(existing.map((o) => [keyOf(o.metadata.namespace, o.metadata.name), o]));
  const wanted = new Set<string>();
  const plan: RecommendationPlan & { conflicts: DesiredRecommendation[] } = {
    create: [],
    update: [],
    unchanged: [],
    delete: [],
    conflicts: [],
  };
  for (const d of desired) {
    const key = keyOf(d.metadata.namespace, d.metadata.name);
    wanted.add(key);
    const o = byKey.get(key);
    if (!o) plan.create.push(d);
    else if ((o.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid !== ruleUid))
      plan.conflicts.push(d);
    else if (differs(d, o)) plan.update.push({ desired: d, observed: o });
    else plan.unchanged.push({ desired: d, observed: o });
  }
  for (const o of existing) {
    const key = keyOf(o.metadata.namespace, o.metadata.name);
    if (!wanted.has(key) && ownedBy(o, ruleUid) && !o.metadata.deletionTimestamp)
      plan.delete.push({ namespace: o.metadata.namespace ?? "", name: o.metadata.name });
  }
  return plan;
}
