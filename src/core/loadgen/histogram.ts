/**
 * Latency histograms as vegeta's `hist[...]` report (`lib/histogram.go`, `lib/reporters.go`): bucket
 * bounds are Go durations, each bucket holds [lo, hi), a 0 bucket is added in front when the first bound
 * is above 0, and the last bucket runs to +Inf. Latencies below the first bound cannot occur (we always
 * start at 0), so nothing falls through as in vegeta's quirk.
 */

import { tryParseDurationMs } from "../duration.js";
import { invalidInput } from "../errors.js";
import { formatGoDuration } from "./go-duration.js";
import { layoutTabs } from "./tab-layout.js";

export interface Histogram {
  /** Lower bounds in ns, strictly increasing, starting at 0. */
  bounds: number[];
  counts: number[];
  total: number;
}

/** Parses `[0,1ms,5ms]` (the part after `hist`); throws naming `where`. */
export function parseBuckets(text: string, where: string): number[] {
  const m = /^\[(.*)\]$/.exec(text.trim());
  if (!m || m[1]!.trim() === "") {
    throw invalidInput(where, `invalid buckets "${text}" (want e.g. hist[0,1ms,5ms,10ms])`);
  }
  const bounds = m[1]!.split(",").map((part) => {
    const ms = tryParseDurationMs(part.trim());
    if (ms === undefined || ms < 0)
      throw invalidInput(where, `invalid bucket bound "${part.trim()}" (want a Go duration)`);
    return Math.round(ms * 1e6);
  });
  for (let i = 1; i < bounds.length; i++) {
    if (bounds[i]! <= bounds[i - 1]!) throw invalidInput(where, "bucket bounds must be strictly increasing");
  }
  if (bounds[0]! > 0) bounds.unshift(0);
  return bounds;
}

/** Counts latencies (ns) into buckets. */
export function buildHistogram(bounds: number[], latencies: Iterable<number>): Histogram {
  const counts = bounds.map(() => 0);
  let total = 0;
  for (const v of latencies) {
    // Binary search for the last bound <= v.
    let lo = 0;
    let hi = bounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bounds[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]!++;
    total++;
  }
  return { bounds, counts, total };
}

/** Renders the histogram as vegeta: `Bucket  #  %  Histogram` with a bar of ratio*75 `#`. */
export function renderHistogram(h: Histogram): string {
  let s = "Bucket\t\t#\t%\tHistogram\n";
  h.counts.forEach((count, i) => {
    const ratio = h.total === 0 ? 0 : count / h.total;
    const lo = formatGoDuration(h.bounds[i]!);
    const hi = i + 1 < h.bounds.length ? formatGoDuration(h.bounds[i + 1]!) : "+Inf";
    s += `[${lo},\t${hi}]\t${count}\t${(ratio * 100).toFixed(2)}%\t${"#".repeat(Math.trunc(ratio * 75))}\n`;
  });
  return layoutTabs(s);
}
