/**
 * Simple forecasters: the seasonal-naive baseline ("same minute last week", the comparison the traces'
 * scoring protocol asks for), the recent-level fallback (what a reactive autoscaler effectively assumes:
 * the load stays where it is), and the linear trend (jthomperoo PHPA's `linear` model: least squares over
 * the last `historySize` points, projected ahead).
 */
import { median, quantile } from "./grid.js";
import {
  abstain,
  type Forecaster,
  type ForecastOptions,
  type ForecastResult,
  pointForecast,
  type RegularSeries,
} from "./types.js";

const WEEK = 604_800;

/** "Same minute last week" (two weeks back, then the last value, when that slot is missing). */
export function seasonalNaiveForecaster(periodSec = WEEK): Forecaster {
  const name = "seasonal-naive";
  return {
    name,
    description: `same slot one period (${periodSec}s) earlier`,
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const p = Math.round(periodSec / history.step);
      const x = history.values;
      const n = x.length;
      if (n < p)
        return abstain(
          name,
          "too-little-history",
          `needs one period (${periodSec}s) of history, has ${n} points`,
        );
      let lastSeen = Number.NaN;
      for (let i = n - 1; i >= 0 && Number.isNaN(lastSeen); i--) lastSeen = x[i]!;
      if (Number.isNaN(lastSeen)) return abstain(name, "too-many-gaps", "the history holds no value");
      const out = new Float64Array(options.horizon);
      for (let j = 0; j < options.horizon; j++) {
        const t = n + j;
        let k = Math.max(1, Math.ceil((j + 1) / p));
        let v = Number.NaN;
        for (; Number.isNaN(v) && t - k * p >= 0 && k <= 3; k++) v = x[t - k * p]!;
        out[j] = Number.isNaN(v) ? lastSeen : v;
      }
      return pointForecast(name, history, out, { periods: [periodSec] });
    },
  };
}

/**
 * Recent level: median of the last `levelWindow` seconds held flat. p90/p99 cover the recent spread (last
 * hour) and the window peak: the 90th/99th percentile of max(next hour)/level over hourly replays of the
 * last 2 days, so the fallback still serves a peak an autoscaler can rely on.
 */
export function recentLevelForecaster(levelWindow = 900, spreadWindow = 3600): Forecaster {
  const name = "recent-level";
  return {
    name,
    description:
      "hold the recent median level (reactive fallback); p90/p99 from recent spread and peak replays",
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const x = history.values;
      const n = x.length;
      const ln = Math.max(1, Math.round(levelWindow / history.step));
      const sn = Math.max(ln, Math.round(spreadWindow / history.step));
      let level = median(x.subarray(Math.max(0, n - ln)));
      const spread = x.subarray(Math.max(0, n - sn));
      if (Number.isNaN(level)) level = median(spread);
      if (Number.isNaN(level))
        return abstain(name, "too-many-gaps", `no data in the last ${Math.round((sn * history.step) / 60)}m`);
      const hs = Math.max(1, Math.round(3600 / history.step));
      const ratios: number[] = [];
      for (let i = 1; i <= 48; i++) {
        const o = n - i * hs;
        if (o - ln < 0) break;
        const l = median(x.subarray(o - ln, o));
        let peak = Number.NaN;
        for (let j = o; j < o + hs; j++) if (!(x[j]! <= peak)) peak = x[j]!;
        if (l > 0 && Number.isFinite(peak)) ratios.push(peak / l);
      }
      const f90 = ratios.length >= 12 ? Math.max(1, quantile(ratios, 0.9)) : 1;
      const f99 = ratios.length >= 12 ? Math.max(f90, quantile(ratios, 0.99)) : f90;
      const q90 = Math.max(level, quantile(spread, 0.9), level * f90);
      const q99 = Math.max(q90, quantile(spread, 0.99), level * f99);
      const h = options.horizon;
      const f = pointForecast(name, history, new Float64Array(h).fill(level), {
        notes: [
          `level = median of the last ${levelWindow / 60}m; window-peak factors p90 x${f90.toFixed(3)}, p99 x${f99.toFixed(3)}`,
        ],
      });
      f.value.p90 = new Float64Array(h).fill(q90);
      f.value.p99 = new Float64Array(h).fill(q99);
      return f;
    },
  };
}

/** PHPA-style linear trend over the last `historySize` points; normal quantiles from the fit residuals. */
export function linearTrendForecaster(historySize = 60): Forecaster {
  const name = "linear-trend";
  return {
    name,
    description: `least-squares line over the last ${historySize} points (PHPA linear), clamped at 0`,
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const x = history.values;
      const n = x.length;
      const from = Math.max(0, n - historySize);
      let m = 0;
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let sxy = 0;
      for (let i = from; i < n; i++) {
        const v = x[i]!;
        if (Number.isNaN(v)) continue;
        m++;
        sx += i;
        sy += v;
        sxx += i * i;
        sxy += i * v;
      }
      if (m < 3)
        return abstain(
          name,
          m === 0 && n > 0 ? "too-many-gaps" : "too-little-history",
          `needs 3 points in the last ${historySize}, has ${m}`,
        );
      const d = m * sxx - sx * sx;
      const b = d === 0 ? 0 : (m * sxy - sx * sy) / d;
      const a = (sy - b * sx) / m;
      let ss = 0;
      for (let i = from; i < n; i++) {
        const v = x[i]!;
        if (!Number.isNaN(v)) ss += (v - a - b * i) ** 2;
      }
      const sd = Math.sqrt(ss / Math.max(1, m - 2));
      const h = options.horizon;
      const p50 = new Float64Array(h);
      const p90 = new Float64Array(h);
      const p99 = new Float64Array(h);
      for (let j = 0; j < h; j++) {
        const y = Math.max(0, a + b * (n + j));
        p50[j] = y;
        p90[j] = y + 1.2816 * sd;
        p99[j] = y + 2.3263 * sd;
      }
      const f = pointForecast(name, history, p50, {
        notes: [`slope ${b.toPrecision(4)} per step, residual sd ${sd.toPrecision(4)}`],
      });
      f.value.p90 = p90;
      f.value.p99 = p99;
      return f;
    },
  };
}
