/**
 * Series helpers of the recommenders: how much data there is (samples, covered time, the largest gap),
 * workload totals (the sum over pods and containers at each sample time) and weighted quantiles.
 */
import type { SeriesPoint } from "../series/csv.js";
import type { Abstention, DataPolicy, Evidence, PodSeries } from "./types.js";

/** Sample count, distinct times and the gaps of a set of per-pod series. */
export interface Coverage {
  readonly samples: number;
  readonly pods: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** Distinct sample times × step: the time the workload was observed. */
  readonly coveredMs: number;
  /** Longest stretch without any sample (between distinct times, and from the window's edges). */
  readonly largestGapMs: number;
}

/** Ascending distinct sample times of several series. */
export function distinctTimes(series: readonly PodSeries[]): number[] {
  const set = new Set<number>();
  for (const s of series) for (const p of s.points) set.add(p.t);
  return [...set].sort((a, b) => a - b);
}

/**
 * Coverage of `series` within a window sampled every `stepMs`. A gap is measured between consecutive
 * distinct times (one step apart means no gap), and from the window's start and end.
 */
export function coverage(
  series: readonly PodSeries[],
  stepMs: number,
  windowStartMs: number,
  windowEndMs: number,
): Coverage {
  const times = distinctTimes(series);
  const samples = series.reduce((n, s) => n + s.points.length, 0);
  const pods = series.filter((s) => s.points.length > 0).length;
  if (times.length === 0)
    return {
      samples: 0,
      pods: 0,
      fromMs: windowStartMs,
      toMs: windowEndMs,
      coveredMs: 0,
      largestGapMs: windowEndMs - windowStartMs,
    };
  let gap = Math.max(0, times[0]! - windowStartMs - stepMs, windowEndMs - times[times.length - 1]! - stepMs);
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]! - stepMs);
  return {
    samples,
    pods,
    fromMs: times[0]!,
    toMs: times[times.length - 1]!,
    coveredMs: times.length * stepMs,
    largestGapMs: gap,
  };
}

/** Evidence from a coverage, the data description and the method. */
export function evidenceOf(data: string, c: Coverage, method: string): Evidence {
  return { data, ...c, method };
}

/** Hours or days, for messages: `36h`, `7d`, `90m`. */
export function spanText(ms: number): string {
  if (ms >= 2 * 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)}h`;
  return `${+(ms / 60_000).toFixed(1)}m`;
}

/** Abstains when the data is too short (or empty); `what` names the series, `fix` what to change. */
export function sufficiency(
  c: Coverage,
  data: DataPolicy,
  what: string,
  withGaps: boolean,
): Abstention | undefined {
  if (c.samples === 0)
    return {
      abstain: true,
      reason: "no-samples",
      message: `no ${what} samples in the window (check the query template's labels and the workload's pods)`,
    };
  if (c.coveredMs < data.minHistoryMs)
    return {
      abstain: true,
      reason: "too-little-history",
      message: `${spanText(c.coveredMs)} of ${what} history, at least ${spanText(data.minHistoryMs)} needed (wait, or lower the minimum history)`,
    };
  if (withGaps && c.largestGapMs > data.maxGapMs)
    return {
      abstain: true,
      reason: "gaps",
      message: `${what} history has a gap of ${spanText(c.largestGapMs)}, more than ${spanText(data.maxGapMs)} (choose a window without it, or raise the maximum gap)`,
    };
  return undefined;
}

/** Sum of several series at each distinct time (pods and containers of one workload). */
export function totals(series: readonly PodSeries[]): SeriesPoint[] {
  const sums = new Map<number, number>();
  for (const s of series) for (const p of s.points) sums.set(p.t, (sums.get(p.t) ?? 0) + p.v);
  return [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
}

/**
 * The weighted quantile of `values` (linear interpolation between the two values around the crossing of
 * the cumulative weight, as the type-7 estimator does for equal weights). `weights` default to 1.
 */
export function weightedQuantile(values: readonly number[], p: number, weights?: readonly number[]): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const idx = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  if (!weights) {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const a = values[idx[lo]!]!;
    const b = values[idx[Math.min(n - 1, lo + 1)]!]!;
    return a + (h - lo) * (b - a);
  }
  const total = idx.reduce((s, i) => s + weights[i]!, 0);
  const target = p * total;
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += weights[idx[k]!]!;
    if (acc >= target) return values[idx[k]!]!;
  }
  return values[idx[n - 1]!]!;
}

/** Weights halving every `halfLifeMs` back from `endMs` (1 at `endMs`; all 1 with an infinite half-life). */
export function decayWeights(points: readonly SeriesPoint[], endMs: number, halfLifeMs: number): number[] {
  if (!Number.isFinite(halfLifeMs)) return points.map(() => 1);
  return points.map((p) => 2 ** ((p.t - endMs) / halfLifeMs));
}
