/**
 * Additive Holt-Winters (level, trend, one season), as PHPA's `holtWinters` model uses through
 * statsmodels, but with the season taken from period detection and the smoothing parameters chosen from
 * a small grid by one-step error (PHPA uses fixed alpha/beta/gamma). With fewer than 2 seasons of
 * history it abstains with `too-little-history` instead of failing (PHPA issue #74).
 */
import { detectPeriods } from "./periods.js";
import {
  abstain,
  type Forecaster,
  type ForecastOptions,
  type ForecastResult,
  pointForecast,
  type RegularSeries,
} from "./types.js";

const DAY = 86_400;

interface HwState {
  level: number;
  trend: number;
  season: Float64Array;
  sse: number;
  count: number;
}

function run(
  x: Float64Array,
  p: number,
  alpha: number,
  beta: number,
  gamma: number,
  scoreFrom: number,
): HwState {
  let mean = 0;
  let c = 0;
  for (let i = 0; i < p; i++) {
    if (!Number.isNaN(x[i]!)) {
      mean += x[i]!;
      c++;
    }
  }
  mean = c ? mean / c : 0;
  const season = new Float64Array(p);
  for (let i = 0; i < p; i++) season[i] = Number.isNaN(x[i]!) ? 0 : x[i]! - mean;
  let level = mean;
  let trend = 0;
  let sse = 0;
  let count = 0;
  for (let t = p; t < x.length; t++) {
    const s = season[t % p]!;
    const yhat = level + trend + s;
    const y = x[t]!;
    if (Number.isNaN(y)) {
      level = level + trend;
      continue;
    }
    if (t >= scoreFrom) {
      sse += (y - yhat) ** 2;
      count++;
    }
    const prevLevel = level;
    level = alpha * (y - s) + (1 - alpha) * (level + trend);
    trend = beta * (level - prevLevel) + (1 - beta) * trend;
    season[t % p] = gamma * (y - level) + (1 - gamma) * s;
  }
  return { level, trend, season, sse, count };
}

/** The Holt-Winters forecaster (registry name `holt-winters`). */
export function holtWintersForecaster(seasons = 4): Forecaster {
  const name = "holt-winters";
  return {
    name,
    description: "additive Holt-Winters on the longest detected period up to 1 day, grid-fitted smoothing",
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const step = history.step;
      const all = history.values;
      const cands = detectPeriods(all, step).filter((c) => c.seconds <= DAY);
      const acc = cands.filter((c) => c.accepted);
      if (acc.length === 0) {
        const enough = cands.some((c) => c.note === undefined || c.note.startsWith("score"));
        return enough
          ? abstain(name, "no-period", "no seasonal period up to 1 day found", cands)
          : abstain(name, "too-little-history", "needs 2 whole seasons of history", cands);
      }
      const periodSec = Math.max(...acc.map((c) => c.seconds));
      const p = Math.round(periodSec / step);
      const x = all.subarray(Math.max(0, all.length - seasons * p));
      if (x.length < 2 * p) return abstain(name, "too-little-history", `needs 2 seasons (${2 * p} points)`);
      const scoreFrom = Math.max(p, x.length - p);
      let best: HwState | undefined;
      let bestParams = [0, 0, 0];
      for (const alpha of [0.05, 0.2, 0.5]) {
        for (const beta of [0, 0.01]) {
          for (const gamma of [0.1, 0.3]) {
            const s = run(x, p, alpha, beta, gamma, scoreFrom);
            if (!best || s.sse / Math.max(1, s.count) < best.sse / Math.max(1, best.count)) {
              best = s;
              bestParams = [alpha, beta, gamma];
            }
          }
        }
      }
      const st = best!;
      const sd = Math.sqrt(st.sse / Math.max(1, st.count));
      const h = options.horizon;
      const p50 = new Float64Array(h);
      const p90 = new Float64Array(h);
      const p99 = new Float64Array(h);
      const alpha = bestParams[0]!;
      for (let j = 0; j < h; j++) {
        const y = Math.max(0, st.level + (j + 1) * st.trend + st.season[(x.length + j) % p]!);
        const sdj = sd * Math.sqrt(1 + j * alpha * alpha);
        p50[j] = y;
        p90[j] = y + 1.2816 * sdj;
        p99[j] = y + 2.3263 * sdj;
      }
      const f = pointForecast(name, history, p50, {
        periods: [periodSec],
        candidates: cands,
        notes: [`season ${periodSec}s, alpha=${bestParams[0]} beta=${bestParams[1]} gamma=${bestParams[2]}`],
      });
      f.value.p90 = p90;
      f.value.p99 = p99;
      return f;
    },
  };
}
