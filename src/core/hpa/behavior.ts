/**
 * Normalization of the metrics proposal (horizontal.go normalizeDesiredReplicas and
 * normalizeDesiredReplicasWithBehaviors): the legacy path (behavior nil: max-over-window downscale stabilization,
 * `max(factor×C, minimum)` scale-up cap) and the behavior path (API defaults, two-sided stabilization anchored on the
 * current count, Pods/Percent policies over periods with selectPolicy, scale-event bookkeeping). Pure: time comes in as
 * `now`.
 *
 * Window membership follows upstream's `After(now - window)`: an entry is inside iff its age is strictly
 * less than the window; "older than the window" (`Before(cutoff)`) is age >= window, because each
 * `time.Now()` upstream is slightly later than the one that stored the entry.
 */
import type {
  HpaBehavior,
  HpaScalingPolicy,
  HpaScalingRules,
  TimestampedRecommendation,
  TimestampedScaleEvent,
} from "./types.js";

/** Scaling rules with every field filled (after API defaults and the controller's scale-down window). */
export interface ResolvedScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: HpaScalingPolicy[];
  tolerance?: string;
}

/** Both directions resolved. */
export interface ResolvedBehavior {
  scaleUp: ResolvedScalingRules;
  scaleDown: ResolvedScalingRules;
}

/** API default scale-up policies (autoscaling/v2 defaults.go): +4 pods or +100 % per 15 s. */
export function defaultScaleUpPolicies(): HpaScalingPolicy[] {
  return [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ];
}

/** API default scale-down policies: -100 % per 15 s. */
export function defaultScaleDownPolicies(): HpaScalingPolicy[] {
  return [{ type: "Percent", value: 100, periodSeconds: 15 }];
}

/**
 * API defaulting of `spec.behavior` (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules): each unset
 * field takes the default; scale-down stabilizationWindowSeconds stays unset (the controller fills it).
 */
export function defaultBehavior(behavior: HpaBehavior): HpaBehavior {
  const up = behavior.scaleUp ?? {};
  const down = behavior.scaleDown ?? {};
  const scaleUp: HpaScalingRules = {
    stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? 0,
    selectPolicy: up.selectPolicy ?? "Max",
    policies: up.policies ?? defaultScaleUpPolicies(),
  };
  if (up.tolerance !== undefined) scaleUp.tolerance = up.tolerance;
  const scaleDown: HpaScalingRules = {
    selectPolicy: down.selectPolicy ?? "Max",
    policies: down.policies ?? defaultScaleDownPolicies(),
  };
  if (down.stabilizationWindowSeconds !== undefined)
    scaleDown.stabilizationWindowSeconds = down.stabilizationWindowSeconds;
  if (down.tolerance !== undefined) scaleDown.tolerance = down.tolerance;
  return { scaleUp, scaleDown };
}

/**
 * Fills every field: API defaults, then the scale-down window from
 * `--horizontal-pod-autoscaler-downscale-stabilization` when nil (maybeInitScaleDownStabilizationWindow).
 */
export function resolveBehavior(
  behavior: HpaBehavior,
  downscaleStabilizationWindowMs: number,
): ResolvedBehavior {
  const d = defaultBehavior(behavior);
  const up = d.scaleUp!;
  const down = d.scaleDown!;
  const scaleUp: ResolvedScalingRules = {
    stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? 0,
    selectPolicy: up.selectPolicy ?? "Max",
    policies: up.policies ?? [],
  };
  if (up.tolerance !== undefined) scaleUp.tolerance = up.tolerance;
  const scaleDown: ResolvedScalingRules = {
    stabilizationWindowSeconds:
      down.stabilizationWindowSeconds ?? Math.trunc(downscaleStabilizationWindowMs / 1000),
    selectPolicy: down.selectPolicy ?? "Max",
    policies: down.policies ?? [],
  };
  if (down.tolerance !== undefined) scaleDown.tolerance = down.tolerance;
  return { scaleUp, scaleDown };
}

/** Outcome of a stabilization step. */
export interface Stabilized {
  replicas: number;
  recommendations: TimestampedRecommendation[];
  /** AbleToScale reason/message (`ReadyForNewScale`, `ScaleUpStabilized`, `ScaleDownStabilized`). */
  reason: string;
  message: string;
  /** Behavior path: the bounds from the windows. Legacy path: the max over the window. */
  upRecommendation?: number;
  downRecommendation?: number;
}

const READY = { reason: "ReadyForNewScale", message: "recommended size matches current size" };
const DOWN_STABILIZED = {
  reason: "ScaleDownStabilized",
  message: "recent recommendations were higher than current one, applying the highest recent recommendation",
};
const UP_STABILIZED = {
  reason: "ScaleUpStabilized",
  message: "recent recommendations were lower than current one, applying the lowest recent recommendation",
};

/**
 * Legacy stabilization (stabilizeRecommendation): max of the proposal and every recommendation younger
 * than the window; the last entry older than the window is overwritten with `{proposal, now}`, else appended.
 */
export function stabilizeLegacy(
  recommendations: readonly TimestampedRecommendation[],
  proposal: number,
  now: number,
  windowMs: number,
): Stabilized {
  let max = proposal;
  let oldIndex = -1;
  for (let i = 0; i < recommendations.length; i++) {
    const rec = recommendations[i]!;
    if (now - rec.timestamp >= windowMs) oldIndex = i;
    else if (rec.replicas > max) max = rec.replicas;
  }
  const next = recommendations.slice(); // entries are immutable: replaced, never edited
  if (oldIndex >= 0) next[oldIndex] = { replicas: proposal, timestamp: now };
  else next.push({ replicas: proposal, timestamp: now });
  const cond = max !== proposal ? DOWN_STABILIZED : READY;
  return {
    replicas: max,
    recommendations: next,
    reason: cond.reason,
    message: cond.message,
    downRecommendation: max,
  };
}

/** Outcome of a limiting step (ScalingLimited reason/message). */
export interface Limited {
  replicas: number;
  reason: string;
  message: string;
  /** The rate limit that applied in the direction of change, when computed. */
  limit?: number;
}

const WITHIN = { reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
const SCALE_UP_LIMIT = {
  reason: "ScaleUpLimit",
  message: "the desired replica count is increasing faster than the maximum scale rate",
};
const SCALE_DOWN_LIMIT = {
  reason: "ScaleDownLimit",
  message: "the desired replica count is decreasing faster than the maximum scale rate",
};
const TOO_MANY = {
  reason: "TooManyReplicas",
  message: "the desired replica count is more than the maximum replica count",
};
const TOO_FEW = {
  reason: "TooFewReplicas",
  message: "the desired replica count is less than the minimum replica count",
};

/**
 * Legacy clamping (convertDesiredReplicasWithRules): cap = max(factor × C, minimum) (ScaleUpLimit) or
 * maxReplicas (TooManyReplicas) when smaller; below minReplicas -> TooFewReplicas.
 */
export function limitLegacy(
  currentReplicas: number,
  desired: number,
  minReplicas: number,
  maxReplicas: number,
  factor: number,
  minimum: number,
): Limited {
  const scaleUpLimit = Math.trunc(Math.max(factor * currentReplicas, minimum));
  const cap =
    maxReplicas > scaleUpLimit ? { max: scaleUpLimit, ...SCALE_UP_LIMIT } : { max: maxReplicas, ...TOO_MANY };
  if (desired < minReplicas) return { replicas: minReplicas, ...TOO_FEW, limit: scaleUpLimit };
  if (desired > cap.max)
    return { replicas: cap.max, reason: cap.reason, message: cap.message, limit: scaleUpLimit };
  return { replicas: desired, ...WITHIN, limit: scaleUpLimit };
}

/**
 * Behavior stabilization (stabilizeRecommendationWithBehaviors): upRec = min(D, recs younger than the
 * up window), downRec = max(D, recs younger than the down window); start from C, raise to upRec, lower to
 * downRec. The last entry older than both windows is overwritten with the raw `{D, now}`, else appended.
 */
export function stabilizeWithBehavior(
  recommendations: readonly TimestampedRecommendation[],
  currentReplicas: number,
  proposal: number,
  now: number,
  upWindowSeconds: number,
  downWindowSeconds: number,
): Stabilized {
  const upMs = upWindowSeconds * 1000;
  const downMs = downWindowSeconds * 1000;
  let upRec = proposal;
  let downRec = proposal;
  let oldIndex = -1;
  for (let i = 0; i < recommendations.length; i++) {
    const r = recommendations[i]!;
    const age = now - r.timestamp;
    if (age < upMs) upRec = Math.min(r.replicas, upRec);
    if (age < downMs) downRec = Math.max(r.replicas, downRec);
    if (age >= upMs && age >= downMs) oldIndex = i;
  }
  let rec = currentReplicas;
  if (rec < upRec) rec = upRec;
  if (rec > downRec) rec = downRec;
  const next = recommendations.slice(); // entries are immutable: replaced, never edited
  if (oldIndex >= 0) next[oldIndex] = { replicas: proposal, timestamp: now };
  else next.push({ replicas: proposal, timestamp: now });
  const cond = rec === proposal ? READY : proposal >= currentReplicas ? UP_STABILIZED : DOWN_STABILIZED;
  return {
    replicas: rec,
    recommendations: next,
    reason: cond.reason,
    message: cond.message,
    upRecommendation: upRec,
    downRecommendation: downRec,
  };
}

/** Σ replicaChange of events strictly younger than the period (getReplicasChangePerPeriod). */
export function replicasChangePerPeriod(
  periodSeconds: number,
  events: readonly TimestampedScaleEvent[],
  now: number,
): number {
  let sum = 0;
  for (const e of events) if (now - e.timestamp < periodSeconds * 1000) sum += e.replicaChange;
  return sum;
}

/** One policy's proposal, for explanations. */
export interface PolicyProposal {
  policy: HpaScalingPolicy;
  periodStart: number;
  proposed: number;
}

/**
 * Scale-up limit over the policies (calculateScaleUpLimitWithScalingRules): per policy
 * periodStart = C - added + removed; Pods: periodStart + value; Percent: ceil(periodStart × (1 + v/100)).
 * Max takes the largest, Min the smallest; Disabled returns C.
 */
export function scaleUpLimit(
  currentReplicas: number,
  upEvents: readonly TimestampedScaleEvent[],
  downEvents: readonly TimestampedScaleEvent[],
  rules: ResolvedScalingRules,
  now: number,
): { limit: number; proposals: PolicyProposal[] } {
  if (rules.selectPolicy === "Disabled") return { limit: currentReplicas, proposals: [] };
  const useMin = rules.selectPolicy === "Min";
  let result = useMin ? 2_147_483_647 : -2_147_483_648;
  const proposals: PolicyProposal[] = [];
  for (const policy of rules.policies) {
    const added = replicasChangePerPeriod(policy.periodSeconds, upEvents, now);
    const removed = replicasChangePerPeriod(policy.periodSeconds, downEvents, now);
    const periodStart = currentReplicas - added + removed;
    const proposed =
      policy.type === "Pods"
        ? periodStart + policy.value
        : Math.trunc(Math.ceil(periodStart * (1 + policy.value / 100)));
    proposals.push({ policy, periodStart, proposed });
    result = useMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return { limit: result, proposals };
}

/**
 * Scale-down limit over the policies (calculateScaleDownLimitWithBehaviors): Pods: periodStart - value;
 * Percent: trunc(periodStart × (1 - v/100)). Max (largest change) takes the smallest, Min the largest;
 * Disabled returns C.
 */
export function scaleDownLimit(
  currentReplicas: number,
  upEvents: readonly TimestampedScaleEvent[],
  downEvents: readonly TimestampedScaleEvent[],
  rules: ResolvedScalingRules,
  now: number,
): { limit: number; proposals: PolicyProposal[] } {
  if (rules.selectPolicy === "Disabled") return { limit: currentReplicas, proposals: [] };
  const useMax = rules.selectPolicy === "Min";
  let result = useMax ? -2_147_483_648 : 2_147_483_647;
  const proposals: PolicyProposal[] = [];
  for (const policy of rules.policies) {
    const added = replicasChangePerPeriod(policy.periodSeconds, upEvents, now);
    const removed = replicasChangePerPeriod(policy.periodSeconds, downEvents, now);
    const periodStart = currentReplicas - added + removed;
    const proposed =
      policy.type === "Pods"
        ? periodStart - policy.value
        : Math.trunc(periodStart * (1 - policy.value / 100));
    proposals.push({ policy, periodStart, proposed });
    result = useMax ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return { limit: result, proposals };
}

/**
 * Rate limiting with behaviors (convertDesiredReplicasWithBehaviorRate): per policy, periodStart =
 * C - added + removed over events younger than its period; scale-up capped by the up-limit (never below C) or
 * maxReplicas; scale-down floored by the down-limit (never above C) or minReplicas; no change -> DesiredWithinRange.
 */
export function limitWithBehavior(args: {
  currentReplicas: number;
  desired: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: ResolvedBehavior;
  upEvents: readonly TimestampedScaleEvent[];
  downEvents: readonly TimestampedScaleEvent[];
  now: number;
}): Limited & { proposals: PolicyProposal[] } {
  const { currentReplicas: c, desired, minReplicas, maxReplicas, now } = args;
  if (desired > c) {
    const up = scaleUpLimit(c, args.upEvents, args.downEvents, args.behavior.scaleUp, now);
    const limit = Math.max(up.limit, c);
    const capped = maxReplicas > limit;
    const max = capped ? limit : maxReplicas;
    const why = capped ? SCALE_UP_LIMIT : TOO_MANY;
    if (desired > max)
      return { replicas: max, reason: why.reason, message: why.message, limit, proposals: up.proposals };
    return {
      replicas: desired,
      reason: WITHIN.reason,
      message: WITHIN.message,
      limit,
      proposals: up.proposals,
    };
  }
  if (desired < c) {
    const down = scaleDownLimit(c, args.upEvents, args.downEvents, args.behavior.scaleDown, now);
    const limit = Math.min(down.limit, c);
    const floored = minReplicas < limit;
    const min = floored ? limit : minReplicas;
    const why = floored ? SCALE_DOWN_LIMIT : TOO_FEW;
    if (desired < min)
      return { replicas: min, reason: why.reason, message: why.message, limit, proposals: down.proposals };
    return {
      replicas: desired,
      reason: WITHIN.reason,
      message: WITHIN.message,
      limit,
      proposals: down.proposals,
    };
  }
  return { replicas: desired, reason: WITHIN.reason, message: WITHIN.message, proposals: [] };
}

/** The longest periodSeconds among the policies (getLongestPolicyPeriod). */
export function longestPolicyPeriod(rules: ResolvedScalingRules): number {
  let longest = 0;
  for (const p of rules.policies) if (p.periodSeconds > longest) longest = p.periodSeconds;
  return longest;
}

/**
 * Records a scale event after a successful rescale (storeScaleEvent, behavior path only): marks events
 * older than the direction's longest period as outdated (permanent), then overwrites the last outdated
 * slot with `{|new-old|, now}` or appends it. Returns the new lists.
 */
export function storeScaleEvent(
  behavior: ResolvedBehavior,
  upEvents: readonly TimestampedScaleEvent[],
  downEvents: readonly TimestampedScaleEvent[],
  prevReplicas: number,
  newReplicas: number,
  now: number,
): { scaleUpEvents: TimestampedScaleEvent[]; scaleDownEvents: TimestampedScaleEvent[] } {
  const up = newReplicas > prevReplicas;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const periodMs = longestPolicyPeriod(rules) * 1000;
  const list = (up ? upEvents : downEvents).map((e) => {
    if (e.outdated !== true && now - e.timestamp >= periodMs) return { ...e, outdated: true };
    return e;
  });
  let oldIndex = -1;
  list.forEach((e, i) => {
    if (e.outdated) oldIndex = i;
  });
  const event: TimestampedScaleEvent = {
    timestamp: now,
    replicaChange: Math.abs(newReplicas - prevReplicas),
  };
  if (oldIndex >= 0) list[oldIndex] = event;
  else list.push(event);
  return up
    ? { scaleUpEvents: list, scaleDownEvents: downEvents.slice() }
    : { scaleUpEvents: upEvents.slice(), scaleDownEvents: list };
}
