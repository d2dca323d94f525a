/**
 * Fit + 60-minute forecast on 14 days of 1-minute data (20,160 points) per series: median time per
 * series and throughput over 1,000 series, for the default (multi-seasonal) and, as peers measured in
 * the same run, seasonal-naive, Holt-Winters and the Crane-compatible DSP (fewer series: it is slow); and
 * the default on Poisson count series (events per minute / 60), served by the count model.
 * Goal: multi-seasonal under 20 ms per series. Run: `npm run bench forecast`. Besides the wall-clock
 * median it prints the median CPU time (user + system of the process) per series, which moves much less
 * than wall time on a machine shared with other work.
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

/** 14 days of Poisson events per minute as a per-second rate (a count series: the count model serves it). */
function countSeries(seed: number): RegularSeries {
  const rand = seededRandom(seed);
  const values = new Float64Array(N);
  const peak = 2 + rand() * 10;
  for (let i = 0; i < N; i++) {
    const h = (i % 1440) / 60;
    const lambda = 0.08 + peak * Math.exp(-0.5 * ((h - 12) / 2.5) ** 2);
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = rand(); p > limit; p *= rand()) k++;
    values[i] = k / 60;
  }
  return { start: 1_713_139_200, step: 60, values };
}

function run(
  model: string,
  count: number,
  make: (seed: number) => RegularSeries = series,
): { median: number; p90: number; cpu: number; total: number } {
  const f = forecasterRegistry().get(model)!;
  const times: number[] = [];
  const cpu: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < count; s++) {
    const x = make(s + 1);
    const a = performance.now();
    const c = process.cpuUsage();
    const r = f.forecast(x, { horizon: 60, seed: s });
    const used = process.cpuUsage(c);
    times.push(performance.now() - a);
    cpu.push((used.user + used.system) / 1000);
    if (!r.ok) throw new Error(`${model} abstained: ${r.error.message}`);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const mid = Math.floor(count / 2);
  return { median: times[mid]!, p90: times[Math.floor(count * 0.9)]!, cpu: cpu[mid]!, total };
}

const plan: Array<[string, number, ((seed: number) => RegularSeries)?]> = [
  ["multi-seasonal", 1000],
  ["multi-seasonal", 200, countSeries],
  ["seasonal-naive", 1000],
  ["holt-winters", 200],
  ["crane-dsp", 20],
];
console.log(
  "model                    series  median ms/series  p90 ms  median CPU ms  series/s (incl. generation)",
);
for (const [m, count, make] of plan) {
  const r = run(m, count, make);
  const label = make ? `${m} (counts)` : m;
  console.log(
    `${label.padEnd(24)} ${String(count).padStart(6)}  ${r.median.toFixed(2).padStart(16)}  ${r.p90.toFixed(2).padStart(6)}  ${r.cpu.toFixed(2).padStart(13)}  ${((count * 1000) / r.total).toFixed(1)}`,
  );
}
