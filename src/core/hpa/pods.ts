/**
 * Pod grouping and pod requests for the replica calculator (replica_calculator.go groupPods and
 * calculateRequests). Pure. Each pod falls into the first group that matches: deleted or Failed ->
 * ignored; Pending -> unready; no metric -> missing; for cpu only, the CPU readiness rule -> unready;
 * otherwise ready. Requests are summed over containers plus restartable (sidecar) init containers, and
 * one missing request fails the whole metric.
 */
import type { PodInfo } from "./types.js";

/**
 * One pod's metric as the metrics client returns it (`metricsclient.PodMetric`). An unset timestamp
 * reads as the reconcile instant and an unset window as 60 s (the sample objects of the input are used
 * as they are when they carry a plain value).
 */
export interface PodMetricValue {
  /** milli-units */
  readonly value: number;
  /** ms since epoch */
  readonly timestamp?: number | undefined;
  /** ms */
  readonly windowMs?: number | undefined;
}

/** Pod name -> metric (`metricsclient.PodMetricsInfo`); may hold names of pods not in the list. */
export type PodMetricsMap = Map<string, PodMetricValue>;

/**
 * The same metrics laid out along the pod list: `byPod[i]` is the metric of `pods[i]`; `size` is the
 * number of map entries (pods with a metric plus superfluous names) and `superfluousSum` the total of
 * the superfluous entries. Pod names are unique.
 */
export interface PodMetricsByPod {
  readonly byPod: readonly (PodMetricValue | undefined)[];
  readonly size: number;
  readonly superfluousSum: number;
}

/** Lays a metrics map out along the pod list. */
export function alignMetrics(pods: readonly PodInfo[], metrics: PodMetricsMap): PodMetricsByPod {
  const byPod: (PodMetricValue | undefined)[] = new Array(pods.length);
  let found = 0;
  let foundSum = 0;
  for (let i = 0; i < pods.length; i++) {
    const m = metrics.get(pods[i]!.name);
    byPod[i] = m;
    if (m !== undefined) {
      found++;
      foundSum += m.value;
    }
  }
  let superfluousSum = 0;
  if (metrics.size !== found) {
    for (const m of metrics.values()) superfluousSum += m.value;
    superfluousSum -= foundSum;
  }
  return { byPod, size: metrics.size, superfluousSum };
}

/** The groups of groupPods: ready, unready, missing, ignored. `ready` lists the names in pod-list order. */
export interface PodGrouping {
  ready: string[];
  unready: string[];
  missing: string[];
  ignored: string[];
}

/** The groups plus what the replica calculator needs from the same pass (indices into the pod list). */
export interface PodGroupingDetail extends PodGrouping {
  readyIndex: number[];
  unreadyIndex: number[];
  missingIndex: number[];
  /** Σ metric values of the ready pods. */
  readySum: number;
  /** Pods of the list that have an entry in the metrics map (any group). */
  found: number;
  /** Σ metric values of those pods. */
  foundSum: number;
}

/** Timing flags the CPU readiness rule uses. */
export interface ReadinessTiming {
  now: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

/** Group code of {@link podGroup}: deleted or Failed (checked first). */
export const IGNORED = 0;
/** Group code: Pending, or unready by the CPU readiness rule. */
export const UNREADY = 1;
/** Group code: no metric. */
export const MISSING = 2;
/** Group code: everything else. */
export const READY = 3;

/**
 * The group of one pod (upstream groupPods, newest), first match wins: deleted or Failed -> ignored;
 * Pending -> unready; no metric -> missing; for `cpu` only, the CPU initialization / initial readiness
 * rules -> unready; otherwise ready. `startTime + period` "after now" is strict, so a pod exactly
 * `period` old is past initialization.
 */
export function podGroup(
  pod: PodInfo,
  metric: PodMetricValue | undefined,
  cpu: boolean,
  timing: ReadinessTiming,
): number {
  if (pod.deletionTimestamp !== undefined || pod.phase === "Failed") return IGNORED;
  if (pod.phase === "Pending") return UNREADY;
  if (metric === undefined) return MISSING;
  if (cpu && isCpuUnready(pod, metric, timing)) return UNREADY;
  return READY;
}

/** Group sizes and sums of one grouping pass ({@link tallyPods}). */
export interface PodTally {
  ready: number;
  unready: number;
  missing: number;
  /** Σ metric values of the ready pods. */
  readySum: number;
  /** Pods of the list that have a metric (any group). */
  found: number;
  /** Σ metric values of those pods. */
  foundSum: number;
  /** With a {@link RequestSource}: Σ requests of the ready pods (pod-list order). */
  readyRequests: number;
  /** With a {@link RequestSource}: the first pod (list order) without a request, or -1. */
  missingRequest: number;
}

/** Which request {@link podRequest} reads. */
export interface RequestSource {
  container: string;
  resource: string;
  podLevelResources: boolean;
}

/**
 * The grouping pass without lists: counts and sums per group, and each pod's group code written to
 * `codes[i]` (the caller's buffer, at least `pods.length` long). Same rules as {@link groupPods}.
 * With `requests`, the same pass sums the ready pods' requests and finds the first pod without one.
 */
export function tallyPods(
  pods: readonly PodInfo[],
  byPod: readonly (PodMetricValue | undefined)[],
  resource: string,
  timing: ReadinessTiming,
  codes: Uint8Array,
  requests?: RequestSource,
): PodTally {
  const cpu = resource === "cpu";
  let readyRequests = 0;
  let missingRequest = -1;
  let ready = 0;
  let unready = 0;
  let missing = 0;
  let readySum = 0;
  let found = 0;
  let foundSum = 0;
  for (let i = 0; i < pods.length; i++) {
    const metric = byPod[i];
    let value = 0;
    if (metric !== undefined) {
      value = metric.value;
      found++;
      foundSum += value;
    }
    const pod = pods[i]!;
    const group = podGroup(pod, metric, cpu, timing);
    codes[i] = group;
    if (group === READY) {
      ready++;
      readySum += value;
    } else if (group === UNREADY) unready++;
    else if (group === MISSING) missing++;
    if (requests !== undefined && missingRequest < 0) {
      const r = podRequest(pod, requests.container, requests.resource, requests.podLevelResources);
      if (r === undefined) missingRequest = i;
      else if (group === READY) readyRequests += r;
    }
  }
  return { ready, unready, missing, readySum, found, foundSum, readyRequests, missingRequest };
}

/** The pod names per group, in pod-list order, from the codes of {@link tallyPods}. */
export function groupNames(pods: readonly PodInfo[], codes: Uint8Array): PodGrouping {
  const out: PodGrouping = { ready: [], unready: [], missing: [], ignored: [] };
  for (let i = 0; i < pods.length; i++) {
    const name = pods[i]!.name;
    const group = codes[i];
    if (group === READY) out.ready.push(name);
    else if (group === UNREADY) out.unready.push(name);
    else if (group === MISSING) out.missing.push(name);
    else out.ignored.push(name);
  }
  return out;
}

/**
 * Puts each pod in the first matching group ({@link podGroup}; upstream groupPods).
 * With `withNames` false only the indices and sums are filled (the name lists stay empty).
 */
export function groupPods(
  pods: readonly PodInfo[],
  metrics: PodMetricsMap | PodMetricsByPod,
  resource: string,
  timing: ReadinessTiming,
  withNames = true,
): PodGroupingDetail {
  const byPod = metrics instanceof Map ? alignMetrics(pods, metrics).byPod : metrics.byPod;
  const out: PodGroupingDetail = {
    ready: [],
    unready: [],
    missing: [],
    ignored: [],
    readyIndex: [],
    unreadyIndex: [],
    missingIndex: [],
    readySum: 0,
    found: 0,
    foundSum: 0,
  };
  const cpu = resource === "cpu";
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    const metric = byPod[i];
    if (metric !== undefined) {
      out.found++;
      out.foundSum += metric.value;
    }
    const group = podGroup(pod, metric, cpu, timing);
    if (group === IGNORED) {
      if (withNames) out.ignored.push(pod.name);
    } else if (group === UNREADY) {
      if (withNames) out.unready.push(pod.name);
      out.unreadyIndex.push(i);
    } else if (group === MISSING) {
      if (withNames) out.missing.push(pod.name);
      out.missingIndex.push(i);
    } else {
      if (withNames) out.ready.push(pod.name);
      out.readyIndex.push(i);
      out.readySum += metric!.value;
    }
  }
  return out;
}

/**
 * The CPU readiness rule of groupPods: no Ready condition or start time -> unready; still initializing
 * (start + cpuInitializationPeriod after now) -> unready when NotReady or the sample is less than one
 * metric window after the last readiness change; afterwards unready only when NotReady and it went
 * NotReady within initialReadinessDelay of start (never ready since).
 */
export function isCpuUnready(pod: PodInfo, metric: PodMetricValue, timing: ReadinessTiming): boolean {
  if (pod.ready === undefined || pod.startTime === undefined) return true;
  const transition = pod.readyTransitionTime ?? Number.NEGATIVE_INFINITY;
  if (pod.startTime + timing.cpuInitializationPeriodMs > timing.now) {
    // Still initializing: unready if NotReady, or if one full metric window has not passed since the
    // last readiness change.
    return (
      pod.ready === "False" || (metric.timestamp ?? timing.now) < transition + (metric.windowMs ?? 60_000)
    );
  }
  // Initialized: unready only if it went unready within the initial delay and never became ready since.
  return pod.ready === "False" && pod.startTime + timing.initialReadinessDelayMs > transition;
}

/** Requests per pod (same order as the pod list), or the failure that fails the whole metric. */
export type RequestsResult = { ok: true; requests: number[] } | { ok: false; error: string };

/**
 * One pod's request (milli-units) as upstream calculateRequests (newest) takes it: the named container's
 * request for ContainerResource; else the pod-level request when the PodLevelResources gate is on and
 * the pod sets one; else the sum over containers plus sidecar (restartPolicy Always) init containers.
 * `undefined` when a request is missing ({@link requestError} says which).
 */
export function podRequest(
  pod: PodInfo,
  container: string,
  resource: string,
  podLevelResources: boolean,
): number | undefined {
  if (container === "" && podLevelResources && hasPodRequests(pod)) return pod.podRequests![resource];
  let sum = 0;
  let found = false;
  const lists = pod.initContainers === undefined ? 1 : 2;
  for (let l = 0; l < lists; l++) {
    const list = l === 0 ? pod.containers : pod.initContainers!;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (l === 1 && c.restartPolicy !== "Always") continue;
      if (container !== "" && c.name !== container) continue;
      found = true;
      const r = c.requests[resource];
      if (r === undefined) return undefined;
      sum += r;
    }
  }
  return container !== "" && !found ? undefined : sum;
}

function hasPodRequests(pod: PodInfo): boolean {
  const r = pod.podRequests;
  if (r === undefined) return false;
  for (const k in r) if (Object.hasOwn(r, k)) return true;
  return false;
}

/** Why {@link podRequest} found no request for the pod (upstream's error text). */
export function requestError(
  pod: PodInfo,
  container: string,
  resource: string,
  podLevelResources: boolean,
): string {
  if (container === "" && podLevelResources && hasPodRequests(pod))
    return `missing pod-level request for ${resource} in Pod ${pod.name}`;
  const lists = pod.initContainers === undefined ? 1 : 2;
  for (let l = 0; l < lists; l++) {
    const list = l === 0 ? pod.containers : pod.initContainers!;
    for (const c of list) {
      if (l === 1 && c.restartPolicy !== "Always") continue;
      if (container !== "" && c.name !== container) continue;
      if (c.requests[resource] === undefined)
        return `missing request for ${resource} in container ${c.name} of Pod ${pod.name}`;
    }
  }
  return `container ${container} not found in Pod ${pod.name}`;
}

/**
 * Requests (milli-units) of every listed pod, ignored ones included ({@link podRequest}, upstream
 * calculateRequests). One missing request anywhere is an error.
 */
export function calculateRequests(
  pods: readonly PodInfo[],
  container: string,
  resource: string,
  podLevelResources: boolean,
): RequestsResult {
  const requests: number[] = new Array(pods.length);
  for (let p = 0; p < pods.length; p++) {
    const pod = pods[p]!;
    const r = podRequest(pod, container, resource, podLevelResources);
    if (r === undefined)
      return { ok: false, error: requestError(pod, container, resource, podLevelResources) };
    requests[p] = r;
  }
  return { ok: true, requests };
}
