/**
 * The two policy presets.
 *
 * Crane's defaults (its Resource, Replicas and EHPA recommenders), kept as {@link CRANE_POLICY} so that
 * every recommendation can show Crane's figure beside ours:
 * - requests: percentile 0.99 of the usage over 168 h at 1 m, +15 % margin, target utilization 1.0, from a
 *   linear histogram (0.1-core buckets up to 100 cores; 100 MiB buckets for memory) whose samples are
 *   weighted by their own value, never decay, and whose percentile is the upper edge of the bucket (so a
 *   20 m container gets 0.1 × 1.15 = 115 m);
 * - replicas: ceil(P95 of the workload's CPU usage ÷ (0.5 × per-pod CPU request)), at least 1; the memory
 *   figure is computed from the CPU samples;
 * - HPA: minReplicas = the replicas figure; target = ceil(100 × ΣP99 CPU × 1.15 ÷ per-pod request) clamped
 *   to [30, 75] %; maxReplicas = ceil(P95 CPU × 3 ÷ (per-pod request × target)), at least minReplicas.
 *
 * Ours ({@link DEFAULT_POLICY}) differs where Crane's choices bias or break the figure:
 * - the histogram forgets: sample weights halve every 24 h, so last week's incident weighs 1/128 of today;
 * - each sample weighs 1 (not its value, which pulls percentiles up) and the percentile is interpolated
 *   inside a 5 % exponential bucket instead of rounded up to a 100 m / 100 MiB edge;
 * - CPU requests at p90 + 15 % (the VPA target; CPU above the request is throttled only at the limit),
 *   memory at p99 + 15 % (memory above the request risks eviction);
 * - memory replicas come from memory history;
 * - the HPA target absorbs the workload's own fastest rise over the HPA's reaction time, and the result is
 *   replayed through the simulator before it is shown.
 */
import type { RecommendPolicy } from "./types.js";

const HOUR = 3_600_000;
const MIB = 1_048_576;

/** Ours. */
export const DEFAULT_POLICY: RecommendPolicy = {
  cpu: {
    percentile: 0.9,
    margin: 0.15,
    halfLifeMs: 24 * HOUR,
    firstBucket: 0.001,
    bucketRatio: 1.05,
    maxValue: 1000,
    minimum: 10,
  },
  memory: {
    percentile: 0.99,
    margin: 0.15,
    halfLifeMs: 24 * HOUR,
    firstBucket: MIB,
    bucketRatio: 1.05,
    maxValue: 2 ** 40,
    minimum: 16 * MIB,
  },
  limits: "keepRatio",
  replicas: { targetUtilization: 0.5, percentile: 0.95, minReplicas: 1 },
  hpa: {
    minTargetPercent: 30,
    maxTargetPercent: 85,
    peakHeadroom: 0.2,
    risePercentile: 0.99,
    minReplicasFloor: 1,
    podStartupMs: 30_000,
    syncPeriodMs: 15_000,
    tolerance: 0.1,
    saturationUtilization: 1,
    scaleDownStabilizationMs: 300_000,
  },
  data: { minHistoryMs: 24 * HOUR, maxGapMs: HOUR },
};

/** Crane's defaults (its recommenders' config keys, in brackets in its docs). */
export const CRANE_POLICY: RecommendPolicy = {
  cpu: {
    percentile: 0.99,
    margin: 0.15,
    halfLifeMs: Number.POSITIVE_INFINITY,
    firstBucket: 0.1,
    bucketRatio: 1,
    maxValue: 100,
    minimum: 0,
  },
  memory: {
    percentile: 0.99,
    margin: 0.15,
    halfLifeMs: Number.POSITIVE_INFINITY,
    firstBucket: 100 * MIB,
    bucketRatio: 1,
    maxValue: 1000 * 100 * MIB,
    minimum: 0,
  },
  limits: "unchanged",
  replicas: { targetUtilization: 0.5, percentile: 0.95, minReplicas: 1 },
  hpa: {
    minTargetPercent: 30,
    maxTargetPercent: 75,
    peakHeadroom: 2, // max-replicas-factor 3 = 1 + 2
    risePercentile: 0.99,
    minReplicasFloor: 1,
    podStartupMs: 30_000,
    syncPeriodMs: 15_000,
    tolerance: 0.1,
    saturationUtilization: 1,
    scaleDownStabilizationMs: 300_000,
  },
  data: { minHistoryMs: 0, maxGapMs: HOUR },
};

/** A policy with some fields replaced (each section merged one level deep). */
export function withPolicy(
  overrides: {
    readonly [K in keyof RecommendPolicy]?: RecommendPolicy[K] extends object
      ? Partial<RecommendPolicy[K]>
      : RecommendPolicy[K];
  },
): RecommendPolicy {
  const p = DEFAULT_POLICY;
  return {
    cpu: { ...p.cpu, ...overrides.cpu },
    memory: { ...p.memory, ...overrides.memory },
    limits: overrides.limits ?? p.limits,
    replicas: { ...p.replicas, ...overrides.replicas },
    hpa: { ...p.hpa, ...overrides.hpa },
    data: { ...p.data, ...overrides.data },
  };
}
