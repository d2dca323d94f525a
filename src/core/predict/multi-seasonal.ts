/**
 * Our default forecaster (registry name `multi-seasonal`): level-anchored seasonal analogs with
 * calibrated quantiles. Goes beyond Crane's DSP (which repeats a denoised copy of the last cycle, only
 * for exact 1 d / 1 w periods, with a fixed margin):
 *
 * 1. Periods: every candidate (15 min ... 1 week) is scored (periods.ts); the accepted ones are listed.
 * 2. Analogs: for each future slot, the values one, two, ... cycles back of the longest usable accepted
 *    period (weekly when 2 weeks exist; otherwise daily, restricted to the same weekday/weekend class
 *    when a week of history exists; otherwise the sub-daily period).
 * 3. Level: each analog is scaled by how the recent past compares with the same span one cycle earlier:
 *    a short ratio (last hour) that decays with the horizon towards a long ratio (last day). This follows
 *    growth, level shifts and slow noise the same day, instead of waiting 12 h for a rebuild.
 * 4. Robustness: gaps are skipped (NaN), isolated zeros inside a busy series are ignored for training,
 *    analogs are combined with a median when there are 3 or more (outliers excluded, not clipped).
 * 5. Quantiles: the same procedure is replayed at hourly origins over the last 2 days of history; the
 *    relative residuals give p90 and p99 (instead of a fixed margin).
 */
import { median, missingShare, quantile } from "./grid.js";
import { detectPeriods } from "./periods.js";
import {
  abstain,
  type Forecast,
  type Forecaster,
  type ForecastOptions,
  type ForecastResult,
  type PeriodScore,
  type RegularSeries,
} from "./types.js";

const HOUR = 3600;
const DAY = 86_400;
const WEEK = 604_800;

/** Tunables of the multi-seasonal forecaster (defaults in brackets). */
export interface MultiSeasonalConfig {
  /** Short level window in seconds [3600]. */
  shortWindow: number;
  /** Long level window in seconds [86400]. */
  longWindow: number;
  /** Half-life (seconds of horizon) of the short-level deviation [3600]. */
  levelHalfLife: number;
  /** Maximum analogs per slot [4]. */
  maxAnalogs: number;
  /** Calibration span in seconds (hourly origins) [172800]. */
  calibrationSpan: number;
  /** Abstain when more than this share of the used history is missing [0.5]. */
  maxMissingShare: number;
  /** Abstain when the last `recentWindow` seconds hold no data [10800]. */
  recentWindow: number;
  /** Analog smoothing half-widths (slots) tried by the calibration replay [0, 2, 5, 10]. */
  smoothingCandidates: number[];
}

/** Defaults of the multi-seasonal forecaster (see docs/forecasting.md). */
export const DEFAULT_MULTI_SEASONAL: MultiSeasonalConfig = {
  shortWindow: HOUR,
  longWindow: DAY,
  levelHalfLife: HOUR,
  maxAnalogs: 4,
  calibrationSpan: 2 * DAY,
  maxMissingShare: 0.5,
  recentWindow: 3 * HOUR,
  smoothingCandidates: [0, 2, 5, 10],
};

/** How the analogs of a slot are chosen. */
interface AnalogPlan {
  period: number; // slots
  /** Day class filter (daily analogs only): returns a class id for a slot index. */
  dayClass?: (slot: number) => number;
  label: string;
}

function isoDayClass(start: number, step: number, utcOffsetHours: number): (slot: number) => number {
  return (slot) => {
    const t = start + slot * step + utcOffsetHours * HOUR;
    const dow = (((Math.floor(t / DAY) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    return dow === 0 || dow === 6 ? 1 : 0;
  };
}

/** Analog slot indices (all < end) for target slot t, most recent first. */
function analogSlots(plan: AnalogPlan, t: number, end: number, max: number): number[] {
  const out: number[] = [];
  const p = plan.period;
  let k = Math.max(1, Math.ceil((t - end + 1) / p));
  const cls = plan.dayClass?.(t);
  for (let guard = 0; out.length < max && guard < 64; guard++, k++) {
    const s = t - k * p;
    if (s < 0) break;
    if (plan.dayClass && plan.dayClass(s) !== cls) continue;
    out.push(s);
  }
  return out;
}

/** Cleans the training copy: isolated zeros inside a busy series become missing. */
function cleanTraining(x: Float64Array, scale: number): Float64Array {
  const y = Float64Array.from(x);
  const nz: number[] = [];
  for (let i = 0; i < x.length; i += 7) if (x[i]! > 0) nz.push(x[i]!);
  const floor = Math.max(5 * scale, 0.3 * (nz.length ? median(nz) : 0));
  for (let i = 1; i + 1 < x.length; i++) {
    if (x[i] === 0 && x[i - 1]! > floor && x[i + 1]! > floor) y[i] = Number.NaN;
  }
  return y;
}

interface Core {
  plan: AnalogPlan;
  x: Float64Array; // cleaned training values
  scale: number; // s0 of the relative residual
  cfg: MultiSeasonalConfig;
  stepSec: number;
  /** Half-width (slots) of the average taken around each analog slot (0 = the slot itself). */
  smooth: number;
  psum: Float64Array;
  pcnt: Float64Array;
}

/** Value of analog slot s: the mean of finite values in [s - w, s + w], never reading slots >= end. */
function analogValue(core: Core, s: number, end: number): number {
  const w = core.smooth;
  if (w === 0) return core.x[s]!;
  const lo = Math.max(0, s - w);
  const hi = Math.min(s + w, end - 1) + 1;
  const n = core.pcnt[hi]! - core.pcnt[lo]!;
  return n > 0 ? (core.psum[hi]! - core.psum[lo]!) / n : Number.NaN;
}

/** Prefix sums of finite values and of their count (for O(1) window means). */
function prefixSums(x: Float64Array): { psum: Float64Array; pcnt: Float64Array } {
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

/** Level ratio of actual vs analog-lagged values over slots [from, end). */
function ratio(core: Core, lag: number, from: number, end: number): { r: number; n: number } {
  let sa = 0;
  let sb = 0;
  let n = 0;
  const x = core.x;
  for (let i = Math.max(from, lag); i < end; i++) {
    const a = x[i]!;
    const b = x[i - lag]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sa += a;
    sb += b;
    n++;
  }
  if (n === 0) return { r: 1, n: 0 };
  const c = core.scale * n * 0.5;
  const r = (sa + c) / (sb + c);
  return { r: Math.min(5, Math.max(0.2, r)), n };
}

/** Point forecast for slots end .. end+h-1 using only x[0, end). */
function pointAt(core: Core, end: number, h: number, hi?: Float64Array): Float64Array {
  const { plan, x, cfg, stepSec } = core;
  const out = new Float64Array(h);
  const shortN = Math.max(1, Math.round(cfg.shortWindow / stepSec));
  const longN = Math.max(shortN, Math.round(cfg.longWindow / stepSec));
  const ratioCache = new Map<number, { rs: number; rl: number }>();
  const vals: number[] = [];
  for (let j = 0; j < h; j++) {
    const t = end + j;
    const slots = analogSlots(plan, t, end, cfg.maxAnalogs);
    vals.length = 0;
    let rawHi = Number.NaN;
    const decay = 0.5 ** (((j + 1) * stepSec) / cfg.levelHalfLife);
    for (const s of slots) {
      const lag = t - s;
      const v = analogValue(core, s, end);
      if (Number.isNaN(v)) continue;
      let rr = ratioCache.get(lag);
      if (!rr) {
        const short = ratio(core, lag, end - shortN, end);
        const long = ratio(core, lag, end - longN, end);
        const mid = ratio(core, lag, end - 3 * shortN, end);
        // A persistent shift (the last 3 windows disagree with the last day by > 15 %) replaces the long level.
        let rl = long.n > 0 ? long.r : 1;
        if (mid.n >= shortN && Math.abs(Math.log(mid.r / rl)) > 0.15) rl = mid.r;
        const rs = short.n >= shortN / 4 ? short.r : rl;
        rr = { rs, rl };
        ratioCache.set(lag, rr);
      }
      const r = rr.rl * (rr.rs / rr.rl) ** decay;
      vals.push(v * r);
      const raw = x[s]!;
      if (!Number.isNaN(raw) && !(raw * r <= rawHi)) rawHi = raw * r;
    }
    if (vals.length === 0) {
      out[j] = Number.NaN;
      continue;
    }
    if (hi) hi[j] = Number.isNaN(rawHi) ? Math.max(...vals) : Math.max(rawHi, ...vals);
    if (vals.length >= 3) out[j] = median(vals);
    else {
      let s = 0;
      for (const v of vals) s += v;
      out[j] = s / vals.length;
    }
  }
  // Slots without any analog (all missing): carry the neighbouring forecast.
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
  return out;
}

/** The multi-seasonal forecaster. */
export function multiSeasonalForecaster(config: Partial<MultiSeasonalConfig> = {}): Forecaster {
  const cfg = { ...DEFAULT_MULTI_SEASONAL, ...config };
  const name = "multi-seasonal";
  return {
    name,
    description:
      "level-anchored multi-seasonal analogs (15m..1w), weekday/weekend classes, calibrated p50/p90/p99",
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const step = history.step;
      const n = history.values.length;
      const h = options.horizon;
      const minSlots = Math.ceil((2 * 900) / step);
      if (n < Math.max(4, minSlots))
        return abstain(
          name,
          "too-little-history",
          `needs at least 2 cycles of the shortest period (30m), has ${n} points`,
        );
      // Use at most 5 weeks.
      const maxSlots = Math.round((5 * WEEK) / step);
      const offset = Math.max(0, n - maxSlots);
      const raw = history.values.subarray(offset);
      const missing = missingShare(raw);
      if (missing > cfg.maxMissingShare)
        return abstain(name, "too-many-gaps", `${(missing * 100).toFixed(0)}% of the history is missing`);
      const recentN = Math.max(1, Math.round(cfg.recentWindow / step));
      if (missingShare(raw, Math.max(0, raw.length - recentN)) === 1)
        return abstain(name, "too-many-gaps", `no data in the last ${cfg.recentWindow / 60}m`);
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      let sum = 0;
      let cnt = 0;
      for (const v of raw) {
        if (Number.isNaN(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        sum += Math.abs(v);
        cnt++;
      }
      if (hi === lo) return abstain(name, "constant-series", `every value is ${lo}`);
      const scale = 0.1 * (sum / cnt) + 1e-9;
      const x = cleanTraining(raw, scale);
      const candidates: PeriodScore[] = detectPeriods(x, step);
      const accepted = candidates.filter((c) => c.accepted).map((c) => c.seconds);
      if (accepted.length === 0) {
        const usable = candidates.some((c) => c.note === undefined || c.note.startsWith("score"));
        if (!usable)
          return abstain(
            name,
            "too-little-history",
            "no candidate period has 2 whole cycles of history",
            candidates,
          );
        return abstain(
          name,
          "no-period",
          `no period found (best ${best(candidates)}; threshold 0.3)`,
          candidates,
        );
      }
      const slotsOf = (sec: number) => Math.round(sec / step);
      let plan: AnalogPlan;
      if (accepted.includes(WEEK)) plan = { period: slotsOf(WEEK), label: "weekly analogs" };
      else if (accepted.includes(DAY) && x.length >= slotsOf(WEEK))
        plan = {
          period: slotsOf(DAY),
          dayClass: isoDayClass(history.start + offset * step, step, options.utcOffsetHours ?? 0),
          label: "daily analogs of the same weekday/weekend class",
        };
      else {
        const p = Math.max(...accepted.filter((s) => s <= DAY || x.length >= 2 * slotsOf(s)));
        plan = { period: slotsOf(p), label: `analogs every ${p / 60}m` };
      }
      const core: Core = { plan, x, scale, cfg, stepSec: step, smooth: 0, ...prefixSums(x) };
      // Calibration: replay at hourly origins over the last calibrationSpan. The replay also picks the
      // analog smoothing (none for bursty series, wider for noisy low-volume ones) by lowest absolute error.
      const hourSlots = Math.max(1, Math.round(HOUR / step));
      const origins = Math.floor(cfg.calibrationSpan / HOUR);
      const ch = Math.min(h, hourSlots);
      const replay = (): { z: number[]; abs: number; peaks: number[] } => {
        const z: number[] = [];
        const peaks: number[] = [];
        let abs = 0;
        for (let i = 1; i <= origins; i++) {
          const o = x.length - i * hourSlots;
          if (o - plan.period < hourSlots) break;
          const f = pointAt(core, o, ch);
          let maxA = Number.NaN;
          let maxF = 0;
          for (let j = 0; j < ch && o + j < x.length; j++) {
            const a = x[o + j]!;
            if (f[j]! > maxF) maxF = f[j]!;
            if (Number.isNaN(a)) continue;
            if (!(a <= maxA)) maxA = a;
            abs += Math.abs(a - f[j]!);
            z.push((a - f[j]!) / (f[j]! + scale));
          }
          if (!Number.isNaN(maxA)) peaks.push((maxA + scale) / (maxF + scale));
        }
        return { z, abs, peaks };
      };
      let chosen = { w: 0, ...replay() };
      for (const w of cfg.smoothingCandidates) {
        if (w === 0) continue;
        core.smooth = w;
        const r = replay();
        if (r.abs < chosen.abs * 0.98) chosen = { w, ...r };
      }
      core.smooth = chosen.w;
      const z = chosen.z;
      const hiAnalog = new Float64Array(h);
      const p50 = pointAt(core, x.length, h, hiAnalog);
      const q90 = z.length >= 20 ? Math.max(0, quantile(z, 0.9)) : 0.1;
      // Window-peak coverage: the p50 window maximum times this factor covered 90 % of calibration peaks.
      const pk90 = chosen.peaks.length >= 12 ? Math.max(1, quantile(chosen.peaks, 0.9)) : 1;
      const q99 = z.length >= 20 ? Math.max(q90, quantile(z, 0.99)) : 0.25;
      const p90 = new Float64Array(h);
      const p99 = new Float64Array(h);
      for (let j = 0; j < h; j++) {
        // p90 is at least the highest level-scaled analog (keeps narrow bursts that averaging would blur).
        p90[j] = Math.max(
          p50[j]! + q90 * (p50[j]! + scale),
          (p50[j]! + scale) * pk90 - scale,
          Number.isNaN(hiAnalog[j]!) ? 0 : hiAnalog[j]!,
        );
        p99[j] = Math.max(p90[j]!, p50[j]! + q99 * (p50[j]! + scale));
      }
      const f: Forecast = {
        model: name,
        start: history.start + n * step,
        step,
        p50,
        p90,
        p99,
        periods: accepted,
        candidates,
        notes: [
          `${plan.label} (period ${plan.period * step}s), analog smoothing +/-${chosen.w} slots`,
          `quantiles calibrated on ${z.length} residuals: p90 = p50 * ${(1 + q90).toFixed(3)}, p99 = p50 * ${(1 + q99).toFixed(3)} (plus a floor); window-peak factor ${pk90.toFixed(3)}`,
        ],
      };
      return { ok: true, value: f };
    },
  };
}

function best(c: PeriodScore[]): string {
  let b: PeriodScore | undefined;
  for (const x of c)
    if (x.note === undefined || x.note.startsWith("score")) if (!b || x.score > b.score) b = x;
  return b ? `${b.seconds}s scored ${b.score.toFixed(2)}` : "none";
}
