/**
 * Decaying histogram percentile, as the Kubernetes VPA recommender keeps CPU usage (exponential buckets,
 * sample weights that double every `halfLife`, percentile = upper edge of the bucket where the cumulative
 * weight reaches p) and as Crane's `percentile` predictor is configured. Unlike Crane (which parses
 * `halfLife` but builds a non-decaying histogram), the half-life is applied; Crane's value-weighting is available as
 * `weightByValue` for reproduction.
 */
import {
  abstain,
  type Forecaster,
  type ForecastOptions,
  type ForecastResult,
  pointForecast,
  type RegularSeries,
} from "./types.js";

/** Bucket layout and decay of a histogram. */
export interface HistogramOptions {
  /** Largest representable value; larger samples land in the last bucket (VPA/Crane `maxValue`). */
  maxValue: number;
  /** Size of the first bucket (`firstBucketSize`; linear layout: `bucketSize`). */
  firstBucketSize: number;
  /** Growth ratio between consecutive bucket sizes (1 = linear buckets). VPA uses 1.05. */
  ratio: number;
  /** Half-life of sample weights in seconds (VPA: 24 h for CPU). Infinity = no decay (Crane's behaviour). */
  halfLife: number;
  /** Weights below this are ignored (`epsilon`). */
  epsilon: number;
}

/** A histogram whose sample weights decay exponentially with age. */
export class DecayingHistogram {
  private readonly edges: number[] = [];
  private readonly weights: Float64Array;
  private total = 0;
  /** Weights are stored relative to this time to keep them in range. */
  private readonly reference: number;

  constructor(
    readonly options: HistogramOptions,
    referenceTime = 0,
  ) {
    let edge = 0;
    let size = options.firstBucketSize;
    while (edge < options.maxValue) {
      edge += size;
      this.edges.push(edge);
      size *= options.ratio;
    }
    this.weights = new Float64Array(this.edges.length);
    this.reference = referenceTime;
  }

  /** Index of the bucket holding `value`. */
  bucketOf(value: number): number {
    let lo = 0;
    let hi = this.edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (value < this.edges[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Adds a sample observed at `time` (seconds) with a base weight. */
  add(value: number, weight: number, time: number): void {
    if (!Number.isFinite(value) || !(weight > 0)) return;
    const w = Number.isFinite(this.options.halfLife)
      ? weight * 2 ** ((time - this.reference) / this.options.halfLife)
      : weight;
    if (w < this.options.epsilon) return;
    const b = this.bucketOf(Math.max(0, value));
    this.weights[b] = this.weights[b]! + w;
    this.total += w;
  }

  /** True when no weight was added. */
  isEmpty(): boolean {
    return this.total < this.options.epsilon;
  }

  /** Upper edge of the bucket where the cumulative weight reaches fraction p (VPA's Percentile). */
  percentile(p: number): number {
    if (this.isEmpty()) return 0;
    const target = p * this.total;
    let acc = 0;
    for (let i = 0; i < this.weights.length; i++) {
      acc += this.weights[i]!;
      if (acc >= target) return this.edges[i]!;
    }
    return this.edges[this.edges.length - 1]!;
  }

  /**
   * The value where the cumulative weight reaches fraction p, interpolated linearly inside that bucket
   * (weight spread evenly over the bucket): the error is at most one bucket width either way, where
   * {@link percentile} (the upper edge) always errs upward by up to a bucket.
   */
  percentileInterpolated(p: number): number {
    if (this.isEmpty()) return 0;
    const target = p * this.total;
    let acc = 0;
    for (let i = 0; i < this.weights.length; i++) {
      const w = this.weights[i]!;
      if (w > 0 && acc + w >= target) {
        const lo = i === 0 ? 0 : this.edges[i - 1]!;
        const hi = this.edges[i]!;
        return lo + ((target - acc) / w) * (hi - lo);
      }
      acc += w;
    }
    return this.edges[this.edges.length - 1]!;
  }
}

/** Options of the percentile forecaster. */
export interface PercentileForecastOptions extends HistogramOptions {
  /** Crane quirk: weight each sample by its value (floored at minSampleWeight). */
  weightByValue: boolean;
  minSampleWeight: number;
  /** History length in seconds (Crane default 7 d). */
  historyLength: number;
}

/**
 * The percentile forecaster (registry name `percentile`): a constant forecast at the histogram's p50,
 * p90 and p99. Default buckets: first 0.01, +5 % per bucket (VPA), half-life 24 h, 7 d of history.
 */
export function percentileForecaster(opts: Partial<PercentileForecastOptions> = {}): Forecaster {
  const o: PercentileForecastOptions = {
    maxValue: 1e7,
    firstBucketSize: 0.01,
    ratio: 1.05,
    halfLife: 86_400,
    epsilon: 1e-10,
    weightByValue: false,
    minSampleWeight: 1e-5,
    historyLength: 7 * 86_400,
    ...opts,
  };
  const name = "percentile";
  return {
    name,
    description: "decaying histogram (VPA style), constant p50/p90/p99 over the horizon",
    forecast(history: RegularSeries, options: ForecastOptions): ForecastResult {
      const x = history.values;
      const n = x.length;
      const endTime = history.start + (n - 1) * history.step;
      const from = Math.max(0, n - Math.round(o.historyLength / history.step));
      const hist = new DecayingHistogram(o, endTime);
      for (let i = from; i < n; i++) {
        const v = x[i]!;
        if (Number.isNaN(v)) continue;
        const w = o.weightByValue ? Math.max(v, o.minSampleWeight) : 1;
        hist.add(v, w, history.start + i * history.step);
      }
      if (hist.isEmpty()) return abstain(name, "too-little-history", "no samples in the history window");
      const h = options.horizon;
      const f = pointForecast(name, history, new Float64Array(h).fill(hist.percentile(0.5)), {
        notes: [`half-life ${o.halfLife}s, ${n - from} samples`],
      });
      f.value.p90 = new Float64Array(h).fill(hist.percentile(0.9));
      f.value.p99 = new Float64Array(h).fill(hist.percentile(0.99));
      return f;
    },
  };
}
