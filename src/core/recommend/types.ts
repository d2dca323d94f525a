/**
 * Types of the recommenders: the usage history they read (per pod and container, as cAdvisor reports it),
 * the policy that tunes them and the recommendations they return. Every recommendation carries its
 * evidence (which data, how much, which window); a recommender that cannot decide returns an abstention
 * with a typed reason instead of a number.
 */
import type { SeriesPoint } from "../series/csv.js";

/** The workload a recommendation is for. */
export interface WorkloadRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** One pod's samples of one container metric (`t` ms since the epoch, ascending). */
export interface PodSeries {
  readonly pod: string;
  readonly points: readonly SeriesPoint[];
}

/** Requests or limits of one container: CPU in millicores, memory in bytes; undefined when not set. */
export interface ResourcePair {
  readonly cpuMilli?: number;
  readonly memoryBytes?: number;
}

/** One container of the workload's pod template, with its usage history. */
export interface ContainerUsage {
  readonly name: string;
  readonly requests: ResourcePair;
  readonly limits: ResourcePair;
  /** CPU usage in cores (a `rate()` of `container_cpu_usage_seconds_total`), one series per pod. */
  readonly cpu: readonly PodSeries[];
  /** Working-set memory in bytes (`container_memory_working_set_bytes`), one series per pod. */
  readonly memory: readonly PodSeries[];
}

/** The workload's current HPA, as far as the recommenders use it. */
export interface CurrentHpa {
  readonly name: string;
  /** The HPA object as read from the API (autoscaling/v2); the simulator validates it. */
  readonly object: Record<string, unknown>;
}

/** Everything the recommenders know about one workload. */
export interface WorkloadUsage {
  readonly workload: WorkloadRef;
  /** Time of the query window (ms since the epoch); samples lie in [start, end]. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** Spacing of the samples (the query step), ms. */
  readonly stepMs: number;
  /** `spec.replicas` now. */
  readonly currentReplicas: number;
  readonly containers: readonly ContainerUsage[];
  readonly currentHpa?: CurrentHpa;
}

/** How a resource request is derived from the histogram. */
export interface ResourcePolicy {
  /** Percentile of the (decayed) usage distribution, 0 < p ≤ 1. */
  readonly percentile: number;
  /** Safety margin added on top: request = percentile × (1 + margin). */
  readonly margin: number;
  /** Half-life of sample weights (ms); Infinity = never forget. */
  readonly halfLifeMs: number;
  /** First bucket size of the exponential histogram (cores or bytes). */
  readonly firstBucket: number;
  /** Growth ratio of bucket sizes (1.05 = 5 % buckets; 1 = linear buckets of `firstBucket`). */
  readonly bucketRatio: number;
  /** Largest value the histogram resolves (cores or bytes). */
  readonly maxValue: number;
  /** Smallest request recommended (millicores or bytes). */
  readonly minimum: number;
}

/** What happens to limits when requests change. */
export type LimitsPolicy = "keepRatio" | "unchanged";

/** How replicas are sized from usage. */
export interface ReplicasPolicy {
  /** Target utilization of the per-pod request, 0 < u ≤ 1 (Crane `cpu-target-utilization` 0.5). */
  readonly targetUtilization: number;
  /** Percentile of the workload's total usage sized for (Crane 0.95). */
  readonly percentile: number;
  /** Fewest replicas ever recommended (Crane `default-min-replicas` 1). */
  readonly minReplicas: number;
}

/** How the HPA is sized and replayed. */
export interface HpaPolicy {
  /** Clamp of the recommended target utilization, percent (Crane 30 and 75). */
  readonly minTargetPercent: number;
  readonly maxTargetPercent: number;
  /** Share of the observed peak the HPA may still add on top before it hits maxReplicas. */
  readonly peakHeadroom: number;
  /** Percentile of the rise ratio (load over the reaction time ÷ load now) the target absorbs. */
  readonly risePercentile: number;
  /** Fewest replicas of the recommended HPA. */
  readonly minReplicasFloor: number;
  /** Pod created → Ready (ms): start-up plus readiness, part of the reaction time. */
  readonly podStartupMs: number;
  /** kube-controller-manager sync period (ms) used in the replay. */
  readonly syncPeriodMs: number;
  /** HPA tolerance used in the replay and in the target (Kubernetes default 0.1). */
  readonly tolerance: number;
  /** Utilization of its CPU request at which a pod is saturated (its capacity in the replay). */
  readonly saturationUtilization: number;
  /** Scale-down stabilization window of the recommended behavior (ms). */
  readonly scaleDownStabilizationMs: number;
}

/** The data-sufficiency rules every recommender checks before it decides. */
export interface DataPolicy {
  /** Abstain with less history than this (ms of covered samples). */
  readonly minHistoryMs: number;
  /** Abstain when the workload's series has a gap longer than this (ms) (replicas and HPA). */
  readonly maxGapMs: number;
}

/** The whole policy. {@link DEFAULT_POLICY} and {@link CRANE_POLICY} are the two presets. */
export interface RecommendPolicy {
  readonly cpu: ResourcePolicy;
  readonly memory: ResourcePolicy;
  readonly limits: LimitsPolicy;
  readonly replicas: ReplicasPolicy;
  readonly hpa: HpaPolicy;
  readonly data: DataPolicy;
}

/** Why a recommender did not decide. */
export type AbstainReason = "too-little-history" | "no-requests" | "gaps" | "no-samples" | "not-replayable";

export interface Abstention {
  readonly abstain: true;
  readonly reason: AbstainReason;
  /** One line naming what is missing and what to change. */
  readonly message: string;
}

/** What data a recommendation used. */
export interface Evidence {
  /** Which series (metric and what was aggregated). */
  readonly data: string;
  /** Samples used. */
  readonly samples: number;
  /** Pods (series) the samples came from. */
  readonly pods: number;
  /** First and last sample time used (ms). */
  readonly fromMs: number;
  readonly toMs: number;
  /** Covered time (samples × step), ms. */
  readonly coveredMs: number;
  /** Longest gap between consecutive samples, ms. */
  readonly largestGapMs: number;
  /** How the number was computed, in words with the figures. */
  readonly method: string;
}

/** A recommended request (and limit) for one resource of one container. */
export interface ResourceValue {
  readonly abstain: false;
  /** Recommended request: millicores (cpu) or bytes (memory). */
  readonly request: number;
  /** Recommended limit, or undefined to leave the limit as it is. */
  readonly limit: number | undefined;
  /** The current request and limit (undefined when not set). */
  readonly currentRequest: number | undefined;
  readonly currentLimit: number | undefined;
  /** The same computation with Crane's defaults (non-decaying, value-weighted, bucket upper edge). */
  readonly crane: number;
  readonly evidence: Evidence;
}

export type ResourceRecommendation = ResourceValue | Abstention;

export interface ContainerRecommendation {
  readonly container: string;
  readonly cpu: ResourceRecommendation;
  readonly memory: ResourceRecommendation;
}

/** Replicas sized from usage: ours (min, at the percentile, max over the window) and Crane's. */
export interface ReplicasValue {
  readonly abstain: false;
  /** Replicas that keep the pods at the target utilization at the window's lowest total usage. */
  readonly min: number;
  /** ... at the policy percentile of the total usage (the replicas recommendation). */
  readonly replicas: number;
  /** ... at the window's highest total usage. */
  readonly max: number;
  /** Crane's replicas recommender: max of its CPU and its "memory" result, both computed from CPU. */
  readonly crane: number;
  /** Ours from memory history (working set ÷ per-pod memory request), undefined without memory requests. */
  readonly memoryReplicas: number | undefined;
  readonly current: number;
  readonly evidence: Evidence;
}

export type ReplicasRecommendation = ReplicasValue | Abstention;

/** Totals of one replay through the simulator. */
export interface ReplayResult {
  readonly underProvisionedMinutes: number;
  readonly podHours: number;
  readonly peakReplicas: number;
  readonly scaleEvents: number;
}

/** An HPA proposal (autoscaling/v2 spec fields) and its replay. */
export interface HpaProposal {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Target average utilization (percent) for CPU, or the per-pod average value for a Pods metric. */
  readonly target: number;
  readonly behavior: Record<string, unknown>;
  /** The whole HPA object (autoscaling/v2). */
  readonly object: Record<string, unknown>;
  readonly replay: ReplayResult;
}

export interface HpaValue {
  readonly abstain: false;
  readonly recommended: HpaProposal;
  /** Crane's EHPA recommender on the same data, replayed the same way (CPU models only). */
  readonly crane?: HpaProposal;
  /** The workload's current HPA replayed, or fixed replicas (`spec.replicas`) when it has none. */
  readonly current: { readonly description: string; readonly replay: ReplayResult };
  /** One line: which of under-provisioned minutes and pod-hours the recommendation improves. */
  readonly verdict: string;
  readonly evidence: Evidence;
}

export type HpaRecommendation = HpaValue | Abstention;

/** All recommendations of one workload. */
export interface WorkloadRecommendation {
  readonly workload: WorkloadRef;
  readonly containers: readonly ContainerRecommendation[];
  readonly replicas: ReplicasRecommendation;
  readonly hpa: HpaRecommendation;
}
