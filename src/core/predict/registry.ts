/**
 * The forecasters by name (`tidescale forecast --model <name>`, `tidescale backtest --models`). `multi-seasonal` is the default; `auto` (selection.ts) picks among the
 * others by rolling backtest.
 */
import { linearTrendForecaster, recentLevelForecaster, seasonalNaiveForecaster } from "./baselines.js";
import { craneDspForecaster } from "./crane-dsp.js";
import { holtWintersForecaster } from "./holt-winters.js";
import { multiSeasonalForecaster } from "./multi-seasonal.js";
import { percentileForecaster } from "./percentile.js";
import { autoForecaster } from "./selection.js";
import type { Forecaster } from "./types.js";

/** The default forecaster's name. */
export const DEFAULT_FORECASTER = "multi-seasonal";

/** Fresh instances of every forecaster, keyed by name (in display order); `auto` comes last. */
export function forecasterRegistry(): Map<string, Forecaster> {
  const list: Forecaster[] = [
    multiSeasonalForecaster(),
    craneDspForecaster(),
    holtWintersForecaster(),
    percentileForecaster(),
    linearTrendForecaster(),
    seasonalNaiveForecaster(),
    recentLevelForecaster(),
  ];
  const byName = new Map(list.map((f) => [f.name, f]));
  const auto = autoForecaster(
    ["multi-seasonal", "holt-winters", "seasonal-naive", "linear-trend", "recent-level"].map(
      (n) => byName.get(n)!,
    ),
    byName.get("recent-level")!,
  );
  byName.set(auto.name, auto);
  return byName;
}

/** Names of every registered forecaster. */
export function forecasterNames(): string[] {
  return [...forecasterRegistry().keys()];
}
