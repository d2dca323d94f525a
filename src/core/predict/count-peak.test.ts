import { describe, expect, it } from "vitest";
import { countPair } from "./analogs.js";
import {
  type CountWindow,
  calibrateCountPeak,
  countLevelFor,
  DEFAULT_COUNT_LEVEL,
  rateSpread,
} from "./count-calibration.js";
import { countQuantile, poissonMaxCdf, poissonMaxQuantile } from "./count-peak.js";
import { seededRandom } from "./crane-dsp.js";
import { allocateBudget } from "./miss-budget.js";

const e = Math.exp(-1);

describe("maximum of Poisson draws", () => {
  it("one slot of rate 1: the Poisson CDF e^-1 (1, 2, 2.5, 8/3)", () => {
    const cdf = poissonMaxCdf([1], 0, 0.98);
    expect(cdf).toHaveLength(4);
    for (const [c, v] of [e, 2 * e, 2.5 * e, (8 / 3) * e].entries()) expect(cdf[c]).toBeCloseTo(v, 12);
    expect(poissonMaxQuantile([1], 0.5)).toBe(1); // 0.368 < 0.5 <= 0.736
    expect(poissonMaxQuantile([1], 0.9)).toBe(2); // 0.736 < 0.9 <= 0.920
    expect(poissonMaxQuantile([1], 0.95)).toBe(3); // 0.920 < 0.95 <= 0.981
  });

  it("two slots of rate 1: the product of their CDFs", () => {
    const cdf = poissonMaxCdf([1, 1], 0, 0.96);
    for (const [c, v] of [e * e, 4 * e * e, 6.25 * e * e, (64 / 9) * e * e].entries())
      expect(cdf[c]).toBeCloseTo(v, 12);
    expect(poissonMaxQuantile([1, 1], 0.5)).toBe(1); // 0.541
    expect(poissonMaxQuantile([1, 1], 0.8)).toBe(2); // 0.846
    expect(poissonMaxQuantile([1, 1], 0.85)).toBe(3); // 0.962
  });

  it("an hour of a quiet night (60 slots of 0.08 events): 0 events with e^-4.8, at most 1 with 1.08^60 e^-4.8", () => {
    const night = new Float64Array(60).fill(0.08);
    const cdf = poissonMaxCdf(night, 0, 0.99);
    expect(cdf[0]).toBeCloseTo(Math.exp(-4.8), 12);
    expect(cdf[1]).toBeCloseTo(1.08 ** 60 * Math.exp(-4.8), 12); // 0.8333
    expect(cdf[2]).toBeCloseTo(1.0832 ** 60 * Math.exp(-4.8), 12); // 0.9952
    expect(poissonMaxQuantile(night, 0.8)).toBe(1);
    expect(poissonMaxQuantile(night, 0.9)).toBe(2);
  });

  it("slots without events (rate 0, negative or not finite) have their maximum at 0", () => {
    expect(poissonMaxCdf([0, -1, Number.NaN, Number.POSITIVE_INFINITY])).toEqual([1]);
    expect(poissonMaxQuantile([], 0.99)).toBe(0);
  });

  it("a large rate is stepped in log space (exp(-1000) underflows): the median of Poisson(1000) is 1000", () => {
    expect(poissonMaxQuantile([1000], 0.5)).toBe(1000);
    const cdf = poissonMaxCdf([1000], 0, 0.5);
    expect(cdf.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
  });

  it("a spread rate (common log-normal factor) widens the upper quantiles and keeps the CDF monotone", () => {
    const rates = new Float64Array(60).fill(8);
    const plain = poissonMaxCdf(rates, 0, 0.99);
    const spread = poissonMaxCdf(rates, 0.3, 0.99);
    expect(countQuantile(spread, 0.99)).toBeGreaterThan(countQuantile(plain, 0.99));
    for (let c = 1; c < spread.length; c++) expect(spread[c]!).toBeGreaterThanOrEqual(spread[c - 1]!);
    // With all rates 0 the mixture weights sum to 1.
    expect(poissonMaxCdf([0], 0.5)).toEqual([1]);
  });

  it("countQuantile: the smallest count reaching the level, the last one when none does", () => {
    expect(countQuantile([0.1, 0.5, 0.9], 0.5)).toBe(1);
    expect(countQuantile([0.1, 0.5, 0.9], 0.05)).toBe(0);
    expect(countQuantile([0.1, 0.5, 0.9], 0.95)).toBe(2);
  });
});

describe("miss budget", () => {
  it("spends the misses where they save the most", () => {
    const bins = [
      [
        { spend: 0, cost: 10 },
        { spend: 1, cost: 4 },
      ],
      [
        { spend: 0, cost: 6 },
        { spend: 1, cost: 5 },
      ],
    ];
    expect(allocateBudget(bins, 1)).toEqual([1, 0]); // 4 + 6 < 10 + 5
    expect(allocateBudget(bins, 0)).toEqual([0, 0]);
    expect(allocateBudget(bins, 2)).toEqual([1, 1]);
    expect(allocateBudget([[], [{ spend: 0, cost: 1 }]], 1)).toEqual([-1, 0]);
  });
});

/** Poisson draw (Knuth) from a seeded uniform source. */
function poisson(rand: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

/** Windows of 60 slots whose actual events are Poisson(truth x profile), forecast as forecast x profile. */
function windows(n: number, truth: (w: number) => number, forecast: (w: number) => number): CountWindow[] {
  const rand = seededRandom(7);
  return Array.from({ length: n }, (_, w) => {
    const rates = new Float64Array(60).fill(forecast(w));
    let actual = 0;
    let total = 0;
    for (let j = 0; j < 60; j++) {
      const k = poisson(rand, truth(w));
      actual = Math.max(actual, k);
      total += k;
    }
    return { rates, actual, peak: actual / 60, quantum: 1 / 60, total, expected: 60 * forecast(w) };
  });
}

describe("count peak calibration", () => {
  it("rate bias and spread by moments of the window totals", () => {
    const w = (total: number): CountWindow => ({
      rates: new Float64Array(10).fill(1),
      actual: 2,
      peak: 2,
      quantum: 1,
      total,
      expected: 10,
    });
    // b = 20 / 20; sigma^2 = ((5 - 10)^2 - 10 + (15 - 10)^2 - 10) / (10^2 + 10^2) = 30 / 200
    const s = rateSpread([w(5), w(15)]);
    expect(s.bias).toBeCloseTo(1, 12);
    expect(s.sigma).toBeCloseTo(Math.sqrt(0.15), 12);
    // Totals within Poisson noise: no spread; twice the forecast: bias 2.
    expect(rateSpread([w(10), w(10)]).sigma).toBe(0);
    expect(rateSpread([w(20), w(20)]).bias).toBeCloseTo(2, 12);
  });

  it("serves at most the miss budget below 0.9x on its replays, one level per rate bin", () => {
    // Quiet and busy windows, forecast at the true rate.
    const rate = (w: number) => (w % 2 === 0 ? 0.1 : 6);
    const ws = windows(168, rate, rate);
    const cal = calibrateCountPeak(ws, 12);
    expect(cal.source).toBe("replay");
    // Two distinct rates: two bins (the quiet one and the busy one), not four with empty ones.
    expect(cal.edges).toEqual([6, Number.POSITIVE_INFINITY]);
    expect(cal.bins).toHaveLength(2);
    expect(cal.misses).toBeLessThanOrEqual(Math.floor(0.05 * 168));
    for (const b of cal.bins) {
      expect(b.level).toBeGreaterThanOrEqual(0.5);
      expect(b.level).toBeLessThanOrEqual(0.995);
    }
    // Recount the misses with the chosen levels.
    let misses = 0;
    for (const w of ws) {
      const l = countLevelFor(cal, Math.max(...w.rates));
      const served = poissonMaxQuantile(
        w.rates.map((r) => r * l.bias),
        l.level,
        l.sigma,
      );
      if (served < 0.9 * w.actual) misses++;
    }
    expect(misses).toBe(cal.misses);
  });

  it("learns that the forecast rate is half the truth (bias ~2)", () => {
    const ws = windows(
      96,
      () => 4,
      () => 2,
    );
    const cal = calibrateCountPeak(ws, 12);
    // Every window has the same rate: one bin (no empty bins from tied edges).
    expect(cal.bins).toHaveLength(1);
    expect(cal.bins[0]!.bias).toBeGreaterThan(1.8);
    expect(cal.bins[0]!.bias).toBeLessThan(2.2);
  });

  it("with fewer than the minimum replay windows: the default level, said so", () => {
    const cal = calibrateCountPeak(
      windows(
        5,
        () => 1,
        () => 1,
      ),
      12,
    );
    expect(cal).toEqual({
      bins: [DEFAULT_COUNT_LEVEL],
      edges: [Number.POSITIVE_INFINITY],
      source: "default",
      windows: 5,
      misses: 0,
    });
  });
});

describe("two analogs of a count series", () => {
  it("their mean within counting noise, the smaller when one holds a burst", () => {
    // 11-slot averages of events per minute / 60: 8 vs 6 a minute = 88 vs 66 events, |22| <= 4 sqrt(154) + 2.
    expect(countPair(8 / 60, 6 / 60, 5, 1 / 60)).toBeCloseTo(7 / 60, 12);
    // A +30/minute burst for 5 of the 11 minutes in one cycle: 151 vs 1 events, 150 > 4 sqrt(152) + 2.
    expect(countPair(151 / 11 / 60, 1 / 11 / 60, 5, 1 / 60)).toBeCloseTo(1 / 11 / 60, 12);
    // One slot, whole numbers: 14 vs 4 is noise at a rate near 9 (10 <= 4 sqrt(18) + 2); 38 vs 8 is not.
    expect(countPair(14, 4, 0, 1)).toBe(9);
    expect(countPair(38, 8, 0, 1)).toBe(8);
  });
});
