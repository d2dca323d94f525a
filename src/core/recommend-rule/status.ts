/**
 * Status of a Recommendation from one recommender outcome, and status of the rule after a reconcile.
 *
 * A Recommendation is Ready=True (Recommended) with a value, Ready=False with the recommender's abstain
 * reason (the evidence says why), or Ready=False (RecommendFailed) when the data could not be read; a
 * failure keeps the last values so a Prometheus outage does not erase them.
 * The rule is Ready=False for an invalid spec (InvalidSpec, naming the field), for a Recommendation name
 * another rule controls (NameConflict) and for failed recommenders (RecommendFailed); otherwise
 * Ready=True: Recommended, or NoTargets when nothing matches.
 */
import type { FieldProblem } from "../ehpa/algorithm.js";
import { condition } from "../ehpa/tsp-status.js";
import type { ObjectCondition } from "../ehpa/types.js";
import { RECOMMEND_FAILED } from "./schedule.js";
import type { RecommendationStatus, RuleStatus } from "./types.js";

/** What a recommender produced for one target. */
export type RecommenderOutcome =
  | {
      kind: "recommended";
      /** One-line summaries for the printer columns. */
      recommended: string;
      current: string;
      /** The proposal as a patch of the workload (or the HPA manifest) and the current values. */
      recommendedInfo: unknown;
      currentInfo: unknown;
      evidence: Record<string, unknown>;
    }
  | { kind: "abstained"; reason: string; message: string; evidence: Record<string, unknown> }
  | { kind: "failed"; message: string };

function previousConditions(previous: unknown): ObjectCondition[] | undefined {
  const c = (previous as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as ObjectCondition[]) : undefined;
}

export function recommendationStatus(
  outcome: RecommenderOutcome,
  nowIso: string,
  previous?: unknown,
): RecommendationStatus {
  const prevConditions = previousConditions(previous);
  if (outcome.kind === "recommended") {
    const recommendedInfo = JSON.stringify(outcome.recommendedInfo);
    const currentInfo = JSON.stringify(outcome.currentInfo);
    return {
      recommended: outcome.recommended,
      current: outcome.current,
      recommendedInfo,
      currentInfo,
      action: outcome.recommended === outcome.current ? "None" : "Patch",
      evidence: outcome.evidence,
      lastUpdateTime: nowIso,
      conditions: [
        condition("Ready", "True", "Recommended", "the recommendation is up to date", nowIso, prevConditions),
      ],
    };
  }
  if (outcome.kind === "abstained")
    return {
      action: "None",
      evidence: outcome.evidence,
      lastUpdateTime: nowIso,
      conditions: [condition("Ready", "False", outcome.reason, outcome.message, nowIso, prevConditions)],
    };
  const kept = { ...((previous ?? {}) as Partial<RecommendationStatus>) };
  return {
    ...kept,
    lastUpdateTime: nowIso,
    conditions: [condition("Ready", "False", RECOMMEND_FAILED, outcome.message, nowIso, prevConditions)],
  };
}

export interface RuleReconcileSummary {
  generation?: number;
  /** Validation problems of the spec (nothing else is done then). */
  problems?: readonly FieldProblem[];
  targets: number;
  recommendations: number;
  /** `namespace/name` of desired Recommendations another owner controls. */
  conflicts: readonly string[];
  /** Whether the recommenders ran in this reconcile (advances lastUpdateTime). */
  ran: boolean;
  failed: number;
  abstained: number;
  /** The first failure's message, for the condition. */
  firstFailure?: string;
}

function readyCondition(s: RuleReconcileSummary): [ObjectCondition["status"], string, string] {
  if (s.problems && s.problems.length > 0)
    return ["False", "InvalidSpec", s.problems.map((p) => `${p.field}: ${p.message}`).join("; ")];
  if (s.conflicts.length > 0)
    return [
      "False",
      "NameConflict",
      `another owner controls ${s.conflicts.slice(0, 3).join(", ")}${s.conflicts.length > 3 ? ", ..." : ""}`,
    ];
  if (s.failed > 0)
    return [
      "False",
      RECOMMEND_FAILED,
      `${s.failed} of ${s.recommendations} recommendations failed: ${s.firstFailure ?? "unknown error"}`,
    ];
  if (s.targets === 0) return ["True", "NoTargets", "no workload matches the selectors"];
  return [
    "True",
    "Recommended",
    `${s.recommendations} recommendations for ${s.targets} workloads` +
      (s.abstained > 0 ? ` (${s.abstained} abstained)` : ""),
  ];
}

export function ruleStatus(s: RuleReconcileSummary, nowIso: string, previous: RuleStatus): RuleStatus {
  const [status, reason, message] = readyCondition(s);
  const lastUpdateTime = s.ran ? nowIso : previous.lastUpdateTime;
  return {
    ...(s.generation !== undefined && (s.ran || s.problems)
      ? { observedGeneration: s.generation }
      : previous.observedGeneration !== undefined
        ? { observedGeneration: previous.observedGeneration }
        : {}),
    ...(lastUpdateTime !== undefined ? { lastUpdateTime } : {}),
    targets: s.targets,
    recommendations: s.recommendations,
    conditions: [condition("Ready", status, reason, message, nowIso, previous.conditions)],
  };
}

function conditionKey(c: ObjectCondition | undefined): string {
  return c ? [c.type, c.status, c.reason, c.message, c.lastTransitionTime].join("\u0000") : "";
}

/** Whether writing `next` would change the stored status (so an unchanged status is not written). */
export function ruleStatusChanged(previous: RuleStatus, next: RuleStatus): boolean {
  return (
    previous.observedGeneration !== next.observedGeneration ||
    previous.lastUpdateTime !== next.lastUpdateTime ||
    previous.targets !== next.targets ||
    previous.recommendations !== next.recommendations ||
    (previous.conditions?.length ?? 0) !== (next.conditions?.length ?? 0) ||
    (next.conditions ?? []).some((c, i) => conditionKey(c) !== conditionKey(previous.conditions?.[i]))
  );
}
