/**
 * Shared shapes of the forecasting engine: a regularly sampled series in, a quantile forecast or a typed
 * abstain reason out. Crane's predictors answer "not all metric predicted" without a reason
 * (gocrane/crane #886, #728, #534); every forecaster here returns a reason code instead.
 */
import type { Result } from "../errors.js";

/** A series on a regular grid: value i is at `start + i * step` (Unix seconds); NaN marks a missing slot. */
export interface RegularSeries {
  /** Unix seconds of the first slot. */
  start: number;
  /** Seconds between slots (Crane's sampleInterval). */
  step: number;
  /** One value per slot; NaN = missing (a gap). */
  values: Float64Array;
}

/** The quantiles every forecast carries. Forecasters without an error model return p50 = p90 = p99. */
export interface QuantileForecast {
  /** Unix seconds of the first forecast slot (the slot right after the history). */
  start: number;
  step: number;
  p50: Float64Array;
  p90: Float64Array;
  p99: Float64Array;
  /**
   * Upper bound per slot derived from the history (the same window's historical peaks times a margin,
   * times a trend allowance): servedWindowPeak() never serves more. Absent = unbounded.
   */
  upper?: Float64Array;
}

/** The name of a forecast quantile. */
export type QuantileName = "p50" | "p90" | "p99";
/** Every quantile name, in increasing order. */
export const QUANTILE_NAMES: readonly QuantileName[] = ["p50", "p90", "p99"];

/** A candidate period and the score the detector gave it. */
export interface PeriodScore {
  /** Period in seconds. */
  seconds: number;
  /** Detector score (seasonal autocorrelation in [-1, 1] for multi-seasonal; ACF value for Crane). */
  score: number;
  /** Whether the detector accepted it. */
  accepted: boolean;
  /** Why it was rejected, when it was. */
  note?: string;
}

/** A forecast plus what the model saw and decided (for `--explain`). */
export interface Forecast extends QuantileForecast {
  model: string;
  /** Periods the model uses, in seconds (empty for non-seasonal models). */
  periods: number[];
  /** Candidate periods with scores, when the model detects periods. */
  candidates?: PeriodScore[];
  /** Human-readable notes: level factor, fallbacks, chosen estimator, ... */
  notes: string[];
  /** How the quantiles and the served peak were calibrated (models that calibrate by replay). */
  calibration?: CalibrationInfo;
}

/** The calibration of a forecast's upper quantiles and history bound (`--explain`, JSON). */
export interface CalibrationInfo {
  /** "replay": honest replays; "default": too few of them, fixed widths and the history bound decide. */
  source: "replay" | "default";
  /** Replay windows used (each forecast only from data before its origin). */
  windows: number;
  /** Of those, windows forecast from the wider pool because their day class had no earlier day. */
  widenedWindows: number;
  residuals: number;
  /** p90 = p50 + p90Width x (p50 + s0); p99 likewise. */
  p90Width: number;
  p99Width: number;
  /** The served peak is a factor x the analog peak envelope (then capped by the bound): one factor per
   * envelope-level bin, bin k holding envelopes below peakBinEdges[k] (the last one the rest). */
  peakFactors: number[];
  peakBinEdges: number[];
  /** Bound: margin x the same window's largest historical peak x trend allowance. */
  boundMargin: number;
  trendAllowance: number;
  /** Count series only: how it was recognised and the served quantile of the window maximum. */
  counts?: CountInfo;
}

/**
 * The count model of a count series (docs/forecasting.md, "The served value"): p90 is the `level`
 * quantile of the maximum of Poisson(bias x rate) draws over the window, the rates spread by a common
 * log-normal factor of log-sd `sigma`; one (level, bias, sigma) per bin of the window's largest rate.
 */
export interface CountInfo {
  /** The value of one event; `unit` says which kind. */
  quantum: number;
  unit: "events per step" | "whole numbers";
  /** Share of the values that are whole multiples of the quantum. */
  share: number;
  /** Median non-zero value in events. */
  medianCount: number;
  source: "replay" | "default";
  windows: number;
  /** Replay windows the levels would have served below 0.9x their actual peak. */
  misses: number;
  /** `below`: the bin holds windows whose largest rate (events per slot) is below it (null: the rest). */
  bins: { level: number; bias: number; sigma: number; below: number | null }[];
}

/** Closed set of reasons a forecaster declines to forecast. */
export type AbstainCode =
  | "too-little-history" // fewer points (or cycles) than the model needs
  | "no-period" // no candidate period passed the detector; `candidates` lists each one with its score
  | "too-many-gaps" // too large a share of the history (or the recent window) is missing
  | "constant-series" // nothing to model (all values equal), e.g. period detection is meaningless
  | "invalid-parameters" // a parameter is out of range (instead of silently using defaults, as Crane does)
  | "period-not-supported"; // a period was found but this model accepts only some (Crane: exactly 1 day or 1 week)

/** Why a forecaster abstained. */
export interface Abstain {
  model: string;
  code: AbstainCode;
  /** One line a user can act on. */
  message: string;
  candidates?: PeriodScore[];
}

/** A forecast, or the reason the forecaster abstained. */
export type ForecastResult = Result<Forecast, Abstain>;

/** Options every forecaster takes. */
export interface ForecastOptions {
  /** Number of future slots to forecast. */
  horizon: number;
  /** Seed for any randomness (Crane's shuffle test); forecasters are deterministic given the seed. */
  seed?: number;
  /** UTC offset (hours) of the series' local day, for weekday/weekend classes (default 0). */
  utcOffsetHours?: number;
}

/** A named forecasting model. */
export interface Forecaster {
  name: string;
  description: string;
  /**
   * How long a fitted model is reused before refitting, in seconds (Crane rebuilds DSP models every
   * 12 h, `--model-update-interval`). Backtests honour it; 0 or undefined = refit at every origin.
   */
  refitIntervalSec?: number;
  forecast(history: RegularSeries, options: ForecastOptions): ForecastResult;
}

/** Builds an abstain result. */
export function abstain(
  model: string,
  code: AbstainCode,
  message: string,
  candidates?: PeriodScore[],
): { ok: false; error: Abstain } {
  return { ok: false, error: candidates ? { model, code, message, candidates } : { model, code, message } };
}

/** Builds a forecast whose three quantiles are the same point forecast (models without an error model). */
export function pointForecast(
  model: string,
  history: RegularSeries,
  values: Float64Array,
  extra: { periods?: number[]; candidates?: PeriodScore[]; notes?: string[] } = {},
): { ok: true; value: Forecast } {
  const f: Forecast = {
    model,
    start: history.start + history.values.length * history.step,
    step: history.step,
    p50: values,
    p90: values,
    p99: values,
    periods: extra.periods ?? [],
    notes: extra.notes ?? [],
  };
  if (extra.candidates) f.candidates = extra.candidates;
  return { ok: true, value: f };
}
