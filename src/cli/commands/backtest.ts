/**
 * `tidescale backtest`: rolling-origin evaluation of every forecaster (and the seasonal-naive baseline)
 * over one or more `timestamp,value` CSVs: WAPE, MAE, under-prediction, served window-peak ratios, the
 * share of windows whose served peak is under the actual peak by more than 10 % and the share over 2x
 * it, with and without marked spikes. Origins cover the last `--days`, or start once `--from` of history
 * exists.
 */
import { basename } from "node:path";
import type { Command } from "commander";
import { writeOutputFile } from "../../adapters/forecast/output-file.js";
import { loadCsvSeries, loadSpikes } from "../../adapters/forecast/series-source.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput } from "../../core/errors.js";
import {
  type BacktestMetrics,
  backtest,
  hourlyOrigins,
  originsAfterHistory,
  type WindowScore,
} from "../../core/predict/backtest.js";
import { forecasterRegistry } from "../../core/predict/registry.js";
import type { QuantileName } from "../../core/predict/types.js";
import { MAX_HORIZON_SLOTS, parseUtcOffset } from "./forecast.js";

/** One row of the report. */
export interface BacktestRow extends Omit<BacktestMetrics, "windowScores"> {
  file: string;
  origins: number;
  /** Per-window scores (JSON with --windows). */
  windowScores?: WindowScore[];
}

/** Most origins one backtest evaluates per file (the default, 7 days hourly, is 168). */
export const MAX_ORIGINS = 5_000;

const DEFAULT_MODELS = [
  "multi-seasonal",
  "crane-dsp",
  "holt-winters",
  "percentile",
  "linear-trend",
  "seasonal-naive",
  "recent-level",
];

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const r3 = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)) : null);

/** The kubectl-style table of a report. */
export function formatBacktestTable(rows: BacktestRow[]): string {
  const head = [
    "FILE",
    "MODEL",
    "WAPE",
    "MAE",
    "UNDER",
    "PEAK-MED",
    "PEAK-P10",
    "PEAK<0.9",
    "PEAK<0.9-NOSPIKE",
    "PEAK>2X-NOSPIKE",
    "PEAK-MED-NOSPIKE",
    "ABSTAIN",
  ];
  const body = rows.map((r) => [
    r.file,
    r.forecaster,
    r.wape.toFixed(3),
    r.mae.toPrecision(3),
    pct(r.underShare),
    Number.isFinite(r.peakRatioMedian) ? r.peakRatioMedian.toFixed(2) : "-",
    Number.isFinite(r.peakRatioP10) ? r.peakRatioP10.toFixed(2) : "-",
    pct(r.peakMissShare),
    pct(r.peakMissShareWithoutSpikes),
    pct(r.peakOver2ShareWithoutSpikes),
    Number.isFinite(r.peakRatioMedianWithoutSpikes) ? r.peakRatioMedianWithoutSpikes.toFixed(2) : "-",
    r.abstainRate > 0
      ? `${pct(r.abstainRate)} ${Object.entries(r.abstainReasons)
          .map(([k, v]) => `${k}:${v}`)
          .join(",")}`
      : "0.0%",
  ]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return `${all.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("   ")).join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("backtest")
    .description(
      "Rolling-origin evaluation: at every hourly origin over the last N days (or from the first origin with\n" +
        "--from of history) each forecaster sees only the past and forecasts the next H minutes. Point metrics\n" +
        "use p50; the window peak is the served one (servedWindowPeak at --quantile, history bound applied).\n" +
        "Abstentions are scored with the recent-level fallback and counted in ABSTAIN.",
    )
    .argument("<csv...>", "series files with a `timestamp,value` header")
    .option("--days <n>", "evaluate origins over the last N days", "7")
    .option("--from <duration>", "instead of --days: origins from the first with this much history (e.g. 2d)")
    .option("--windows", "JSON: include every window's score (origin, served, actualPeak, peakRatio, ...)")
    .option("--horizon <duration>", "forecast horizon per origin", "60m")
    .option("--every <duration>", "spacing of origins (aligned to it)", "1h")
    .option(
      "--models <list>",
      "comma-separated forecasters (seasonal-naive is always added)",
      DEFAULT_MODELS.join(","),
    )
    .option("--quantile <q>", "quantile served for the window peak: p50, p90 or p99", "p90")
    .option("--events <file>", "marked spikes (default: manifest.json next to each CSV, when present)")
    .option("--utc-offset <hours>", "UTC offset of the series' local day", "0")
    .option("-o, --output-format <format>", "text or json", "text")
    .option("--output <file>", "write the report to a file instead of stdout")
    .addHelpText(
      "after",
      "\nEvents: a traces manifest (traces[].events[] with start_index, end_index_exclusive, counts_as_spike)\n" +
        'or {"events": [{"start": <unix s>, "end": <unix s>, "countsAsSpike": true}]}; see docs/forecasting.md.\n' +
        "\nExample:\n  tidescale backtest examples/traces/checkout-qps.csv --days 0.5 --horizon 30m\n" +
        "  tidescale backtest examples/traces/t1_retail_webshop.csv --days 7 --horizon 60m\n" +
        "  tidescale backtest examples/traces/t4_level_shift_gaps.csv --from 2d --models multi-seasonal\n" +
        "  tidescale backtest examples/traces/*.csv --models multi-seasonal,crane-dsp -o json --output report.json",
    )
    .action((files: string[], o, cmd: Command) => {
      const format = String(o.outputFormat);
      if (!["text", "json"].includes(format))
        throw invalidInput("--output-format", `want text or json, got "${format}"`);
      const days = Number(o.days);
      if (!(days > 0)) throw invalidInput("--days", `want a positive number, got "${o.days}"`);
      if (o.from !== undefined && cmd.getOptionValueSource("days") === "cli")
        throw invalidInput("--from", "give either --days or --from, not both");
      const fromSec = o.from === undefined ? undefined : parseDurationMs(o.from, "--from") / 1000;
      if (fromSec !== undefined && !(fromSec > 0)) throw invalidInput("--from", "must be positive");
      const horizonSec = parseDurationMs(o.horizon, "--horizon") / 1000;
      const everySec = parseDurationMs(o.every, "--every") / 1000;
      if (!(horizonSec > 0) || !(everySec > 0))
        throw invalidInput("--horizon", "horizon and --every must be positive");
      const q = String(o.quantile);
      if (q !== "p50" && q !== "p90" && q !== "p99")
        throw invalidInput("--quantile", `want p50, p90 or p99, got "${q}"`);
      const utcOffsetHours = parseUtcOffset(o.utcOffset);
      const registry = forecasterRegistry();
      const models = String(o.models)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (!models.includes("seasonal-naive")) models.push("seasonal-naive");
      for (const m of models)
        if (!registry.has(m))
          throw invalidInput("--models", `unknown model "${m}"; known: ${[...registry.keys()].join(", ")}`);
      const loaded = files.map((f) => loadCsvSeries(f));
      const rows: BacktestRow[] = [];
      const tty = process.stderr.isTTY;
      for (const [i, l] of loaded.entries()) {
        const series = l.series;
        const spikes = loadSpikes(files[i]!, series, o.events);
        const horizon = Math.max(1, Math.round(horizonSec / series.step));
        if (horizon > MAX_HORIZON_SLOTS)
          throw invalidInput(
            "--horizon",
            `${o.horizon} is ${horizon} steps of ${series.step}s; at most ${MAX_HORIZON_SLOTS}`,
          );
        const origins =
          fromSec === undefined
            ? hourlyOrigins(series, days, horizon, everySec)
            : originsAfterHistory(series, fromSec, horizon, everySec);
        const span = fromSec === undefined ? `over ${days}d` : `from ${o.from} of history`;
        if (origins.length > MAX_ORIGINS)
          throw invalidInput(
            "--every",
            `${origins.length} origins ${span} every ${o.every}; at most ${MAX_ORIGINS} (raise --every or shorten the span)`,
          );
        if (origins.length === 0)
          throw invalidInput(
            files[i]!,
            fromSec === undefined
              ? `no origin fits: the series is shorter than ${days}d plus the horizon`
              : `no origin fits: the series is shorter than ${o.from} of history plus the horizon`,
          );
        for (const m of models) {
          if (tty) process.stderr.write(`\r${basename(files[i]!)}: ${m}...`.padEnd(60));
          const res = backtest(series, registry.get(m)!, {
            origins,
            horizon,
            peakQuantile: q as QuantileName,
            spikes,
            fallback: registry.get("recent-level")!,
            utcOffsetHours,
          });
          const { windowScores, ...rest } = res;
          const row: BacktestRow = { file: basename(files[i]!), origins: origins.length, ...rest };
          if (o.windows) row.windowScores = windowScores;
          rows.push(row);
        }
      }
      if (tty) process.stderr.write(`\r${"".padEnd(60)}\r`);
      const text =
        format === "json"
          ? `${JSON.stringify(
              {
                quantile: q,
                ...(fromSec === undefined ? { days } : { fromSeconds: fromSec }),
                horizonSeconds: horizonSec,
                rows: rows.map((r) => ({
                  ...r,
                  wape: r3(r.wape),
                  mae: r3(r.mae),
                  underShare: r3(r.underShare),
                  underVolume: r3(r.underVolume),
                  peakRatioMedian: r3(r.peakRatioMedian),
                  peakRatioP10: r3(r.peakRatioP10),
                  peakMissShare: r3(r.peakMissShare),
                  peakMissShareWithoutSpikes: r3(r.peakMissShareWithoutSpikes),
                  peakRatioMedianWithoutSpikes: r3(r.peakRatioMedianWithoutSpikes),
                  peakOver2Share: r3(r.peakOver2Share),
                  peakOver2ShareWithoutSpikes: r3(r.peakOver2ShareWithoutSpikes),
                  wapeWithoutSpikes: r3(r.wapeWithoutSpikes),
                  abstainRate: r3(r.abstainRate),
                })),
              },
              null,
              2,
            )}\n`
          : formatBacktestTable(rows);
      if (o.output) writeOutputFile(o.output, text, "--output");
      else process.stdout.write(text);
    });
}
