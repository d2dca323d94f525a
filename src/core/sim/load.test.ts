import { describe, expect, it } from "vitest";
import { componentFunction, hashUnit, loadFunction } from "./load.js";

const S = 1000;

describe("load generators", () => {
  it("constant, step, ramp", () => {
    expect(componentFunction({ kind: "constant", value: 5 })(123)).toBe(5);
    const step = componentFunction({ kind: "step", atMs: 60 * S, value: 10 });
    expect([step(59_999), step(60 * S), step(3600 * S)]).toEqual([0, 10, 10]);
    const ramp = componentFunction({ kind: "ramp", startMs: 100 * S, durationMs: 100 * S, from: 10, to: 30 });
    expect([ramp(0), ramp(100 * S), ramp(150 * S), ramp(200 * S), ramp(900 * S)]).toEqual([
      0, 10, 20, 30, 30,
    ]);
  });
  it("daily sine peaks at peakAt and bottoms half a period later", () => {
    const f = componentFunction({
      kind: "sine",
      mean: 100,
      amplitude: 50,
      periodMs: 86_400 * S,
      peakAtMs: 14 * 3600 * S,
    });
    expect(f(14 * 3600 * S)).toBeCloseTo(150, 9);
    expect(f(2 * 3600 * S)).toBeCloseTo(50, 9);
    expect(f(8 * 3600 * S)).toBeCloseTo(100, 9);
  });
  it("spike with and without edges covers [at, at+duration)", () => {
    const sharp = componentFunction({
      kind: "spike",
      atMs: 1260 * S,
      durationMs: 60 * S,
      value: 235,
      riseMs: 0,
      fallMs: 0,
    });
    expect([sharp(1259_999), sharp(1260 * S), sharp(1319_999), sharp(1320 * S)]).toEqual([0, 235, 235, 0]);
    const soft = componentFunction({
      kind: "spike",
      atMs: 0,
      durationMs: 100 * S,
      value: 100,
      riseMs: 10 * S,
      fallMs: 20 * S,
    });
    expect([soft(5 * S), soft(50 * S), soft(90 * S)]).toEqual([50, 100, 50]);
  });
  it("noise is deterministic, bounded and constant within an interval", () => {
    const f = componentFunction({ kind: "noise", amplitude: 10, intervalMs: 15 * S, seed: 7 });
    const g = componentFunction({ kind: "noise", amplitude: 10, intervalMs: 15 * S, seed: 7 });
    for (let t = 0; t < 3600 * S; t += 5 * S) {
      expect(f(t)).toBe(g(t));
      expect(Math.abs(f(t))).toBeLessThanOrEqual(10);
    }
    expect(f(0)).toBe(f(14_999));
    const values = new Set<number>();
    for (let b = 0; b < 100; b++) values.add(hashUnit(7, b));
    expect(values.size).toBe(100);
  });
  it("csv traces: step and linear interpolation, holds ends, repeats, scales and offsets", () => {
    const points = [
      { t: 1000_000, v: 10 },
      { t: 1060_000, v: 20 },
      { t: 1120_000, v: 40 },
    ];
    const step = componentFunction({
      kind: "csv",
      points,
      interpolation: "step",
      scale: 1,
      offsetMs: 0,
      repeat: false,
    });
    expect([step(-1), step(0), step(59_999), step(60 * S), step(130 * S), step(9999 * S)]).toEqual([
      10, 10, 10, 20, 40, 40,
    ]);
    const lin = componentFunction({
      kind: "csv",
      points,
      interpolation: "linear",
      scale: 2,
      offsetMs: 60 * S,
      repeat: false,
    });
    expect([lin(60 * S), lin(90 * S), lin(150 * S)]).toEqual([20, 30, 60]);
    const rep = componentFunction({
      kind: "csv",
      points,
      interpolation: "step",
      scale: 1,
      offsetMs: 0,
      repeat: true,
    });
    // period = 120 s span + one 60 s step
    expect([rep(180 * S), rep(240 * S), rep(300 * S), rep(359 * S)]).toEqual([10, 20, 40, 40]);
    // backwards lookups after forward ones still work (cursor rewinds)
    expect(step(130 * S)).toBe(40);
    expect(step(10 * S)).toBe(10);
  });
  it("long traces walk forward and jump correctly", () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ t: i * 60_000, v: i }));
    const f = componentFunction({
      kind: "csv",
      points,
      interpolation: "step",
      scale: 1,
      offsetMs: 0,
      repeat: false,
    });
    for (let t = 0; t < 600_000 * 60; t += 15_000) expect(f(t)).toBe(Math.floor(t / 60_000));
    expect(f(5_000 * 60_000 + 1)).toBe(5000);
    expect(f(9_000 * 60_000)).toBe(9000);
  });
  it("sums components and clips at zero", () => {
    const f = loadFunction([
      { kind: "constant", value: 5 },
      { kind: "step", atMs: 10 * S, value: -20 },
      { kind: "spike", atMs: 20 * S, durationMs: 10 * S, value: 235 + 15, riseMs: 0, fallMs: 0 },
    ]);
    expect([f(0), f(10 * S), f(20 * S)]).toEqual([5, 0, 235]);
  });
});
