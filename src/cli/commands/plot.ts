/**
 * `tidescale plot`: a self-contained HTML page (uPlot inlined) of attack results (latency over time,
 * LTTB) or of a `tidescale up` export (the dashboard's charts of the recorded run).
 */
import { open, readFile } from "node:fs/promises";
import { Command } from "commander";
import { readFileError } from "../../adapters/files/file-error.js";
import { uplotSources } from "../../adapters/files/uplot-sources.js";
import { checkReadable, readAllResults, writeText } from "../../adapters/loadgen/results-io.js";
import { invalidInput } from "../../core/errors.js";
import { renderPlotHtml } from "../../core/loadgen/plot-html.js";
import { defaultUpTitle, renderUpPage } from "../../core/up/dashboard-page.js";
import { looksLikeUpExport, parseUpExport } from "../../core/up/export-file.js";
import { acceptSingleDashFlags, intFlag } from "../vegeta-flags.js";

const DEFAULT_TITLE = "tidescale plot";

/** The first bytes of a file (where an up export's apiVersion is), "" for stdin. */
async function head(path: string): Promise<string> {
  if (path === "-") return "";
  await checkReadable(path);
  const file = await open(path, "r");
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } catch (e) {
    throw readFileError(e, path);
  } finally {
    await file.close();
  }
}

/** The up export among `files`, if any; an export is plotted alone. */
async function upExportFile(files: string[]): Promise<string | undefined> {
  const found: string[] = [];
  for (const f of files) if (looksLikeUpExport(await head(f))) found.push(f);
  if (found.length === 0) return undefined;
  if (files.length > 1) {
    throw invalidInput(found[0]!, "a tidescale up export is plotted alone, not with other files");
  }
  return found[0];
}

async function plotUpExport(path: string, title: string | undefined): Promise<string> {
  const text = await readFile(path, "utf8").catch((e) => {
    throw readFileError(e, path);
  });
  const run = parseUpExport(text, path);
  const { js, css } = await uplotSources();
  return renderUpPage({
    info: run.info,
    title: title ?? defaultUpTitle(run.info),
    uplotJs: js,
    uplotCss: css,
    records: run.records,
  });
}

export function register(program: Command): void {
  const cmd = new Command("plot")
    .summary("Write an HTML plot of attack results or of an up run")
    .description(
      "Write one self-contained HTML page plotting latency over time (one series per attack name x\n" +
        "OK/ERROR, each downsampled with LTTB). Given a `tidescale up` export (a JSON file with\n" +
        "apiVersion tidescale.dev/up/v1), it draws the run instead: request rates, the metric per pod\n" +
        "against the target, replicas, latency, and the events. It works offline: uPlot is inlined.",
    )
    .argument("[files...]", "results files (default: stdin), or one up export file")
    .option("--title <title>", `page and chart title (default: "${DEFAULT_TITLE}", or the run's HPA)`)
    .option("--threshold <n>", "points per series after downsampling (attack results)", "4000")
    .option("--output <file>", "HTML file (default: stdout)")
    .addHelpText(
      "after",
      "\nExamples:\n  tidescale plot -title 'sample-app 500/s' results.jsonl > plot.html\n" +
        "  tidescale plot run.json > run.html    # run.json: the dashboard's export of tidescale up",
    )
    .action(async (files: string[], o) => {
      const threshold = intFlag("-threshold", 3, o.threshold);
      const upFile = await upExportFile(files);
      if (upFile !== undefined) {
        await writeText(await plotUpExport(upFile, o.title), o.output ?? "");
        return;
      }
      const results = await readAllResults(files);
      const { js, css } = await uplotSources();
      const html = renderPlotHtml(results, {
        title: o.title ?? DEFAULT_TITLE,
        threshold,
        uplotJs: js,
        uplotCss: css,
      });
      await writeText(html, o.output ?? "");
    });
  acceptSingleDashFlags(cmd);
  program.addCommand(cmd);
}
