/**
 * Synthetic signals for the forecasting tests (deterministic; seeds are arguments).
 * Not a test file itself: shared by the *.test.ts files beside it.
 */
import { seededRandom } from "./crane-dsp.js";
import type { RegularSeries } from "./types.js";

/** 2024-04-15T00:00:00Z, a Monday. */
export const MONDAY = 1_713_139_200;

/** Builds a 60-s series of `n` slots from a function of (slot index, unix time). */
export function synth(
  n: number,
  f: (i: number, t: number) => number,
  step = 60,
  start = MONDAY,
): RegularSeries {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = f(i, start + i * step);
  return { start, step, values };
}

/** A daily shape (peak in the evening), weekend x0.6, plus small seeded noise. */
export function dailyWeekly(days: number, seed = 7, noise = 0.03): RegularSeries {
  const rand = seededRandom(seed);
  return synth(days * 1440, (i, t) => {
    const minute = i % 1440;
    const dow = Math.floor((t / 86_400 + 4) % 7);
    const weekend = dow === 0 || dow === 6 ? 0.6 : 1;
    const base =
      50 +
      40 * Math.sin(((minute - 600) / 1440) * 2 * Math.PI) +
      30 * Math.exp(-(((minute - 1200) / 60) ** 2));
    return base * weekend * (1 + noise * (rand() - 0.5) * 2);
  });
}

/** A 30-minute batch pattern: 5-minute bursts to 200 at :00 and :30 over a base of 20. */
export function halfHourly(days: number, seed = 3): RegularSeries {
  const rand = seededRandom(seed);
  return synth(days * 1440, (i) => (i % 30 < 5 ? 200 : 20) * (1 + 0.02 * (rand() - 0.5)));
}

/** A seeded Gaussian random walk (no period). */
export function randomWalk(n: number, seed = 11): RegularSeries {
  const rand = seededRandom(seed);
  let v = 100;
  return synth(n, () => {
    const g = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    v = Math.max(1, v + g * 2);
    return v;
  });
}

/** Mean absolute percentage-like error: sum|f-a| / sum a. */
export function wape(f: ArrayLike<number>, a: ArrayLike<number>): number {
  let e = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!)) continue;
    e += Math.abs(f[i]! - a[i]!);
    s += a[i]!;
  }
  return e / s;
}
