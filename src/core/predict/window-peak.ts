/**
 * Window peak: the largest forecast value at a chosen quantile over the next W seconds. This is what
 * Crane's metric adapter serves for `crane_autoscaling_prediction` (the maximum sample in
 * [now, now + predictionWindowSeconds]), but at full precision: Crane truncates it to an integer.
 */
import type { QuantileForecast, QuantileName } from "./types.js";

/** Result of a window-peak query. */
export interface WindowPeak {
  /** The maximum, at full precision. */
  value: number;
  /** Unix seconds of the slot holding the maximum. */
  at: number;
  /** Number of forecast slots inside the window. */
  slots: number;
}

/**
 * Maximum of `forecast[quantile]` over slots whose time lies in [now, now + windowSeconds].
 * Returns undefined when no slot falls in the window (Crane: "TimeSeries is outdated").
 */
export function windowPeak(
  forecast: QuantileForecast,
  quantile: QuantileName,
  now: number,
  windowSeconds: number,
): WindowPeak | undefined {
  const values = forecast[quantile];
  let best: WindowPeak | undefined;
  let slots = 0;
  for (let i = 0; i < values.length; i++) {
    const t = forecast.start + i * forecast.step;
    if (t < now || t > now + windowSeconds) continue;
    slots++;
    const v = values[i]!;
    if (!best || v > best.value) best = { value: v, at: t, slots: 0 };
  }
  if (!best) return undefined;
  best.slots = slots;
  return best;
}
