/**
 * `tidescale simulate <scenario.yaml>`: replays load through the exact HPA engine at the sync period and
 * prints what `kubectl get hpa -w` and `kubectl get events` would have shown, plus a summary
 * (see docs/simulate.md).
 */
import { once } from "node:events";
import type { Command } from "commander";
import { batchChunks, readScenarioFile, writeOutputFile } from "../../adapters/files/scenario-file.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput } from "../../core/errors.js";
import { renderChartSvg } from "../../core/sim/chart-svg.js";
import { humanDuration } from "../../core/sim/kubectl-format.js";
import {
  describeLoad,
  referenceOf,
  renderEventsTable,
  renderSummary,
  renderWatchTable,
  simulationJsonChunks,
  timelineCsv,
  watchRows,
} from "../../core/sim/report.js";
import { type SimulationRun, simulate } from "../../core/sim/simulate.js";

/** Watch-table rows shown by default before the middle is elided. */
const DEFAULT_MAX_ROWS = 60;

interface SimulateFlags {
  output: string;
  csv?: string;
  json?: string;
  svg?: string;
  duration?: string;
  syncPeriod?: string;
  allRows?: boolean;
}

/** Writes to stdout (the default sink of {@link runSimulate}). */
const toStdout = (s: string): void => {
  process.stdout.write(s);
};

/** Runs the command body; exported for tests that call it in-process. */
export async function runSimulate(
  file: string,
  o: SimulateFlags,
  write: (s: string) => void = toStdout,
): Promise<SimulationRun> {
  if (o.output !== "text" && o.output !== "json")
    throw invalidInput("--output", `want "text" or "json", got "${o.output}"`);
  const overrides: { durationMs?: number; syncPeriodMs?: number } = {};
  if (o.duration !== undefined) {
    overrides.durationMs = parseDurationMs(o.duration, "--duration");
    if (overrides.durationMs <= 0) throw invalidInput("--duration", "must be greater than 0");
  }
  if (o.syncPeriod !== undefined) {
    overrides.syncPeriodMs = parseDurationMs(o.syncPeriod, "--sync-period");
    if (overrides.syncPeriodMs <= 0) throw invalidInput("--sync-period", "must be greater than 0");
  }
  const scenario = await readScenarioFile(file, overrides);
  for (const w of scenario.warnings) process.stderr.write(`warning: ${w}\n`);
  const progress = process.stderr.isTTY && o.output === "text" ? tickProgress() : undefined;
  const options = progress ? { onProgress: progress } : {};
  // With prediction or crons the scenario is an EHPA: simulate it and the HPA alone, and compare.
  // (loaded only then: the EHPA core brings the cron parser and the forecasters)
  const predictive = scenario.spec.predictive ? await import("../../core/sim/predictive.js") : undefined;
  const comparison = predictive?.simulatePredictive(scenario.spec, scenario.hpa, scenario.load, options);
  const run = comparison
    ? comparison.predictive
    : simulate(scenario.spec, scenario.hpa, scenario.load, options);
  if (progress) process.stderr.write("\r\x1b[K");
  // -o json / --json of a predictive scenario: the predictive run plus the comparison with the HPA alone.
  const extra = comparison && predictive ? { comparison: predictive.comparisonJson(comparison) } : {};

  if (o.csv) await writeOutputFile(o.csv, timelineCsv(run), "--csv");
  if (o.json) await writeOutputFile(o.json, jsonDocument(run, extra), "--json");
  if (o.svg) {
    const tl = run.timeline;
    const svg = renderChartSvg({
      title: `${run.name}: HPA ${run.hpa.metadata.name} on ${referenceOf(run)}`,
      tMs: tl.tMs.subarray(0, tl.length),
      load: tl.load.subarray(0, tl.length),
      endMs: run.durationMs,
      ...(Number.isFinite(run.capacityPerPod)
        ? {
            capacity: {
              tMs: run.readyTrace.map((r) => r.tMs),
              values: run.readyTrace.map((r) => r.readyPods * run.capacityPerPod),
            },
            underProvisioned: run.underProvisioned,
          }
        : {}),
      replicas: tl.replicas.subarray(0, tl.length),
      maxReplicas: run.hpa.spec.maxReplicas,
      loadLabel: "load (per second)",
    });
    await writeOutputFile(o.svg, svg, "--svg");
  }

  if (o.output === "json") {
    for (const batch of batchChunks(jsonDocument(run, extra))) {
      write(batch);
      // A long run's document is hundreds of MB: let a pipe drain instead of buffering it all.
      if (write === toStdout && process.stdout.writableNeedDrain) await once(process.stdout, "drain");
    }
    return run;
  }
  const hpa = run.hpa;
  write(
    `Simulating ${run.name}: HPA ${hpa.metadata.namespace}/${hpa.metadata.name} on ${referenceOf(run)}, ` +
      `${humanDuration(run.durationMs)} of load, a reconcile every ${humanDuration(run.syncPeriodMs)}, ` +
      `starting at ${run.startReplicas} replica${run.startReplicas === 1 ? "" : "s"}.\n` +
      `Load (per second): ${describeLoad(scenario.components)}.\n\n`,
  );
  write("$ kubectl get hpa -w\n");
  write(renderWatchTable(run, watchRows(run), o.allRows ? undefined : DEFAULT_MAX_ROWS));
  write("(REPLICAS is status.currentReplicas: as in kubectl, a new size shows one sync after its event.)\n");
  write("\n$ kubectl get events   (AT = simulated time of the event)\n");
  write(renderEventsTable(run));
  write("\nSummary\n");
  write(renderSummary(run));
  if (comparison && predictive) write(`\n${predictive.renderComparison(comparison)}`);
  const written = [
    o.csv && `CSV timeline ${o.csv}`,
    o.json && `JSON ${o.json}`,
    o.svg && `chart ${o.svg}`,
  ].filter(Boolean);
  if (written.length) write(`\nWrote ${written.join(", ")}.\n`);
  else write("\nMore: --svg chart.svg (load, capacity, replicas), --csv timeline.csv, -o json.\n");
  return run;
}

/** The JSON document and its final newline, in pieces (a year at 15 s is larger than one string). */
function* jsonDocument(run: SimulationRun, extra: Record<string, unknown>): Generator<string> {
  yield* simulationJsonChunks(run, extra);
  yield "\n";
}

let pipeGuard = false;

/** `tidescale simulate ... | head` closes the pipe early: stop quietly instead of crashing. */
function quietOnClosedPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

/** A one-line progress display on stderr (TTY only), at most a few updates per second. */
function tickProgress(): (tMs: number, durationMs: number) => void {
  let last = 0;
  return (tMs, durationMs) => {
    const now = performance.now();
    if (now - last < 200) return;
    last = now;
    const pct = Math.floor((tMs / durationMs) * 100);
    process.stderr.write(
      `\r\x1b[Ksimulating ${humanDuration(tMs)} of ${humanDuration(durationMs)} (${pct}%)`,
    );
  };
}

export function register(program: Command): void {
  program
    .command("simulate")
    .description(
      "Replay load through the exact HPA engine, one reconcile per sync period (15s by default), with\n" +
        "pods that start, become ready and serve load. Prints the `kubectl get hpa -w` view, the events\n" +
        "and a summary (pod-hours, minutes under-provisioned, peak replicas, scale events).",
    )
    .argument("<scenario>", "scenario YAML (kind: Simulation; see docs/simulate.md)")
    .option("-o, --output <format>", "text or json (the stable format in docs/simulate.md)", "text")
    .option("--csv <file>", "write the per-reconcile timeline as CSV")
    .option("--json <file>", "write the JSON document (as -o json prints) to a file")
    .option("--svg <file>", "write a chart of load, capacity and replicas as SVG")
    .option("--duration <duration>", "override spec.duration (Go syntax: 40m, 30d)")
    .option("--sync-period <duration>", "override spec.syncPeriod (kube-controller-manager's 15s default)")
    .option("--all-rows", "print every watch row instead of eliding the middle of long tables")
    .addHelpText(
      "after",
      "\nExample:\n  tidescale simulate examples/seed-qps.yaml --svg seed-qps.svg --csv seed-qps.csv\n" +
        "  tidescale simulate examples/daily-cpu.yaml -o json | jq .summary",
    )
    .action(async (file: string, o: SimulateFlags) => {
      quietOnClosedPipe();
      await runSimulate(file, o);
    });
}
