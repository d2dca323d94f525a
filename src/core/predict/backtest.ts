/**
 * Rolling-origin evaluation (the traces' scoring protocol): at each origin the forecaster sees only the
 * slots before it and forecasts `horizon` slots. Point metrics (WAPE, MAE, under-prediction) use the
 * p50 forecast; the window-peak ratio served/max(actual) uses servedWindowPeak() at the served quantile
 * (default p90, capped by the forecast's history bound), the value an autoscaler would serve. When a forecaster abstains, the fallback
 * (recent level, what a reactive autoscaler assumes) is scored and the abstention is counted.
 * Forecasters with a refit interval (Crane: 12 h) reuse their last fit, as they would in production.
 */
import { head, quantile } from "./grid.js";
import type { AbstainCode, Forecaster, QuantileForecast, QuantileName, RegularSeries } from "./types.js";
import { servedWindowPeak } from "./window-peak.js";

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
  /** The served window peak (servedWindowPeak at the peak quantile). */
  served: number;
  /** max(actual) over the window. */
  actualPeak: number;
  /** served / max(actual); null when max(actual) = 0 or no actual. */
  peakRatio: number | null;
  /** Sum of |p50 - actual| and sum of actuals over the window's scored points (for WAPE over any subset). */
  absError: number;
  actualSum: number;
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
  /** Median peak ratio over windows that do not overlap spikes. */
  peakRatioMedianWithoutSpikes: number;
  /** Share of windows whose served peak is more than 2x the actual peak (over-provisioning). */
  peakOver2Share: number;
  peakOver2ShareWithoutSpikes: number;
  /** WAPE over points of windows that do not overlap spikes. */
  wapeWithoutSpikes: number;
  abstainRate: number;
  abstainReasons: Partial<Record<AbstainCode, number>>;
  windowScores: WindowScore[];
}

/** Hourly origins over the last `days` days such that origin + horizon fits in the series. */
export function hourlyOrigins(series: RegularSeries, days: number, horizon: number, every = 3600): number[] {
  return originsFrom(
    series,
    series.start + series.values.length * series.step - days * 86_400,
    horizon,
    every,
  );
}

/**
 * Origins aligned to `every` from the first one whose history spans at least `historySec` seconds, to
 * the last whose horizon fits in the series (`tidescale backtest --from 2d`).
 */
export function originsAfterHistory(
  series: RegularSeries,
  historySec: number,
  horizon: number,
  every = 3600,
): number[] {
  return originsFrom(series, series.start + historySec, horizon, every);
}

function originsFrom(series: RegularSeries, firstTime: number, horizon: number, every: number): number[] {
  const n = series.values.length;
  const stepsPerOrigin = Math.max(1, Math.round(every / series.step));
  const lastEnd = n - horizon; // last allowed origin
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
    let any = false;
    let wErr = 0;
    let wAct = 0;
    const now = f.start + offset * f.step;
    const served = servedWindowPeak(f, pq, now, (h - 1) * f.step)?.value ?? Number.NaN;
    for (let j = 0; j < h && o + j < x.length; j++) {
      const a = x[o + j]!;
      const p50 = f.p50[offset + j]!;
      if (Number.isNaN(a)) continue;
      any = true;
      if (a > maxA) maxA = a;
      const e = Math.abs(p50 - a);
      wErr += e;
      wAct += a;
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
    const w: WindowScore = {
      origin: o,
      served,
      actualPeak: maxA,
      peakRatio: maxA > 0 && Number.isFinite(served) ? served / maxA : null,
      absError: wErr,
      actualSum: wAct,
      overlapsSpike: overlaps,
    };
    if (code) w.abstained = code;
    windows.push(w);
  }
  const ratios = windows.filter((w) => w.peakRatio !== null).map((w) => w.peakRatio!);
  const ratiosNs = windows.filter((w) => w.peakRatio !== null && !w.overlapsSpike).map((w) => w.peakRatio!);
  const share = (r: number[], hit: (v: number) => boolean) =>
    r.length ? r.filter(hit).length / r.length : 0;
  const miss = (r: number[]) => share(r, (v) => v < 0.9);
  const over2 = (r: number[]) => share(r, (v) => v > 2);
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
    peakRatioMedianWithoutSpikes: quantile(ratiosNs, 0.5),
    peakOver2Share: over2(ratios),
    peakOver2ShareWithoutSpikes: over2(ratiosNs),
    wapeWithoutSpikes: actNs > 0 ? errNs / actNs : 0,
    abstainRate: opts.origins.length ? abstained / opts.origins.length : 0,
    abstainReasons: reasons,
    windowScores: windows,
  };
}
