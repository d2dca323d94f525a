/**
 * What the controller's metrics client makes of each metrics API response (metrics/client.go): per-pod values for
 * Resource/ContainerResource/Pods, a single value for Object, a saturating sum for External, and the exact error texts
 * of empty or failed responses. Pure.
 */
import { alignMetrics, type PodMetricsByPod, type PodMetricsMap, type PodMetricValue } from "./pods.js";
import type { MetricReading, MetricSample, PodInfo } from "./types.js";

/** Default metric window when an item does not carry one (`metricServerDefaultMetricWindow`, 1m). */
export const DEFAULT_METRIC_WINDOW_MS = 60_000;

/** int64 max (2^63-1, which a double rounds to 2^63): the saturation point of External sums. */
export const MAX_INT64 = 2 ** 63;

/** A value, or the error text the metrics client returns. */
export type Fetched<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/**
 * Resource metrics (metrics.k8s.io PodMetrics). Pod mode (`container === ""`): the sum of the resource over
 * all containers; a pod with no containers, or with a container lacking the resource, gets no metric.
 * Container mode: the named container's usage; absent container or resource -> no metric (newest upstream).
 * An item given with a plain `value` is taken as already extracted.
 */
export function fetchResourceMetrics(
  reading: MetricReading | undefined,
  resource: string,
  container: string,
  now: number,
): Fetched<PodMetricsMap> {
  if (reading !== undefined && "error" in reading)
    return fail(`unable to fetch metrics from resource metrics API: ${reading.error}`);
  const samples = reading?.samples ?? [];
  if (samples.length === 0) return fail("no metrics returned from resource metrics API");
  const out: PodMetricsMap = new Map();
  for (const s of samples) {
    if (s.pod === undefined) continue;
    const m = resourceValue(s, resource, container, now);
    if (m !== undefined) out.set(s.pod, m);
  }
  return { ok: true, value: out };
}

/** One PodMetrics item's value for the resource (pod mode sums the containers), or undefined. */
function resourceValue(
  s: MetricSample,
  resource: string,
  container: string,
  now: number,
): PodMetricValue | undefined {
  if (s.containers === undefined) {
    // A sample with a plain value is used as it is (timestamp/window defaults apply where read).
    return s.value === undefined ? undefined : (s as PodMetricValue);
  }
  let value: number | undefined;
  if (container === "") {
    let sum = 0;
    let missing = s.containers.length === 0;
    for (const c of s.containers) {
      const v = c.usage[resource];
      if (v === undefined) {
        missing = true;
        break;
      }
      sum += v;
    }
    value = missing ? undefined : sum;
  } else {
    value = s.containers.find((c) => c.name === container)?.usage[resource];
  }
  if (value === undefined) return undefined;
  return { value, timestamp: s.timestamp ?? now, windowMs: s.windowMs ?? DEFAULT_METRIC_WINDOW_MS };
}

/** One custom-metrics item's value (a missing value reads as 0). */
function podsValue(s: MetricSample, now: number): PodMetricValue {
  return typeof s.value === "number"
    ? (s as PodMetricValue)
    : { value: 0, timestamp: s.timestamp ?? now, windowMs: s.windowMs ?? DEFAULT_METRIC_WINDOW_MS };
}

/**
 * The samples laid out along the pod list when they name pods of the list in list order (the common case
 * of a metrics API listing by the same selector; pods without a sample, e.g. Pending ones, may be
 * skipped); undefined otherwise (the map path then decides). `resource === undefined` reads custom
 * metrics items ({@link podsValue}), else resource metrics ({@link resourceValue}). When every pod has
 * its sample and each sample is used as it is, the sample list itself is the layout (no copy).
 */
function alignedSamples(
  samples: readonly MetricSample[],
  pods: readonly PodInfo[],
  resource: string | undefined,
  container: string,
  now: number,
): PodMetricsByPod | undefined {
  const n = pods.length;
  const count = samples.length;
  if (count > n) return undefined;
  let byPod: (PodMetricValue | undefined)[] | undefined;
  let size = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    let m: PodMetricValue | undefined;
    const s = j < count ? samples[j]! : undefined;
    if (s !== undefined && s.pod === pods[i]!.name) {
      m = resource === undefined ? podsValue(s, now) : resourceValue(s, resource, container, now);
      j++;
    }
    if (m !== undefined) size++;
    if (byPod === undefined && (m !== s || i !== j - 1)) {
      // First pod whose entry is not its sample as it is: copy the identical prefix.
      byPod = new Array(n);
      for (let k = 0; k < i; k++) byPod[k] = samples[k] as PodMetricValue;
    }
    if (byPod !== undefined) byPod[i] = m;
  }
  if (j !== count) return undefined;
  // byPod undefined: sample i belongs to pod i and is its entry (a plain value, see podsValue/resourceValue).
  return { byPod: byPod ?? (samples as readonly PodMetricValue[]), size, superfluousSum: 0 };
}

/** {@link fetchResourceMetrics}, laid out along the pod list (same results, fewer lookups). */
export function resourceMetricsByPod(
  reading: MetricReading | undefined,
  resource: string,
  container: string,
  pods: readonly PodInfo[],
  now: number,
): Fetched<PodMetricsByPod> {
  if (reading !== undefined && !("error" in reading) && reading.samples.length > 0) {
    const aligned = alignedSamples(reading.samples, pods, resource, container, now);
    if (aligned !== undefined) return { ok: true, value: aligned };
  }
  const f = fetchResourceMetrics(reading, resource, container, now);
  return f.ok ? { ok: true, value: alignMetrics(pods, f.value) } : f;
}

/** {@link fetchPodsMetrics}, laid out along the pod list (same results, fewer lookups). */
export function podsMetricsByPod(
  reading: MetricReading | undefined,
  pods: readonly PodInfo[],
  now: number,
): Fetched<PodMetricsByPod> {
  if (reading !== undefined && !("error" in reading) && reading.samples.length > 0) {
    const aligned = alignedSamples(reading.samples, pods, undefined, "", now);
    if (aligned !== undefined) return { ok: true, value: aligned };
  }
  const f = fetchPodsMetrics(reading, now);
  return f.ok ? { ok: true, value: alignMetrics(pods, f.value) } : f;
}

/** Pods metrics (custom.metrics.k8s.io, objects of kind Pod): value per `describedObject.name`. */
export function fetchPodsMetrics(reading: MetricReading | undefined, now: number): Fetched<PodMetricsMap> {
  if (reading !== undefined && "error" in reading)
    return fail(`unable to fetch metrics from custom metrics API: ${reading.error}`);
  const samples = reading?.samples ?? [];
  if (samples.length === 0) return fail("no metrics returned from custom metrics API");
  const out: PodMetricsMap = new Map();
  for (const s of samples) {
    if (s.pod === undefined) continue;
    out.set(s.pod, podsValue(s, now));
  }
  return { ok: true, value: out };
}

/** Object metric (custom.metrics.k8s.io, one described object): exactly one item. */
export function fetchObjectMetric(reading: MetricReading | undefined): Fetched<number> {
  if (reading !== undefined && "error" in reading)
    return fail(`unable to fetch metrics from custom metrics API: ${reading.error}`);
  const samples = reading?.samples ?? [];
  if (samples.length !== 1)
    return fail(
      `unable to fetch metrics from custom metrics API: the custom metrics API server returned ${samples.length} results when we asked for exactly one`,
    );
  return { ok: true, value: samples[0]!.value ?? 0 };
}

/** External metric (external.metrics.k8s.io): the sum of all items, saturating at int64 max. */
export function fetchExternalMetric(reading: MetricReading | undefined): Fetched<number> {
  if (reading !== undefined && "error" in reading)
    return fail(`unable to fetch metrics from external metrics API: ${reading.error}`);
  const samples = reading?.samples ?? [];
  if (samples.length === 0) return fail("no metrics returned from external metrics API");
  let total = 0;
  for (const s of samples) total += s.value ?? 0;
  return { ok: true, value: Math.min(total, MAX_INT64) };
}
