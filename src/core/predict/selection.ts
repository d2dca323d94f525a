/**
 * Model selection by rolling backtest (registry name `auto`): every candidate forecaster is replayed at
 * hourly origins over the last `days` of the history; the one with the lowest score
 * (WAPE + window-peak miss share at p90) wins and forecasts. Candidates that abstain are listed with
 * their reasons; when all of them abstain, `auto` abstains with the first reason. Crane's own selection
 * is a one-period holdout among its estimators; this one compares model families.
 */
import { backtest, hourlyOrigins } from "./backtest.js";
import type {
  Abstain,
  Forecaster,
  ForecastOptions,
  ForecastResult,
  PeriodScore,
  RegularSeries,
} from "./types.js";

/** Score of one candidate in the selection. */
export interface CandidateScore {
  model: string;
  score: number;
  wape: number;
  peakMissShare: number;
  windows: number;
}

/** Builds the `auto` forecaster over the given candidates (the last one is the fallback). */
export function autoForecaster(
  candidates: Forecaster[],
  fallback: Forecaster,
  days = 1,
  horizonSlots = 60,
): Forecaster {
  const name = "auto";
  return {
    name,
    description: `picks the best of ${candidates.map((c) => c.name).join(", ")} by rolling backtest`,
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const abstains: Abstain[] = [];
      const scores: CandidateScore[] = [];
      let periodCandidates: PeriodScore[] | undefined;
      const h = Math.min(options.horizon, horizonSlots);
      const origins = hourlyOrigins(history, days, h);
      for (const c of candidates) {
        const now = c.forecast(history, options);
        periodCandidates ??= now.ok ? now.value.candidates : now.error.candidates;
        if (!now.ok) {
          abstains.push(now.error);
          continue;
        }
        if (origins.length === 0) {
          scores.push({ model: c.name, score: 0, wape: 0, peakMissShare: 0, windows: 0 });
          continue;
        }
        const m = backtest(history, c, {
          origins,
          horizon: h,
          fallback,
          seed: options.seed ?? 1,
          utcOffsetHours: options.utcOffsetHours ?? 0,
        });
        scores.push({
          model: c.name,
          score: m.wape + m.peakMissShare + m.abstainRate,
          wape: m.wape,
          peakMissShare: m.peakMissShare,
          windows: m.windows,
        });
      }
      if (scores.length === 0) {
        const first = abstains[0];
        return {
          ok: false,
          error: {
            model: name,
            code: first?.code ?? "too-little-history",
            message: `every candidate abstained: ${abstains.map((a) => `${a.model}: ${a.code}`).join("; ")}`,
            ...(first?.candidates ? { candidates: first.candidates } : {}),
          },
        };
      }
      scores.sort((a, b) => a.score - b.score);
      const winner = candidates.find((c) => c.name === scores[0]!.model)!;
      const r = winner.forecast(history, options);
      if (!r.ok) return r;
      const f = r.value;
      f.notes = [
        `chosen by rolling backtest over the last ${days}d (${origins.length} hourly origins, score = WAPE + peak-miss share):`,
        ...scores.map(
          (s) =>
            `  ${s.model}: score ${s.score.toFixed(3)} (WAPE ${s.wape.toFixed(3)}, peak misses ${(s.peakMissShare * 100).toFixed(1)}%)`,
        ),
        ...abstains.map((a) => `  ${a.model}: abstained (${a.code}: ${a.message})`),
        ...f.notes,
      ];
      if (!f.candidates && periodCandidates) f.candidates = periodCandidates;
      return { ok: true, value: f };
    },
  };
}
