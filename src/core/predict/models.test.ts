import { describe, expect, it } from "vitest";
import { backtest, hourlyOrigins } from "./backtest.js";
import { linearTrendForecaster, recentLevelForecaster, seasonalNaiveForecaster } from "./baselines.js";
import { forecastChartSvg } from "./chart-svg.js";
import { dft } from "./fft.js";
import { fillShortGaps, toRegularGrid } from "./grid.js";
import { holtWintersForecaster } from "./holt-winters.js";
import { DecayingHistogram, percentileForecaster } from "./percentile.js";
import { forecasterRegistry } from "./registry.js";
import { dailyWeekly, halfHourly, randomWalk, synth } from "./test-signals.js";
import { windowPeak } from "./window-peak.js";

describe("dft", () => {
  it("matches the naive DFT for mixed-radix and prime (Bluestein) lengths", () => {
    for (const n of [1, 6, 60, 97, 210, 1009]) {
      const x = Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + (i % 5));
      const re = Float64Array.from(x);
      const im = new Float64Array(n);
      dft(re, im);
      for (const k of [0, 1, Math.floor(n / 3)].filter((k) => k < n)) {
        let r = 0;
        let q = 0;
        for (let j = 0; j < n; j++) {
          r += x[j]! * Math.cos((-2 * Math.PI * j * k) / n);
          q += x[j]! * Math.sin((-2 * Math.PI * j * k) / n);
        }
        expect(re[k]!).toBeCloseTo(r, 6);
        expect(im[k]!).toBeCloseTo(q, 6);
      }
    }
  });
});

describe("grid preprocessing", () => {
  it("places samples on the most common step, marks gaps NaN, averages duplicates in a slot", () => {
    const s = toRegularGrid([0, 60, 120, 300, 310], [1, 2, 3, 6, 8]);
    expect(s.step).toBe(60);
    expect(Array.from(s.values)).toEqual([1, 2, 3, Number.NaN, Number.NaN, 7]);
  });

  it("interpolates short gaps only", () => {
    const v = Float64Array.from([0, Number.NaN, 2, Number.NaN, Number.NaN, Number.NaN, 6]);
    expect(Array.from(fillShortGaps(v, 1))).toEqual([0, 1, 2, Number.NaN, Number.NaN, Number.NaN, 6]);
  });
});

describe("simple forecasters", () => {
  it("seasonal-naive repeats the same minute last week; abstains with less than a week", () => {
    const s = dailyWeekly(8);
    const r = seasonalNaiveForecaster().forecast(s, { horizon: 3 });
    expect(r.ok && Array.from(r.value.p50)).toEqual(
      Array.from(s.values.subarray(s.values.length - 10080, s.values.length - 10077)),
    );
    const short = seasonalNaiveForecaster().forecast(dailyWeekly(3), { horizon: 3 });
    expect(!short.ok && short.error.code).toBe("too-little-history");
  });

  it("linear-trend extends a line exactly", () => {
    const r = linearTrendForecaster(30).forecast(
      synth(100, (i) => 3 + 2 * i),
      { horizon: 2 },
    );
    expect(r.ok && Array.from(r.value.p50)).toEqual([203, 205]);
  });

  it("recent-level holds the recent median; abstains when the last hour is empty", () => {
    const r = recentLevelForecaster().forecast(
      synth(100, (i) => (i < 80 ? 1 : 9)),
      { horizon: 2 },
    );
    expect(r.ok && r.value.p50[0]).toBe(9);
    const empty = synth(100, () => Number.NaN);
    const e = recentLevelForecaster().forecast(empty, { horizon: 2 });
    expect(!e.ok && e.error.code).toBe("too-many-gaps");
  });

  it("holt-winters fits a daily season and abstains before 2 seasons (PHPA #74)", () => {
    const r = holtWintersForecaster().forecast(dailyWeekly(5), { horizon: 30 });
    expect(r.ok && r.value.periods).toEqual([86_400]);
    const short = holtWintersForecaster().forecast(
      synth(20, (i) => i % 3),
      { horizon: 30 },
    );
    expect(!short.ok && short.error.code).toBe("too-little-history");
    const none = holtWintersForecaster().forecast(randomWalk(3 * 1440), { horizon: 30 });
    expect(!none.ok && none.error.code).toBe("no-period");
  });
});

describe("percentile (decaying histogram)", () => {
  it("returns the upper edge of the bucket where the cumulative weight reaches p", () => {
    const h = new DecayingHistogram({
      maxValue: 10,
      firstBucketSize: 1,
      ratio: 1,
      halfLife: Number.POSITIVE_INFINITY,
      epsilon: 1e-10,
    });
    for (const v of [0.5, 1.5, 2.5, 3.5]) h.add(v, 1, 0);
    expect(h.percentile(0.5)).toBe(2);
    expect(h.percentile(1)).toBe(4);
  });

  it("halves the weight of samples one half-life older", () => {
    const h = new DecayingHistogram(
      { maxValue: 10, firstBucketSize: 1, ratio: 1, halfLife: 3600, epsilon: 1e-10 },
      7200,
    );
    h.add(0.5, 1, 0); // weight 1/4
    h.add(5.5, 1, 7200); // weight 1
    expect(h.percentile(0.3)).toBe(6);
    expect(h.percentile(0.19)).toBe(1);
  });

  it("forecasts a constant p50/p90/p99 level; abstains on an empty history", () => {
    const r = percentileForecaster().forecast(
      synth(1000, (i) => i % 100),
      { horizon: 2 },
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.p99[0]!).toBeGreaterThan(r.value.p50[0]!);
    const e = percentileForecaster().forecast(
      synth(10, () => Number.NaN),
      { horizon: 2 },
    );
    expect(!e.ok && e.error.code).toBe("too-little-history");
  });
});

describe("window peak", () => {
  const f = {
    start: 1000,
    step: 60,
    p50: Float64Array.from([0.2, 0.9, 0.4]),
    p90: Float64Array.from([0.3, 0.95, 1.7]),
    p99: Float64Array.from([1, 1, 2]),
  };
  it("returns the maximum at full precision (0.9 is not served as 0)", () => {
    expect(windowPeak(f, "p50", 1000, 60)).toEqual({ value: 0.9, at: 1060, slots: 2 });
    expect(windowPeak(f, "p90", 1000, 3600)?.value).toBe(1.7);
  });
  it("is undefined when no slot lies in the window (Crane: TimeSeries is outdated)", () => {
    expect(windowPeak(f, "p50", 5000, 60)).toBeUndefined();
  });
});

describe("backtest", () => {
  it("hourly origins over the last 7 days of a 21-day series: 168, aligned to the hour", () => {
    const s = synth(21 * 1440, () => 1);
    const o = hourlyOrigins(s, 7, 60);
    expect(o.length).toBe(168);
    expect(o[0]).toBe(14 * 1440);
  });

  it("scores a perfect forecaster at 0, excludes spike windows, and scores the fallback on abstentions", () => {
    const s = halfHourly(3);
    const oracle = {
      name: "oracle",
      description: "knows the future",
      forecast: (h: typeof s, o: { horizon: number }) => ({
        ok: true as const,
        value: {
          model: "oracle",
          start: 0,
          step: 60,
          p50: s.values.slice(h.values.length, h.values.length + o.horizon),
          p90: s.values.slice(h.values.length, h.values.length + o.horizon),
          p99: s.values.slice(h.values.length, h.values.length + o.horizon),
          periods: [],
          notes: [],
        },
      }),
    };
    const origins = hourlyOrigins(s, 1, 60);
    const m = backtest(s, oracle, {
      origins,
      horizon: 60,
      fallback: recentLevelForecaster(),
      spikes: [{ start: origins[0]!, end: origins[0]! + 1 }],
    });
    expect([m.wape, m.peakMissShare, m.windows, m.windowsWithoutSpikes]).toEqual([
      0,
      0,
      origins.length,
      origins.length - 1,
    ]);
    const abst = backtest(s, seasonalNaiveForecaster(), {
      origins,
      horizon: 60,
      fallback: recentLevelForecaster(),
    });
    expect(abst.abstainRate).toBe(1);
    expect(abst.abstainReasons).toEqual({ "too-little-history": origins.length });
    expect(abst.points).toBe(origins.length * 60);
  });
});

describe("registry and auto selection", () => {
  it("lists every forecaster by name", () => {
    expect([...forecasterRegistry().keys()]).toEqual([
      "multi-seasonal",
      "crane-dsp",
      "holt-winters",
      "percentile",
      "linear-trend",
      "seasonal-naive",
      "recent-level",
      "auto",
    ]);
  });

  it("auto explains its choice and lists abstentions", () => {
    const auto = forecasterRegistry().get("auto")!;
    const r = auto.forecast(randomWalk(3 * 1440, 2), { horizon: 30 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(["recent-level", "linear-trend"]).toContain(r.value.model);
    expect(r.value.notes.join("\n")).toMatch(/multi-seasonal: abstained \(no-period/);
    expect(r.value.candidates?.length).toBe(6);
  });
});

describe("SVG chart", () => {
  it("is deterministic and draws actual, band, p50 and p99", () => {
    const s = dailyWeekly(2);
    const f = forecasterRegistry().get("recent-level")!.forecast(s, { horizon: 30 });
    if (!f.ok) throw new Error("forecast failed");
    const a = forecastChartSvg({ actual: s, forecast: f.value, title: "t<1>" });
    expect(a).toBe(forecastChartSvg({ actual: s, forecast: f.value, title: "t<1>" }));
    expect(a.startsWith("<svg")).toBe(true);
    expect(a).toContain("<title>t&lt;1&gt;</title>");
    expect(a.match(/<path /g)?.length).toBe(4);
    expect(a).toContain("2024-04-15 00:00Z");
  });
});
