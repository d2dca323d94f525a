/**
 * When a rule runs its recommenders. A run is due when the rule never ran, when its spec changed since
 * the last run (generation != observedGeneration), or when runInterval has passed since lastUpdateTime.
 * After a run with failed recommendations (Ready=False, RecommendFailed) the next run comes after
 * `retryMs` when that is sooner. A lastUpdateTime in the future (clock skew) counts from now.
 * Between runs, a Recommendation the controller just created (no status yet) is computed at once.
 */
import type { ObservedRecommendation, RuleStatus } from "./types.js";

export const RECOMMEND_FAILED = "RecommendFailed";

export interface RunSchedule {
  due: boolean;
  /** When the next run is due (epoch ms): now when due. */
  nextRunMs: number;
}

export function runSchedule(
  generation: number | undefined,
  status: RuleStatus,
  intervalMs: number,
  nowMs: number,
  retryMs: number,
): RunSchedule {
  const last = status.lastUpdateTime === undefined ? Number.NaN : Date.parse(status.lastUpdateTime);
  if (Number.isNaN(last) || (generation !== undefined && status.observedGeneration !== generation))
    return { due: true, nextRunMs: nowMs };
  const failed = status.conditions?.some((c) => c.type === "Ready" && c.reason === RECOMMEND_FAILED);
  const wait = failed ? Math.min(intervalMs, retryMs) : intervalMs;
  const next = Math.min(last, nowMs) + wait;
  return next <= nowMs ? { due: true, nextRunMs: nowMs } : { due: false, nextRunMs: next };
}

/** Whether a Recommendation has been computed at least once (its status has a lastUpdateTime). */
export function computed(o: ObservedRecommendation | undefined): boolean {
  const s = o?.status as { lastUpdateTime?: unknown } | undefined;
  return typeof s?.lastUpdateTime === "string";
}
