/**
 * Fit + 60-minute forecast on 14 days of 1-minute data (20,160 points) per series: median time per
 * series and throughput over 1,000 series, for the default (multi-seasonal) and, as peers measured in
 * the same run, seasonal-naive, Holt-Winters and the Crane-compatible DSP (fewer series: it is slow).
 * Goal: multi-seasonal under 20 ms per series. Run: `npm run bench forecast`.
 */
import { seededRandom } from "../../src/core/predict/crane-dsp.js";
import { forecasterRegistry } from "../../src/core/predict/registry.js";
import type { RegularSeries } from "../../src/core/predict/types.js";

const N = 20_160;

function series(seed: number): RegularSeries {
  const rand = seededRandom(seed);
  const values = new Float64Array(N);
  const phase = rand() * 1440;
  const level = 10 + rand() * 500;
  for (let i = 0; i < N; i++) {
    const day = Math.floor(i / 1440) % 7;
    const w = day >= 5 ? 0.6 : 1;
    values[i] =
      level * w * (1 + 0.5 * Math.sin((2 * Math.PI * (i + phase)) / 1440)) * (1 + 0.05 * (rand() - 0.5));
  }
  return { start: 1_713_139_200, step: 60, values };
}

function run(model: string, count: number): { median: number; p90: number; total: number } {
  const f = forecasterRegistry().get(model)!;
  const times: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < count; s++) {
    const x = series(s + 1);
    const a = performance.now();
    const r = f.forecast(x, { horizon: 60, seed: s });
    times.push(performance.now() - a);
    if (!r.ok) throw new Error(`${model} abstained: ${r.error.message}`);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p90: times[Math.floor(times.length * 0.9)]!, total };
}

const plan: Array<[string, number]> = [
  ["multi-seasonal", 1000],
  ["seasonal-naive", 1000],
  ["holt-winters", 200],
  ["crane-dsp", 20],
];
console.log("model            series  median ms/series  p90 ms  series/s (incl. generation)");
for (const [m, count] of plan) {
  const r = run(m, count);
  console.log(
    `${m.padEnd(16)} ${String(count).padStart(6)}  ${r.median.toFixed(2).padStart(16)}  ${r.p90.toFixed(2).padStart(6)}  ${((count * 1000) / r.total).toFixed(1)}`,
  );
}
