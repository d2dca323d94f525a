/**
 * Period detection against Crane's own DSP test data (test/fixtures/crane-dsp, Apache-2.0): the expected
 * periods are those asserted in Crane's signal_test.go. Lives in adapters because it reads files; the
 * detection itself is core/predict/crane-dsp.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { craneFindPeriod } from "../../core/predict/crane-dsp.js";
import { detectPeriods } from "../../core/predict/periods.js";

const repoRoot = resolve(import.meta.dirname, "../../..");
const craneData = resolve(repoRoot, "test/fixtures/crane-dsp");

function readCrane(i: number): Float64Array {
  const lines = readFileSync(resolve(craneData, `input${i}.csv`), "utf8")
    .trim()
    .split("\n")
    .slice(1);
  return Float64Array.from(lines.map((l) => Number(l.split(",")[1])));
}

// Expected periods from Crane's signal_test.go (see test/fixtures/crane-dsp/README.md), in samples.
const EXPECTED: Array<[number, number, number]> = [
  [0, 1440, 60],
  [1, 1440, 60],
  [9, 1440, 60],
  [11, 1440, 60],
  [2, 10080, 60],
  [8, 10080, 60],
  [10, 10080, 60],
  [12, 10080, 60],
  [13, 10080, 60],
  [14, 10080, 60],
  [15, 40320, 15],
];

describe("Crane-compatible period detection on Crane's own test data", () => {
  for (const [i, period, step] of EXPECTED) {
    it(`input${i}.csv -> ${period} samples at ${step}s`, () => {
      const v = readCrane(i);
      // As signal_test.go: Truncate(Week) in 10080-sample blocks, newest kept.
      const x = v.subarray(v.length - Math.floor(v.length / 10080) * 10080);
      expect(craneFindPeriod(x, step, 42, 40).period).toBe(period);
    });
  }
});

// Our detector scores each candidate on the series minus a moving average of one period. On input10 the
// weekly component is weak under that score (about 0.12 < 0.3), so it is the one documented difference.
const KNOWN_DIFFERENCES = new Set([10]);

describe("multi-seasonal detection on the same data", () => {
  for (const [i, period, step] of EXPECTED) {
    it(`input${i}.csv: Crane's period is ${KNOWN_DIFFERENCES.has(i) ? "NOT (documented difference)" : ""} among the accepted candidates`, () => {
      const v = readCrane(i);
      const x = v.subarray(v.length - Math.floor(v.length / 10080) * 10080);
      const accepted = detectPeriods(x, step)
        .filter((c) => c.accepted)
        .map((c) => c.seconds);
      if (KNOWN_DIFFERENCES.has(i)) expect(accepted).not.toContain(period * step);
      else expect(accepted).toContain(period * step);
    });
  }
});
