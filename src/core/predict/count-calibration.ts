/**
 * Calibration of the served window peak of a count series (count-peak.ts) on honest replay windows.
 *
 * Rate bias and spread: the forecast rates of a window are multiplied by one common factor u (bias b,
 * log-sd sigma), estimated by moments of the window totals: with S the actual events and L the sum of
 * the forecast rates over the same slots, b = sum S / sum L and
 * sigma^2 = sum((S - bL)^2 - bL) / sum((bL)^2) (the excess over Poisson variance; busy windows weigh most).
 *
 * Levels: the windows are split into up to COUNT_BINS bins by their largest forecast rate (a quiet night, where
 * a peak is one or two events, behaves unlike a busy afternoon), each with its own bias and spread. In a
 * bin, allowing m of its windows to miss gives a level: the smallest quantile of the window maximum that
 * serves every other window at least 90 % of its actual peak. The misses (at most COUNT_MISS_BUDGET of
 * all windows) are spent where they save the most (miss-budget.ts); the cost of a window is
 * log(served / actual) when served above its actual peak, plus OVER2_PENALTY when over twice it.
 */
import { countQuantile, poissonMaxCdf } from "./count-peak.js";
import { allocateBudget, type BudgetOption } from "./miss-budget.js";

/** One honest replay window of a count series. */
export interface CountWindow {
  /** Forecast rates, in events per slot. */
  rates: Float64Array;
  /** The actual window peak in whole events, and as recorded (the series' unit). */
  actual: number;
  peak: number;
  /** The value of one event in the series' unit. */
  quantum: number;
  /** Actual events in the window and the forecast's expected number (sum of rates) over the same slots. */
  total: number;
  expected: number;
}

/** What a bin serves: the `level` quantile of the window maximum, rates times bias, spread by sigma. */
export interface CountLevel {
  level: number;
  bias: number;
  sigma: number;
}

/** The served quantile of the window maximum on a count series, and how it was chosen. */
export interface CountCalibration {
  /** One per bin; bin k holds windows whose largest rate (events per slot) is below edges[k]. */
  bins: CountLevel[];
  edges: number[];
  /** "replay": chosen on honest replays; "default": too few of them. */
  source: "replay" | "default";
  windows: number;
  /** Replay windows the chosen levels would have served below 90 % of their actual peak. */
  misses: number;
}

/** Share of replay windows a count series may be served below 90 % of their actual peak. */
export const COUNT_MISS_BUDGET = 0.05;
/** Extra cost of a replay window served over twice its actual peak. */
export const OVER2_PENALTY = 1;
/** Rate bins (fewer with few replay windows: at least 2 x the minimum windows per bin). */
export const COUNT_BINS = 4;
/** Levels are kept in [MIN_LEVEL, MAX_LEVEL]. */
export const MIN_LEVEL = 0.5;
export const MAX_LEVEL = 0.995;
/** The level of p99 on a count series. */
export const P99_LEVEL = 0.99;
/** With too few replay windows: this level, no bias, this spread. */
export const DEFAULT_COUNT_LEVEL: CountLevel = { level: 0.9, bias: 1, sigma: 0.2 };

/** The largest count below 90 % of an actual peak of `actual` events (-1: none). */
function largestMiss(actual: number): number {
  return Math.ceil(0.9 * actual - 1e-9) - 1;
}

/** Largest rate of a window. */
export function maxRate(rates: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < rates.length; i++) if (rates[i]! > m) m = rates[i]!;
  return m;
}

/** The level, bias and spread that serve a window whose largest rate is `rate`. */
export function countLevelFor(cal: CountCalibration, rate: number): CountLevel {
  let k = 0;
  while (k < cal.edges.length - 1 && rate >= cal.edges[k]!) k++;
  return cal.bins[k]!;
}

/** Bias and spread of the forecast rate by moments of the window totals (see the module comment). */
export function rateSpread(windows: readonly CountWindow[]): { bias: number; sigma: number } {
  let s = 0;
  let e = 0;
  for (const w of windows) {
    s += w.total;
    e += w.expected;
  }
  const bias = e > 0 && s > 0 ? s / e : 1;
  let num = 0;
  let den = 0;
  for (const w of windows) {
    const m = bias * w.expected;
    num += (w.total - m) ** 2 - m;
    den += m * m;
  }
  return { bias, sigma: den > 0 ? Math.min(1, Math.sqrt(Math.max(0, num) / den)) : 0 };
}

interface CountOption extends BudgetOption, CountLevel {}

/** The options of one bin: for each number of misses, its level and cost. */
function binOptions(windows: readonly CountWindow[], budget: number): CountOption[] {
  const { bias, sigma } = rateSpread(windows);
  const cdfs = windows.map((w) => poissonMaxCdf(scaled(w.rates, bias), sigma, MAX_LEVEL));
  // A window misses at every level up to cdf[largestMiss]: the level must exceed that.
  const needed = windows
    .map((w, i) => {
      const m = largestMiss(w.actual);
      const cdf = cdfs[i]!;
      return m < 0 ? 0 : m < cdf.length ? cdf[m]! : 1;
    })
    .sort((a, b) => b - a);
  const out: CountOption[] = [];
  for (let m = 0; m <= Math.min(budget, windows.length - 1); m++) {
    const level = Math.min(MAX_LEVEL, Math.max(MIN_LEVEL, needed[m]! + 1e-9));
    let cost = 0;
    let spend = 0;
    windows.forEach((w, i) => {
      if (w.actual <= 0) return;
      const c = countQuantile(cdfs[i]!, level);
      if (c <= largestMiss(w.actual)) spend++;
      const ratio = (c * w.quantum) / w.peak;
      if (ratio > 1) cost += Math.log(ratio);
      if (ratio > 2) cost += OVER2_PENALTY;
    });
    if (spend <= budget && !out.some((o) => o.spend === spend && o.cost <= cost))
      out.push({ spend, cost, level, bias, sigma });
  }
  return out;
}

/** Rates times a factor. */
export function scaled(rates: Float64Array, factor: number): Float64Array {
  return factor === 1 ? rates : rates.map((r) => r * factor);
}

/** Bins, levels, biases and spreads from the replay windows (see the module comment). */
export function calibrateCountPeak(
  windows: readonly CountWindow[],
  minWindows: number,
  budget = COUNT_MISS_BUDGET,
): CountCalibration {
  const n = windows.length;
  if (n < minWindows)
    return {
      bins: [DEFAULT_COUNT_LEVEL],
      edges: [Number.POSITIVE_INFINITY],
      source: "default",
      windows: n,
      misses: 0,
    };
  const allowed = Math.floor(budget * n);
  const nBins = Math.max(1, Math.min(COUNT_BINS, Math.floor(n / (2 * minWindows))));
  const rates = windows.map((w) => maxRate(w.rates));
  const sorted = [...rates].sort((a, b) => a - b);
  // Quantiles of the rates as edges, each above the previous one and the smallest rate: no empty bin.
  const edges: number[] = [];
  for (let k = 1; k < nBins; k++) {
    const v = sorted[Math.floor((k * n) / nBins)]!;
    if (v > (edges.at(-1) ?? sorted[0]!)) edges.push(v);
  }
  edges.push(Number.POSITIVE_INFINITY);
  const members: CountWindow[][] = edges.map(() => []);
  windows.forEach((w, i) => {
    let k = 0;
    while (k < edges.length - 1 && rates[i]! >= edges[k]!) k++;
    members[k]!.push(w);
  });
  const options = members.map((ws) => binOptions(ws, allowed));
  let misses = 0;
  const bins = allocateBudget(options, allowed).map((m, k) => {
    const o = options[k]![m];
    if (!o) return DEFAULT_COUNT_LEVEL;
    misses += o.spend;
    return { level: o.level, bias: o.bias, sigma: o.sigma };
  });
  return { bins, edges, source: "replay", windows: n, misses };
}
