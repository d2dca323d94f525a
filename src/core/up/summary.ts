/**
 * The numbers of a `tidescale up` run: per-tick latency quantiles for the samples, and the summary
 * printed when the scenario ends (the same lines as `simulate`'s, measured instead of modelled).
 * Pure: the records and the load generator's counts come in.
 */
import type { UpRecord } from "./feed.js";

/** The `q` quantile (0..1) of ascending `sorted` values, nearest rank; undefined when empty. */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** What the load generator counted over the whole run (from its own results). */
export interface LoadTotals {
  /** Requests the schedule asked for. */
  scheduled: number;
  /** Answered 2xx. */
  served: number;
  /** Non-2xx answers, transport errors, timeouts and requests dropped before they were sent. */
  unserved: number;
}

export interface UpSummary {
  durationMs: number;
  podHours: number;
  /** Seconds (ticks) in which some requests were not served. */
  underProvisionedSeconds: number;
  totals: LoadTotals;
  peakReplicas: number;
  scaleUps: number;
  scaleDowns: number;
  podCrashes: number;
}

const RESCALE = /New size: (\d+)/;

/** Sums the run's samples (one per tick) and counts its rescale and crash events. */
export function summarize(records: readonly UpRecord[], totals: LoadTotals, tickMs: number): UpSummary {
  let podMs = 0;
  let under = 0;
  let peak = 0;
  let first: number | undefined;
  let last = 0;
  let ups = 0;
  let downs = 0;
  let crashes = 0;
  let size: number | undefined;
  for (const r of records) {
    first ??= r.t;
    last = r.t;
    if (r.kind === "sample") {
      podMs += r.currentReplicas * tickMs;
      if (r.errors > 0) under++;
      peak = Math.max(peak, r.currentReplicas);
      size ??= r.currentReplicas;
      continue;
    }
    if (r.reason === "PodCrashed") crashes++;
    const m = r.reason === "SuccessfulRescale" ? RESCALE.exec(r.message) : null;
    if (m) {
      const n = Number(m[1]);
      if (size !== undefined && n > size) ups++;
      else if (size !== undefined && n < size) downs++;
      size = n;
    }
  }
  return {
    durationMs: first === undefined ? 0 : last - first,
    podHours: podMs / 3_600_000,
    underProvisionedSeconds: (under * tickMs) / 1000,
    totals,
    peakReplicas: peak,
    scaleUps: ups,
    scaleDowns: downs,
    podCrashes: crashes,
  };
}

/** The summary as `key: value` lines, aligned like `simulate`'s. */
export function renderUpSummary(s: UpSummary): string {
  const pct = s.totals.scheduled > 0 ? (s.totals.unserved / s.totals.scheduled) * 100 : 0;
  const lines: [string, string][] = [
    ["ran", `${Math.round(s.durationMs / 1000)}s`],
    ["pod-hours", s.podHours.toFixed(3)],
    ["under-provisioned", `${s.underProvisionedSeconds}s with requests not served`],
    [
      "requests",
      `${s.totals.scheduled} sent, ${s.totals.served} served (2xx), ${s.totals.unserved} unserved (${pct.toFixed(2)}%)`,
    ],
    ["peak replicas", String(s.peakReplicas)],
    ["scale events", `${s.scaleUps + s.scaleDowns} (${s.scaleUps} up, ${s.scaleDowns} down)`],
  ];
  if (s.podCrashes > 0) lines.push(["pod crashes", String(s.podCrashes)]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join("\n") + "\n";
}
