import { describe, expect, it } from "vitest";
import { dailyWeekly } from "../predict/test-signals.js";
import { emptyAccuracy, gateState, updateAccuracy } from "./accuracy.js";
import { resolveAlgorithm } from "./algorithm.js";
import { servedPrediction } from "./tsp.js";
import { refitDue, refreshMetricStatus, trimLeadingGap, tspReadyCondition } from "./tsp-status.js";
import type { TspAccuracy, TspMetricStatus } from "./types.js";

const actuals = { start: 0, step: 60, values: Array.from({ length: 200 }, () => 10) };

describe("updateAccuracy", () => {
  it("scores p50 points once, and served peaks when their window has ended", () => {
    const a1 = updateAccuracy(undefined, {
      nowSec: 600,
      windowSeconds: 600,
      previousP50: [
        { timestamp: 60, value: "12" },
        { timestamp: 120, value: "8" },
        { timestamp: 1200, value: "99" }, // future: not scored
      ],
      actuals,
      servedPeak: 8,
    });
    expect(a1).toMatchObject({
      absErrorSum: "4",
      actualSum: "20",
      wape: "0.2",
      evaluatedUntil: 120,
      windows: "0",
    });
    expect(a1.pendingPeaks).toEqual([{ origin: 600, value: "8" }]);
    // Same points again are not double counted; the pending peak (8 < 0.9 x 10) is a miss at 1200.
    const a2 = updateAccuracy(a1, {
      nowSec: 1200,
      windowSeconds: 600,
      previousP50: [{ timestamp: 120, value: "8" }],
      actuals,
      servedPeak: 10,
    });
    expect(Number(a2.actualSum)).toBeCloseTo(20 * 0.5 ** (600 / 86_400), 9);
    expect(a2).toMatchObject({ windows: "1", missedWindows: "1", windowPeakMissShare: "1" });
    expect(a2.pendingPeaks).toEqual([{ origin: 1200, value: "10" }]);
  });
});

describe("gateState (hysteresis)", () => {
  const acc = (miss: number, wape: number, gated: boolean, windows = 10): TspAccuracy => ({
    ...emptyAccuracy(),
    windows: String(windows),
    windowPeakMissShare: String(miss),
    wape: String(wape),
    gated,
  });
  it.each([
    [acc(0.5, 0.1, false, 3), false, "too few windows"],
    [acc(0.31, 0.1, false), true, "above the limits"],
    [acc(0.1, 0.51, false), true, "above the limits"],
    [acc(0.25, 0.1, false), false, "miss share 0.25"],
    [acc(0.25, 0.1, true), true, "not yet back"],
    [acc(0.2, 0.4, true), false, "miss share 0.20"],
  ])("%j -> gated %s", (a, gated, text) => {
    const g = gateState(a);
    expect(g.gated).toBe(gated);
    expect(g.message).toContain(text);
  });
});

describe("refreshMetricStatus", () => {
  const algo = resolveAlgorithm({ algorithmType: "multi-seasonal", multiSeasonal: { quantile: "p90" } });
  if (!algo.ok) throw new Error("algorithm");
  const history = dailyWeekly(8);
  const step = history.step;
  const now = history.start + history.values.length * step;

  it("writes 2 x window of samples per quantile at full precision, served quantile first", () => {
    const s = refreshMetricStatus({
      resourceIdentifier: "pods.http_requests",
      algorithm: algo.value,
      history,
      nowSec: now,
      windowSeconds: 3600,
    });
    expect(s.ready).toBe(true);
    expect(s.model).toBe("multi-seasonal");
    expect(s.prediction.map((p) => p.labels[0]!.value)).toEqual(["p90", "p50"]);
    const p90 = s.prediction[0]!.samples;
    expect(p90[0]!.timestamp).toBe(now);
    expect(p90.at(-1)!.timestamp).toBeGreaterThanOrEqual(now + 7200);
    expect(p90.some((x) => x.value.includes(".") && x.value.split(".")[1]!.length > 5)).toBe(true);
    const served = servedPrediction(s, now, 3600);
    const max = Math.max(...p90.filter((x) => x.timestamp <= now + 3600).map((x) => Number(x.value)));
    expect(served.ok && served.value.value).toBe(Math.ceil(max * 1000) / 1000);
    expect(s.accuracy?.pendingPeaks).toHaveLength(1);
    expect(refitDue(s, now + 200, 300)).toBe(false);
    expect(refitDue(s, now + 300, 300)).toBe(true);
  });

  it("an abstaining model is not ready and says why", () => {
    const s = refreshMetricStatus({
      resourceIdentifier: "pods.http_requests",
      algorithm: algo.value,
      history: { start: 0, step, values: new Float64Array(3).fill(1) },
      nowSec: 3 * step,
      windowSeconds: 3600,
    });
    expect(s).toMatchObject({ ready: false, reason: "too-little-history", prediction: [] });
    expect(tspReadyCondition([s], "2026-01-01T00:00:00Z")).toMatchObject({
      status: "False",
      reason: "PredictFailed",
    });
  });
});

describe("servedPrediction", () => {
  const base: TspMetricStatus = {
    resourceIdentifier: "resource.cpu",
    ready: true,
    servedQuantile: "p90",
    prediction: [
      {
        labels: [{ name: "quantile", value: "p90" }],
        samples: [
          { timestamp: 100, value: "0.9004" },
          { timestamp: 160, value: "NaN" },
          { timestamp: 220, value: "0.0001" },
        ],
      },
    ],
  };
  it("rounds up to milli-units, never truncates, skips non-finite samples", () => {
    expect(servedPrediction(base, 100, 200)).toEqual({ ok: true, value: { value: 0.901, at: 100 } });
  });
  it("answers outdated / not ready", () => {
    expect(servedPrediction(base, 300, 60)).toEqual({ ok: false, error: "outdated" });
    expect(servedPrediction({ ...base, ready: false }, 100, 60)).toEqual({ ok: false, error: "not-ready" });
  });
});

describe("trimLeadingGap", () => {
  it("starts the history at the first recorded sample", () => {
    const h = { start: 0, step: 60, values: new Float64Array([Number.NaN, Number.NaN, 1, Number.NaN, 2]) };
    const t = trimLeadingGap(h);
    expect(t.start).toBe(120);
    expect(Array.from(t.values)).toEqual([1, Number.NaN, 2]);
    expect(trimLeadingGap({ ...h, values: new Float64Array([Number.NaN]) }).values.length).toBe(1);
  });

  it("a 15-day query over 8 days of data forecasts like the 8 days alone", () => {
    const algo = resolveAlgorithm({ algorithmType: "multi-seasonal" });
    if (!algo.ok) throw new Error("algorithm");
    const eight = dailyWeekly(8);
    const padded = new Float64Array(15 * 1440).fill(Number.NaN);
    padded.set(eight.values, 7 * 1440);
    const now = eight.start + eight.values.length * eight.step;
    const base = { resourceIdentifier: "x", algorithm: algo.value, nowSec: now, windowSeconds: 3600 };
    const a = refreshMetricStatus({ ...base, history: eight });
    const b = refreshMetricStatus({
      ...base,
      history: { start: eight.start - 7 * 86_400, step: 60, values: padded },
    });
    expect(b.prediction).toEqual(a.prediction);
  });
});

describe("served samples and the history bound", () => {
  it("caps the served quantile by the forecast's upper bound, so the served peak is servedWindowPeak's", () => {
    const p90 = new Float64Array([5, 9, 7, 4]);
    const forecaster = {
      name: "fake",
      description: "",
      forecast: (h: { start: number; step: number; values: Float64Array }) => ({
        ok: true as const,
        value: {
          model: "fake",
          start: h.start + h.values.length * h.step,
          step: 60,
          p50: new Float64Array([4, 5, 5, 3]),
          p90,
          p99: p90,
          upper: new Float64Array([6, 8, Number.NaN, 6]),
          periods: [],
          notes: [],
        },
      }),
    };
    const s = refreshMetricStatus({
      resourceIdentifier: "x",
      algorithm: {
        type: "multi-seasonal",
        forecaster,
        sampleIntervalSec: 60,
        historyLengthSec: 600,
        servedQuantile: "p90",
      },
      history: { start: 0, step: 60, values: new Float64Array(10).fill(1) },
      nowSec: 600,
      windowSeconds: 180,
    });
    expect(s.prediction[0]!.samples.map((x) => x.value)).toEqual(["5", "8", "7", "4"]);
    expect(s.prediction[1]!.samples.map((x) => x.value)).toEqual(["4", "5", "5", "3"]);
    expect(servedPrediction(s, 600, 180)).toEqual({ ok: true, value: { value: 8, at: 660 } });
    expect(s.accuracy?.pendingPeaks).toEqual([{ origin: 600, value: "8" }]);
  });
});
