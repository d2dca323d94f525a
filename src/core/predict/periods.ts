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

/** Prefix sums of the finite values and of their count. */
function prefix(x: Float64Array): { sum: Float64Array; cnt: Float64Array } {
  const n = x.length;
  const sum = new Float64Array(n + 1);
  const cnt = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const f = Number.isNaN(v) ? 0 : 1;
    sum[i + 1] = sum[i]! + (f ? v : 0);
    cnt[i + 1] = cnt[i]! + f;
  }
  return { sum, cnt };
}

/** Centred moving average of width w at slot i from prefix sums; NaN where the window has no data. */
function maAt(sum: Float64Array, cnt: Float64Array, n: number, w: number, i: number): number {
  const a = Math.max(0, i - Math.floor(w / 2));
  const b = Math.min(n, a + w);
  const a2 = Math.max(0, b - w);
  const c = cnt[b]! - cnt[a2]!;
  return c > 0 ? (sum[b]! - sum[a2]!) / c : Number.NaN;
}

/** Centred moving average of width w (slots) over finite values; NaN where the window has no data. */
export function movingAverage(x: Float64Array, w: number): Float64Array {
  const { sum, cnt } = prefix(x);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = maAt(sum, cnt, x.length, w, i);
  return out;
}

/** Pearson correlation of d[t] and d[t - lag] over pairs where both are finite. */
export function lagCorrelation(d: Float64Array, lag: number): number {
  const n = d.length;
  let m = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let t = lag; t < n; t++) {
    const a = d[t]!;
    const b = d[t - lag]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    m++;
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  if (m < 3) return 0;
  const cov = sab / m - (sa / m) * (sb / m);
  const va = saa / m - (sa / m) ** 2;
  const vb = sbb / m - (sb / m) ** 2;
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
  const n = values.length;
  const { sum, cnt } = prefix(values);
  const d = new Float64Array(n); // the series minus its moving average, reused for every candidate
  for (const seconds of candidates) {
    const p = seconds / step;
    if (!Number.isInteger(p) || p < 2) {
      out.push({ seconds, score: 0, accepted: false, note: `not a multiple of the ${step}s step` });
      continue;
    }
    if (n < 2 * p) {
      out.push({ seconds, score: 0, accepted: false, note: "needs 2 whole cycles of history" });
      continue;
    }
    for (let i = 0; i < n; i++) d[i] = values[i]! - maAt(sum, cnt, n, p, i);
    const score = lagCorrelation(d, p);
    const accepted = score >= threshold;
    out.push(
      accepted ? { seconds, score, accepted } : { seconds, score, accepted, note: `score < ${threshold}` },
    );
  }
  return out;
}
