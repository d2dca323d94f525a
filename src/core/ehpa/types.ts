/**
 * Types of the predictive autoscaling API: EffectiveHorizontalPodAutoscaler and Substitute
 * (`autoscaling.tidescale.dev/v1alpha1`) and TimeSeriesPrediction (`prediction.tidescale.dev/v1alpha1`).
 * Field names and meanings are Crane's (autoscaling.crane.io / prediction.crane.io v1alpha1), so a Crane
 * manifest works after changing its apiVersion; the metrics and behavior are autoscaling/v2.
 *
 * Beyond Crane: the project's own algorithm `multi-seasonal` (the default), TSP samples at full
 * precision (JavaScript shortest round-trip decimal text, never truncated), and per-metric accuracy in
 * TSP status (rolling WAPE and window-peak miss share of its own past forecasts).
 *
 * Conventions: times in objects are RFC 3339 text (metav1.Time) or Unix seconds where Crane uses int64
 * seconds (TSP samples); quantities are Kubernetes quantity text.
 */

import type { CrossVersionObjectReference, HpaBehavior, MetricSpec } from "../hpa/types.js";
import type { CraneDspSpec } from "../predict/crane-dsp.js";
import type { QuantileName } from "../predict/types.js";

/** API group of the EHPA and the Substitute. */
export const AUTOSCALING_GROUP = "autoscaling.tidescale.dev";
/** API group of the TimeSeriesPrediction. */
export const PREDICTION_GROUP = "prediction.tidescale.dev";
/** The one served version of both groups. */
export const API_VERSION = "v1alpha1";
/** `apiVersion` of EHPA and Substitute objects. */
export const EHPA_API_VERSION = `${AUTOSCALING_GROUP}/${API_VERSION}`;
/** `apiVersion` of TimeSeriesPrediction objects. */
export const TSP_API_VERSION = `${PREDICTION_GROUP}/${API_VERSION}`;
/** Crane's EHPA apiVersion (accepted by `tidescale ehpa convert`). */
export const CRANE_EHPA_API_VERSION = "autoscaling.crane.io/v1alpha1";

/** Prediction algorithms: the project's default plus Crane's two. */
export const ALGORITHM_TYPES = ["multi-seasonal", "dsp", "percentile"] as const;
/** One of {@link ALGORITHM_TYPES}. */
export type AlgorithmType = (typeof ALGORITHM_TYPES)[number];
/** The algorithm used when `predictionAlgorithm.algorithmType` is omitted. */
export const DEFAULT_ALGORITHM: AlgorithmType = "multi-seasonal";
/** Crane's CRD default prediction window (seconds). */
export const DEFAULT_PREDICTION_WINDOW_SECONDS = 3600;

/** `predictionAlgorithm.multiSeasonal`: the project's own model (all fields optional). */
export interface MultiSeasonalSpec {
  /** Sampling step of the history query and the forecast (Go duration, default "60s", at most 1h). */
  sampleInterval?: string;
  /** History length (Go/Prometheus duration, default "15d": two weeks give weekly analogs). */
  historyLength?: string;
  /** Quantile served as the prediction metric (default p50). */
  quantile?: QuantileName;
}

/** `predictionAlgorithm.percentile`, as Crane spells it (numbers as strings). */
export interface PercentileSpec {
  aggregated?: boolean;
  historyLength?: string;
  sampleInterval?: string;
  histogram?: {
    maxValue?: string;
    epsilon?: string;
    halfLife?: string;
    bucketSize?: string;
    firstBucketSize?: string;
    bucketSizeGrowthRatio?: string;
  };
  minSampleWeight?: string;
  marginFraction?: string;
  percentile?: string;
  targetUtilization?: string;
}

/** `prediction.predictionAlgorithm`. */
export interface PredictionAlgorithm {
  algorithmType: AlgorithmType;
  multiSeasonal?: MultiSeasonalSpec;
  dsp?: CraneDspSpec;
  percentile?: PercentileSpec;
}

/** `spec.prediction`. */
export interface PredictionSpec {
  /** Look-ahead window: the served value is the peak forecast in [now, now + window]. */
  predictionWindowSeconds: number;
  predictionAlgorithm: PredictionAlgorithm;
}

/** `spec.crons[i]`: a scheduled replica floor active between a `start` and the following `end`. */
export interface CronSpec {
  /** Unique within the EHPA. */
  name: string;
  description?: string;
  /** IANA zone name; defaults to UTC (Crane: the controller's local zone). */
  timezone?: string;
  /** 5-field crontab: minute hour day-of-month month day-of-week. */
  start: string;
  end: string;
  targetReplicas: number;
}

/** `Auto` scales the workload; `Preview` only reports (through a Substitute). */
export type ScaleStrategy = "Auto" | "Preview";

/** `spec` of an EHPA after validation and defaulting. */
export interface EhpaSpec {
  scaleTargetRef: CrossVersionObjectReference;
  minReplicas: number;
  maxReplicas: number;
  scaleStrategy: ScaleStrategy;
  /** Preview only: replica count the controller writes to the target's scale subresource. */
  specificReplicas?: number;
  /** autoscaling/v2 metric specs; copied into the managed HPA and the source of the predictions. */
  metrics: MetricSpec[];
  behavior?: HpaBehavior;
  prediction?: PredictionSpec;
  crons: CronSpec[];
}

/** `metav1.Condition`-style condition (Crane uses the same fields). */
export interface ObjectCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  /** RFC 3339. */
  lastTransitionTime: string;
}

/** `status` of an EHPA. */
export interface EhpaStatus {
  /** The managed HPA's desiredReplicas. */
  expectReplicas?: number;
  currentReplicas?: number;
  /** RFC 3339. */
  lastScaleTime?: string;
  /** Ready, PredictionReady, then the managed HPA's conditions copied. */
  conditions: ObjectCondition[];
}

/** Object metadata as the core needs it. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A validated EffectiveHorizontalPodAutoscaler. */
export interface Ehpa {
  apiVersion: typeof EHPA_API_VERSION;
  kind: "EffectiveHorizontalPodAutoscaler";
  metadata: ObjectMeta;
  spec: EhpaSpec;
  status?: EhpaStatus;
}

/** A Substitute: stands in for the workload in Preview so the managed HPA scales nothing real. */
export interface Substitute {
  apiVersion: typeof EHPA_API_VERSION;
  kind: "Substitute";
  metadata: ObjectMeta;
  spec: { substituteTargetRef: CrossVersionObjectReference; replicas?: number };
  status?: { labelSelector?: string; replicas?: number };
}

// ---------------------------------------------------------------------------------------------------
// TimeSeriesPrediction
// ---------------------------------------------------------------------------------------------------

/** `corev1.ObjectReference` subset used by `TimeSeriesPrediction.spec.targetRef`. */
export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace: string;
}

/** Crane's query kinds; the controller resolves every query to `ExpressionQuery` (PromQL). */
export type PredictionQueryType = "ExpressionQuery" | "ResourceQuery";

/** `spec.predictionMetrics[i]` of a TSP. */
export interface TspPredictionMetric {
  /** `resource.cpu`, `container-resource.cpu`, `pods.<metric>`, `external.<metric>`. */
  resourceIdentifier: string;
  type: PredictionQueryType;
  /** ResourceQuery: the resource name (cpu, memory). */
  resourceQuery?: string;
  /** ExpressionQuery: the PromQL of the history. */
  expressionQuery?: { expression: string };
  algorithm: PredictionAlgorithm;
}

/** `spec` of a TSP. */
export interface TspSpec {
  targetRef: ObjectReference;
  predictionWindowSeconds: number;
  predictionMetrics: TspPredictionMetric[];
}

/** A forecast sample: Unix seconds and the value as full-precision decimal text. */
export interface TspSample {
  timestamp: number;
  value: string;
}

/** One forecast series; `labels` carry `quantile` (p50, p90, p99). */
export interface TspSeries {
  labels: Array<{ name: string; value: string }>;
  samples: TspSample[];
}

/**
 * Accuracy of a metric's own past forecasts against what Prometheus later recorded, as exponentially
 * decayed sums (half-life {@link ACCURACY_HALF_LIFE_SECONDS}) so the rates are rolling. Numbers are
 * decimal text (status fields are strings where fractions occur, like Crane's).
 */
export interface TspAccuracy {
  /** Decayed sum of |p50 forecast - actual| over evaluated points. */
  absErrorSum: string;
  /** Decayed sum of |actual| over the same points. */
  actualSum: string;
  /** Rolling WAPE = absErrorSum / actualSum; absent until a point was evaluated. */
  wape?: string;
  /** Decayed count of evaluated windows (served peak vs actual peak over the prediction window). */
  windows: string;
  /** Decayed count of windows whose served peak was below {@link PEAK_MISS_RATIO} x the actual peak. */
  missedWindows: string;
  /** Rolling window-peak miss share = missedWindows / windows; absent until a window was evaluated. */
  windowPeakMissShare?: string;
  /** Served peaks whose window has not ended yet (Unix seconds origin, decimal text value). */
  pendingPeaks: Array<{ origin: number; value: string }>;
  /** Unix seconds up to which forecast points have been scored. */
  evaluatedUntil?: number;
  /** Whether the metric is currently held out of the managed HPA for poor accuracy (hysteresis state). */
  gated: boolean;
  /** Unix seconds of the last update. */
  updatedAt?: number;
}

/** `status.predictionMetrics[i]` of a TSP. */
export interface TspMetricStatus {
  resourceIdentifier: string;
  /** A forecast covering [now, now + window] exists and is not gated out. */
  ready: boolean;
  /** Why not ready: abstain code (too-little-history, no-period, ...), QueryFailed, AccuracyBelowThreshold. */
  reason?: string;
  message?: string;
  /** Model that produced the forecast (e.g. multi-seasonal) and the periods it used (seconds). */
  model?: string;
  periods?: number[];
  /** Quantile served by the prediction metric. */
  servedQuantile: QuantileName;
  /** RFC 3339 time of the last successful refit. */
  lastRefreshTime?: string;
  /** Forecast series, one per quantile; the served one is listed first. */
  prediction: TspSeries[];
  accuracy?: TspAccuracy;
}

/** `status` of a TSP. */
export interface TspStatus {
  predictionMetrics: TspMetricStatus[];
  /** Ready with reason PredictSucceed or PredictPartial (Crane's). */
  conditions: ObjectCondition[];
}

/** A TimeSeriesPrediction. */
export interface Tsp {
  apiVersion: typeof TSP_API_VERSION;
  kind: "TimeSeriesPrediction";
  metadata: ObjectMeta;
  spec: TspSpec;
  status?: TspStatus;
}

/** Half-life of the rolling accuracy sums (seconds). */
export const ACCURACY_HALF_LIFE_SECONDS = 86_400;
/** A window counts as missed when served peak < this ratio x actual peak. */
export const PEAK_MISS_RATIO = 0.9;
