import { describe, expect, it } from "vitest";
import { countQuantum, snapToCount } from "./calibration.js";
import type { QuantileForecast } from "./types.js";
import { servedWindowPeak, windowPeak } from "./window-peak.js";

function forecast(p90: number[], upper?: number[]): QuantileForecast {
  const v = Float64Array.from(p90);
  const f: QuantileForecast = { start: 1000, step: 60, p50: v, p90: v, p99: v };
  if (upper) f.upper = Float64Array.from(upper);
  return f;
}

describe("servedWindowPeak", () => {
  it("is the window peak when the forecast has no bound", () => {
    const f = forecast([1, 5, 3]);
    expect(servedWindowPeak(f, "p90", 1000, 120)).toEqual({
      value: 5,
      at: 1060,
      slots: 3,
      quantile: "p90",
      unbounded: 5,
      bounded: false,
    });
  });

  it("caps every slot by the history bound and says so", () => {
    const f = forecast([1, 5, 3], [4, 4, 4]);
    const s = servedWindowPeak(f, "p90", 1000, 120)!;
    expect(s).toMatchObject({ value: 4, unbounded: 5, bound: 4, bounded: true });
    // a bound above the quantile changes nothing
    expect(servedWindowPeak(forecast([1, 5, 3], [9, 9, 9]), "p90", 1000, 120)).toMatchObject({
      value: 5,
      bound: 9,
      bounded: false,
    });
  });

  it("only looks at the slots in [now, now + window] and serves nothing non-finite", () => {
    const f = forecast([9, 2, 3, 8], [10, 10, 10, 10]);
    expect(servedWindowPeak(f, "p90", 1060, 60)).toMatchObject({ value: 3, at: 1120, slots: 2 });
    expect(windowPeak(f, "p90", 1060, 60)).toEqual({ value: 3, at: 1120, slots: 2 });
    expect(servedWindowPeak(f, "p90", 5000, 60)).toBeUndefined();
    expect(servedWindowPeak(forecast([1, Number.NaN]), "p90", 1000, 60)?.value).toBe(1);
    expect(servedWindowPeak(forecast([Number.POSITIVE_INFINITY]), "p90", 1000, 60)).toBeUndefined();
  });
});

describe("count series", () => {
  it("detects whole counts per step (rounded to 3 decimals) and not an ordinary rate", () => {
    const counts = Float64Array.from({ length: 3000 }, (_, i) => Number((((i * 7) % 5) / 60).toFixed(3)));
    expect(countQuantum(counts, 60)).toBeCloseTo(1 / 60, 12);
    const rate = Float64Array.from({ length: 3000 }, (_, i) => 20 + Math.sin(i / 50) * 7.3);
    expect(countQuantum(rate, 60)).toBeUndefined();
    expect(countQuantum(Float64Array.from([1, 2, 0, 3, 1]), 60)).toBe(1);
  });

  it("rounds a served value of at least one count down to a whole count", () => {
    expect(snapToCount(1.9 / 60, 1 / 60)).toBeCloseTo(1 / 60, 12);
    expect(snapToCount(3 / 60, 1 / 60)).toBeCloseTo(3 / 60, 12);
    expect(snapToCount(0.5 / 60, 1 / 60)).toBeCloseTo(0.5 / 60, 12);
    expect(snapToCount(7.7, undefined)).toBe(7.7);
  });
});
