import { describe, expect, it } from "vitest";
import {
  craneDspForecaster,
  craneError,
  cranePreprocess,
  defaultCraneDspConfig,
  fftEstimate,
  maxValueEstimate,
  parseCraneDspSpec,
} from "./crane-dsp.js";
import { randomWalk, synth } from "./test-signals.js";

describe("Crane DSP parameters", () => {
  it("parses a spec with string numbers and Crane's per-field defaults", () => {
    const r = parseCraneDspSpec({
      sampleInterval: "60s",
      historyLength: "3d",
      estimators: {
        fft: [{ marginFraction: "0.2", lowAmplitudeThreshold: "0.5" }],
        maxValue: [{ marginFraction: "0.1" }],
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.historyLength).toBe(3 * 86_400);
    expect(r.value.estimators).toEqual([
      { kind: "maxValue", marginFraction: 0.1 },
      {
        kind: "fft",
        marginFraction: 0.2,
        lowAmplitudeThreshold: 0.5,
        highFrequencyThreshold: 1 / 3600,
        minNumOfSpectrumItems: 3,
        maxNumOfSpectrumItems: 100,
      },
    ]);
  });

  it("rejects what Crane silently replaces with defaults, naming each field", () => {
    const r = parseCraneDspSpec({
      sampleInterval: "2h",
      historyLength: "1d",
      estimators: { fft: [{ marginFraction: "abc", maxNumOfSpectrumItems: 1, minNumOfSpectrumItems: 3 }] },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((p) => p.field)).toEqual([
      "dsp.sampleInterval",
      "dsp.historyLength",
      "dsp.estimators.fft[0].marginFraction",
      "dsp.estimators.fft[0].maxNumOfSpectrumItems",
    ]);
  });

  it("defaults: 1m, 15d, eight FFT estimators", () => {
    const d = defaultCraneDspConfig();
    expect([d.sampleInterval, d.historyLength, d.estimators.length]).toEqual([60, 15 * 86_400, 8]);
  });
});

describe("Crane estimators and error", () => {
  it("asymmetric error: 10% short costs 0.47, 50% short 3.1, 10% over 0.1; MAE when an actual < 0.001", () => {
    expect(craneError([100], [90])).toBeCloseTo(0.472, 3);
    expect(craneError([100], [50])).toBeCloseTo(3.106, 3);
    expect(craneError([100], [110])).toBeCloseTo(0.1, 9);
    expect(craneError([0.0001, 1], [1, 1])).toBeCloseTo(0.49995, 6);
  });

  it("max-value takes the per-phase maximum times (1 + margin)", () => {
    const x = Float64Array.from([1, 5, 2, 3, 4, 6]);
    expect(Array.from(maxValueEstimate(x, 3, 0.5))).toEqual([4.5, 7.5, 9]);
  });

  it("FFT keeps the strong components, clamps <= 0 to 0.01 and applies the margin", () => {
    const x = synth(2880, (i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 1440)).values;
    const cfg = defaultCraneDspConfig().estimators[0]!;
    if (cfg.kind !== "fft") throw new Error("expected fft");
    const e = fftEstimate(x, 1440, 60, { ...cfg, marginFraction: 0.1 });
    expect(e[360]!).toBeCloseTo(15 * 1.1, 6);
    const neg = synth(2880, (i) => -1 + Math.sin((2 * Math.PI * i) / 1440)).values;
    expect(Math.min(...fftEstimate(neg, 1440, 60, cfg))).toBeCloseTo(0.01 * (1 + cfg.marginFraction), 9);
  });

  it("preprocessing drops data before a gap > 1h, interpolates small gaps, aligns to hours", () => {
    const v = synth(600, (i) => i).values;
    v.fill(Number.NaN, 100, 170); // 70 min: drop everything before
    v[300] = Number.NaN;
    const x = cranePreprocess(v, 60);
    expect(x.length).toBe(420); // 430 slots after the gap, trimmed to 7 whole hours
    expect(x[300 - 180]).toBeCloseTo(300, 9);
  });
});

describe("crane-dsp forecaster", () => {
  const crane = craneDspForecaster({ ...defaultCraneDspConfig(), shuffles: 20 });

  it("forecasts a daily pattern by repeating its one-period estimate", () => {
    const s = synth(4 * 1440, (i) => 20 + 10 * Math.sin((2 * Math.PI * i) / 1440));
    const r = crane.forecast(s, { horizon: 120, seed: 1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.periods).toEqual([86_400]);
    expect(r.value.p50[0]!).toBeGreaterThanOrEqual(20 * 0.99);
    expect(r.value.notes.join(" ")).toMatch(/won the held-out last period/);
  });

  it("abstains: too-little-history under 2 days", () => {
    const r = crane.forecast(
      synth(2000, (i) => 5 + (i % 7)),
      { horizon: 10 },
    );
    expect(!r.ok && r.error.code).toBe("too-little-history");
  });

  it("abstains: period-not-supported for a 12h period (Crane accepts only 1d or 1w)", () => {
    const s = synth(4 * 1440, (i) => 20 + 10 * Math.sin((2 * Math.PI * i) / 720));
    const r = crane.forecast(s, { horizon: 10 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("period-not-supported");
    expect(r.error.candidates?.some((c) => c.seconds === 43_200)).toBe(true);
  });

  it("abstains: no-period on a random walk, with candidates", () => {
    const r = crane.forecast(randomWalk(4 * 1440, 5), { horizon: 10 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(["no-period", "period-not-supported"]).toContain(r.error.code);
  });

  it("abstains: constant-series and invalid-parameters", () => {
    const c = crane.forecast(
      synth(4 * 1440, () => 3),
      { horizon: 10 },
    );
    expect(!c.ok && c.error.code).toBe("constant-series");
    const odd = crane.forecast(
      synth(4 * 1440, (i) => i % 5, 45),
      { horizon: 10 },
    );
    expect(!odd.ok && odd.error.code).toBe("invalid-parameters");
  });
});
