/**
 * The analog machinery of the multi-seasonal forecaster: which past slots stand for a future slot (one,
 * two, ... cycles back, optionally restricted to the same day class), their level scaling, and the point
 * forecast and peak envelope computed from them. Every function reads only slots before `end`, so a
 * replay at an earlier origin is a true out-of-sample forecast.
 */

/** How the analogs of a slot are chosen. */
export interface AnalogPlan {
  /** Period in slots. */
  period: number;
  /** Day class filter (daily analogs only): class id of a slot index. */
  dayClass?: (slot: number) => number;
  /** With dayClass: the day number of a slot (the class is constant within a day). */
  dayOf?: (slot: number) => number;
  label: string;
}

/** The fitted state shared by the point forecast, the envelope and the replays. */
export interface AnalogCore {
  plan: AnalogPlan;
  /** Cleaned training values. */
  x: Float64Array;
  /** s0 of the relative residual (10 % of the mean level). */
  scale: number;
  /** Slots of the short, mid and long level windows. */
  shortN: number;
  longN: number;
  /** Half-life of the short-level deviation, in slots of horizon. */
  halfLifeSlots: number;
  maxAnalogs: number;
  /** Half-width (slots) of the average taken around each analog slot (0 = the slot itself). */
  smooth: number;
  /** Half-width (slots) of the maximum taken around each analog slot for the peak envelope. */
  peakHalfWidth: number;
  psum: Float64Array;
  pcnt: Float64Array;
  /** Per lag: prefix sums for O(1) level ratios (filled on first use, see lagSums). */
  lagCache: Map<number, Float64Array>;
  /** First slot any level window reads (the prefix sums start there). */
  lagFrom: number;
  /** Count quantum when the values are whole counts per step (served peaks are whole counts). */
  quantum: number | undefined;
}

/** Analogs of one target slot, most recent first, and whether the day class had to be widened. */
export interface Analogs {
  slots: number[];
  widened: boolean;
}

/** Analog slot indices (all < end) for target slot t. */
export function analogSlots(plan: AnalogPlan, t: number, end: number, max: number): Analogs {
  const slots: number[] = [];
  const p = plan.period;
  const k0 = Math.max(1, Math.ceil((t - end + 1) / p));
  const cls = plan.dayClass?.(t);
  for (let k = k0; slots.length < max && k < k0 + 64; k++) {
    const s = t - k * p;
    if (s < 0) break;
    if (plan.dayClass && plan.dayClass(s) !== cls) continue;
    slots.push(s);
  }
  if (slots.length > 0 || !plan.dayClass) return { slots, widened: false };
  // No earlier day of the same class: the wider pool (every day) rather than no forecast.
  for (let k = k0; slots.length < max && t - k * p >= 0; k++) slots.push(t - k * p);
  return { slots, widened: slots.length > 0 };
}

/** Prefix sums of finite values and of their count (for O(1) window means). */
export function prefixSums(x: Float64Array): { psum: Float64Array; pcnt: Float64Array } {
  const psum = new Float64Array(x.length + 1);
  const pcnt = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const ok = !Number.isNaN(v);
    psum[i + 1] = psum[i]! + (ok ? v : 0);
    pcnt[i + 1] = pcnt[i]! + (ok ? 1 : 0);
  }
  return { psum, pcnt };
}

/** Value of analog slot s: the mean of finite values in [s - w, s + w], never reading slots >= end. */
function analogValue(core: AnalogCore, s: number, end: number): number {
  const w = core.smooth;
  if (w === 0) return core.x[s]!;
  const lo = Math.max(0, s - w);
  const hi = Math.min(s + w, end - 1) + 1;
  const n = core.pcnt[hi]! - core.pcnt[lo]!;
  return n > 0 ? (core.psum[hi]! - core.psum[lo]!) / n : Number.NaN;
}

/** Largest finite value in [s - w, s + w], never reading slots >= end; NaN when there is none. */
export function localMax(x: Float64Array, s: number, w: number, end: number): number {
  let m = Number.NaN;
  const hi = Math.min(s + w, end - 1);
  for (let i = Math.max(0, s - w); i <= hi; i++) if (!(x[i]! <= m)) m = x[i]!;
  return m;
}

/**
 * Prefix sums for one lag, interleaved per slot i: [sum of x[j], sum of x[j - lag], count] over
 * j < i where both values exist. Computed once per lag and fit, so each level ratio costs O(1).
 */
function lagSums(core: AnalogCore, lag: number): Float64Array {
  let p = core.lagCache.get(lag);
  if (p) return p;
  const x = core.x;
  const n = x.length;
  const f = core.lagFrom;
  p = new Float64Array(3 * (n - f + 1));
  let sa = 0;
  let sb = 0;
  let c = 0;
  for (let i = f; i < n; i++) {
    if (i >= lag) {
      const a = x[i]!;
      const b = x[i - lag]!;
      if (!Number.isNaN(a) && !Number.isNaN(b)) {
        sa += a;
        sb += b;
        c++;
      }
    }
    const k = 3 * (i - f + 1);
    p[k] = sa;
    p[k + 1] = sb;
    p[k + 2] = c;
  }
  core.lagCache.set(lag, p);
  return p;
}

/** Level ratio of actual vs analog-lagged values over slots [from, end). */
function ratio(core: AnalogCore, lag: number, from: number, end: number): { r: number; n: number } {
  const p = lagSums(core, lag);
  const lo = 3 * (Math.max(core.lagFrom, from) - core.lagFrom);
  const hi = 3 * (end - core.lagFrom);
  const sa = p[hi]! - p[lo]!;
  const sb = p[hi + 1]! - p[lo + 1]!;
  const n = p[hi + 2]! - p[lo + 2]!;
  if (n <= 0) return { r: 1, n: 0 };
  const c = core.scale * n * 0.5;
  const r = (sa + c) / (sb + c);
  return { r: Math.min(5, Math.max(0.2, r)), n };
}

/** Short and long level ratios of the slots one lag back, seen from `end`. */
export interface LevelRatios {
  rs: number;
  rl: number;
}

/**
 * Level ratios for one lag: the long one is the last day; a persistent shift (the last 3 short windows
 * disagree with the day by > 15 %) replaces it; the short one is the last short window.
 */
export function levelRatios(core: AnalogCore, lag: number, end: number): LevelRatios {
  const short = ratio(core, lag, end - core.shortN, end);
  const long = ratio(core, lag, end - core.longN, end);
  const mid = ratio(core, lag, end - 3 * core.shortN, end);
  let rl = long.n > 0 ? long.r : 1;
  if (mid.n >= core.shortN && Math.abs(Math.log(mid.r / rl)) > 0.15) rl = mid.r;
  const rs = short.n >= core.shortN / 4 ? short.r : rl;
  return { rs, rl };
}

/** Median of the first n values (3 or more: sorted in place, a handful), else their mean; NaN when none. */
function combine(vals: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  if (n < 3) return n === 1 ? vals[0]! : (vals[0]! + vals[1]!) / 2;
  for (let i = 1; i < n; i++) {
    const v = vals[i]!;
    let j = i - 1;
    for (; j >= 0 && vals[j]! > v; j--) vals[j + 1] = vals[j]!;
    vals[j + 1] = v;
  }
  return n % 2 === 1 ? vals[(n - 1) / 2]! : (vals[n / 2 - 1]! + vals[n / 2]!) / 2;
}

/**
 * Two analogs of a count series (values averaged over 2 x smooth + 1 slots, one event = quantum): their
 * mean, unless they differ by far more than counting noise allows
 * (events a and b in the averaged span, |a - b| > 4 sqrt(a + b) + 2: a burst in one of the two cycles),
 * then the smaller one. A burst a week ago is not the pattern; with 3 or more analogs the median already
 * leaves it out.
 */
export function countPair(u: number, v: number, smooth: number, quantum: number): number {
  const events = (2 * smooth + 1) / quantum;
  const a = u * events;
  const b = v * events;
  return Math.abs(a - b) > 4 * Math.sqrt(a + b) + 2 ? Math.min(u, v) : (u + v) / 2;
}

/** Point forecast and peak envelope for slots end .. end+h-1, from x[0, end) only. */
export interface AnalogForecast {
  p50: Float64Array;
  /** Per slot: the level-scaled local maxima (+/- peakHalfWidth) of the analogs, combined like p50. */
  envelope: Float64Array;
  /** Slots whose day class had no earlier day, forecast from the wider pool. */
  widened: number;
}

/** Level ratios per analog lag (lags are whole periods), computed once per forecast. */
function ratiosFor(core: AnalogCore, lags: number[], end: number, cache: LevelRatios[]): LevelRatios[] {
  return lags.map((lag) => {
    const k = lag / core.plan.period;
    let rr = cache[k];
    if (!rr) {
      rr = levelRatios(core, lag, end);
      cache[k] = rr;
    }
    return rr;
  });
}

/**
 * Point forecast (p50) and peak envelope for slots end .. end+h-1 using only x[0, end). Without
 * `withEnvelope` the envelope is a copy of p50 (the smoothing choice needs only p50).
 */
export function forecastAt(core: AnalogCore, end: number, h: number, withEnvelope = true): AnalogForecast {
  const { plan, x } = core;
  const p50 = new Float64Array(h);
  const envelope = new Float64Array(h);
  const cache: LevelRatios[] = [];
  const vals = new Float64Array(core.maxAnalogs);
  const peaks = new Float64Array(core.maxAnalogs);
  let widened = 0;
  let lastKey = Number.NaN;
  let lastK0 = 0;
  let lags: number[] = [];
  let ratios: LevelRatios[] = [];
  let isWidened = false;
  for (let j = 0; j < h; j++) {
    const t = end + j;
    // The analogs of a slot are those of the previous slot shifted by one unless the day changed.
    const key = plan.dayOf ? plan.dayOf(t) : 0;
    const k0 = Math.max(1, Math.ceil((t - end + 1) / plan.period));
    if (key !== lastKey || k0 !== lastK0) {
      const first = analogSlots(plan, t, end, core.maxAnalogs);
      lags = first.slots.map((s) => t - s);
      ratios = ratiosFor(core, lags, end, cache);
      isWidened = first.widened;
      lastKey = key;
      lastK0 = k0;
    }
    if (isWidened) widened++;
    const decay = 0.5 ** ((j + 1) / core.halfLifeSlots);
    let nv = 0;
    let np = 0;
    for (let i = 0; i < lags.length; i++) {
      const s = t - lags[i]!;
      const rr = ratios[i]!;
      const r = rr.rl * (rr.rs / rr.rl) ** decay;
      const v = analogValue(core, s, end);
      if (!Number.isNaN(v)) vals[nv++] = v * r;
      if (!withEnvelope) continue;
      const m = localMax(x, s, core.peakHalfWidth, end);
      if (!Number.isNaN(m)) peaks[np++] = m * r;
    }
    p50[j] =
      nv === 2 && core.quantum !== undefined
        ? countPair(vals[0]!, vals[1]!, core.smooth, core.quantum)
        : combine(vals, nv);
    // Two analog peaks: the smaller (one burst in one of two cycles is not the pattern).
    envelope[j] = np === 2 ? Math.min(peaks[0]!, peaks[1]!) : combine(peaks, np);
  }
  fillFlat(p50);
  fillFlat(envelope);
  for (let j = 0; j < h; j++) if (!withEnvelope || !(envelope[j]! >= p50[j]!)) envelope[j] = p50[j]!;
  return { p50, envelope, widened };
}

/** Slots without a value (every analog missing) carry the neighbouring value; none at all = 0. */
function fillFlat(out: Float64Array): void {
  const h = out.length;
  let last = Number.NaN;
  for (let j = 0; j < h; j++) {
    if (Number.isNaN(out[j]!)) out[j] = last;
    else last = out[j]!;
  }
  for (let j = h - 1; j >= 0; j--) {
    if (Number.isNaN(out[j]!)) out[j] = last;
    else last = out[j]!;
  }
  for (let j = 0; j < h; j++) if (!(out[j]! >= 0)) out[j] = 0;
}
