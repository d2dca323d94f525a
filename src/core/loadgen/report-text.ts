/**
 * The text report: vegeta's layout line for line (`lib/reporters.go` NewTextReporter: Requests, Duration,
 * Latencies, Bytes In, Bytes Out, Success, Status Codes, Error Set, durations rounded to the next smaller
 * unit), followed by a block of ours that vegeta does not have: the schedule (intended, sent, dropped),
 * the latency measured from the intended send time, and the send lateness.
 */
import { formatGoDuration, roundToNextUnit } from "./go-duration.js";
import type { LatencyStats, Metrics } from "./metrics.js";
import { layoutTabs } from "./tab-layout.js";

const d = (ns: number): string => formatGoDuration(roundToNextUnit(ns));
const lat = (s: LatencyStats): string => [s.min, s.mean, s.p50, s.p90, s.p95, s.p99, s.max].map(d).join(", ");

const MODEL_NOTE = {
  open: "",
  closed: "  (closed model, -rate 0: no schedule, so no lateness)",
  mixed: "  (includes closed-model results, which have no schedule)",
} as const;

/** Renders the text report. */
export function renderTextReport(m: Metrics): string {
  let head =
    `Requests\t[total, rate, throughput]\t${m.requests}, ${m.rate.toFixed(2)}, ${m.throughput.toFixed(2)}\n` +
    `Duration\t[total, attack, wait]\t${d(m.duration + m.wait)}, ${d(m.duration)}, ${d(m.wait)}\n` +
    `Latencies\t[min, mean, 50, 90, 95, 99, max]\t${lat(m.latencies)}\n` +
    `Bytes In\t[total, mean]\t${m.bytesIn.total}, ${m.bytesIn.mean.toFixed(2)}\n` +
    `Bytes Out\t[total, mean]\t${m.bytesOut.total}, ${m.bytesOut.mean.toFixed(2)}\n` +
    `Success\t[ratio]\t${(m.success * 100).toFixed(2)}%\n` +
    "Status Codes\t[code:count]\t";
  for (const [code, count] of Object.entries(m.statusCodes)) head += `${code}:${count}  `;
  head += "\nError Set:\n";
  for (const e of m.errors) head += `${e}\n`;
  const vegeta = layoutTabs(head);
  const ours = layoutTabs(
    `Schedule\t[intended, sent, dropped]\t${m.scheduled}, ${m.requests}, ${m.dropped}${MODEL_NOTE[m.model]}\n` +
      `Intended\t[min, mean, 50, 90, 95, 99, max]\t${lat(m.intended)}\n` +
      `Lateness\t[min, mean, 50, 90, 95, 99, max]\t${lat(m.lateness)}\n`,
    { minWidths: [14, 34] },
  );
  return `${vegeta}\n${ours}`;
}
