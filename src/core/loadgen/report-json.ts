/**
 * The JSON report: vegeta's `Metrics` JSON (`lib/metrics.go` field names and order; durations in integer
 * ns, times RFC 3339, `errors` never null, `buckets` only with a histogram) plus our `model`,
 * `scheduled`, `dropped`, `intended_latencies` and `lateness` keys.
 */
import type { Histogram } from "./histogram.js";
import type { LatencyStats, Metrics } from "./metrics.js";
import { formatRfc3339Nano, type Instant } from "./result.js";

const ZERO_TIME = "0001-01-01T00:00:00Z";
const time = (t: Instant | null): string => (t === null ? ZERO_TIME : formatRfc3339Nano(t));

function latencies(s: LatencyStats): Record<string, number> {
  return {
    total: s.total,
    mean: s.mean,
    "50th": s.p50,
    "90th": s.p90,
    "95th": s.p95,
    "99th": s.p99,
    max: s.max,
    min: s.min,
  };
}

/** The JSON report object (serialize with JSON.stringify). */
export function jsonReport(m: Metrics, hist?: Histogram): Record<string, unknown> {
  const out: Record<string, unknown> = { latencies: latencies(m.latencies) };
  if (hist) {
    const buckets: Record<string, number> = {};
    hist.bounds.forEach((b, i) => {
      buckets[String(b)] = hist.counts[i]!;
    });
    out.buckets = buckets;
  }
  Object.assign(out, {
    bytes_in: m.bytesIn,
    bytes_out: m.bytesOut,
    earliest: time(m.earliest),
    latest: time(m.latest),
    end: time(m.end),
    duration: m.duration,
    wait: m.wait,
    requests: m.requests,
    rate: m.rate,
    throughput: m.throughput,
    success: m.success,
    status_codes: m.statusCodes,
    errors: m.errors,
    model: m.model,
    scheduled: m.scheduled,
    dropped: m.dropped,
    intended_latencies: latencies(m.intended),
    lateness: latencies(m.lateness),
  });
  return out;
}

/** Renders the JSON report as one line with a trailing newline (as Go's json.Encoder). */
export function renderJsonReport(m: Metrics, hist?: Histogram): string {
  return `${JSON.stringify(jsonReport(m, hist))}\n`;
}
