/**
 * Window peak: the largest forecast value at a chosen quantile over the next W seconds. This is what
 * Crane's metric adapter serves for `crane_autoscaling_prediction` (the maximum sample in
 * [now, now + predictionWindowSeconds]), but at full precision: Crane truncates it to an integer.
 *
 * `servedWindowPeak` is the value an autoscaler serves: the window peak of the quantile, each slot capped
 * by the forecast's history bound (`upper`) when it has one.
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

/** The value to serve, with what bounded it. */
export interface ServedPeak extends WindowPeak {
  quantile: QuantileName;
  /** The window peak of the quantile without the history bound. */
  unbounded: number;
  /** The largest history bound over the window; undefined when the forecast carries no bound. */
  bound?: number;
  /** Whether the bound lowered the served value. */
  bounded: boolean;
}

/** Indices of the forecast slots whose time lies in [now, now + windowSeconds]. */
function slotRange(forecast: QuantileForecast, now: number, windowSeconds: number): [number, number] {
  const n = forecast.p50.length;
  const from = Math.max(0, Math.ceil((now - forecast.start) / forecast.step));
  const to = Math.min(n, Math.floor((now + windowSeconds - forecast.start) / forecast.step) + 1);
  return [from, Math.max(from, to)];
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
  const [from, to] = slotRange(forecast, now, windowSeconds);
  let best: WindowPeak | undefined;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (!best || v > best.value) best = { value: v, at: forecast.start + i * forecast.step, slots: 0 };
  }
  if (!best) return undefined;
  best.slots = to - from;
  return best;
}

/**
 * The value an autoscaler serves (the EHPA controller and `tidescale forecast` both call this): the
 * maximum over the slots in [now, now + windowSeconds] of min(forecast[quantile], upper) (upper = the
 * history bound, when the forecast has one). Undefined when no slot is in the window or the value is not
 * finite: a non-finite number is never served.
 */
export function servedWindowPeak(
  forecast: QuantileForecast,
  quantile: QuantileName,
  now: number,
  windowSeconds: number,
): ServedPeak | undefined {
  const raw = windowPeak(forecast, quantile, now, windowSeconds);
  if (!raw || !Number.isFinite(raw.value)) return undefined;
  const upper = forecast.upper;
  if (!upper) return { ...raw, quantile, unbounded: raw.value, bounded: false };
  const values = forecast[quantile];
  const [from, to] = slotRange(forecast, now, windowSeconds);
  let value = Number.NEGATIVE_INFINITY;
  let at = raw.at;
  let bound = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const u = upper[i]!;
    if (u > bound) bound = u;
    const v = Number.isNaN(u) ? values[i]! : Math.min(values[i]!, u);
    if (v > value) {
      value = v;
      at = forecast.start + i * forecast.step;
    }
  }
  if (!Number.isFinite(value)) return undefined;
  const out: ServedPeak = {
    value,
    at,
    slots: raw.slots,
    quantile,
    unbounded: raw.value,
    bounded: value < raw.value,
  };
  if (Number.isFinite(bound)) out.bound = bound;
  return out;
}
