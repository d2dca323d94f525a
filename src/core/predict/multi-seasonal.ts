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
import { type AnalogCore, type AnalogPlan, forecastAt, prefixSums } from "./analogs.js";
import {
  BOUND_ANALOGS,
  BOUND_MARGIN,
  binOf,
  type Calibration,
  type CountSeries,
  calibrate,
  detectCounts,
  historyBound,
  MIN_WINDOWS,
  replay,
  snapToCount,
} from "./calibration.js";
import { type CountCalibration, countLevelFor, maxRate, P99_LEVEL, scaled } from "./count-calibration.js";
import { countQuantile, poissonMaxCdf } from "./count-peak.js";
import { learnDayClasses, weekdayOf } from "./day-classes.js";
import { median, missingShare } from "./grid.js";
import { detectPeriods } from "./periods.js";
import {
  abstain,
  type CountInfo,
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
  /** Calibration span in seconds (hourly replay origins) [604800]. */
  calibrationSpan: number;
  /** Span of the replays that choose the analog smoothing, in seconds [86400]. */
  smoothingSpan: number;
  /** Half-width in seconds of the local maximum around each analog slot (peak envelope) [300]. */
  peakHalfWidth: number;
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
  calibrationSpan: WEEK,
  smoothingSpan: DAY,
  peakHalfWidth: 300,
  maxMissingShare: 0.5,
  recentWindow: 3 * HOUR,
  smoothingCandidates: [0, 2, 5, 10],
};

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

/**
 * The analog plan: weekly analogs when a week period is accepted; daily analogs within learned day
 * classes once a week of history exists; daily analogs without classes before; else the longest usable
 * sub-daily period.
 */
function choosePlan(
  accepted: number[],
  x: Float64Array,
  start: number,
  step: number,
  utcOffsetHours: number,
): AnalogPlan {
  const slotsOf = (sec: number) => Math.round(sec / step);
  if (accepted.includes(WEEK)) return { period: slotsOf(WEEK), label: "weekly analogs" };
  if (accepted.includes(DAY) && x.length >= slotsOf(WEEK)) {
    const classes = learnDayClasses(x, start, step, utcOffsetHours);
    const weekday = weekdayOf(start, step, utcOffsetHours);
    return {
      period: slotsOf(DAY),
      dayClass: (slot) => classes.classOfWeekday[weekday(slot)]!,
      dayOf: (slot) => Math.floor((start + slot * step + utcOffsetHours * 3600) / DAY),
      label: `daily analogs of the same learned day class (${classes.label}; split above profile distance ${classes.threshold.toFixed(3)})`,
    };
  }
  if (accepted.includes(DAY))
    return { period: slotsOf(DAY), label: "daily analogs (under a week of history)" };
  const p = Math.max(...accepted.filter((s) => s <= DAY || x.length >= 2 * slotsOf(s)));
  return { period: slotsOf(p), label: `analogs every ${p / 60}m` };
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
      const counts = detectCounts(raw, step);
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
      const plan = choosePlan(accepted, x, history.start + offset * step, step, options.utcOffsetHours ?? 0);
      const core: AnalogCore = {
        plan,
        x,
        scale,
        shortN: Math.max(1, Math.round(cfg.shortWindow / step)),
        longN: Math.max(1, Math.round(cfg.longWindow / step)),
        halfLifeSlots: cfg.levelHalfLife / step,
        maxAnalogs: cfg.maxAnalogs,
        smooth: 0,
        peakHalfWidth: Math.round(cfg.peakHalfWidth / step),
        ...prefixSums(x),
        lagCache: new Map(),
        lagFrom: 0,
        quantum: counts?.quantum,
      };
      core.longN = Math.max(core.shortN, core.longN);
      // Level windows reach back at most one day (or 3 short windows) before the oldest replay origin.
      const replayHours = Math.floor(Math.max(cfg.calibrationSpan, cfg.smoothingSpan) / HOUR) + 1;
      const replaySlots = replayHours * Math.max(1, Math.round(HOUR / step));
      core.lagFrom = Math.max(0, x.length - replaySlots - Math.max(core.longN, 3 * core.shortN));
      const ch = Math.min(h, Math.max(1, Math.round(HOUR / step)));
      const { cal, smooth } = calibrateCore(core, cfg, step, ch);
      core.smooth = smooth;
      const live = forecastAt(core, x.length, h);
      const p50 = live.p50;
      const bound = historyBound(core, h);
      const p90 = new Float64Array(h);
      const p99 = new Float64Array(h);
      if (cal.count && core.quantum !== undefined) countQuantiles(p50, core.quantum, cal.count, ch, p90, p99);
      else {
        const factors = blockFactors(cal, live.envelope, ch);
        for (let j = 0; j < h; j++) {
          const q = Math.max(p50[j]! + cal.q90 * (p50[j]! + scale), factors[j]! * live.envelope[j]!);
          p90[j] = Math.max(p50[j]!, snapToCount(q, core.quantum));
          p99[j] = Math.max(p90[j]!, p50[j]! + cal.q99 * (p50[j]! + scale));
        }
      }
      const f: Forecast = {
        model: name,
        start: history.start + n * step,
        step,
        p50,
        p90,
        p99,
        upper: bound.upper,
        periods: accepted,
        candidates,
        calibration: {
          source: cal.source,
          windows: cal.windows,
          widenedWindows: cal.widened,
          residuals: cal.residuals,
          p90Width: cal.q90,
          p99Width: cal.q99,
          peakFactors: cal.peakFactors,
          peakBinEdges: cal.edges.slice(0, -1),
          boundMargin: BOUND_MARGIN,
          trendAllowance: bound.trend,
          ...(counts && cal.count ? { counts: countInfo(counts, cal.count) } : {}),
        },
        notes: [
          `${plan.label} (period ${plan.period * step}s), analog smoothing +/-${smooth} slots` +
            (live.widened > 0
              ? `; ${live.widened} forecast slots have no earlier day of their class: wider pool`
              : ""),
          calibrationNote(cal),
          `history bound: served peak <= ${BOUND_MARGIN} x the same window's largest peak over the last ${BOUND_ANALOGS} analog cycles` +
            (bound.trend > 1
              ? ` x trend allowance ${bound.trend.toFixed(3)}`
              : " (no growth: no trend allowance)"),
          ...(counts && cal.count ? [countNote(counts, cal.count)] : []),
        ],
      };
      return { ok: true, value: f };
    },
  };
}

/**
 * Count series: every slot of a block of `ch` slots (the calibration window) gets the calibrated quantile
 * of the block's maximum count as p90 and its 99th percentile as p99, so the window peak of p90 over a
 * block is that quantile (count-peak.ts); p50 (the forecast rate) is unchanged.
 */
function countQuantiles(
  p50: Float64Array,
  quantum: number,
  count: CountCalibration,
  ch: number,
  p90: Float64Array,
  p99: Float64Array,
): void {
  for (let b = 0; b < p50.length; b += ch) {
    const e = Math.min(p50.length, b + ch);
    const rates = p50.subarray(b, e).map((v) => v / quantum);
    const { level, sigma, bias } = countLevelFor(count, maxRate(rates));
    const cdf = poissonMaxCdf(scaled(rates, bias), sigma, Math.max(level, P99_LEVEL));
    const q90 = quantum * countQuantile(cdf, level);
    const q99 = quantum * countQuantile(cdf, P99_LEVEL);
    for (let j = b; j < e; j++) {
      p90[j] = Math.max(p50[j]!, q90);
      p99[j] = Math.max(p90[j]!, q99);
    }
  }
}

/** The count model of the calibration info (JSON). */
function countInfo(c: CountSeries, cal: CountCalibration): CountInfo {
  return {
    ...c,
    source: cal.source,
    windows: cal.windows,
    misses: cal.misses,
    bins: cal.bins.map((b, k) => ({ ...b, below: Number.isFinite(cal.edges[k]!) ? cal.edges[k]! : null })),
  };
}

/** The `--explain` line of a count series: how it was recognised and what is served. */
function countNote(c: CountSeries, cal: CountCalibration): string {
  const unit =
    c.unit === "events per step"
      ? `whole events per step (multiples of ${c.quantum.toPrecision(4)}/s)`
      : "whole numbers";
  const bins = cal.bins
    .map((b, k) => {
      const range = Number.isFinite(cal.edges[k]!) ? `rate < ${cal.edges[k]!.toPrecision(3)}` : "rest";
      return `${range}: q${b.level.toFixed(3)} (bias ${b.bias.toFixed(2)}, spread ${b.sigma.toFixed(2)})`;
    })
    .join("; ");
  const how =
    cal.source === "replay"
      ? `levels from ${cal.windows} honest replay windows (${cal.misses} served below 0.9x)`
      : `only ${cal.windows} replay windows: default level`;
  return (
    `count series: ${(c.share * 100).toFixed(1)}% of the values are ${unit}, median non-zero ${c.medianCount.toPrecision(3)} events: ` +
    `p90 and p99 = quantiles of the hour's maximum of Poisson(rate) draws, rate = p50 in events per slot (instead of the widths and peak factors above); ${how}; by peak rate per slot: ${bins}; the bound is rounded down to whole events`
  );
}

/** Peak factor per slot: each block of `ch` slots uses the factor of its envelope maximum's bin. */
function blockFactors(cal: Calibration, envelope: Float64Array, ch: number): Float64Array {
  const out = new Float64Array(envelope.length);
  for (let b = 0; b < envelope.length; b += ch) {
    let m = 0;
    for (let j = b; j < Math.min(envelope.length, b + ch); j++) m = Math.max(m, envelope[j]!);
    out.fill(cal.peakFactors[binOf(cal.edges, m)]!, b, b + ch);
  }
  return out;
}

/**
 * Chooses the analog smoothing on the recent replays (none for bursty series, wider for noisy
 * low-volume ones; a wider window must cut the absolute error by 2 %), then calibrates on the replays
 * of the whole calibration span with the chosen smoothing.
 */
function calibrateCore(
  core: AnalogCore,
  cfg: MultiSeasonalConfig,
  step: number,
  ch: number,
): { cal: Calibration; smooth: number } {
  const every = Math.max(1, Math.round(HOUR / step));
  const quick = Math.floor(cfg.smoothingSpan / HOUR);
  const all = Math.max(quick, Math.floor(cfg.calibrationSpan / HOUR));
  core.smooth = 0;
  let chosen = { w: 0, abs: replay(core, every, 1, quick + 1, ch, false).abs };
  for (const w of cfg.smoothingCandidates) {
    if (w === 0) continue;
    core.smooth = w;
    const abs = replay(core, every, 1, quick + 1, ch, false).abs;
    if (abs < chosen.abs * 0.98) chosen = { w, abs };
  }
  core.smooth = chosen.w;
  return { cal: calibrate(replay(core, every, 1, all + 1, ch), core.quantum), smooth: chosen.w };
}

function calibrationNote(cal: Calibration): string {
  const src =
    cal.source === "replay"
      ? `calibrated on ${cal.windows} honest replay windows (${cal.residuals} residuals` +
        (cal.widened > 0
          ? `; ${cal.widened} windows forecast from the wider pool: their day class had no earlier day`
          : "") +
        ")"
      : `only ${cal.windows} honest replay windows (< ${MIN_WINDOWS}): default widths, peak factor 1, the history bound decides`;
  return `${src}: p90 = p50 + ${cal.q90.toFixed(3)} x (p50 + s0), p99 = p50 + ${cal.q99.toFixed(3)} x (p50 + s0); peak factors ${cal.peakFactors.map((v) => v.toFixed(3)).join(", ")} x the analog peak envelope${
    cal.edges.length > 1
      ? ` (envelope bins split at ${cal.edges
          .slice(0, -1)
          .map((v) => v.toPrecision(4))
          .join(", ")})`
      : ""
  }`;
}

function best(c: PeriodScore[]): string {
  let b: PeriodScore | undefined;
  for (const x of c)
    if (x.note === undefined || x.note.startsWith("score")) if (!b || x.score > b.score) b = x;
  return b ? `${b.seconds}s scored ${b.score.toFixed(2)}` : "none";
}
