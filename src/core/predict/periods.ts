/**
 * Period detection for the multi-seasonal forecaster. Unlike Crane (only exactly 1 day or 1 week),
 * it scores a fixed list of candidate periods, sub-daily ones included, and reports every score.
 *
 * Score of a candidate P = autocorrelation at lag P of the series after removing a centred moving average
 * of width P (so slow level changes and random walks do not look periodic), over pairs where both values
 * exist. A candidate needs at least two whole cycles of history.
 */
import type { PeriodScore } from "./types.js";

/** Candidate periods in seconds: 15 min, 30 min, 1 h, 12 h, 1 day, 1 week. */
export const CANDIDATE_PERIODS = [900, 1800, 3600, 43_200, 86_400, 604_800] as const;

/** Minimum score for a period to be accepted. */
export const PERIOD_SCORE_THRESHOLD = 0.3;

/** Centred moving average of width w (slots) over finite values; NaN where the window has no data. */
export function movingAverage(x: Float64Array, w: number): Float64Array {
  const n = x.length;
  const sum = new Float64Array(n + 1);
  const cnt = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const f = Number.isNaN(v) ? 0 : 1;
    sum[i + 1] = sum[i]! + (f ? v : 0);
    cnt[i + 1] = cnt[i]! + f;
  }
  const out = new Float64Array(n);
  const half = Math.floor(w / 2);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(n, a + w);
    const a2 = Math.max(0, b - w);
    const c = cnt[b]! - cnt[a2]!;
    out[i] = c > 0 ? (sum[b]! - sum[a2]!) / c : Number.NaN;
  }
  return out;
}

/** Pearson correlation of d[t] and d[t - lag] over pairs where both are finite. */
export function lagCorrelation(d: Float64Array, lag: number): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let t = lag; t < d.length; t++) {
    const a = d[t]!;
    const b = d[t - lag]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    n++;
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  if (n < 3) return 0;
  const cov = sab / n - (sa / n) * (sb / n);
  const va = saa / n - (sa / n) ** 2;
  const vb = sbb / n - (sb / n) ** 2;
  if (va <= 0 || vb <= 0) return 0;
  return cov / Math.sqrt(va * vb);
}

/**
 * Scores every candidate period against the series (values at `step` seconds; NaN = missing).
 * Returns one entry per candidate, with `accepted` and a note when rejected.
 */
export function detectPeriods(
  values: Float64Array,
  step: number,
  candidates: readonly number[] = CANDIDATE_PERIODS,
  threshold = PERIOD_SCORE_THRESHOLD,
): PeriodScore[] {
  const out: PeriodScore[] = [];
  for (const seconds of candidates) {
    const p = seconds / step;
    if (!Number.isInteger(p) || p < 2) {
      out.push({ seconds, score: 0, accepted: false, note: `not a multiple of the ${step}s step` });
      continue;
    }
    if (values.length < 2 * p) {
      out.push({ seconds, score: 0, accepted: false, note: "needs 2 whole cycles of history" });
      continue;
    }
    const ma = movingAverage(values, p);
    const d = new Float64Array(values.length);
    for (let i = 0; i < d.length; i++) d[i] = values[i]! - ma[i]!;
    const score = lagCorrelation(d, p);
    const accepted = score >= threshold;
    out.push(
      accepted ? { seconds, score, accepted } : { seconds, score, accepted, note: `score < ${threshold}` },
    );
  }
  return out;
}
