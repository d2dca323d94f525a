/**
 * Replica proposals per metric source (replica_calculator.go and metrics/utilization.go): Utilization with pod grouping
 * and rebalancing, plain per-pod averages (Resource AverageValue and Pods), Object/External Value (ready-pod
 * multiplier) and per-pod AverageValue. All arithmetic is on int64 milli-units (safe-integer numbers, BigInt where a
 * product could overflow 2^53) and float64 ratios, exactly as upstream. Pure.
 */
import {
  alignMetrics,
  groupNames,
  MISSING,
  type PodGrouping,
  type PodMetricsByPod,
  type PodMetricsMap,
  podRequest,
  type ReadinessTiming,
  requestError,
  tallyPods,
  UNREADY,
} from "./pods.js";
import type { PodInfo } from "./types.js";

/** Per-direction tolerance (`Tolerances{scaleDown, scaleUp}`). */
export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

/**
 * `(1 - scaleDown) <= ratio <= (1 + scaleUp)`: the change is too small to act on (inclusive at both ends:
 * a ratio of exactly 1.1 with tolerance 0.1 does not scale).
 */
export function isWithinTolerance(ratio: number, tol: Tolerances): boolean {
  return 1.0 - tol.scaleDown <= ratio && ratio <= 1.0 + tol.scaleUp;
}

/** int32 max; Object/External proposals are capped here. */
export const MAX_INT32 = 2_147_483_647;

/** `trunc(a * m / b)` in int64 arithmetic, exact for safe-integer inputs. */
export function mulDivTrunc(a: number, m: number, b: number): number {
  const p = a * m;
  if (Number.isSafeInteger(p)) return Math.trunc(p / b);
  return Number((BigInt(a) * BigInt(m)) / BigInt(b));
}

/** Integer division truncated toward zero (Go `/` on int64), exact for safe integers. */
export function intDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** The detail of a successful proposal (what `hpa explain` shows). */
export interface CalcOk {
  ok: true;
  replicas: number;
  /** First-pass ratio. */
  ratio: number;
  rebalancedRatio?: number | undefined;
  /** Utilization: integer percent of the first pass. */
  utilization?: number | undefined;
  /** Average (milli) of the first pass, or the value/total for Object/External. */
  usage: number;
  groups?: PodGrouping | undefined;
  /** Which branch decided. */
  path: CalcPath;
  /** Number of entries the rebalance multiplied by (len(metrics)), or the ready-pod count. */
  multiplier?: number | undefined;
}

/** Branches of the calculator, for explanations. */
export type CalcPath =
  | "within-tolerance"
  | "fast"
  | "rebalanced-within-tolerance"
  | "rebalanced-direction-flip"
  | "rebalanced-count-flip"
  | "rebalanced"
  | "ready-pods"
  | "scale-from-zero"
  | "per-pod";

/**
 * A {@link CalcOk} with every field in one fixed order (one object shape for all branches, so the
 * reconcile reads them monomorphically; unset optional fields are `undefined`).
 */
function calcOk(
  replicas: number,
  ratio: number,
  usage: number,
  path: CalcPath,
  utilization: number | undefined,
  groups: PodGrouping | undefined,
  rebalancedRatio: number | undefined,
  multiplier: number | undefined,
): CalcOk {
  return { ok: true, replicas, ratio, rebalancedRatio, utilization, usage, groups, path, multiplier };
}

/** A failed proposal: the replica calculator's error text. */
export interface CalcErr {
  ok: false;
  error: string;
  groups?: PodGrouping | undefined;
}

/** A proposal or the replica calculator's error (upstream returns `(replicas, ..., err)`). */
export type CalcResult = CalcOk | CalcErr;

/**
 * `trunc(Σmetric × 100 / Σrequest)` over entries that have both a metric and a request
 * (GetResourceUtilizationRatio); a zero request total is the upstream error.
 */
function utilizationOf(metricsTotal: number, requestsTotal: number): number | undefined {
  if (requestsTotal === 0) return undefined;
  return mulDivTrunc(metricsTotal, 100, requestsTotal);
}

/** Common inputs of the pod-based calculations. */
export interface PodCalcInput {
  currentReplicas: number;
  pods: readonly PodInfo[];
  /** The fetched metrics (read only), as a map or laid out along `pods`. Pod names are unique. */
  metrics: PodMetricsMap | PodMetricsByPod;
  tolerances: Tolerances;
  timing: ReadinessTiming;
  /** Fill the pod-name groups of the result (default true). */
  groupNames?: boolean;
}

/**
 * A scratch buffer for the pods' group codes, reused by every call (the calculators are synchronous and
 * finish with it before they return), so a reconcile allocates nothing per pod.
 */
let codeBuffer = new Uint8Array(256);
function groupCodes(n: number): Uint8Array {
  if (codeBuffer.length < n) codeBuffer = new Uint8Array(Math.max(n, codeBuffer.length * 2));
  return codeBuffer;
}

/**
 * Resource / ContainerResource with a Utilization target (GetResourceReplicas): group pods,
 * compute requests for every listed pod, the truncated utilization percent, then the fast path or the
 * rebalance (missing pods at max(100, target)% of request on scale-down, 0 on scale-up; unready pods at
 * 0 on scale-up) with both direction-flip guards.
 */
export function resourceUtilizationReplicas(
  input: PodCalcInput & {
    targetUtilization: number;
    resource: string;
    container: string;
    podLevelResources: boolean;
  },
): CalcResult {
  const { currentReplicas, pods, tolerances, targetUtilization } = input;
  if (pods.length === 0)
    return { ok: false, error: "no pods returned by selector while calculating replica count" };
  const metrics = input.metrics instanceof Map ? alignMetrics(pods, input.metrics) : input.metrics;
  const codes = groupCodes(pods.length);
  // Requests of every listed pod come from the same pass (one missing request fails the metric).
  const g = tallyPods(pods, metrics.byPod, input.resource, input.timing, codes, input);
  const groups = input.groupNames !== false ? groupNames(pods, codes) : undefined;
  // The metrics map after removing ignored and unready pods: ready pods plus superfluous entries.
  const entries = g.ready + (metrics.size - g.found);
  if (entries === 0)
    return { ok: false, error: "did not receive metrics for targeted pods (pods might be unready)", groups };
  const { container, resource, podLevelResources } = input;
  if (g.missingRequest >= 0) {
    const error = requestError(pods[g.missingRequest]!, container, resource, podLevelResources);
    return { ok: false, error, groups };
  }
  // Entries with a request are exactly the ready pods (superfluous names have no request).
  const requestsTotal = g.readyRequests;
  const metricsTotal = g.readySum;
  const utilization = utilizationOf(metricsTotal, requestsTotal);
  if (utilization === undefined)
    return { ok: false, error: "no metrics returned matched known pods", groups };
  const ratio = utilization / targetUtilization;
  const rawAverage = intDiv(metricsTotal, g.ready);

  const scaleUpWithUnready = g.unready > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missing === 0) {
    if (isWithinTolerance(ratio, tolerances))
      return calcOk(
        currentReplicas,
        ratio,
        rawAverage,
        "within-tolerance",
        utilization,
        groups,
        undefined,
        undefined,
      );
    return calcOk(
      capInt32(Math.ceil(ratio * g.ready)),
      ratio,
      rawAverage,
      "fast",
      utilization,
      groups,
      undefined,
      g.ready,
    );
  }

  // The rebalance (rare): pods in list order, missing ones first, then unready ones, as upstream.
  let m2 = metricsTotal;
  let r2 = requestsTotal;
  let n2 = entries;
  if (g.missing > 0 && (ratio < 1.0 || ratio > 1.0)) {
    // scale-down: a missing pod is assumed at max(100, target) % of its request; scale-up: at 0
    const fallback = Math.max(100, targetUtilization);
    for (let i = 0; i < pods.length; i++) {
      if (codes[i] !== MISSING) continue;
      const r = podRequest(pods[i]!, container, resource, podLevelResources)!;
      if (ratio < 1.0) m2 += mulDivTrunc(r, fallback, 100);
      r2 += r;
      n2++;
    }
  }
  if (scaleUpWithUnready) {
    for (let i = 0; i < pods.length; i++) {
      if (codes[i] !== UNREADY) continue;
      r2 += podRequest(pods[i]!, container, resource, podLevelResources)!;
      n2++;
    }
  }
  const second = utilizationOf(m2, r2);
  if (second === undefined) return { ok: false, error: "no metrics returned matched known pods", groups };
  return rebalanceOutcome(
    currentReplicas,
    ratio,
    rawAverage,
    utilization,
    groups,
    second / targetUtilization,
    n2,
    tolerances,
  );
}

function rebalanceOutcome(
  currentReplicas: number,
  ratio: number,
  usage: number,
  utilization: number | undefined,
  groups: PodGrouping | undefined,
  newRatio: number,
  entries: number,
  tolerances: Tolerances,
): CalcOk {
  let replicas = currentReplicas;
  let path: CalcPath;
  if (isWithinTolerance(newRatio, tolerances)) path = "rebalanced-within-tolerance";
  else if ((ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0))
    path = "rebalanced-direction-flip";
  else {
    const newReplicas = capInt32(Math.ceil(newRatio * entries));
    if (
      (newRatio < 1.0 && newReplicas > currentReplicas) ||
      (newRatio > 1.0 && newReplicas < currentReplicas)
    )
      path = "rebalanced-count-flip";
    else {
      path = "rebalanced";
      replicas = newReplicas;
    }
  }
  return calcOk(replicas, ratio, usage, path, utilization, groups, newRatio, entries);
}

/**
 * The plain per-pod metric (calcPlainMetricReplicas): Resource AverageValue (`resource` is the
 * resource name, so the CPU readiness rule applies to cpu) and Pods metrics (`resource === ""`).
 * average = Σ/len(metrics) (superfluous entries count); missing pods get exactly the target on
 * scale-down, 0 on scale-up, nothing at ratio 1; unready pods 0 on scale-up.
 */
export function plainMetricReplicas(
  input: PodCalcInput & { targetUsage: number; resource: string },
): CalcResult {
  const { currentReplicas, pods, tolerances, targetUsage } = input;
  if (pods.length === 0)
    return { ok: false, error: "no pods returned by selector while calculating replica count" };
  const metrics = input.metrics instanceof Map ? alignMetrics(pods, input.metrics) : input.metrics;
  const codes = groupCodes(pods.length);
  const g = tallyPods(pods, metrics.byPod, input.resource, input.timing, codes);
  const groups = input.groupNames !== false ? groupNames(pods, codes) : undefined;
  const entries = g.ready + (metrics.size - g.found);
  if (entries === 0)
    return { ok: false, error: "did not receive metrics for targeted pods (pods might be unready)", groups };
  // GetMetricUsageRatio over the remaining entries: ready pods and superfluous entries.
  const total = g.readySum + metrics.superfluousSum;
  const usage = intDiv(total, entries);
  const ratio = usage / targetUsage;

  const scaleUpWithUnready = g.unready > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missing === 0) {
    if (isWithinTolerance(ratio, tolerances))
      return calcOk(
        currentReplicas,
        ratio,
        usage,
        "within-tolerance",
        undefined,
        groups,
        undefined,
        undefined,
      );
    return calcOk(
      capInt32(Math.ceil(ratio * g.ready)),
      ratio,
      usage,
      "fast",
      undefined,
      groups,
      undefined,
      g.ready,
    );
  }
  let total2 = total;
  let n2 = entries;
  if (g.missing > 0) {
    if (ratio < 1.0) {
      // scale-down: a missing pod is assumed at exactly the target
      total2 += targetUsage * g.missing;
      n2 += g.missing;
    } else if (ratio > 1.0) {
      n2 += g.missing;
    }
  }
  if (scaleUpWithUnready) n2 += g.unready;
  const newRatio = intDiv(total2, n2) / targetUsage;
  return rebalanceOutcome(currentReplicas, ratio, usage, undefined, groups, newRatio, n2, tolerances);
}

/** Pods in phase Running with Ready=True (getReadyPodsCount); an empty list is an error. */
export function readyPodsCount(
  pods: readonly PodInfo[],
): { ok: true; count: number } | { ok: false; error: string } {
  if (pods.length === 0)
    return { ok: false, error: "no pods returned by selector while calculating replica count" };
  let count = 0;
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i]!;
    if (p.phase === "Running" && p.ready === "True") count++;
  }
  return { ok: true, count };
}

/**
 * Object / External with a Value target (getUsageRatioReplicaCount): ratio = usage/target;
 * with current replicas != 0, tolerance then ceil(ratio × Running+Ready pods); with 0 replicas
 * ceil(ratio) and no tolerance check. Capped at int32 max.
 */
export function valueReplicas(input: {
  currentReplicas: number;
  usage: number;
  target: number;
  tolerances: Tolerances;
  pods: readonly PodInfo[];
}): CalcResult {
  const { usage, currentReplicas } = input;
  const ratio = usage / input.target;
  if (currentReplicas !== 0) {
    if (isWithinTolerance(ratio, input.tolerances))
      return calcOk(
        currentReplicas,
        ratio,
        usage,
        "within-tolerance",
        undefined,
        undefined,
        undefined,
        undefined,
      );
    const ready = readyPodsCount(input.pods);
    if (!ready.ok) return { ok: false, error: `unable to calculate ready pods: ${ready.error}` };
    const replicas = capInt32(Math.ceil(ratio * ready.count));
    return calcOk(replicas, ratio, usage, "ready-pods", undefined, undefined, undefined, ready.count);
  }
  const replicas = capInt32(Math.ceil(ratio));
  return calcOk(replicas, ratio, usage, "scale-from-zero", undefined, undefined, undefined, undefined);
}

/**
 * Object / External with an AverageValue target (GetObjectPerPodMetricReplicas /
 * GetExternalPerPodMetricReplicas): ratio = usage / (target × statusReplicas); outside tolerance
 * ceil(usage/target), else statusReplicas. `usage` (reported) becomes ceil(usage/statusReplicas).
 * With statusReplicas 0 the ratio is infinite (upstream divides by zero); the reported average is the total.
 */
export function perPodReplicas(input: {
  statusReplicas: number;
  usage: number;
  target: number;
  tolerances: Tolerances;
}): CalcOk {
  const { statusReplicas, usage, target } = input;
  const ratio = usage / (target * statusReplicas);
  let replicas = statusReplicas;
  if (!isWithinTolerance(ratio, input.tolerances)) replicas = capInt32(Math.ceil(usage / target));
  const average = statusReplicas === 0 ? usage : Math.ceil(usage / statusReplicas);
  return calcOk(replicas, ratio, average, "per-pod", undefined, undefined, undefined, undefined);
}

/**
 * Replica counts are int32 upstream. Newer controllers cap proposals at MaxInt32 (Object/External, see
 * docs); we cap every proposal the same way rather than reproduce Go's out-of-range float→int32
 * conversion (math.MinInt32 on amd64). A NaN (impossible with validated, finite input) becomes 0.
 */
function capInt32(n: number): number {
  if (Number.isNaN(n)) return 0;
  return Math.min(n, MAX_INT32);
}
