/**
 * `tidescale report`: summaries of attack results in vegeta's report types (see docs/loadgen.md).
 */
import { Command } from "commander";
import { readResults, writeText } from "../../adapters/loadgen/results-io.js";
import { invalidInput } from "../../core/errors.js";
import {
  buildHistogram,
  type Histogram,
  parseBuckets,
  renderHistogram,
} from "../../core/loadgen/histogram.js";
import { MetricsAccumulator } from "../../core/loadgen/metrics.js";
import { renderHdrPlot } from "../../core/loadgen/report-hdrplot.js";
import { renderJsonReport } from "../../core/loadgen/report-json.js";
import { renderTextReport } from "../../core/loadgen/report-text.js";
import { acceptSingleDashFlags } from "../vegeta-flags.js";

export function register(program: Command): void {
  const cmd = new Command("report")
    .summary("Summarize attack results: text (vegeta layout), json, hist[...], hdrplot")
    .description(
      "Summarize attack results (JSON lines or CSV; stdin or files, several files are merged).\n" +
        "Types: text (vegeta's layout plus schedule, latency from the intended send time and lateness),\n" +
        "json, hist[b0,b1,...] (latency buckets as Go durations) and hdrplot (HdrHistogram plotFiles).",
    )
    .argument("[files...]", "results files (default: stdin)")
    .option("--type <type>", "text, json, hist[0,1ms,5ms,...] or hdrplot", "text")
    .option("-o <format>", "same as -type (text or json)")
    .option("--buckets <buckets>", "histogram buckets added to the json report, e.g. [0,1ms,10ms]")
    .option("--output <file>", "write the report to a file (default: stdout)")
    .addHelpText(
      "after",
      "\nExample:\n" +
        '  echo "GET http://127.0.0.1:8080/" | tidescale attack -rate 100/s -duration 5s | tidescale report\n' +
        "  tidescale report -type 'hist[0,5ms,10ms,50ms]' results.jsonl",
    )
    .action(async (files: string[], o) => {
      const type: string = o.o ?? o.type;
      let render: (acc: MetricsAccumulator, latencies: number[]) => string;
      const keepLatencies = type.startsWith("hist") || o.buckets !== undefined;
      if (type === "text") render = (acc) => renderTextReport(acc.finish());
      else if (type === "json") {
        const bounds = o.buckets !== undefined ? parseBuckets(o.buckets, "-buckets") : undefined;
        render = (acc, lat) => {
          const hist: Histogram | undefined = bounds ? buildHistogram(bounds, lat) : undefined;
          return renderJsonReport(acc.finish(), hist);
        };
      } else if (type === "hdrplot") render = (acc) => renderHdrPlot(acc.finish().distributions.latency);
      else if (type.startsWith("hist")) {
        const bounds = parseBuckets(type.slice(4), "-type");
        render = (_acc, lat) => renderHistogram(buildHistogram(bounds, lat));
      } else
        throw invalidInput("-type", `unknown report type "${type}" (want text, json, hist[...] or hdrplot)`);

      const acc = new MetricsAccumulator();
      const latencies: number[] = [];
      await readResults(files, (r) => {
        acc.add(r);
        if (keepLatencies && !r.dropped) latencies.push(r.latency);
      });
      const text = render(acc, latencies);
      await writeText(text, o.output ?? "");
    });
  acceptSingleDashFlags(cmd);
  program.addCommand(cmd);
}
