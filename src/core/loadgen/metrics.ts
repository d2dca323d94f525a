/**
 * Aggregate metrics over attack results with vegeta's field meanings (`lib/metrics.go`):
 * requests = results; rate = requests / (latest - earliest); throughput = successes / (attack + wait);
 * wait = end - latest with end = max(timestamp + latency); success = 200 <= code < 400; errors in
 * first-seen order. Differences: percentiles are exact nearest-rank order statistics (vegeta estimates
 * them with a t-digest), dropped requests are left out of those fields and counted separately, and the
 * latency from the intended send time and the send lateness get their own statistics.
 */
import { type AttackResult, addNs, compareInstants, type Instant, nsBetween } from "./result.js";

/** Latency statistics in integer nanoseconds. */
export interface LatencyStats {
  total: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

/** Sorted samples with a quantile query (nearest rank). */
export interface Distribution {
  readonly count: number;
  /** The value at quantile `q` in [0, 1]: q=0 is the minimum, otherwise sorted[ceil(q*n)-1]. */
  quantile(q: number): number;
}

export interface Metrics {
  requests: number;
  rate: number;
  throughput: number;
  success: number;
  earliest: Instant | null;
  latest: Instant | null;
  end: Instant | null;
  /** latest - earliest, ns (vegeta's "attack" duration). */
  duration: number;
  /** end - latest, ns. */
  wait: number;
  latencies: LatencyStats;
  bytesIn: { total: number; mean: number };
  bytesOut: { total: number; mean: number };
  /** Count per status code, keys sorted as strings (as vegeta prints them). */
  statusCodes: Record<string, number>;
  errors: string[];
  /** Requests the schedule asked for: sent + dropped. */
  scheduled: number;
  dropped: number;
  /** Latency measured from the intended send time (latency + lateness): the coordinated-omission-safe number. */
  intended: LatencyStats;
  /** How late requests were sent relative to their intended time. */
  lateness: LatencyStats;
  /**
   * How the requests were paced: `open` (a schedule, the default), `closed` (`-rate 0 -max-workers N`,
   * no schedule, lateness 0 by definition) or `mixed` (results of both kinds were merged).
   */
  model: "open" | "closed" | "mixed";
  /** Distributions for quantile-based reports (hdrplot). */
  distributions: { latency: Distribution; intended: Distribution; lateness: Distribution };
}

function distribution(values: number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    count: n,
    quantile(q: number): number {
      if (n === 0) return 0;
      if (q <= 0) return sorted[0]!;
      const idx = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
      return sorted[idx]!;
    },
  };
}

function stats(d: Distribution, total: number): LatencyStats {
  const n = d.count;
  return {
    total,
    mean: n === 0 ? 0 : Math.trunc(total / n),
    min: d.quantile(0),
    max: d.quantile(1),
    p50: d.quantile(0.5),
    p90: d.quantile(0.9),
    p95: d.quantile(0.95),
    p99: d.quantile(0.99),
  };
}

/** Accumulates results one at a time (so large files need not be held), then computes Metrics. */
export class MetricsAccumulator {
  private requests = 0;
  private successes = 0;
  private dropped = 0;
  private closedCount = 0;
  private earliest: Instant | null = null;
  private latest: Instant | null = null;
  private end: Instant | null = null;
  private latencyTotal = 0;
  private intendedTotal = 0;
  private latenessTotal = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly latencies: number[] = [];
  private readonly intended: number[] = [];
  private readonly lateness: number[] = [];
  private readonly codes = new Map<number, number>();
  private readonly errorSet = new Set<string>();

  /** Adds one result. */
  add(r: AttackResult): void {
    if (r.dropped) {
      this.dropped += r.count ?? 1;
      return;
    }
    this.requests++;
    if (r.closed) this.closedCount++;
    if (this.earliest === null || compareInstants(r.timestamp, this.earliest) < 0)
      this.earliest = r.timestamp;
    if (this.latest === null || compareInstants(r.timestamp, this.latest) > 0) this.latest = r.timestamp;
    const end = addNs(r.timestamp, r.latency);
    if (this.end === null || compareInstants(end, this.end) > 0) this.end = end;
    if (r.code >= 200 && r.code < 400) this.successes++;
    this.codes.set(r.code, (this.codes.get(r.code) ?? 0) + 1);
    if (r.error !== "") this.errorSet.add(r.error);
    this.latencies.push(r.latency);
    this.latencyTotal += r.latency;
    this.intended.push(r.latency + r.lateness);
    this.intendedTotal += r.latency + r.lateness;
    this.lateness.push(r.lateness);
    this.latenessTotal += r.lateness;
    this.bytesIn += r.bytesIn;
    this.bytesOut += r.bytesOut;
  }

  /** Computes the metrics of everything added so far. */
  finish(): Metrics {
    const n = this.requests;
    const duration = this.earliest && this.latest ? nsBetween(this.earliest, this.latest) : 0;
    const wait = this.latest && this.end ? nsBetween(this.latest, this.end) : 0;
    const latency = distribution(this.latencies);
    const intended = distribution(this.intended);
    const lateness = distribution(this.lateness);
    const statusCodes: Record<string, number> = {};
    for (const code of [...this.codes.keys()].map(String).sort())
      statusCodes[code] = this.codes.get(Number(code))!;
    return {
      requests: n,
      rate: duration > 0 ? n / (duration / 1e9) : 0,
      throughput: duration + wait > 0 ? this.successes / ((duration + wait) / 1e9) : 0,
      success: n === 0 ? 0 : this.successes / n,
      earliest: this.earliest,
      latest: this.latest,
      end: this.end,
      duration,
      wait,
      latencies: stats(latency, this.latencyTotal),
      bytesIn: { total: this.bytesIn, mean: n === 0 ? 0 : this.bytesIn / n },
      bytesOut: { total: this.bytesOut, mean: n === 0 ? 0 : this.bytesOut / n },
      statusCodes,
      errors: [...this.errorSet],
      scheduled: n + this.dropped,
      dropped: this.dropped,
      intended: stats(intended, this.intendedTotal),
      lateness: stats(lateness, this.latenessTotal),
      model: this.closedCount === 0 ? "open" : this.closedCount === n ? "closed" : "mixed",
      distributions: { latency, intended, lateness },
    };
  }
}

/** Metrics of a list of results. */
export function computeMetrics(results: Iterable<AttackResult>): Metrics {
  const acc = new MetricsAccumulator();
  for (const r of results) acc.add(r);
  return acc.finish();
}
