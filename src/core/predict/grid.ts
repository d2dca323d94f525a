/**
 * Preprocessing shared by the forecasters: placing raw samples on a regular grid, gap statistics and
 * short-gap interpolation. Rules (documented in docs/forecasting.md):
 * - the grid step is the given step, or the most common spacing between consecutive samples;
 * - a sample lands in the slot nearest to its timestamp; several samples in one slot are averaged;
 * - slots without a sample are gaps (NaN); no value is invented at this stage;
 * - `fillShortGaps` interpolates linearly across gaps of at most `maxSlots` slots (Crane interpolates
 *   every gap under 1 h); longer gaps stay NaN and the models skip them.
 */
import { invalidInput } from "../errors.js";
import type { RegularSeries } from "./types.js";

/** The most common positive spacing between consecutive timestamps (ties: the smallest). */
export function inferStep(timestamps: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < timestamps.length; i++) {
    const d = Math.round((timestamps[i]! - timestamps[i - 1]!) * 1000) / 1000;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = -1;
  for (const [d, c] of counts) {
    if (c > bestCount || (c === bestCount && d < best)) {
      best = d;
      bestCount = c;
    }
  }
  if (best <= 0) throw invalidInput("series", "cannot infer a sampling step (need two distinct timestamps)");
  return best;
}

/**
 * The most slots a grid may have: 1,000,000 (about 1.9 years at 1 min, 11.5 days at 1 s; the reference
 * traces have 30,240). Larger spans (a stray timestamp far away, a tiny step) are an input error instead
 * of an allocation that fails or runs for hours.
 */
export const MAX_GRID_SLOTS = 1_000_000;

/**
 * Places (timestamp, value) samples, sorted by time, on a regular grid starting at the first timestamp.
 * `where` names the input in errors (a file name); a grid over `MAX_GRID_SLOTS` slots is an input error.
 */
export function toRegularGrid(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  step?: number,
  where = "series",
): RegularSeries {
  if (timestamps.length === 0) throw invalidInput(where, "no samples");
  const s = step ?? (timestamps.length > 1 ? inferStep(timestamps) : 60);
  if (!(s > 0)) throw invalidInput("--step", `step must be positive, got ${s}`);
  const start = timestamps[0]!;
  const last = timestamps[timestamps.length - 1]!;
  const n = Math.round((last - start) / s) + 1;
  if (!(n <= MAX_GRID_SLOTS))
    throw invalidInput(
      where,
      `timestamps ${start} to ${last} span ${n} slots of ${s}s; at most ${MAX_GRID_SLOTS} ` +
        "(check for a stray timestamp, or pass a larger --step)",
    );
  const sum = new Float64Array(n);
  const cnt = new Uint32Array(n);
  for (let i = 0; i < timestamps.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.round((timestamps[i]! - start) / s);
    if (k < 0 || k >= n) continue;
    sum[k] = sum[k]! + v;
    cnt[k] = cnt[k]! + 1;
  }
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = cnt[k]! > 0 ? sum[k]! / cnt[k]! : Number.NaN;
  return { start, step: s, values: out };
}

/** Share of NaN slots in values[from, to). */
export function missingShare(values: Float64Array, from = 0, to = values.length): number {
  if (to <= from) return 1;
  let miss = 0;
  for (let i = from; i < to; i++) if (Number.isNaN(values[i]!)) miss++;
  return miss / (to - from);
}

/** Length (slots) of the longest run of NaN. */
export function longestGap(values: Float64Array): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]!)) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/** Copy of `values` with NaN runs of at most `maxSlots` slots (with data on both sides) interpolated. */
export function fillShortGaps(values: Float64Array, maxSlots: number): Float64Array {
  const out = Float64Array.from(values);
  let i = 0;
  while (i < out.length) {
    if (!Number.isNaN(out[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && Number.isNaN(out[j]!)) j++;
    const len = j - i;
    if (i > 0 && j < out.length && len <= maxSlots) {
      const a = out[i - 1]!;
      const b = out[j]!;
      for (let k = i; k < j; k++) out[k] = a + ((b - a) * (k - i + 1)) / (len + 1);
    }
    i = j;
  }
  return out;
}

/** The last `n` slots of a series (or all of it), as a new series. */
export function tail(series: RegularSeries, n: number): RegularSeries {
  if (n >= series.values.length) return series;
  const from = series.values.length - n;
  return { start: series.start + from * series.step, step: series.step, values: series.values.slice(from) };
}

/** Slots [0, end) of a series (the history visible at an origin). */
export function head(series: RegularSeries, end: number): RegularSeries {
  return { start: series.start, step: series.step, values: series.values.subarray(0, Math.max(0, end)) };
}

/** Quantile (linear interpolation, q in [0,1]) of the finite values; NaN when there are none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) xs.push(values[i]!);
  if (xs.length === 0) return Number.NaN;
  xs.sort((a, b) => a - b);
  const pos = q * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

/** Several quantiles (linear interpolation) of the finite values from one sort; NaN when there are none. */
export function quantiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  const xs = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) xs[n++] = values[i]!;
  const sorted = xs.subarray(0, n).sort();
  return qs.map((q) => {
    if (n === 0) return Number.NaN;
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  });
}

/** Median of the finite values. */
export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}
