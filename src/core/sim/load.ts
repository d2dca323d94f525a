/**
 * Load sources for the simulator: generators (constant, step, ramp, daily sine, spike, noise) and recorded
 * traces, summed into one offered-load function of simulated time. Pure: traces arrive as parsed points,
 * the noise generator is a deterministic hash of (seed, time bucket), never `Math.random`.
 */
import type { SeriesPoint } from "../series/csv.js";

/** Offered load (e.g. requests per second) as a function of simulated time in ms since the start. */
export type LoadFunction = (tMs: number) => number;

/** `constant: 5`: the same value at every instant. */
export interface ConstantLoad {
  readonly kind: "constant";
  readonly value: number;
}
/** `step: {at, value}`: 0 before `at`, `value` from `at` on (negative values lower a baseline). */
export interface StepLoad {
  readonly kind: "step";
  readonly atMs: number;
  readonly value: number;
}
/** `ramp: {start, duration, from, to}`: 0 before start, linear from→to over the duration, then holds `to`. */
export interface RampLoad {
  readonly kind: "ramp";
  readonly startMs: number;
  readonly durationMs: number;
  readonly from: number;
  readonly to: number;
}
/** `sine: {mean, amplitude, period, peakAt}`: a daily (by default) cycle peaking at `peakAt` within each period. */
export interface SineLoad {
  readonly kind: "sine";
  readonly mean: number;
  readonly amplitude: number;
  readonly periodMs: number;
  readonly peakAtMs: number;
}
/** `spike: {at, duration, value, rise, fall}`: `value` during [at, at+duration), with optional linear edges. */
export interface SpikeLoad {
  readonly kind: "spike";
  readonly atMs: number;
  readonly durationMs: number;
  readonly value: number;
  readonly riseMs: number;
  readonly fallMs: number;
}
/** `noise: {amplitude, interval, seed}`: a uniform value in [-amplitude, amplitude], fixed per interval. */
export interface NoiseLoad {
  readonly kind: "noise";
  readonly amplitude: number;
  readonly intervalMs: number;
  readonly seed: number;
}
/** `csv: {file, ...}`: a recorded trace, re-based so that its first timestamp is simulated time `offset`. */
export interface TraceLoad {
  readonly kind: "csv";
  readonly points: readonly SeriesPoint[];
  readonly interpolation: "step" | "linear";
  readonly scale: number;
  readonly offsetMs: number;
  readonly repeat: boolean;
}

/** One component of the load; the scenario's `load:` list is summed, and the sum is clipped at 0. */
export type LoadComponent = ConstantLoad | StepLoad | RampLoad | SineLoad | SpikeLoad | NoiseLoad | TraceLoad;

/** Builds the evaluator of one component. */
export function componentFunction(c: LoadComponent): LoadFunction {
  switch (c.kind) {
    case "constant": {
      const v = c.value;
      return () => v;
    }
    case "step":
      return (t) => (t >= c.atMs ? c.value : 0);
    case "ramp": {
      const { startMs, durationMs, from, to } = c;
      const end = startMs + durationMs;
      return (t) => {
        if (t < startMs) return 0;
        if (t >= end || durationMs === 0) return to;
        return from + ((to - from) * (t - startMs)) / durationMs;
      };
    }
    case "sine": {
      const w = (2 * Math.PI) / c.periodMs;
      const { mean, amplitude, peakAtMs } = c;
      return (t) => mean + amplitude * Math.cos(w * (t - peakAtMs));
    }
    case "spike": {
      const { atMs, durationMs, value, riseMs, fallMs } = c;
      const end = atMs + durationMs;
      return (t) => {
        if (t < atMs || t >= end) return 0;
        if (riseMs > 0 && t < atMs + riseMs) return (value * (t - atMs)) / riseMs;
        if (fallMs > 0 && t > end - fallMs) return (value * (end - t)) / fallMs;
        return value;
      };
    }
    case "noise": {
      const { amplitude, intervalMs, seed } = c;
      return (t) => amplitude * (2 * hashUnit(seed, Math.floor(t / intervalMs)) - 1);
    }
    case "csv":
      return traceFunction(c);
  }
}

/** Sums the components and clips at 0 (offered load cannot be negative). */
export function loadFunction(components: readonly LoadComponent[]): LoadFunction {
  const fns = components.map(componentFunction);
  if (fns.length === 1) {
    const f = fns[0]!;
    return (t) => {
      const v = f(t);
      return Math.max(v, 0);
    };
  }
  return (t) => {
    let sum = 0;
    for (let i = 0; i < fns.length; i++) sum += fns[i]!(t);
    return Math.max(sum, 0);
  };
}

/**
 * A trace as a function. Before the first point it holds the first value, after the last the last value
 * (or wraps around with `repeat`, the period being last−first plus one median step). Lookups keep a cursor,
 * so a simulation walking forward in time costs O(1) per call.
 */
function traceFunction(c: TraceLoad): LoadFunction {
  const n = c.points.length;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const t0 = c.points[0]!.t;
  for (let i = 0; i < n; i++) {
    ts[i] = c.points[i]!.t - t0 + c.offsetMs;
    vs[i] = c.points[i]!.v * c.scale;
  }
  const first = ts[0]!;
  const last = ts[n - 1]!;
  const span = n > 1 ? last - first + medianStep(ts) : 1;
  const linear = c.interpolation === "linear";
  let cursor = 0;
  return (tIn) => {
    let t = tIn;
    if (c.repeat && t >= first) t = first + ((t - first) % span);
    if (t <= first) return vs[0]!;
    if (t >= last) {
      if (c.repeat && linear && n > 1) {
        // the wrap segment goes from the last point back to the first one
        const frac = (t - last) / (span - (last - first));
        return vs[n - 1]! + (vs[0]! - vs[n - 1]!) * frac;
      }
      return vs[n - 1]!;
    }
    // find i with ts[i] <= t < ts[i+1]: a few steps forward from the cursor, else bisect
    if (ts[cursor]! > t) cursor = bisect(ts, t);
    else {
      let k = 0;
      while (ts[cursor + 1]! <= t && k < 8) {
        cursor++;
        k++;
      }
      if (ts[cursor + 1]! <= t) cursor = bisect(ts, t);
    }
    const v0 = vs[cursor]!;
    if (!linear) return v0;
    const ta = ts[cursor]!;
    const tb = ts[cursor + 1]!;
    return v0 + ((vs[cursor + 1]! - v0) * (t - ta)) / (tb - ta);
  };
}

/** Largest i with a[i] <= t (a sorted, a[0] <= t). */
function bisect(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function medianStep(ts: Float64Array): number {
  const steps: number[] = [];
  for (let i = 1; i < ts.length; i++) steps.push(ts[i]! - ts[i - 1]!);
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1]!;
}

/** A deterministic value in [0, 1) from (seed, bucket): a 32-bit integer hash (murmur3 finalizer). */
export function hashUnit(seed: number, bucket: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(bucket | 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
