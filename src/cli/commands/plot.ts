/**
 * `tidescale plot`: a self-contained HTML latency chart of attack results (uPlot inlined, LTTB).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Command } from "commander";
import { readAllResults, writeText } from "../../adapters/loadgen/results-io.js";
import { renderPlotHtml } from "../../core/loadgen/plot-html.js";
import { acceptSingleDashFlags, intFlag } from "../vegeta-flags.js";

async function uplotSources(): Promise<{ js: string; css: string }> {
  const require = createRequire(import.meta.url);
  const js = require.resolve("uplot/dist/uPlot.iife.min.js");
  const css = require.resolve("uplot/dist/uPlot.min.css");
  return { js: await readFile(js, "utf8"), css: await readFile(css, "utf8") };
}

export function register(program: Command): void {
  const cmd = new Command("plot")
    .summary("Write a self-contained HTML latency plot of attack results")
    .description(
      "Write one self-contained HTML page plotting latency over time (one series per attack name x\n" +
        "OK/ERROR, each downsampled with LTTB). It works offline: uPlot is inlined.",
    )
    .argument("[files...]", "results files (default: stdin)")
    .option("--title <title>", "page and chart title", "tidescale plot")
    .option("--threshold <n>", "points per series after downsampling", "4000")
    .option("--output <file>", "HTML file (default: stdout)")
    .addHelpText("after", "\nExample:\n  tidescale plot -title 'sample-app 500/s' results.jsonl > plot.html")
    .action(async (files: string[], o) => {
      const threshold = intFlag("-threshold", 3, o.threshold);
      const results = await readAllResults(files);
      const { js, css } = await uplotSources();
      const html = renderPlotHtml(results, { title: o.title, threshold, uplotJs: js, uplotCss: css });
      await writeText(html, o.output ?? "");
    });
  acceptSingleDashFlags(cmd);
  program.addCommand(cmd);
}
