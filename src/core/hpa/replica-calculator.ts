/**
 * Replica proposals per metric source (replica_calculator.go and metrics/utilization.go, §6 of docs
 * hpa-algorithm.md): Utilization with pod grouping and rebalancing, plain per-pod averages (Resource
 * AverageValue and Pods), Object/External Value (ready-pod multiplier) and per-pod AverageValue.
 * All arithmetic is on int64 milli-units (safe-integer numbers, BigInt where a product could overflow
 * 2^53) and float64 ratios, exactly as upstream. Pure.
 */
import {
  alignMetrics,
  calculateRequests,
  groupPods,
  type PodGrouping,
  type PodGroupingDetail,
  type PodMetricsByPod,
  type PodMetricsMap,
  type ReadinessTiming,
} from "./pods.js";
import type { PodInfo } from "./types.js";

/** Per-direction tolerance (`Tolerances{scaleDown, scaleUp}`). */
export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

/** `(1 - scaleDown) <= ratio <= (1 + scaleUp)`: the change is too small to act on (inclusive, §6.6). */
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
  rebalancedRatio?: number;
  /** Utilization: integer percent of the first pass. */
  utilization?: number;
  /** Average (milli) of the first pass, or the value/total for Object/External. */
  usage: number;
  groups?: PodGrouping | undefined;
  /** Which branch decided. */
  path: CalcPath;
  /** Number of entries the rebalance multiplied by (len(metrics)), or the ready-pod count. */
  multiplier?: number;
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
 * Resource / ContainerResource with a Utilization target (GetResourceReplicas, §6.1): group pods,
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
  const names = input.groupNames !== false;
  const g = groupPods(pods, metrics, input.resource, input.timing, names);
  const groups = names ? plainGroups(g) : undefined;
  // The metrics map after removing ignored and unready pods: ready pods plus superfluous entries.
  const entries = g.readyIndex.length + (metrics.size - g.found);
  if (entries === 0)
    return { ok: false, error: "did not receive metrics for targeted pods (pods might be unready)", groups };
  const req = calculateRequests(pods, input.container, input.resource, input.podLevelResources);
  if (!req.ok) return { ok: false, error: req.error, groups };
  const requests = req.requests;
  // Entries with a request are exactly the ready pods (superfluous names have no request).
  const metricsTotal = g.readySum;
  let requestsTotal = 0;
  for (const i of g.readyIndex) requestsTotal += requests[i]!;
  const utilization = utilizationOf(metricsTotal, requestsTotal);
  if (utilization === undefined)
    return { ok: false, error: "no metrics returned matched known pods", groups };
  const ratio = utilization / targetUtilization;
  const rawAverage = intDiv(metricsTotal, g.readyIndex.length);
  const base = { ok: true as const, ratio, utilization, usage: rawAverage, groups };

  const scaleUpWithUnready = g.unreadyIndex.length > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missingIndex.length === 0) {
    if (isWithinTolerance(ratio, tolerances))
      return { ...base, replicas: currentReplicas, path: "within-tolerance" };
    const readyPodCount = g.readyIndex.length;
    return { ...base, replicas: Math.ceil(ratio * readyPodCount), path: "fast", multiplier: readyPodCount };
  }

  let m2 = metricsTotal;
  let r2 = requestsTotal;
  let n2 = entries;
  if (g.missingIndex.length > 0) {
    if (ratio < 1.0) {
      // scale-down: a missing pod is assumed at max(100, target) % of its request
      const fallback = Math.max(100, targetUtilization);
      for (const i of g.missingIndex) {
        const r = requests[i]!;
        m2 += mulDivTrunc(r, fallback, 100);
        r2 += r;
        n2++;
      }
    } else if (ratio > 1.0) {
      // scale-up: a missing pod is assumed at 0
      for (const i of g.missingIndex) {
        r2 += requests[i]!;
        n2++;
      }
    }
  }
  if (scaleUpWithUnready) {
    for (const i of g.unreadyIndex) {
      r2 += requests[i]!;
      n2++;
    }
  }
  const second = utilizationOf(m2, r2);
  if (second === undefined) return { ok: false, error: "no metrics returned matched known pods", groups };
  return rebalanceOutcome(base, currentReplicas, ratio, second / targetUtilization, n2, tolerances);
}

/** The output groups (names only) of a detailed grouping. */
function plainGroups(g: PodGroupingDetail): PodGrouping {
  return { ready: g.ready, unready: g.unready, missing: g.missing, ignored: g.ignored };
}

function rebalanceOutcome(
  base: Omit<CalcOk, "replicas" | "path">,
  currentReplicas: number,
  ratio: number,
  newRatio: number,
  entries: number,
  tolerances: Tolerances,
): CalcOk {
  const withNew = { ...base, rebalancedRatio: newRatio, multiplier: entries };
  if (isWithinTolerance(newRatio, tolerances))
    return { ...withNew, replicas: currentReplicas, path: "rebalanced-within-tolerance" };
  if ((ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0))
    return { ...withNew, replicas: currentReplicas, path: "rebalanced-direction-flip" };
  const newReplicas = Math.ceil(newRatio * entries);
  if ((newRatio < 1.0 && newReplicas > currentReplicas) || (newRatio > 1.0 && newReplicas < currentReplicas))
    return { ...withNew, replicas: currentReplicas, path: "rebalanced-count-flip" };
  return { ...withNew, replicas: newReplicas, path: "rebalanced" };
}

/**
 * The plain per-pod metric (calcPlainMetricReplicas, §6.2/§6.3): Resource AverageValue (`resource` is the
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
  const names = input.groupNames !== false;
  const g = groupPods(pods, metrics, input.resource, input.timing, names);
  const groups = names ? plainGroups(g) : undefined;
  const entries = g.readyIndex.length + (metrics.size - g.found);
  if (entries === 0)
    return { ok: false, error: "did not receive metrics for targeted pods (pods might be unready)", groups };
  // GetMetricUsageRatio over the remaining entries: ready pods and superfluous entries.
  const total = g.readySum + metrics.superfluousSum;
  const usage = intDiv(total, entries);
  const ratio = usage / targetUsage;
  const base = { ok: true as const, ratio, usage, groups };

  const scaleUpWithUnready = g.unreadyIndex.length > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missingIndex.length === 0) {
    if (isWithinTolerance(ratio, tolerances))
      return { ...base, replicas: currentReplicas, path: "within-tolerance" };
    const readyPodCount = g.readyIndex.length;
    return { ...base, replicas: Math.ceil(ratio * readyPodCount), path: "fast", multiplier: readyPodCount };
  }
  let total2 = total;
  let n2 = entries;
  if (g.missingIndex.length > 0) {
    if (ratio < 1.0) {
      // scale-down: a missing pod is assumed at exactly the target
      total2 += targetUsage * g.missingIndex.length;
      n2 += g.missingIndex.length;
    } else if (ratio > 1.0) {
      n2 += g.missingIndex.length;
    }
  }
  if (scaleUpWithUnready) n2 += g.unreadyIndex.length;
  const newRatio = intDiv(total2, n2) / targetUsage;
  return rebalanceOutcome(base, currentReplicas, ratio, newRatio, n2, tolerances);
}

/** Pods in phase Running with Ready=True (getReadyPodsCount); an empty list is an error. */
export function readyPodsCount(
  pods: readonly PodInfo[],
): { ok: true; count: number } | { ok: false; error: string } {
  if (pods.length === 0)
    return { ok: false, error: "no pods returned by selector while calculating replica count" };
  let count = 0;
  for (const p of pods) if (p.phase === "Running" && p.ready === "True") count++;
  return { ok: true, count };
}

/**
 * Object / External with a Value target (getUsageRatioReplicaCount, §6.4/§6.5): ratio = usage/target;
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
  const ratio = input.usage / input.target;
  const base = { ok: true as const, ratio, usage: input.usage };
  if (input.currentReplicas !== 0) {
    if (isWithinTolerance(ratio, input.tolerances))
      return { ...base, replicas: input.currentReplicas, path: "within-tolerance" };
    const ready = readyPodsCount(input.pods);
    if (!ready.ok) return { ok: false, error: `unable to calculate ready pods: ${ready.error}` };
    return {
      ...base,
      replicas: capInt32(Math.ceil(ratio * ready.count)),
      path: "ready-pods",
      multiplier: ready.count,
    };
  }
  return { ...base, replicas: capInt32(Math.ceil(ratio)), path: "scale-from-zero" };
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
  return { ok: true, replicas, ratio, usage: average, path: "per-pod" };
}

function capInt32(n: number): number {
  if (Number.isNaN(n)) return 0;
  return Math.min(n, MAX_INT32);
}
