/**
 * The `hdrplot` report: the percentile table HdrHistogram's plotFiles page reads
 * (`Value(ms)  Percentile  TotalCount  1/(1-Percentile)`), at the same fixed quantile list vegeta prints
 * (HdrHistogram's 5 ticks per half-distance down to 0.999999, then 1.0).
 */
import type { Distribution } from "./metrics.js";
import { layoutTabs } from "./tab-layout.js";

/** The quantiles of the table: 0, 0.1 … 0.5, 0.55 … 0.75, 0.775 … rounded to 6 digits, then 1. */
export function hdrQuantiles(): number[] {
  const qs: number[] = [];
  for (let k = 0; ; k++) {
    const from = 1 - 2 ** -k;
    const step = 2 ** -(k + 1) / 5;
    for (let j = 0; j < 5; j++) {
      const q = Math.round((from + j * step) * 1e6) / 1e6;
      if (q >= 1) {
        qs.push(1);
        return qs;
      }
      if (qs[qs.length - 1] !== q) qs.push(q);
    }
  }
}

const QUANTILES = hdrQuantiles();

/** Renders the hdrplot table of a latency distribution (ns values). */
export function renderHdrPlot(dist: Distribution): string {
  let s = "Value(ms)\tPercentile\tTotalCount\t1/(1-Percentile)\n";
  for (const q of QUANTILES) {
    const ns = dist.quantile(q);
    const ms = Math.floor(ns / 1e6) + (ns % 1e6) / 1e6;
    const oneBy = q < 1 ? 1 / (1 - q) : 10_000_000;
    const count = Math.floor(q * dist.count + 0.5);
    s += `${ms.toFixed(6)}\t${q.toFixed(6)}\t${count}\t${oneBy.toFixed(6)}\n`;
  }
  return layoutTabs(s);
}
