/**
 * Public types of the HPA engine: the autoscaling/v2 HorizontalPodAutoscaler object (as `kubectl apply`
 * takes it, after API defaulting), the inputs of one reconcile (pods, metric readings, controller memory,
 * controller flags) and its result (desired replicas, per-metric proposals, conditions, events,
 * status.currentMetrics, the next controller memory and a step-by-step explanation).
 *
 * Mirrors kube-controller-manager `pkg/controller/podautoscaler` (horizontal.go, replica_calculator.go,
 * metrics/client.go) and `k8s.io/api/autoscaling/v2` types. Conventions used everywhere below:
 * - times are milliseconds since the Unix epoch (numbers), durations are milliseconds;
 * - metric values, requests and Value/AverageValue targets inside the engine are **milli-units** (int64 in
 *   upstream, a safe-integer JS number here), produced with ceiling rounding like `Quantity.MilliValue()`;
 * - quantities inside `HpaObject` stay as Kubernetes quantity text (`"200m"`, `"1.5"`, `"2Gi"`).
 */

// ---------------------------------------------------------------------------------------------------
// The HorizontalPodAutoscaler object (autoscaling/v2)
// ---------------------------------------------------------------------------------------------------

/** `metav1.LabelSelectorRequirement`. */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** `metav1.LabelSelector` (structured form used by metric selectors). */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `autoscaling/v2.CrossVersionObjectReference`. */
export interface CrossVersionObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
}

/** `autoscaling/v2.MetricTarget`; `value`/`averageValue` are quantity text, `averageUtilization` a percent. */
export interface MetricTarget {
  type: "Utilization" | "Value" | "AverageValue";
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

/** `autoscaling/v2.MetricIdentifier`. */
export interface MetricIdentifier {
  name: string;
  selector?: LabelSelectorSpec;
}

/** `spec.metrics[i]` with `type: Resource` (pod-level resource metrics from metrics.k8s.io). */
export interface ResourceMetricSpec {
  type: "Resource";
  resource: { name: string; target: MetricTarget };
}
/** `spec.metrics[i]` with `type: ContainerResource` (one named container's resource metric). */
export interface ContainerResourceMetricSpec {
  type: "ContainerResource";
  containerResource: { name: string; container: string; target: MetricTarget };
}
/** `spec.metrics[i]` with `type: Pods` (a custom per-pod metric, AverageValue target only). */
export interface PodsMetricSpec {
  type: "Pods";
  pods: { metric: MetricIdentifier; target: MetricTarget };
}
/** `spec.metrics[i]` with `type: Object` (a custom metric describing one object). */
export interface ObjectMetricSpec {
  type: "Object";
  object: { describedObject: CrossVersionObjectReference; metric: MetricIdentifier; target: MetricTarget };
}
/** `spec.metrics[i]` with `type: External` (a metric from outside the cluster). */
export interface ExternalMetricSpec {
  type: "External";
  external: { metric: MetricIdentifier; target: MetricTarget };
}

/** One `spec.metrics[i]` entry (`autoscaling/v2.MetricSpec`). */
export type MetricSpec =
  | ResourceMetricSpec
  | ContainerResourceMetricSpec
  | PodsMetricSpec
  | ObjectMetricSpec
  | ExternalMetricSpec;

/** The metric source types the controller knows. */
export type MetricSourceType = MetricSpec["type"];

/** `autoscaling/v2.HPAScalingPolicy`. */
export interface HpaScalingPolicy {
  type: "Pods" | "Percent";
  value: number;
  periodSeconds: number;
}

/** `autoscaling/v2.HPAScalingRules`; `tolerance` is quantity text (KEP-4951, v1.33+). */
export interface HpaScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: "Max" | "Min" | "Disabled";
  policies?: HpaScalingPolicy[];
  tolerance?: string;
}

/** `autoscaling/v2.HorizontalPodAutoscalerBehavior`. */
export interface HpaBehavior {
  scaleUp?: HpaScalingRules;
  scaleDown?: HpaScalingRules;
}

/** `spec` of the HPA after API defaulting (minReplicas defaults to 1, metrics to CPU at 80 %). */
export interface HpaSpec {
  scaleTargetRef: CrossVersionObjectReference;
  minReplicas: number;
  maxReplicas: number;
  metrics: MetricSpec[];
  behavior?: HpaBehavior;
}

/** A parsed, validated and API-defaulted autoscaling/v2 HorizontalPodAutoscaler (see `parseHpa`). */
export interface HpaObject {
  apiVersion: "autoscaling/v2";
  kind: "HorizontalPodAutoscaler";
  metadata: {
    name: string;
    /** Defaults to `default`. */
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: HpaSpec;
  /** The status as written by a previous reconcile, when the object carried one. */
  status?: HpaStatus;
}

// ---------------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------------

/** Condition types the HPA controller writes. */
export type ConditionType = "AbleToScale" | "ScalingActive" | "ScalingLimited";

/** `autoscaling/v2.HorizontalPodAutoscalerCondition`; `lastTransitionTime` in ms (changes only on flips). */
export interface Condition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: number;
}

/** `autoscaling/v2.MetricValueStatus`; quantities are formatted milli-quantities (DecimalSI). */
export interface MetricValueStatus {
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

/** One `status.currentMetrics[i]` (`autoscaling/v2.MetricStatus`), same order as `spec.metrics`. */
export interface MetricStatus {
  /** `""` when the metric failed (upstream leaves the entry zero-valued). */
  type: MetricSourceType | "";
  resource?: { name: string; current: MetricValueStatus };
  containerResource?: { name: string; container: string; current: MetricValueStatus };
  pods?: { metric: MetricIdentifier; current: MetricValueStatus };
  object?: {
    describedObject?: CrossVersionObjectReference;
    metric: MetricIdentifier;
    current: MetricValueStatus;
  };
  external?: { metric: MetricIdentifier; current: MetricValueStatus };
}

/** `autoscaling/v2.HorizontalPodAutoscalerStatus` (times in ms). */
export interface HpaStatus {
  currentReplicas: number;
  desiredReplicas: number;
  lastScaleTime?: number;
  currentMetrics: MetricStatus[];
  conditions: Condition[];
}

// ---------------------------------------------------------------------------------------------------
// Reconcile inputs
// ---------------------------------------------------------------------------------------------------

/** A container of a pod: its name and `resources.requests` in milli-units (`cpu: 200m` -> 200). */
export interface ContainerInfo {
  name: string;
  requests: Record<string, number>;
  /** Only for init containers: `Always` marks a sidecar, whose requests count (upstream calculateRequests). */
  restartPolicy?: string;
}

/** Pod phases (`v1.PodPhase`). */
export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

/**
 * One pod returned by the scale target's selector (the informer list the controller groups):
 * including failed, deleted and pending ones.
 */
export interface PodInfo {
  name: string;
  phase: PodPhase;
  /** Status of the `Ready` condition; undefined when the pod has no Ready condition. */
  ready?: "True" | "False" | "Unknown";
  /** `lastTransitionTime` of the Ready condition (ms); undefined reads as Go's zero time (long ago). */
  readyTransitionTime?: number;
  /** `status.startTime` (ms); undefined when nil. */
  startTime?: number;
  /** `metadata.deletionTimestamp` (ms); set means the pod is being deleted (ignored). */
  deletionTimestamp?: number;
  labels?: Record<string, string>;
  containers: ContainerInfo[];
  initContainers?: ContainerInfo[];
  /** Pod-level `spec.resources.requests` (PodLevelResources), milli-units. */
  podRequests?: Record<string, number>;
}

/** Usage of one container in a PodMetrics item (metrics.k8s.io), milli-units per resource. */
export interface ContainerUsage {
  name: string;
  usage: Record<string, number>;
}

/**
 * One item a metrics API returned.
 * - Resource / ContainerResource (metrics.k8s.io PodMetrics): `pod`, `timestamp`, `windowMs`, and either
 *   `containers` (raw usage; the engine sums/selects as metrics/client.go does) or `value` (the pod's
 *   already-extracted value).
 * - Pods (custom.metrics.k8s.io): `pod` (describedObject.name), `value`, `timestamp`, `windowMs`
 *   (default 60 s when absent).
 * - Object: exactly one item with `value` (any other count is an error, as the custom metrics client says).
 * - External: any number of items; their `value`s are summed, saturating at 2^63-1.
 */
export interface MetricSample {
  pod?: string;
  /** milli-units */
  value?: number;
  containers?: ContainerUsage[];
  /** ms since epoch */
  timestamp?: number;
  /** ms */
  windowMs?: number;
}

/** What the metrics API returned for one `spec.metrics[i]`: a list of items, or a failure. */
export type MetricReading = { samples: MetricSample[] } | { error: string };

/** One timestamped unstabilized recommendation (`timestampedRecommendation`). */
export interface TimestampedRecommendation {
  timestamp: number;
  replicas: number;
}

/** One recorded scale event (`timestampedScaleEvent`): the absolute replica change. */
export interface TimestampedScaleEvent {
  timestamp: number;
  replicaChange: number;
  /** Set once the event is older than the longest policy period of its direction; the slot is reused. */
  outdated?: boolean;
}

/**
 * The controller's in-memory state for one HPA (lost on controller restart). An empty `recommendations`
 * list means "no history" (upstream: a nil list): the reconcile seeds it with `{currentReplicas, now}`,
 * unless `recommendationsRecorded` is true, which stands for an existing but empty list (upstream unit
 * tests set `recommendations: []timestampedRecommendation{}` this way to skip the seeding).
 */
export interface HpaState {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: TimestampedScaleEvent[];
  scaleDownEvents: TimestampedScaleEvent[];
  recommendationsRecorded?: boolean;
}

/** kube-controller-manager flags (and feature gates) that change the decision. */
export interface ControllerConfig {
  /** `--horizontal-pod-autoscaler-tolerance`, default 0.1. */
  tolerance: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`, default 5m. */
  cpuInitializationPeriodMs: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`, default 30s. */
  initialReadinessDelayMs: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization`, default 5m. */
  downscaleStabilizationWindowMs: number;
  /** `--horizontal-pod-autoscaler-sync-period`, default 15s (used by loops such as the simulator). */
  syncPeriodMs: number;
  /** Legacy path (behavior nil) scale-up factor: 2 in production, 8 in upstream unit tests. */
  scaleUpLimitFactor: number;
  /** Legacy path scale-up minimum: 4. */
  scaleUpLimitMinimum: number;
  /** Feature gate HPAConfigurableTolerance (per-HPA `behavior.*.tolerance`), default true. */
  configurableTolerance: boolean;
  /** Feature gate PodLevelResources (pod-level requests win over container sums), default true. */
  podLevelResources: boolean;
}

/** The scale subresource of the target and what happens when the controller talks to it. */
export interface ScaleInfo {
  /** `scale.status.replicas` (pods that exist); used by per-pod Object/External targets. Default: currentReplicas. */
  statusReplicas?: number;
  /**
   * `scale.status.selector`. Undefined: not checked (the given pods are the selected ones). `""`: the
   * SelectorRequired failure. Unparseable: InvalidSelector.
   */
  selector?: string;
  /** Other HPAs in the namespace; if one of their selectors matches one of our pods: AmbiguousSelector. */
  otherHpas?: { name: string; namespace?: string; selector: string }[];
  /** When set, GET of the scale subresource fails with this message (FailedGetScale). */
  getError?: string;
  /** When set, UPDATE of the scale subresource fails with this message (FailedRescale). */
  updateError?: string;
}

/** Everything one reconcile of one HPA needs; the function is pure. */
export interface ReconcileInput {
  /**
   * The HPA (see `parseHpa`). Treated as immutable: derived data (metric names, resolved behavior) is
   * memoized per object, so build a new object instead of editing one between reconciles.
   */
  hpa: HpaObject;
  /** The instant of this reconcile (ms since epoch). */
  now: number;
  /** `scale.spec.replicas`. */
  currentReplicas: number;
  pods: PodInfo[];
  /** One reading per `spec.metrics[i]`, same order; undefined reads as an empty list. */
  metrics: (MetricReading | undefined)[];
  /** Controller memory from the previous reconcile (or empty). Never modified; entries are shared. */
  state: HpaState;
  /** The HPA status before this reconcile; defaults to `hpa.status`, then to an empty status. */
  status?: HpaStatus;
  scale?: ScaleInfo;
  config?: Partial<ControllerConfig>;
  /**
   * Build the step-by-step `explanation` (default true). Long loops such as the simulator can pass
   * false: the decision is the same and `explanation` comes back empty, which saves the string work.
   */
  explain?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Reconcile result
// ---------------------------------------------------------------------------------------------------

/** A Kubernetes event the controller records. */
export interface HpaEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** How the pods fell into groups for one metric (ready, unready, missing, ignored). */
export interface PodGroups {
  ready: string[];
  unready: string[];
  missing: string[];
  ignored: string[];
}

/** What one `spec.metrics[i]` proposed. */
export interface MetricProposal {
  index: number;
  type: MetricSourceType | string;
  /** The metric name used in reasons and messages, e.g. `cpu resource utilization (percentage of request)`. */
  name: string;
  /** True when the metric produced a replica count. */
  valid: boolean;
  /** The proposed replica count (valid metrics only). */
  replicas?: number;
  /** Failure: the error text and the ScalingActive reason (`FailedGetResourceMetric`, ...). */
  error?: string;
  reason?: string;
  /** Usage ratio of the first pass (before rebalancing) and after rebalancing, when computed. */
  ratio?: number;
  rebalancedRatio?: number;
  /** Utilization targets: the integer percent; AverageValue/Pods: the raw average, milli-units. */
  utilization?: number;
  rawAverage?: number;
  /** Object/External: the value (or total) in milli-units. */
  value?: number;
  /** The target in milli-units (Value/AverageValue) or percent (Utilization). */
  target?: number;
  /** Resource/ContainerResource/Pods: pod grouping (omitted when the input says `explain: false`). */
  pods?: PodGroups;
  /** Which path of the replica calculator decided (`tolerance`, `fast`, `rebalanced`, `direction-flip`, ...). */
  path?: string;
  /** The status.currentMetrics entry for this metric. */
  status: MetricStatus;
}

/**
 * Which branch of the reconcile ran: scale read failed, disabled (0 replicas with minReplicas != 0),
 * above max / below min (corrected without metrics), or the metrics path.
 */
export type ReconcileCase =
  | "failedGetScale"
  | "disabled"
  | "aboveMax"
  | "belowMin"
  | "metricsFailed"
  | "metrics";

/** The outcome of one reconcile. */
export interface ReconcileResult {
  /** `status.desiredReplicas` after this reconcile (old value when metrics failed). */
  desiredReplicas: number;
  /** True when the scale subresource is updated (successfully or not) to `desiredReplicas`. */
  rescale: boolean;
  case: ReconcileCase;
  /** The replica count the metrics asked for (max over valid metrics), before normalization. */
  metricsReplicas?: number;
  /** After stabilization, before rate limits / min-max (normalization paths). */
  stabilizedReplicas?: number;
  /** The reason used in the rescale event (`cpu resource utilization (...) above target`, ...). */
  rescaleReason?: string;
  metricProposals: MetricProposal[];
  /** The new `status.conditions`. */
  conditions: Condition[];
  /** The rescale event (`SuccessfulRescale` or `FailedRescale`), when a rescale was attempted. */
  event?: HpaEvent;
  /** Every event of this reconcile, in order (warnings for failing metrics included). */
  events: HpaEvent[];
  /** The new `status.currentMetrics`. */
  currentMetrics: MetricStatus[];
  /** The new status as the controller writes it. */
  status: HpaStatus;
  /** Controller memory to pass to the next reconcile. */
  nextState: HpaState;
  /** The error reconcileAutoscaler returns (the HPA is requeued with it), if any. */
  error?: string;
  /** Step-by-step explanation in plain sentences. */
  explanation: string[];
}
