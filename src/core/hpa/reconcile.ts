/**
 * One reconcile of one HPA (horizontal.go reconcileAutoscaler, computeReplicasForMetrics and
 * computeReplicasForMetric), pure: the instant, the pods, the
 * metric readings and the controller memory come in; the decision, conditions, events, status, the next
 * memory and an explanation go out.
 */
import { matches, tryParseSelector } from "../labels/selector.js";
import { tryParseQuantity } from "../quantity/quantity.js";
import {
  limitLegacy,
  limitWithBehavior,
  type PolicyProposal,
  type ResolvedBehavior,
  resolveBehavior,
  stabilizeLegacy,
  stabilizeWithBehavior,
  storeScaleEvent,
} from "./behavior.js";
import { computeMetric, type MetricContext } from "./metric-replicas.js";
import type { Tolerances } from "./replica-calculator.js";
import type {
  Condition,
  ConditionType,
  ControllerConfig,
  HpaBehavior,
  HpaEvent,
  HpaState,
  HpaStatus,
  MetricProposal,
  MetricStatus,
  ReconcileCase,
  ReconcileInput,
  ReconcileResult,
} from "./types.js";

export { targetMilli } from "./metric-replicas.js";

/** kube-controller-manager defaults (RecommendedDefaultHPAControllerConfiguration, production factor 2). */
export const DEFAULT_CONTROLLER_CONFIG: Readonly<ControllerConfig> = Object.freeze({
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  initialReadinessDelayMs: 30_000,
  downscaleStabilizationWindowMs: 5 * 60_000,
  syncPeriodMs: 15_000,
  scaleUpLimitFactor: 2,
  scaleUpLimitMinimum: 4,
  configurableTolerance: true,
  podLevelResources: true,
});

/** Controller memory of a freshly (re)started controller: no history. */
export function emptyState(): HpaState {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

/** A per-HPA tolerance quantity as an approximate float (`AsApproximateFloat64`). */
function toleranceValue(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const q = tryParseQuantity(text);
  return q.ok ? q.value.toNumber() : fallback;
}

/**
 * Per-direction tolerances (KEP-4951): `spec.behavior.scaleUp/scaleDown.tolerance` when set and the
 * HPAConfigurableTolerance gate is on, else the cluster-wide `--horizontal-pod-autoscaler-tolerance`.
 */
export function tolerancesFor(hpa: ReconcileInput["hpa"], config: ControllerConfig): Tolerances {
  const b = config.configurableTolerance ? hpa.spec.behavior : undefined;
  return {
    scaleUp: toleranceValue(b?.scaleUp?.tolerance, config.tolerance),
    scaleDown: toleranceValue(b?.scaleDown?.tolerance, config.tolerance),
  };
}

/** resolveBehavior, memoized per behavior object and window (the HPA object is reused across reconciles). */
const resolved = new WeakMap<HpaBehavior, { windowMs: number; value: ResolvedBehavior }>();
function resolvedBehavior(b: HpaBehavior, windowMs: number): ResolvedBehavior {
  const hit = resolved.get(b);
  if (hit !== undefined && hit.windowMs === windowMs) return hit.value;
  const value = resolveBehavior(b, windowMs);
  resolved.set(b, { windowMs, value });
  return value;
}

const CONDITION_KEYS = ["type", "status", "reason", "message", "lastTransitionTime"];

/** A plain object with exactly the fields {@link putCondition} writes, in that order. */
function isPlainCondition(c: Condition): boolean {
  if (Object.getPrototypeOf(c) !== Object.prototype) return false;
  const keys = Object.keys(c);
  if (keys.length !== CONDITION_KEYS.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== CONDITION_KEYS[i]) return false;
  return true;
}

/**
 * Puts back the previous status's entry where the new one equals it (and it is a plain entry of the
 * same fields), so a condition that did not change over the reconcile is one object shared between
 * results (entries are immutable).
 */
function keepUnchanged(list: Condition[], previous: readonly Condition[]): void {
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    for (let j = 0; j < previous.length; j++) {
      const p = previous[j]!;
      if (p.type !== c.type) continue;
      if (
        p !== c &&
        p.status === c.status &&
        p.reason === c.reason &&
        p.message === c.message &&
        p.lastTransitionTime === c.lastTransitionTime &&
        isPlainCondition(p)
      )
        list[i] = p;
      break;
    }
  }
}

/** The ValidMetricFound message, one string per metric name (it is kept in every result). */
const validMetricMessages = new Map<string, string>();
function validMetricMessage(metric: string): string {
  let m = validMetricMessages.get(metric);
  if (m === undefined) {
    m = `the HPA was able to successfully calculate a replica count from ${metric}`;
    if (validMetricMessages.size > 1000) validMetricMessages.clear();
    validMetricMessages.set(metric, m);
  }
  return m;
}

/** The policy proposals of a rate limit, for the explanation. */
function policiesText(proposals: readonly PolicyProposal[]): string {
  return proposals
    .map(
      (p) =>
        `${p.policy.type} ${p.policy.value}/${p.policy.periodSeconds}s from ${p.periodStart} -> ${p.proposed}`,
    )
    .join(", ");
}

/**
 * setCondition (status.ts, upstream setConditionInList) on the reconcile's own copy of the list, edited
 * in place: an absent type is appended; the transition time changes only on a status flip.
 */
function putCondition(
  list: Condition[],
  type: ConditionType,
  status: Condition["status"],
  reason: string,
  message: string,
  now: number,
): Condition[] {
  let i = 0;
  while (i < list.length && list[i]!.type !== type) i++;
  const existing = list[i];
  const lastTransitionTime =
    existing === undefined || existing.status !== status ? now : existing.lastTransitionTime;
  list[i] = { type, status, reason, message, lastTransitionTime };
  return list;
}

/** The metrics step of one reconcile (computeReplicasForMetrics): -1 when it fails. */
interface MetricsStep {
  replicas: number;
  metric: string;
  statuses: MetricStatus[];
  proposals: MetricProposal[];
  conditions: Condition[];
  events: HpaEvent[];
  error?: string;
  explanation: string[] | undefined;
}

function selectorFailure(
  input: ReconcileInput,
): { event: HpaEvent; reason: string; message: string; error: string } | undefined {
  const scale = input.scale;
  if (scale?.selector === undefined) return undefined;
  if (scale.selector === "") {
    return {
      event: { type: "Warning", reason: "SelectorRequired", message: "selector is required" },
      reason: "InvalidSelector",
      message: "the HPA target's scale is missing a selector",
      error: "selector is required",
    };
  }
  const parsed = tryParseSelector(scale.selector);
  if (!parsed.ok) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${parsed.error.message}`;
    return {
      event: { type: "Warning", reason: "InvalidSelector", message: msg },
      reason: "InvalidSelector",
      message: msg,
      error: msg,
    };
  }
  const self = `${input.hpa.metadata.namespace}/${input.hpa.metadata.name}`;
  const controlling = new Set<string>();
  const others = (scale.otherHpas ?? []).flatMap((o) => {
    const ns = o.namespace ?? input.hpa.metadata.namespace;
    if (ns !== input.hpa.metadata.namespace) return [];
    const s = tryParseSelector(o.selector);
    return s.ok && o.selector !== "" ? [{ key: `${ns}/${o.name}`, selector: s.value }] : [];
  });
  for (const pod of input.pods) {
    const labels = pod.labels ?? {};
    if (matches(parsed.value, labels)) controlling.add(self);
    for (const o of others) if (o.key !== self && matches(o.selector, labels)) controlling.add(o.key);
  }
  if (controlling.size > 1) {
    const msg = `pods by selector ${scale.selector} are controlled by multiple HPAs: [${[...controlling].sort().join(" ")}]`;
    return {
      event: { type: "Warning", reason: "AmbiguousSelector", message: msg },
      reason: "AmbiguousSelector",
      message: msg,
      error: msg,
    };
  }
  return undefined;
}

function computeReplicasForMetrics(
  input: ReconcileInput,
  config: ControllerConfig,
  conditions0: Condition[],
): MetricsStep {
  const explanation: string[] | undefined = input.explain === false ? undefined : [];
  const sel = selectorFailure(input);
  if (sel) {
    const conditions = putCondition(
      conditions0,
      "ScalingActive",
      "False",
      sel.reason,
      sel.message,
      input.now,
    );
    explanation?.push(`The target's selector is unusable: ${sel.error}. No metric is read.`);
    return {
      replicas: -1,
      metric: "",
      statuses: [],
      proposals: [],
      conditions,
      events: [sel.event],
      error: sel.error,
      explanation,
    };
  }
  const all = evaluateMetrics(input, metricContext(input, config), explanation);
  return all.invalid >= all.count || (all.invalid > 0 && all.replicas < input.currentReplicas)
    ? refuseMetrics(input, all, conditions0, explanation)
    : acceptMetrics(input, all, conditions0, explanation);
}

/** What the metric calculations see of this reconcile. */
function metricContext(input: ReconcileInput, config: ControllerConfig): MetricContext {
  const { hpa, now } = input;
  return {
    explain: input.explain !== false,
    timing: {
      now,
      cpuInitializationPeriodMs: config.cpuInitializationPeriodMs,
      initialReadinessDelayMs: config.initialReadinessDelayMs,
    },
    namespace: hpa.metadata.namespace,
    now,
    specReplicas: input.currentReplicas,
    statusReplicas: input.scale?.statusReplicas ?? input.currentReplicas,
    pods: input.pods,
    tolerances: tolerancesFor(hpa, config),
    config,
  };
}

/** Every metric spec evaluated in order: the largest valid proposal and the first failure. */
interface EvaluatedMetrics {
  count: number;
  replicas: number;
  metric: string;
  invalid: number;
  firstFailure: { reason: string; inner: string; outer: string } | undefined;
  statuses: MetricStatus[];
  proposals: MetricProposal[];
  events: HpaEvent[];
}

function evaluateMetrics(
  input: ReconcileInput,
  ctx: MetricContext,
  explanation: string[] | undefined,
): EvaluatedMetrics {
  const specs = input.hpa.spec.metrics;
  const all: EvaluatedMetrics = {
    count: specs.length,
    replicas: 0,
    metric: "",
    invalid: 0,
    firstFailure: undefined,
    statuses: [],
    proposals: [],
    events: [],
  };
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const out = computeMetric(spec, i, ctx, input.metrics[i]);
    all.proposals.push(out.proposal);
    all.statuses.push(out.proposal.status);
    if (out.failure) {
      all.events.push({ type: "Warning", reason: out.failure.reason, message: out.failure.inner });
      if (all.firstFailure === undefined) all.firstFailure = out.failure;
      all.invalid++;
      explanation?.push(`Metric ${i} (${spec.type}) failed [${out.failure.reason}]: ${out.failure.inner}.`);
      continue;
    }
    const p = out.proposal.replicas!;
    explanation?.push(`Metric ${i} (${out.proposal.name}): ${out.detail ?? ""} -> proposes ${p}.`);
    if (all.replicas === 0 || p > all.replicas) {
      all.replicas = p;
      all.metric = out.proposal.name;
    }
  }
  return all;
}

/** Every metric failed, or some did and the rest ask for a scale-down: the step fails (-1). */
function refuseMetrics(
  input: ReconcileInput,
  all: EvaluatedMetrics,
  conditions0: Condition[],
  explanation: string[] | undefined,
): MetricsStep {
  const f = all.firstFailure ?? { reason: "", inner: "", outer: "" };
  const conditions = putCondition(
    conditions0,
    "ScalingActive",
    "False",
    f.reason,
    `the HPA was unable to compute the replica count: ${f.inner}`,
    input.now,
  );
  const error = `invalid metrics (${all.invalid} invalid out of ${all.count}), first error is: ${f.outer}`;
  explanation?.push(
    all.invalid >= all.count
      ? "Every metric failed: the controller does not scale."
      : `Some metrics failed and the valid ones propose ${all.replicas}, fewer than the current ${input.currentReplicas}: a scale-down without full information is refused.`,
  );
  const { statuses, proposals, events } = all;
  return { replicas: -1, metric: "", statuses, proposals, conditions, events, error, explanation };
}

/** The largest valid proposal stands (a failed metric is reported, but does not stop a scale-up). */
function acceptMetrics(
  input: ReconcileInput,
  all: EvaluatedMetrics,
  conditions0: Condition[],
  explanation: string[] | undefined,
): MetricsStep {
  const { replicas, metric, statuses, proposals, events, invalid } = all;
  const conditions = putCondition(
    conditions0,
    "ScalingActive",
    "True",
    "ValidMetricFound",
    validMetricMessage(metric),
    input.now,
  );
  const result: MetricsStep = { replicas, metric, statuses, proposals, conditions, events, explanation };
  if (invalid > 0) {
    result.error = `invalid metrics (${invalid} invalid out of ${all.count}), first error is: ${all.firstFailure!.outer}`;
    explanation?.push(
      `${invalid} metric(s) failed, but the valid ones do not ask for a scale-down, so the controller goes ahead (and reports the error).`,
    );
  }
  explanation?.push(`The largest proposal wins: ${replicas} from ${metric}.`);
  return result;
}

/** The controller configuration: the input's fields over the defaults (the last merge is reused). */
let lastConfigIn: Partial<ControllerConfig> | undefined;
let lastConfig: ControllerConfig = DEFAULT_CONTROLLER_CONFIG;
function controllerConfig(given: Partial<ControllerConfig> | undefined): ControllerConfig {
  if (given === undefined) return DEFAULT_CONTROLLER_CONFIG;
  if (given === lastConfigIn && sameMerge(given, lastConfig)) return lastConfig;
  lastConfigIn = given;
  lastConfig = { ...DEFAULT_CONTROLLER_CONFIG, ...given };
  return lastConfig;
}
/** Whether `merged` still is `{...DEFAULT_CONTROLLER_CONFIG, ...given}` (the input may have been edited). */
function sameMerge(given: Partial<ControllerConfig>, merged: ControllerConfig): boolean {
  const d = DEFAULT_CONTROLLER_CONFIG;
  // An explicitly undefined field (which the spread copies) never matches here, so it merges anew.
  return (
    (given.tolerance ?? d.tolerance) === merged.tolerance &&
    (given.cpuInitializationPeriodMs ?? d.cpuInitializationPeriodMs) === merged.cpuInitializationPeriodMs &&
    (given.initialReadinessDelayMs ?? d.initialReadinessDelayMs) === merged.initialReadinessDelayMs &&
    (given.downscaleStabilizationWindowMs ?? d.downscaleStabilizationWindowMs) ===
      merged.downscaleStabilizationWindowMs &&
    (given.syncPeriodMs ?? d.syncPeriodMs) === merged.syncPeriodMs &&
    (given.scaleUpLimitFactor ?? d.scaleUpLimitFactor) === merged.scaleUpLimitFactor &&
    (given.scaleUpLimitMinimum ?? d.scaleUpLimitMinimum) === merged.scaleUpLimitMinimum &&
    (given.configurableTolerance ?? d.configurableTolerance) === merged.configurableTolerance &&
    (given.podLevelResources ?? d.podLevelResources) === merged.podLevelResources
  );
}

/** `Kind/namespace/name` of the scale target, as the controller's messages name it. */
function targetRef(hpa: ReconcileInput["hpa"]): string {
  const t = hpa.spec.scaleTargetRef;
  return `${t.kind}/${hpa.metadata.namespace}/${t.name}`;
}

/** schema.ParseGroupVersion's error for more than one "/" (memoized for the last text). */
let lastApiVersion = "";
let lastApiVersionError: string | undefined;
function groupVersionError(apiVersion: string): string | undefined {
  if (apiVersion !== lastApiVersion) {
    lastApiVersion = apiVersion;
    lastApiVersionError =
      apiVersion !== "/" && apiVersion.split("/").length > 2
        ? `unexpected GroupVersion string: ${apiVersion}`
        : undefined;
  }
  return lastApiVersionError;
}

/** What one reconcile builds as it goes: its own copies of the conditions and memory (the input is never edited). */
interface Run {
  input: ReconcileInput;
  config: ControllerConfig;
  prev: HpaStatus;
  now: number;
  /** spec.replicas of the scale target. */
  current: number;
  conditions: Condition[];
  events: HpaEvent[];
  explanation: string[] | undefined;
  state: HpaState;
}

/** The decision of steps 2 (which case) and normalization, before the scale update. */
interface Decision {
  case: ReconcileCase;
  desired: number;
  rescale: boolean;
  rescaleReason: string;
  statuses: MetricStatus[];
  proposals: MetricProposal[];
  metricsReplicas?: number;
  stabilizedReplicas?: number;
  error?: string;
}

/**
 * One reconcile of one HPA at `input.now` (horizontal.go reconcileAutoscaler):
 * 1. scale GET (failure: FailedGetScale, stop); seed the recommendation history when empty;
 * 2. one of: scaling disabled (spec.replicas 0, minReplicas ≠ 0), above max, below min (corrected
 *    without metrics), or the metrics step followed by legacy or behavior normalization;
 * 3. scale UPDATE when the count changes (SuccessfulRescale / FailedRescale), scale event recording;
 * 4. the new status.
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const run = startRun(input);
  const badGroupVersion = groupVersionError(input.hpa.spec.scaleTargetRef.apiVersion ?? "");
  const getError = badGroupVersion ?? input.scale?.getError;
  if (getError !== undefined) return failedGetScale(run, getError, badGroupVersion !== undefined);
  scaleRead(run);
  const decided = decide(run);
  if ("result" in decided) return decided.result;
  return decided.rescale ? rescale(run, decided) : keepCount(run, decided);
}

function startRun(input: ReconcileInput): Run {
  const prev: HpaStatus = input.status ??
    input.hpa.status ?? { currentReplicas: 0, desiredReplicas: 0, currentMetrics: [], conditions: [] };
  const state: HpaState = {
    // Entries are immutable (replaced, never edited), so the lists are copied shallowly.
    recommendations: input.state.recommendations.slice(),
    scaleUpEvents: input.state.scaleUpEvents.slice(),
    scaleDownEvents: input.state.scaleDownEvents.slice(),
  };
  if (input.state.recommendationsRecorded === true) state.recommendationsRecorded = true;
  return {
    input,
    config: controllerConfig(input.config),
    prev,
    now: input.now,
    current: input.currentReplicas,
    conditions: prev.conditions.slice(),
    events: [],
    explanation: input.explain === false ? undefined : [],
    state,
  };
}

function setCondition(
  run: Run,
  type: ConditionType,
  status: Condition["status"],
  reason: string,
  message: string,
): void {
  run.conditions = putCondition(run.conditions, type, status, reason, message, run.now);
}

/** Step 1 failed: AbleToScale=False/FailedGetScale and the old status otherwise. */
function failedGetScale(run: Run, getError: string, badGroupVersion: boolean): ReconcileResult {
  const { prev, input } = run;
  run.events.push({ type: "Warning", reason: "FailedGetScale", message: getError });
  setCondition(
    run,
    "AbleToScale",
    "False",
    "FailedGetScale",
    `the HPA controller was unable to get the target's current scale: ${getError}`,
  );
  run.explanation?.push(
    `Reading the scale subresource of ${targetRef(input.hpa)} failed: ${getError}. Nothing else happens.`,
  );
  keepUnchanged(run.conditions, prev.conditions);
  const status: HpaStatus = { ...prev, conditions: run.conditions };
  return {
    desiredReplicas: prev.desiredReplicas,
    rescale: false,
    case: "failedGetScale",
    metricProposals: [],
    conditions: run.conditions,
    events: run.events,
    currentMetrics: prev.currentMetrics,
    status,
    nextState: run.state,
    error: badGroupVersion
      ? `invalid API version in scale target reference: ${getError}`
      : `failed to query scale subresource for ${targetRef(input.hpa)}: ${getError}`,
    explanation: run.explanation ?? [],
  };
}

/** Step 1 succeeded: AbleToScale=True/SucceededGetScale; a fresh controller records {current, now}. */
function scaleRead(run: Run): void {
  const C = run.current;
  setCondition(
    run,
    "AbleToScale",
    "True",
    "SucceededGetScale",
    "the HPA controller was able to get the target's current scale",
  );
  run.explanation?.push(`The target ${targetRef(run.input.hpa)} has ${C} replicas (spec.replicas).`);
  if (run.state.recommendations.length === 0 && run.state.recommendationsRecorded !== true) {
    run.state.recommendations.push({ replicas: C, timestamp: run.now });
    run.explanation?.push(
      `No recommendation history (fresh controller): recorded {${C}, now}, which holds off scale-downs for one stabilization window.`,
    );
  }
}

/** Step 2: exactly one case; the metrics case ends the reconcile when the metrics step fails. */
function decide(run: Run): Decision | { result: ReconcileResult } {
  const C = run.current;
  const spec = run.input.hpa.spec;
  if (C === 0 && spec.minReplicas !== 0) return disabled(run);
  if (C > spec.maxReplicas) {
    run.explanation?.push(
      `${C} replicas is above maxReplicas ${spec.maxReplicas}: scale to ${spec.maxReplicas} without reading metrics.`,
    );
    return outOfRange("aboveMax", spec.maxReplicas, "Current number of replicas above Spec.MaxReplicas");
  }
  if (C < spec.minReplicas) {
    run.explanation?.push(
      `${C} replicas is below minReplicas ${spec.minReplicas}: scale to ${spec.minReplicas} without reading metrics.`,
    );
    return outOfRange("belowMin", spec.minReplicas, "Current number of replicas below Spec.MinReplicas");
  }
  return fromMetrics(run);
}

function disabled(run: Run): Decision {
  setCondition(
    run,
    "ScalingActive",
    "False",
    "ScalingDisabled",
    "scaling is disabled since the replica count of the target is zero",
  );
  run.explanation?.push("The target has 0 replicas and minReplicas is not 0: autoscaling is disabled.");
  return { case: "disabled", desired: 0, rescale: false, rescaleReason: "", statuses: [], proposals: [] };
}

/** Above max or below min: corrected without reading metrics; ScalingActive/ScalingLimited untouched. */
function outOfRange(kind: "aboveMax" | "belowMin", desired: number, rescaleReason: string): Decision {
  return { case: kind, desired, rescale: true, rescaleReason, statuses: [], proposals: [] };
}

/** The metrics case: the metrics step, then legacy or behavior normalization. */
function fromMetrics(run: Run): Decision | { result: ReconcileResult } {
  const C = run.current;
  const step = computeReplicasForMetrics(run.input, run.config, run.conditions);
  run.conditions = step.conditions;
  run.events.push(...step.events);
  if (step.explanation) run.explanation?.push(...step.explanation);
  if (step.replicas === -1) return { result: metricsFailed(run, step) };
  let desired = 0;
  let rescaleMetric = "";
  if (step.replicas > desired) {
    desired = step.replicas;
    rescaleMetric = step.metric;
  }
  let rescaleReason = "";
  if (desired > C) rescaleReason = `${rescaleMetric} above target`;
  if (desired < C) rescaleReason = "All metrics below target";
  const behavior = run.input.hpa.spec.behavior;
  const normalized =
    behavior === undefined ? normalizeLegacy(run, desired) : normalizeWithBehavior(run, behavior, desired);
  const decision: Decision = {
    case: "metrics",
    desired: normalized.desired,
    rescale: normalized.desired !== C,
    rescaleReason,
    statuses: step.statuses,
    proposals: step.proposals,
    metricsReplicas: step.replicas,
    stabilizedReplicas: normalized.stabilized,
  };
  if (step.error !== undefined) decision.error = step.error;
  return decision;
}

/** The status written when a step fails after the scale was read: desiredReplicas keeps its old value. */
function statusKeepingDesired(run: Run, statuses: MetricStatus[]): HpaStatus {
  const { prev } = run;
  keepUnchanged(run.conditions, prev.conditions);
  const status: HpaStatus = {
    currentReplicas: run.current,
    desiredReplicas: prev.desiredReplicas,
    currentMetrics: statuses,
    conditions: run.conditions,
  };
  if (prev.lastScaleTime !== undefined) status.lastScaleTime = prev.lastScaleTime;
  return status;
}

/** The metrics step failed: FailedComputeMetricsReplicas, desiredReplicas keeps its old value. */
function metricsFailed(run: Run, step: MetricsStep): ReconcileResult {
  const { prev, input } = run;
  const message = step.error ?? "";
  run.events.push({ type: "Warning", reason: "FailedComputeMetricsReplicas", message });
  run.explanation?.push(
    `The metrics step failed: status.desiredReplicas stays ${prev.desiredReplicas}, no scaling (event FailedComputeMetricsReplicas).`,
  );
  const status = statusKeepingDesired(run, step.statuses);
  return {
    desiredReplicas: prev.desiredReplicas,
    rescale: false,
    case: "metricsFailed",
    metricsReplicas: -1,
    metricProposals: step.proposals,
    conditions: run.conditions,
    events: run.events,
    currentMetrics: step.statuses,
    status,
    nextState: run.state,
    error: `failed to compute desired number of replicas based on listed metrics for ${targetRef(input.hpa)}: ${message}`,
    explanation: run.explanation ?? [],
  };
}

/** ScalingLimited: True with the limit's reason when the limits changed the stabilized count. */
function setLimited(
  run: Run,
  stabilized: number,
  lim: { replicas: number; reason: string; message: string },
): void {
  setCondition(
    run,
    "ScalingLimited",
    lim.replicas === stabilized ? "False" : "True",
    lim.reason,
    lim.message,
  );
}

/** Legacy path (no spec.behavior): max-over-window stabilization, then the `max(factor×C, minimum)` cap. */
function normalizeLegacy(run: Run, desired: number): { desired: number; stabilized: number } {
  const { config, now } = run;
  const C = run.current;
  const spec = run.input.hpa.spec;
  const windowS = config.downscaleStabilizationWindowMs / 1000;
  const stab = stabilizeLegacy(
    run.state.recommendations,
    desired,
    now,
    config.downscaleStabilizationWindowMs,
  );
  run.state.recommendations = stab.recommendations;
  setCondition(run, "AbleToScale", "True", stab.reason, stab.message);
  run.explanation?.push(
    stab.replicas !== desired
      ? `Legacy stabilization (no spec.behavior): the highest recommendation of the last ${windowS}s is ${stab.replicas}, so ${desired} becomes ${stab.replicas} [ScaleDownStabilized].`
      : `Legacy stabilization (no spec.behavior): no higher recommendation in the last ${windowS}s; ${desired} stands.`,
  );
  const lim = limitLegacy(
    C,
    stab.replicas,
    spec.minReplicas,
    spec.maxReplicas,
    config.scaleUpLimitFactor,
    config.scaleUpLimitMinimum,
  );
  setLimited(run, stab.replicas, lim);
  const limits = `Limits: min ${spec.minReplicas}, max ${spec.maxReplicas}, scale-up cap max(${config.scaleUpLimitFactor}×${C}, ${config.scaleUpLimitMinimum}) = ${lim.limit}`;
  run.explanation?.push(
    lim.replicas === stab.replicas
      ? `${limits}: ${stab.replicas} is within range.`
      : `${limits}: ${stab.replicas} becomes ${lim.replicas} [${lim.reason}].`,
  );
  return { desired: lim.replicas, stabilized: stab.replicas };
}

/** Behavior path: two-sided stabilization anchored on the current count, then the policy rate limits. */
function normalizeWithBehavior(
  run: Run,
  specBehavior: HpaBehavior,
  desired: number,
): { desired: number; stabilized: number } {
  const { config, now, state } = run;
  const C = run.current;
  const spec = run.input.hpa.spec;
  const behavior = resolvedBehavior(specBehavior, config.downscaleStabilizationWindowMs);
  const stab = stabilizeWithBehavior(
    state.recommendations,
    C,
    desired,
    now,
    behavior.scaleUp.stabilizationWindowSeconds,
    behavior.scaleDown.stabilizationWindowSeconds,
  );
  state.recommendations = stab.recommendations;
  setCondition(run, "AbleToScale", "True", stab.reason, stab.message);
  run.explanation?.push(
    `Stabilization: lowest recommendation in the scale-up window (${behavior.scaleUp.stabilizationWindowSeconds}s) is ${stab.upRecommendation}, highest in the scale-down window (${behavior.scaleDown.stabilizationWindowSeconds}s) is ${stab.downRecommendation}; from ${C} the stabilized count is ${stab.replicas}${stab.replicas !== desired ? ` [${stab.reason}]` : ""}.`,
  );
  const lim = limitWithBehavior({
    currentReplicas: C,
    desired: stab.replicas,
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    behavior,
    upEvents: state.scaleUpEvents,
    downEvents: state.scaleDownEvents,
    now,
  });
  setLimited(run, stab.replicas, lim);
  const dir = stab.replicas > C ? "scaleUp" : "scaleDown";
  run.explanation?.push(
    stab.replicas === C
      ? "No change requested: rate limits do not apply."
      : `Rate limit (${dir}, selectPolicy ${behavior[dir].selectPolicy}${lim.proposals.length > 0 ? `: ${policiesText(lim.proposals)}` : ""}) is ${lim.limit}; min ${spec.minReplicas}, max ${spec.maxReplicas}: ${lim.replicas === stab.replicas ? `${stab.replicas} is within range` : `${stab.replicas} becomes ${lim.replicas} [${lim.reason}]`}.`,
  );
  return { desired: lim.replicas, stabilized: stab.replicas };
}

/** Step 3 with a new count: the scale UPDATE, its event and condition, and the scale event record. */
function rescale(run: Run, d: Decision): ReconcileResult {
  const updateError = run.input.scale?.updateError;
  if (updateError !== undefined) return failedRescale(run, d, updateError);
  const { desired, rescaleReason } = d;
  const C = run.current;
  setCondition(
    run,
    "AbleToScale",
    "True",
    "SucceededRescale",
    `the HPA controller was able to update the target scale to ${desired}`,
  );
  const event: HpaEvent = {
    type: "Normal",
    reason: "SuccessfulRescale",
    message: `New size: ${desired}; reason: ${rescaleReason}`,
  };
  run.events.push(event);
  const specBehavior = run.input.hpa.spec.behavior;
  if (specBehavior !== undefined) {
    const behavior = resolvedBehavior(specBehavior, run.config.downscaleStabilizationWindowMs);
    const stored = storeScaleEvent(
      behavior,
      run.state.scaleUpEvents,
      run.state.scaleDownEvents,
      C,
      desired,
      run.now,
    );
    run.state.scaleUpEvents = stored.scaleUpEvents;
    run.state.scaleDownEvents = stored.scaleDownEvents;
  }
  run.explanation?.push(`Scale ${C} -> ${desired} (${rescaleReason}).`);
  return finish(run, d, desired, run.now, event);
}

/** The scale UPDATE failed: FailedRescale, AbleToScale=False, desiredReplicas keeps its old value. */
function failedRescale(run: Run, d: Decision, updateError: string): ReconcileResult {
  const { prev } = run;
  const event: HpaEvent = {
    type: "Warning",
    reason: "FailedRescale",
    message: `New size: ${d.desired}; reason: ${d.rescaleReason}; error: ${updateError}`,
  };
  run.events.push(event);
  setCondition(
    run,
    "AbleToScale",
    "False",
    "FailedUpdateScale",
    `the HPA controller was unable to update the target scale: ${updateError}`,
  );
  run.explanation?.push(`Updating the scale to ${d.desired} failed: ${updateError}.`);
  const status = statusKeepingDesired(run, d.statuses);
  const r: ReconcileResult = {
    desiredReplicas: prev.desiredReplicas,
    rescale: true,
    case: d.case,
    rescaleReason: d.rescaleReason,
    metricProposals: d.proposals,
    conditions: run.conditions,
    event,
    events: run.events,
    currentMetrics: d.statuses,
    status,
    nextState: run.state,
    error: `failed to rescale ${targetRef(run.input.hpa)}: ${updateError}`,
    explanation: run.explanation ?? [],
  };
  if (d.metricsReplicas !== undefined) r.metricsReplicas = d.metricsReplicas;
  if (d.stabilizedReplicas !== undefined) r.stabilizedReplicas = d.stabilizedReplicas;
  return r;
}

/** Step 3 without a new count: the desired count is the current one. */
function keepCount(run: Run, d: Decision): ReconcileResult {
  if (d.case !== "disabled") run.explanation?.push(`No scaling: the count stays ${run.current}.`);
  return finish(run, d, run.current, run.prev.lastScaleTime, undefined);
}

/** Step 4: the new status and the result. */
function finish(
  run: Run,
  d: Decision,
  desired: number,
  lastScaleTime: number | undefined,
  event: HpaEvent | undefined,
): ReconcileResult {
  keepUnchanged(run.conditions, run.prev.conditions);
  const status: HpaStatus = {
    currentReplicas: run.current,
    desiredReplicas: desired,
    currentMetrics: d.statuses,
    conditions: run.conditions,
  };
  if (lastScaleTime !== undefined) status.lastScaleTime = lastScaleTime;
  const result: ReconcileResult = {
    desiredReplicas: desired,
    rescale: d.rescale,
    case: d.case,
    metricProposals: d.proposals,
    conditions: run.conditions,
    events: run.events,
    currentMetrics: d.statuses,
    status,
    nextState: run.state,
    explanation: run.explanation ?? [],
  };
  if (d.rescaleReason !== "" || d.rescale) result.rescaleReason = d.rescaleReason;
  if (event !== undefined) result.event = event;
  if (d.metricsReplicas !== undefined) result.metricsReplicas = d.metricsReplicas;
  if (d.stabilizedReplicas !== undefined) result.stabilizedReplicas = d.stabilizedReplicas;
  if (d.error !== undefined) result.error = d.error;
  return result;
}
