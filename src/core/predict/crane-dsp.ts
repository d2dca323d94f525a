/**
 * Crane-compatible DSP predictor (gocrane/crane pkg/prediction/dsp, HEAD 2b0ddae8), re-created from the
 * behaviour described in docs/forecasting.md (no code copied):
 * preprocessing (drop data before a gap > 1 h, linear interpolation, whole-hour alignment, P99.9/P0.1
 * outliers replaced by the previous sample), AutoPeriod-style detection (periodogram candidates over a
 * shuffle threshold, validated as hills of the circular ACF), the day/week-only acceptance, the FFT and
 * max-value estimators with their margins and spectrum filters, and estimator selection on a held-out
 * last period with Crane's asymmetric error. The forecast is the chosen one-period estimate repeated.
 *
 * Differences, on purpose: invalid parameters are rejected with a reason instead of silently replaced
 * by defaults (Crane falls back to 15 d history and 1 m sampling and only logs it); values are never
 * truncated to integers (Crane's adapter serves whole numbers); every abstention
 * carries a reason and the period candidates with their ACF scores. Crane's high-frequency
 * filter decides by raw bin index, so mirror bins (k > N/2) can be zeroed while their low-frequency
 * partners are kept; that quirk is reproduced only with `mirrorQuirk: true`.
 */
import { tryParseDurationMs } from "../duration.js";
import { err, ok, type Result } from "../errors.js";
import { circularAcf, dft, magnitudesPair } from "./fft.js";
import { quantile } from "./grid.js";
import {
  abstain,
  type Forecaster,
  type ForecastOptions,
  type ForecastResult,
  type PeriodScore,
  pointForecast,
  type RegularSeries,
} from "./types.js";

const HOUR = 3600;
const DAY = 86_400;
const WEEK = 604_800;

/** Crane's `estimators.fft[]` entry (numbers instead of Crane's strings). */
export interface FftEstimatorConfig {
  kind: "fft";
  marginFraction: number;
  /** Absolute amplitude in metric units (Crane default 1.0). */
  lowAmplitudeThreshold: number;
  /** Hz; components at or below it are always kept (Crane default 1/3600). */
  highFrequencyThreshold: number;
  minNumOfSpectrumItems: number;
  maxNumOfSpectrumItems: number;
}

/** Crane's `estimators.maxValue[]` entry. */
export interface MaxValueEstimatorConfig {
  kind: "maxValue";
  marginFraction: number;
}

/** One entry of Crane's `estimators` (fft or maxValue). */
export type CraneEstimatorConfig = FftEstimatorConfig | MaxValueEstimatorConfig;

/** Crane's `prediction.predictionAlgorithm.dsp`, parsed. */
export interface CraneDspConfig {
  /** Seconds (Crane `sampleInterval`, at most 1 h). */
  sampleInterval: number;
  /** Seconds (Crane `historyLength`, at least 48 h). */
  historyLength: number;
  estimators: CraneEstimatorConfig[];
  /** Number of shuffles for the periodogram threshold (Crane: 100). */
  shuffles: number;
  /** Reproduce Crane's asymmetric high-frequency filter on mirror bins (k > N/2). */
  mirrorQuirk: boolean;
}

function fftDefaults(over: Partial<FftEstimatorConfig>): FftEstimatorConfig {
  return {
    kind: "fft",
    marginFraction: 0,
    lowAmplitudeThreshold: 1.0,
    highFrequencyThreshold: 1 / 3600,
    minNumOfSpectrumItems: 3,
    maxNumOfSpectrumItems: 100,
    ...over,
  };
}

/** Crane's built-in defaults: 1 m sampling, 15 d history, eight FFT estimators. */
export function defaultCraneDspConfig(): CraneDspConfig {
  const estimators: CraneEstimatorConfig[] = [];
  for (const [minNum, low] of [
    [3, 1.0],
    [50, 0.05],
  ] as const) {
    for (const margin of [0.01, 0.1, 0.15, 0.2]) {
      estimators.push(
        fftDefaults({ marginFraction: margin, minNumOfSpectrumItems: minNum, lowAmplitudeThreshold: low }),
      );
    }
  }
  return { sampleInterval: 60, historyLength: 15 * DAY, estimators, shuffles: 100, mirrorQuirk: false };
}

/** Crane's DSP spec as it appears in an EHPA/TSP (strings for numbers, durations such as "60s", "7d"). */
export interface CraneDspSpec {
  sampleInterval?: string;
  historyLength?: string;
  estimators?: {
    maxValue?: Array<{ marginFraction?: string }>;
    fft?: Array<{
      marginFraction?: string;
      lowAmplitudeThreshold?: string;
      highFrequencyThreshold?: string;
      minNumOfSpectrumItems?: number;
      maxNumOfSpectrumItems?: number;
    }>;
  };
}

/** One rejected field of a Crane DSP spec. */
export interface ConfigProblem {
  field: string;
  message: string;
}

/**
 * Parses and validates a Crane DSP spec. Where Crane logs and falls back to its defaults, this returns
 * every offending field. Omitted fields take Crane's per-field defaults.
 */
export function parseCraneDspSpec(spec: CraneDspSpec): Result<CraneDspConfig, ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const def = defaultCraneDspConfig();
  const dur = (text: string | undefined, field: string, fallback: number): number => {
    if (text === undefined) return fallback;
    const ms = tryParseDurationMs(text);
    if (ms === undefined || ms <= 0) {
      problems.push({ field, message: `invalid duration "${text}"` });
      return fallback;
    }
    return ms / 1000;
  };
  const num = (text: string | undefined, field: string, fallback: number): number => {
    if (text === undefined) return fallback;
    const v = Number(text);
    if (text.trim() === "" || !Number.isFinite(v)) {
      problems.push({ field, message: `not a number: "${text}"` });
      return fallback;
    }
    return v;
  };
  const sampleInterval = dur(spec.sampleInterval, "dsp.sampleInterval", def.sampleInterval);
  if (sampleInterval > HOUR) problems.push({ field: "dsp.sampleInterval", message: "must be at most 1h" });
  const historyLength = dur(spec.historyLength, "dsp.historyLength", def.historyLength);
  if (historyLength < 48 * HOUR)
    problems.push({ field: "dsp.historyLength", message: "must be at least 48h" });
  const estimators: CraneEstimatorConfig[] = [];
  spec.estimators?.maxValue?.forEach((e, i) => {
    const m = num(e.marginFraction, `dsp.estimators.maxValue[${i}].marginFraction`, 0);
    estimators.push({ kind: "maxValue", marginFraction: m });
  });
  spec.estimators?.fft?.forEach((e, i) => {
    const f = `dsp.estimators.fft[${i}]`;
    const c = fftDefaults({
      marginFraction: num(e.marginFraction, `${f}.marginFraction`, 0),
      lowAmplitudeThreshold: num(e.lowAmplitudeThreshold, `${f}.lowAmplitudeThreshold`, 1.0),
      highFrequencyThreshold: num(e.highFrequencyThreshold, `${f}.highFrequencyThreshold`, 1 / 3600),
      minNumOfSpectrumItems: e.minNumOfSpectrumItems ?? 3,
      maxNumOfSpectrumItems: e.maxNumOfSpectrumItems ?? 100,
    });
    if (!Number.isInteger(c.minNumOfSpectrumItems) || c.minNumOfSpectrumItems < 1)
      problems.push({ field: `${f}.minNumOfSpectrumItems`, message: "must be a positive integer" });
    if (!Number.isInteger(c.maxNumOfSpectrumItems) || c.maxNumOfSpectrumItems < c.minNumOfSpectrumItems)
      problems.push({
        field: `${f}.maxNumOfSpectrumItems`,
        message: "must be an integer >= minNumOfSpectrumItems",
      });
    estimators.push(c);
  });
  if (problems.length > 0) return err(problems);
  return ok({
    ...def,
    sampleInterval,
    historyLength,
    estimators: estimators.length ? estimators : def.estimators,
  });
}

/** Deterministic PRNG (mulberry32) for the shuffle test; Crane seeds with the clock, we take a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Crane's preprocessing of one series: keep only the data after the last gap longer than 1 h,
 * interpolate the smaller gaps linearly, trim the oldest samples to whole hours, and replace values
 * above P99.9 or below P0.1 with the previous sample.
 */
export function cranePreprocess(values: Float64Array, step: number): Float64Array {
  const maxRun = Math.max(0, Math.floor(HOUR / step) - 1);
  let from = 0;
  let run = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]!)) run++;
    else {
      if (run > maxRun) from = i;
      run = 0;
    }
  }
  let to = values.length;
  while (to > from && Number.isNaN(values[to - 1]!)) to--;
  while (from < to && Number.isNaN(values[from]!)) from++;
  const x = values.slice(from, to);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isNaN(x[i]!)) continue;
    let j = i;
    while (Number.isNaN(x[j]!)) j++;
    const a = x[i - 1]!;
    const b = x[j]!;
    for (let k = i; k < j; k++) x[k] = a + ((b - a) * (k - i + 1)) / (j - i + 1);
    i = j;
  }
  const perHour = Math.max(1, Math.round(HOUR / step));
  const aligned = x.slice(x.length % perHour);
  if (aligned.length === 0) return aligned;
  const hi = quantile(aligned, 0.999);
  const lo = quantile(aligned, 0.001);
  for (let i = 1; i < aligned.length; i++) {
    if (aligned[i]! > hi || aligned[i]! < lo) aligned[i] = aligned[i - 1]!;
  }
  return aligned;
}

/** A periodogram candidate and its ACF check. */
export interface CranePeriodCandidate {
  /** Period in samples (N / k, integer division). */
  samples: number;
  acf: number;
  hill: boolean;
}

function slope(y: Float64Array, from: number, to: number): number {
  // least squares over indices from..to inclusive (circular)
  const n = y.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  const m = to - from + 1;
  for (let i = from; i <= to; i++) {
    const v = y[((i % n) + n) % n]!;
    sx += i;
    sy += v;
    sxx += i * i;
    sxy += i * v;
  }
  const d = m * sxx - sx * sx;
  return d === 0 ? 0 : (m * sxy - sx * sy) / d;
}

/**
 * Crane's FindPeriod: periodogram bins k >= 2 whose magnitude beats the 99th of `shuffles` shuffled
 * maxima propose N/k; each is validated as a hill of the circular ACF (line fits over
 * min(4 h, period/2) on each side slope up then down); the hill with the highest ACF wins.
 * Returns -1 as the period when nothing qualifies.
 */
export function craneFindPeriod(
  x: Float64Array,
  step: number,
  seed: number,
  shuffles = 100,
): { period: number; candidates: CranePeriodCandidate[] } {
  const n = x.length;
  if (n < 8) return { period: -1, candidates: [] };
  const rand = seededRandom(seed);
  const maxima: number[] = [];
  const half = Math.floor(n / 2);
  const shuffled = (): Float64Array => {
    const y = Float64Array.from(x);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = y[i]!;
      y[i] = y[j]!;
      y[j] = t;
    }
    return y;
  };
  const maxOf = (m: Float64Array): number => {
    let best = 0;
    for (let k = 1; k < half; k++) if (m[k]! > best) best = m[k]!;
    return best;
  };
  for (let s = 0; s < shuffles; s += 2) {
    const a = shuffled();
    const b = s + 1 < shuffles ? shuffled() : a;
    const [ma, mb] = magnitudesPair(a, b);
    maxima.push(maxOf(ma));
    if (s + 1 < shuffles) maxima.push(maxOf(mb));
  }
  maxima.sort((p, q) => p - q);
  const threshold = maxima.length ? maxima[Math.max(0, Math.ceil(0.99 * maxima.length) - 1)]! : 0;
  const [mag] = magnitudesPair(x, x);
  const periods: number[] = [];
  for (let k = 2; k < half; k++) {
    if (mag[k]! > threshold) {
      const p = Math.floor(n / k);
      if (periods.length === 0 || p < periods[periods.length - 1]!) periods.push(p);
    }
  }
  if (periods.length === 0) return { period: -1, candidates: [] };
  const acf = circularAcf(x);
  const fourHours = Math.round((4 * HOUR) / step);
  const candidates: CranePeriodCandidate[] = periods.map((p) => {
    const r = Math.min(fourHours, Math.floor(p / 2));
    const hill = r >= 1 && slope(acf, p - r, p) > 0 && slope(acf, p, p + r) < 0;
    return { samples: p, acf: acf[p % n]!, hill };
  });
  let best = -1;
  let bestAcf = Number.NEGATIVE_INFINITY;
  for (const c of candidates) {
    if (c.hill && c.acf > bestAcf) {
      bestAcf = c.acf;
      best = c.samples;
    }
  }
  return { period: best, candidates };
}

/** Outcome of Crane's day/week period check. */
export interface CranePeriodCheck {
  /** Accepted period in samples (exactly 1 day or 1 week), or -1. */
  period: number;
  /** Which window was tested. */
  tested: "week" | "day" | "none";
  /** Detected period in samples before the day/week check (-1 if none). */
  detected: number;
  candidates: CranePeriodCandidate[];
}

/**
 * Crane's period check on a preprocessed series: with at least 2 weeks, test the newest whole weeks;
 * otherwise with at least 2 days, the newest whole days; accept only exactly 1 day or 1 week.
 * If the week test fails the day test is not tried (as in Crane).
 */
export function craneCheckPeriod(
  x: Float64Array,
  step: number,
  seed: number,
  shuffles = 100,
): CranePeriodCheck {
  const day = Math.round(DAY / step);
  const week = Math.round(WEEK / step);
  let tested: "week" | "day" | "none" = "none";
  let window: Float64Array | undefined;
  if (x.length >= 2 * week) {
    tested = "week";
    window = x.subarray(x.length - Math.floor(x.length / week) * week);
  } else if (x.length >= 2 * day) {
    tested = "day";
    window = x.subarray(x.length - Math.floor(x.length / day) * day);
  }
  if (!window) return { period: -1, tested, detected: -1, candidates: [] };
  const { period, candidates } = craneFindPeriod(window, step, seed, shuffles);
  const accepted = period === day || period === week ? period : -1;
  return { period: accepted, tested, detected: period, candidates };
}

/** One-period estimate of the max-value estimator: per phase, the max over past periods x (1 + margin). */
export function maxValueEstimate(x: Float64Array, period: number, marginFraction: number): Float64Array {
  const m = Math.floor(x.length / period);
  const base = x.length - m * period;
  const out = new Float64Array(period).fill(Number.NEGATIVE_INFINITY);
  for (let c = 0; c < m; c++) {
    for (let j = 0; j < period; j++) {
      const v = x[base + c * period + j]!;
      if (v > out[j]!) out[j] = v;
    }
  }
  for (let j = 0; j < period; j++) out[j] = out[j]! * (1 + marginFraction);
  return out;
}

/**
 * One-period estimate of the FFT estimator: spectrum filtered by amplitude (max/min spectrum items,
 * lowAmplitudeThreshold) keeping every component at or under highFrequencyThreshold, inverse transform,
 * last period of the reconstruction, values <= 0 clamped to 0.01, times (1 + margin).
 */
export function fftEstimate(
  x: Float64Array,
  period: number,
  step: number,
  cfg: FftEstimatorConfig,
  mirrorQuirk = false,
): Float64Array {
  const m = Math.floor(x.length / period);
  const n = m * period;
  const re = Float64Array.from(x.subarray(x.length - n));
  const im = new Float64Array(n);
  dft(re, im);
  const half = Math.floor(n / 2);
  const amps: number[] = [];
  for (let k = 1; k < half; k++) amps.push(Math.hypot(re[k]!, im[k]!) / n);
  amps.sort((a, b) => b - a);
  let cutoff = amps.length ? amps[Math.min(cfg.maxNumOfSpectrumItems, amps.length) - 1]! : 0;
  if (cutoff < cfg.lowAmplitudeThreshold) cutoff = cfg.lowAmplitudeThreshold;
  const minAmp = amps.length ? amps[Math.min(cfg.minNumOfSpectrumItems, amps.length) - 1]! : 0;
  if (minAmp < cutoff) cutoff = minAmp;
  const sampleRate = 1 / step;
  for (let k = 1; k < n; k++) {
    const amp = Math.hypot(re[k]!, im[k]!) / n;
    // Frequency of bin k; the symmetric form uses the partner bin's frequency for k > N/2.
    const kk = mirrorQuirk ? k : Math.min(k, n - k);
    const freq = (kk * sampleRate) / n;
    if (amp < cutoff && freq > cfg.highFrequencyThreshold) {
      re[k] = 0;
      im[k] = 0;
    }
  }
  dft(re, im, true);
  const out = new Float64Array(period);
  for (let j = 0; j < period; j++) {
    let v = re[n - period + j]! / n;
    if (v <= 0) v = 0.01;
    out[j] = v * (1 + cfg.marginFraction);
  }
  return out;
}

/** Crane's estimator score: asymmetric (under-forecast costs more), MAE when any actual < 0.001. */
export function craneError(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = actual.length;
  let useMae = false;
  for (let i = 0; i < n; i++) if (actual[i]! < 0.001) useMae = true;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    if (useMae) sum += Math.abs(p - a);
    else if (p >= a) sum += (p - a) / a;
    else {
      const x = Math.min((a - p) / a, 1 - 1e-12);
      sum += -Math.log(1 - x) / Math.log(1.25);
    }
  }
  return n ? sum / n : 0;
}

function estimate(x: Float64Array, period: number, step: number, e: CraneEstimatorConfig, quirk: boolean) {
  return e.kind === "maxValue"
    ? maxValueEstimate(x, period, e.marginFraction)
    : fftEstimate(x, period, step, e, quirk);
}

function describe(e: CraneEstimatorConfig): string {
  return e.kind === "maxValue"
    ? `maxValue(margin=${e.marginFraction})`
    : `fft(margin=${e.marginFraction}, lowAmp=${e.lowAmplitudeThreshold}, minItems=${e.minNumOfSpectrumItems}, maxItems=${e.maxNumOfSpectrumItems})`;
}

/** The Crane-compatible DSP forecaster (registry name `crane-dsp`). */
export function craneDspForecaster(config: CraneDspConfig = defaultCraneDspConfig()): Forecaster {
  const name = "crane-dsp";
  return {
    name,
    description: "Crane-compatible DSP: day/week period check, FFT/max-value estimators, one-period holdout",
    refitIntervalSec: 12 * HOUR,
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      if (history.step !== config.sampleInterval && config.sampleInterval > 0) {
        const ratio = config.sampleInterval / history.step;
        if (!Number.isInteger(ratio) || ratio < 1)
          return abstain(
            name,
            "invalid-parameters",
            `series step ${history.step}s is not a divisor of sampleInterval ${config.sampleInterval}s`,
          );
      }
      // Crane queries Prometheus at step=sampleInterval; downsample by taking every k-th slot.
      const k = Math.max(1, Math.round(config.sampleInterval / history.step));
      const step = history.step * k;
      const maxSlots = Math.floor(config.historyLength / step);
      const all = history.values;
      const offset = (all.length - 1) % k;
      const sampled: number[] = [];
      for (let i = offset; i < all.length; i += k) sampled.push(all[i]!);
      const raw = Float64Array.from(sampled.slice(Math.max(0, sampled.length - maxSlots)));
      const x = cranePreprocess(raw, step);
      const day = Math.round(DAY / step);
      if (x.length < 2 * day)
        return abstain(
          name,
          "too-little-history",
          `needs at least 2 days of gap-free data (after dropping data before gaps > 1h), has ${((x.length * step) / 3600).toFixed(1)}h`,
        );
      let constant = true;
      for (let i = 1; i < x.length && constant; i++) if (x[i] !== x[0]) constant = false;
      if (constant) return abstain(name, "constant-series", "the series is constant: no period to find");
      const check = craneCheckPeriod(x, step, options.seed ?? 1, config.shuffles);
      const candidates: PeriodScore[] = check.candidates.map((c) => ({
        seconds: c.samples * step,
        score: c.acf,
        accepted: c.samples === check.period,
        ...(c.samples === check.period
          ? {}
          : { note: c.hill ? "ACF hill, not the highest or not 1d/1w" : "not an ACF hill" }),
      }));
      if (check.period < 0) {
        if (check.detected > 0)
          return abstain(
            name,
            "period-not-supported",
            `detected period ${check.detected * step}s on the ${check.tested} window; Crane accepts only exactly 1d or 1w`,
            candidates,
          );
        return abstain(name, "no-period", `no period found on the ${check.tested} window`, candidates);
      }
      const period = check.period;
      const m = Math.floor(x.length / period);
      const xs = x.subarray(x.length - m * period);
      let chosen = config.estimators[0]!;
      const notes: string[] = [];
      if (m >= 2 && config.estimators.length > 1) {
        const train = xs.subarray(0, (m - 1) * period);
        const held = xs.subarray((m - 1) * period);
        let bestErr = Number.POSITIVE_INFINITY;
        for (const e of config.estimators) {
          const s = craneError(held, estimate(train, period, step, e, config.mirrorQuirk));
          if (s < bestErr) {
            bestErr = s;
            chosen = e;
          }
        }
        notes.push(
          `estimator ${describe(chosen)} won the held-out last period (error ${bestErr.toFixed(4)})`,
        );
      }
      const est = estimate(xs, period, step, chosen, config.mirrorQuirk);
      // Stamp forward from the last sample of the original series, at the original step.
      const out = new Float64Array(options.horizon);
      for (let j = 0; j < options.horizon; j++) {
        // The last sampled slot is the last slot of the history; estimate[0] is one sampleInterval later.
        out[j] = est[(Math.ceil((j + 1) / k) - 1) % period]!;
      }
      notes.unshift(`period ${period * step}s (${check.tested} window)`);
      return pointForecast(name, history, out, { periods: [period * step], candidates, notes });
    },
  };
}
