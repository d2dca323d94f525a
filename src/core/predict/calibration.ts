/**
 * Honest calibration of the multi-seasonal quantiles and the history bound of the served peak.
 *
 * Replays: at hourly origins over the recent history the analog forecast is recomputed from the slots
 * before each origin only (a true out-of-sample forecast: a day class with no earlier day is forecast
 * from the wider pool, exactly as a live forecast would be) and compared with what followed. Replays
 * need one whole period of history before their origin; windows without an actual are left out.
 * From them:
 * - relative residuals z = (a - p50)/(p50 + s0) give the per-slot p90/p99;
 * - peak ratios r = max(actual over the window)/max(envelope over the window) give the peak factors:
 *   the served window peak is F x the envelope. The windows are split into PEAK_BINS bins by their
 *   envelope level (a quiet night of a low-volume series behaves unlike its busy afternoon), and one F
 *   per bin is chosen so that at most MISS_BUDGET of all replay windows would have been served below
 *   90 % of their actual peak, spending that budget where it saves the most over-provisioning
 *   (sum of log(F / r) over the windows).
 * With fewer than MIN_WINDOWS replay windows there is nothing honest to calibrate on: F = 1 and the
 * residual quantiles fall back to fixed widths, and the history bound decides (the notes say so).
 *
 * History bound: the served peak of a slot is at most BOUND_MARGIN x the largest local maximum of the
 * same slot's analogs (up to BOUND_ANALOGS cycles back), times the long level ratio when it shows growth
 * (trend allowance, at most MAX_TREND).
 */
import { type AnalogCore, analogSlots, forecastAt, levelRatios, localMax } from "./analogs.js";
import { type CountCalibration, type CountWindow, calibrateCountPeak } from "./count-calibration.js";
import { quantiles } from "./grid.js";
import { allocateBudget } from "./miss-budget.js";
import type { CountInfo } from "./types.js";

/** Fewest replay windows for a calibrated peak factor. */
export const MIN_WINDOWS = 12;
/** Fewest residuals for calibrated p90/p99 widths. */
export const MIN_RESIDUALS = 240;
/** Served peak <= this margin x the same window's historical peak (times the trend allowance). */
export const BOUND_MARGIN = 1.25;
/** Analog cycles the bound looks back. */
export const BOUND_ANALOGS = 7;
/** Largest trend allowance of the bound. */
export const MAX_TREND = 1.5;
/** Share of replay windows that may be served below 90 % of their actual peak. */
export const MISS_BUDGET = 0.03;
/** Envelope-level bins of the peak factor (fewer when there are few replay windows). */
export const PEAK_BINS = 3;

/** What the replays gave. */
export interface Replays {
  z: number[];
  /** Per window: max(actual) and max(envelope). */
  peaks: number[];
  levels: number[];
  /** Sum of absolute p50 errors (for choosing the analog smoothing). */
  abs: number;
  windows: number;
  /** Replay windows with at least one slot forecast from the wider pool. */
  widened: number;
  /** Count series: per window the forecast rates in counts per slot and the actual peak count. */
  counts: CountWindow[];
}

/** Replays at origins end - i * every for i in [from, to), each forecasting `h` slots. */
export function replay(
  core: AnalogCore,
  every: number,
  from: number,
  to: number,
  h: number,
  withEnvelope = true,
): Replays {
  const { x, plan } = core;
  const out: Replays = { z: [], peaks: [], levels: [], abs: 0, windows: 0, widened: 0, counts: [] };
  for (let i = from; i < to; i++) {
    const o = x.length - i * every;
    if (o - plan.period < every) break;
    const f = forecastAt(core, o, h, withEnvelope);
    let maxA = Number.NaN;
    let maxE = 0;
    for (let j = 0; j < h && o + j < x.length; j++) {
      const a = x[o + j]!;
      if (f.envelope[j]! > maxE) maxE = f.envelope[j]!;
      if (Number.isNaN(a)) continue;
      if (!(a <= maxA)) maxA = a;
      out.abs += Math.abs(a - f.p50[j]!);
      out.z.push((a - f.p50[j]!) / (f.p50[j]! + core.scale));
    }
    if (Number.isNaN(maxA)) continue;
    out.windows++;
    if (f.widened > 0) out.widened++;
    out.peaks.push(maxA);
    out.levels.push(maxE);
    if (core.quantum !== undefined && withEnvelope) out.counts.push(countWindow(x, o, f.p50, core.quantum));
  }
  return out;
}

/** A replay window of a count series in counts: forecast rates, actual peak, actual and expected totals. */
function countWindow(x: Float64Array, o: number, p50: Float64Array, quantum: number): CountWindow {
  const rates = p50.map((v) => v / quantum);
  let actual = 0;
  let peak = 0;
  let total = 0;
  let expected = 0;
  for (let j = 0; j < rates.length && o + j < x.length; j++) {
    const a = x[o + j]!;
    if (Number.isNaN(a)) continue;
    const k = Math.round(a / quantum);
    actual = Math.max(actual, k);
    peak = Math.max(peak, a);
    total += k;
    expected += rates[j]!;
  }
  return { rates, actual, peak, quantum, total, expected };
}

/** Calibrated widths and peak factor, and how they were obtained. */
export interface Calibration {
  q90: number;
  q99: number;
  /** Peak factor per envelope-level bin; `edges[k]` is the upper envelope level of bin k. */
  peakFactors: number[];
  edges: number[];
  /** "replay": from honest replays; "default": too few replays, fixed widths and the bound decide. */
  source: "replay" | "default";
  windows: number;
  residuals: number;
  widened: number;
  /** Count series: the served quantile of the window maximum. */
  count?: CountCalibration;
}

/** How a series was recognised as a count series (`--explain`, JSON). */
export type CountSeries = Pick<CountInfo, "quantum" | "unit" | "share" | "medianCount">;

/** Share of values on the count grid, and the most a typical non-zero value may be (in events). */
export const COUNT_SHARE = 0.99;
export const MAX_MEDIAN_COUNT = 50;

/**
 * A count series: its values are whole numbers of events per step (a request rate from a counter:
 * `increase()` over the step divided by it, multiples of 1/step per second) or whole numbers, for at
 * least COUNT_SHARE of the values (within rounding), and the typical non-zero value is a small count (at
 * most MAX_MEDIAN_COUNT events); else undefined.
 */
export function detectCounts(x: Float64Array, step: number): CountSeries | undefined {
  for (const [quantum, unit] of [
    [1 / step, "events per step"],
    [1, "whole numbers"],
  ] as const) {
    let n = 0;
    let on = 0;
    const counts: number[] = [];
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Number.isNaN(v)) continue;
      n++;
      const k = v / quantum;
      if (Math.abs(k - Math.round(k)) <= 0.05) on++;
      if (k >= 0.5 && i % 7 === 0) counts.push(k);
    }
    if (n === 0 || on < COUNT_SHARE * n || counts.length === 0) continue;
    const medianCount = quantiles(counts, [0.5])[0]!;
    if (medianCount <= MAX_MEDIAN_COUNT) return { quantum, unit, share: on / n, medianCount };
  }
  return undefined;
}

/** The count quantum of a count series (detectCounts), else undefined. */
export function countQuantum(x: Float64Array, step: number): number | undefined {
  return detectCounts(x, step)?.quantum;
}

/**
 * A served value on a count series: an actual peak is a whole count, so a value between two counts
 * covers no more peaks than the lower count; values of at least one count are rounded down to a count.
 */
export function snapToCount(v: number, quantum: number | undefined): number {
  if (quantum === undefined || !(v >= quantum)) return v;
  return quantum * Math.floor(v / quantum + 1e-6);
}

/** Quantile widths and the peak factors from the replays (or the documented defaults). */
export function calibrate(r: Replays, quantum?: number): Calibration {
  const base: Pick<Calibration, "windows" | "residuals" | "widened" | "count"> = {
    windows: r.windows,
    residuals: r.z.length,
    widened: r.widened,
  };
  if (quantum !== undefined) base.count = calibrateCountPeak(r.counts, MIN_WINDOWS);
  const [z90, z99] = r.z.length >= MIN_RESIDUALS ? quantiles(r.z, [0.9, 0.99]) : [0.1, 0.25];
  const q90 = Math.max(0, z90!);
  const q99 = Math.max(q90, z99!);
  if (r.windows < MIN_WINDOWS)
    return { q90, q99, peakFactors: [1], edges: [Number.POSITIVE_INFINITY], source: "default", ...base };
  const bins = Math.max(1, Math.min(PEAK_BINS, Math.floor(r.windows / (2 * MIN_WINDOWS))));
  const sortedLevels = [...r.levels].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) edges.push(sortedLevels[Math.floor((k * sortedLevels.length) / bins)]!);
  edges.push(Number.POSITIVE_INFINITY);
  const members: PeakWindow[][] = edges.map(() => []);
  r.levels.forEach((level, i) => {
    if (level > 0) members[binOf(edges, level)]!.push({ actual: r.peaks[i]!, level });
  });
  const peakFactors = allocateMisses(members, Math.floor(MISS_BUDGET * r.windows), quantum);
  return { q90, q99, peakFactors, edges, source: "replay", ...base };
}

/** Index of the bin holding envelope level `level`. */
export function binOf(edges: number[], level: number): number {
  let k = 0;
  while (k < edges.length - 1 && level >= edges[k]!) k++;
  return k;
}

/** One replay window: its actual peak and its envelope maximum. */
interface PeakWindow {
  actual: number;
  level: number;
}

/**
 * The smallest factor F that serves window w at least 90 % of its actual peak: 0.9 x actual / level, or
 * on a count series the smallest count at or above 0.9 x actual (as served values are rounded down).
 */
function neededFactor(w: PeakWindow, quantum: number | undefined): number {
  const target = 0.9 * w.actual;
  if (quantum === undefined || target < quantum) return target / w.level;
  return (quantum * Math.ceil(target / quantum - 1e-6)) / w.level;
}

/**
 * One factor per bin: with m misses allowed in a bin, F = the (m+1)-th largest needed factor; the
 * misses (at most `budget` in all) go where they cut the over-provisioning cost
 * sum(max(0, log(served / actual))) most.
 */
function allocateMisses(bins: PeakWindow[][], budget: number, quantum: number | undefined): number[] {
  const floor = 1e-12;
  const options = bins.map((windows) => {
    const needed = windows.map((w) => neededFactor(w, quantum)).sort((a, b) => b - a);
    const out: { factor: number; cost: number }[] = [];
    for (let m = 0; m <= Math.min(budget, needed.length - 1); m++) {
      const factor = needed[m]!;
      let cost = 0;
      for (const w of windows) {
        const served = snapToCount(factor * w.level, quantum);
        cost += Math.max(0, Math.log((served + floor) / (w.actual + floor)));
      }
      out.push({ factor, cost });
    }
    if (out.length === 0) out.push({ factor: 1, cost: 0 });
    return out;
  });
  return allocateBudget(
    options.map((opts) => opts.map((o, m) => ({ spend: m, cost: o.cost }))),
    budget,
  ).map((m, k) => options[k]![m]?.factor ?? 1);
}

/** The history bound of slots end .. end+h-1 (see the module comment). */
export function historyBound(core: AnalogCore, h: number): { upper: Float64Array; trend: number } {
  const { x, plan } = core;
  const end = x.length;
  const trend = Math.min(MAX_TREND, Math.max(1, levelRatios(core, plan.period, end).rl));
  const upper = new Float64Array(h);
  for (let j = 0; j < h; j++) {
    let m = Number.NaN;
    for (const s of analogSlots(plan, end + j, end, BOUND_ANALOGS).slots) {
      const v = localMax(x, s, core.peakHalfWidth, end);
      if (!(v <= m)) m = v;
    }
    upper[j] = Number.isNaN(m) ? Number.NaN : snapToCount(BOUND_MARGIN * trend * m, core.quantum);
  }
  return { upper, trend };
}
