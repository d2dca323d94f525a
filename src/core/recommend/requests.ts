/**
 * Resource requests per container: a percentile of the container's usage (all its pods pooled) from a
 * histogram, times (1 + margin), rounded up to a whole millicore or MiB. Ours and Crane's figure side by
 * side (see policy.ts for how they differ); limits follow the limits policy.
 */
import { DecayingHistogram } from "../predict/percentile.js";
import { coverage, evidenceOf, spanText, sufficiency } from "./series.js";
import type {
  ContainerRecommendation,
  ContainerUsage,
  PodSeries,
  RecommendPolicy,
  ResourcePolicy,
  ResourceRecommendation,
  WorkloadUsage,
} from "./types.js";

const MIB = 1_048_576;
/** Floating-point slack before rounding up (0.1 × 1.15 × 1000 is 115.00000000000001). */
const SLACK = 1e-9;

/** Which resource: its unit conversions and names. */
interface ResourceKind {
  readonly name: "cpu" | "memory";
  readonly metric: string;
  /** Usage value (cores or bytes) → request unit (millicores or bytes), rounded up to the granularity. */
  toRequest(value: number): number;
  format(request: number): string;
}

const CPU: ResourceKind = {
  name: "cpu",
  metric: "container_cpu_usage_seconds_total rate (cores)",
  toRequest: (v) => Math.ceil(v * 1000 - SLACK),
  format: (m) => `${m}m`,
};

const MEMORY: ResourceKind = {
  name: "memory",
  metric: "container_memory_working_set_bytes",
  toRequest: (v) => Math.ceil(v / MIB - SLACK) * MIB,
  format: (b) => (b % MIB === 0 ? `${b / MIB}Mi` : `${b}`),
};

/**
 * The percentile of pooled samples from a histogram laid out by `rp`, weighted by decay (and, Crane's
 * way, by value), read interpolated (ours) or at the bucket's upper edge (Crane's).
 */
export function histogramPercentile(
  series: readonly PodSeries[],
  endMs: number,
  rp: ResourcePolicy,
  crane: boolean,
): number {
  const h = new DecayingHistogram(
    {
      maxValue: rp.maxValue,
      firstBucketSize: rp.firstBucket,
      ratio: rp.bucketRatio,
      halfLife: rp.halfLifeMs / 1000,
      epsilon: 1e-10,
    },
    endMs / 1000,
  );
  for (const s of series) for (const p of s.points) h.add(p.v, crane ? Math.max(p.v, 1e-5) : 1, p.t / 1000);
  return crane ? h.percentile(rp.percentile) : h.percentileInterpolated(rp.percentile);
}

function requestFrom(kind: ResourceKind, percentileValue: number, rp: ResourcePolicy): number {
  return Math.max(rp.minimum, kind.toRequest(percentileValue * (1 + rp.margin)));
}

function limitFor(
  kind: ResourceKind,
  request: number,
  current: number | undefined,
  currentLimit: number | undefined,
  policy: RecommendPolicy,
): number | undefined {
  if (currentLimit === undefined) return undefined;
  if (policy.limits === "unchanged") return Math.max(currentLimit, request);
  const ratio = currentLimit / (current ?? currentLimit);
  const unit = kind.name === "cpu" ? 1 : MIB;
  return Math.ceil((request * ratio) / unit - SLACK) * unit;
}

function recommendResource(
  kind: ResourceKind,
  c: ContainerUsage,
  usage: WorkloadUsage,
  policy: RecommendPolicy,
  crane: RecommendPolicy,
): ResourceRecommendation {
  const series = kind.name === "cpu" ? c.cpu : c.memory;
  const rp = policy[kind.name];
  const cov = coverage(series, usage.stepMs, usage.windowStartMs, usage.windowEndMs);
  const what = `container "${c.name}" ${kind.name}`;
  const no = sufficiency(cov, policy.data, what, false);
  if (no) return no;
  const p = histogramPercentile(series, usage.windowEndMs, rp, false);
  const request = requestFrom(kind, p, rp);
  const cranePercentile = histogramPercentile(series, usage.windowEndMs, crane[kind.name], true);
  const currentRequest = kind.name === "cpu" ? c.requests.cpuMilli : c.requests.memoryBytes;
  const currentLimit = kind.name === "cpu" ? c.limits.cpuMilli : c.limits.memoryBytes;
  const limit = limitFor(kind, request, currentRequest, currentLimit, policy);
  const decay = Number.isFinite(rp.halfLifeMs) ? `half-life ${spanText(rp.halfLifeMs)}` : "no decay";
  const method =
    `p${+(rp.percentile * 100).toFixed(2)} of ${cov.samples} samples from ${cov.pods} pod(s) (${decay}, ` +
    `${+((rp.bucketRatio - 1) * 100).toFixed(1)} % buckets, interpolated) = ${+p.toPrecision(4)}, ` +
    `×${1 + rp.margin} → ${kind.format(request)}` +
    (limit === undefined ? "" : `; limit ${kind.format(limit)} (${policy.limits})`);
  return {
    abstain: false,
    request,
    limit,
    currentRequest,
    currentLimit,
    crane: requestFrom(kind, cranePercentile, crane[kind.name]),
    evidence: evidenceOf(`${kind.metric}, container="${c.name}", pods pooled`, cov, method),
  };
}

/** Requests (and limits) of every container. */
export function recommendRequests(
  usage: WorkloadUsage,
  policy: RecommendPolicy,
  crane: RecommendPolicy,
): ContainerRecommendation[] {
  return usage.containers.map((c) => ({
    container: c.name,
    cpu: recommendResource(CPU, c, usage, policy, crane),
    memory: recommendResource(MEMORY, c, usage, policy, crane),
  }));
}

/** `250m` or `512Mi`: the quantity text of a recommended value. */
export function formatResource(resource: "cpu" | "memory", value: number): string {
  return resource === "cpu" ? CPU.format(value) : MEMORY.format(value);
}
