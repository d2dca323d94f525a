/**
 * Rolling-origin evaluation (the traces' scoring protocol): at each origin the forecaster sees only the
 * slots before it and forecasts `horizon` slots. Point metrics (WAPE, MAE, under-prediction) use the
 * p50 forecast; the window-peak ratio max(forecast)/max(actual) uses the served quantile (default p90),
 * which is what an autoscaler would read through windowPeak(). When a forecaster abstains, the fallback
 * (recent level, what a reactive autoscaler assumes) is scored and the abstention is counted.
 * Forecasters with a refit interval (Crane: 12 h) reuse their last fit, as they would in production.
 */
import { head, quantile } from "./grid.js";
import type { AbstainCode, Forecaster, QuantileForecast, QuantileName, RegularSeries } from "./types.js";

/** A marked event as slot range [start, end) of the series. */
export interface SpikeRange {
  start: number;
  end: number;
}

/** Options of one rolling-origin run. */
export interface BacktestOptions {
  /** Origin slot indices (each > 0). */
  origins: number[];
  /** Forecast length in slots. */
  horizon: number;
  /** Quantile used for the window peak (default p90). */
  peakQuantile?: QuantileName;
  /** Windows overlapping these ranges are dropped from the "without spikes" variants. */
  spikes?: SpikeRange[];
  /** Scored when the forecaster abstains. */
  fallback: Forecaster;
  seed?: number;
  utcOffsetHours?: number;
}

/** One scored window. */
export interface WindowScore {
  origin: number;
  /** max(forecast at the peak quantile) / max(actual); null when max(actual) = 0 or no actual. */
  peakRatio: number | null;
  overlapsSpike: boolean;
  /** Abstain code when the fallback was scored. */
  abstained?: AbstainCode;
}

/** Pooled metrics of one forecaster on one series. */
export interface BacktestMetrics {
  forecaster: string;
  points: number;
  wape: number;
  mae: number;
  underShare: number;
  underVolume: number;
  windows: number;
  windowsWithoutSpikes: number;
  peakRatioMedian: number;
  peakRatioP10: number;
  /** Share of windows with peak ratio < 0.9. */
  peakMissShare: number;
  peakMissShareWithoutSpikes: number;
  /** WAPE over points of windows that do not overlap spikes. */
  wapeWithoutSpikes: number;
  abstainRate: number;
  abstainReasons: Partial<Record<AbstainCode, number>>;
  windowScores: WindowScore[];
}

/** Hourly origins over the last `days` days such that origin + horizon fits in the series. */
export function hourlyOrigins(series: RegularSeries, days: number, horizon: number, every = 3600): number[] {
  const n = series.values.length;
  const stepsPerOrigin = Math.max(1, Math.round(every / series.step));
  const lastEnd = n - horizon; // last allowed origin
  const firstTime = series.start + n * series.step - days * 86_400;
  const out: number[] = [];
  // first slot whose time is aligned to `every` and >= firstTime
  let first = Math.ceil((firstTime - series.start) / series.step);
  while (first < n && (series.start + first * series.step) % every !== 0) first++;
  for (let o = Math.max(1, first); o <= lastEnd; o += stepsPerOrigin) out.push(o);
  return out;
}

/** Runs the rolling-origin evaluation of one forecaster. */
export function backtest(
  series: RegularSeries,
  forecaster: Forecaster,
  opts: BacktestOptions,
): BacktestMetrics {
  const pq = opts.peakQuantile ?? "p90";
  const h = opts.horizon;
  const spikes = opts.spikes ?? [];
  const refitSlots = forecaster.refitIntervalSec ? Math.floor(forecaster.refitIntervalSec / series.step) : 0;
  let cached: { origin: number; f: QuantileForecast } | undefined;
  let cachedAbstain: { origin: number; code: AbstainCode } | undefined;
  let absSum = 0;
  let errSum = 0;
  let actSum = 0;
  let errNs = 0;
  let actNs = 0;
  let under = 0;
  let underVol = 0;
  let points = 0;
  let abstained = 0;
  const reasons: Partial<Record<AbstainCode, number>> = {};
  const windows: WindowScore[] = [];
  const x = series.values;
  for (const o of opts.origins) {
    let f: QuantileForecast | undefined;
    let offset = 0;
    let code: AbstainCode | undefined;
    if (refitSlots > 0 && cached && o - cached.origin < refitSlots) {
      f = cached.f;
      offset = o - cached.origin;
    } else if (refitSlots > 0 && cachedAbstain && o - cachedAbstain.origin < refitSlots) {
      code = cachedAbstain.code;
    } else {
      const hist = head(series, o);
      const r = forecaster.forecast(hist, {
        horizon: h + refitSlots,
        seed: (opts.seed ?? 1) + o,
        utcOffsetHours: opts.utcOffsetHours ?? 0,
      });
      if (r.ok) {
        f = r.value;
        if (refitSlots > 0) cached = { origin: o, f };
        cachedAbstain = undefined;
      } else {
        code = r.error.code;
        if (refitSlots > 0) {
          cachedAbstain = { origin: o, code };
          cached = undefined;
        }
      }
    }
    if (!f) {
      abstained++;
      reasons[code!] = (reasons[code!] ?? 0) + 1;
      const fb = opts.fallback.forecast(head(series, o), { horizon: h });
      if (!fb.ok) continue;
      f = fb.value;
      offset = 0;
    }
    const overlaps = spikes.some((s) => o < s.end && o + h > s.start);
    let maxA = Number.NEGATIVE_INFINITY;
    let maxF = Number.NEGATIVE_INFINITY;
    let any = false;
    for (let j = 0; j < h && o + j < x.length; j++) {
      const a = x[o + j]!;
      const p50 = f.p50[offset + j]!;
      const pk = f[pq][offset + j]!;
      if (pk > maxF) maxF = pk;
      if (Number.isNaN(a)) continue;
      any = true;
      if (a > maxA) maxA = a;
      const e = Math.abs(p50 - a);
      errSum += e;
      absSum += e;
      actSum += a;
      if (!overlaps) {
        errNs += e;
        actNs += a;
      }
      if (p50 < a) {
        under++;
        underVol += a - p50;
      }
      points++;
    }
    if (!any) continue;
    const w: WindowScore = { origin: o, peakRatio: maxA > 0 ? maxF / maxA : null, overlapsSpike: overlaps };
    if (code) w.abstained = code;
    windows.push(w);
  }
  const ratios = windows.filter((w) => w.peakRatio !== null).map((w) => w.peakRatio!);
  const ratiosNs = windows.filter((w) => w.peakRatio !== null && !w.overlapsSpike).map((w) => w.peakRatio!);
  const miss = (r: number[]) => (r.length ? r.filter((v) => v < 0.9).length / r.length : 0);
  return {
    forecaster: forecaster.name,
    points,
    wape: actSum > 0 ? errSum / actSum : 0,
    mae: points ? absSum / points : 0,
    underShare: points ? under / points : 0,
    underVolume: actSum > 0 ? underVol / actSum : 0,
    windows: ratios.length,
    windowsWithoutSpikes: ratiosNs.length,
    peakRatioMedian: quantile(ratios, 0.5),
    peakRatioP10: quantile(ratios, 0.1),
    peakMissShare: miss(ratios),
    peakMissShareWithoutSpikes: miss(ratiosNs),
    wapeWithoutSpikes: actNs > 0 ? errNs / actNs : 0,
    abstainRate: opts.origins.length ? abstained / opts.origins.length : 0,
    abstainReasons: reasons,
    windowScores: windows,
  };
}
