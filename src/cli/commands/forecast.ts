/**
 * `tidescale forecast`: forecast a series from a CSV file or a Prometheus range query, with p50/p90/p99,
 * the window peak an autoscaler would serve, an optional SVG chart and `--explain` (periods, scores,
 * model choice). See docs/forecasting.md.
 */
import type { Command } from "commander";
import { readCraneDspFile } from "../../adapters/forecast/crane-config.js";
import { writeOutputFile } from "../../adapters/forecast/output-file.js";
import {
  type LoadedSeries,
  loadCsvSeries,
  loadPrometheusSeries,
} from "../../adapters/forecast/series-source.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput } from "../../core/errors.js";
import { forecastChartSvg } from "../../core/predict/chart-svg.js";
import { craneDspForecaster } from "../../core/predict/crane-dsp.js";
import { tail } from "../../core/predict/grid.js";
import { forecasterRegistry } from "../../core/predict/registry.js";
import type { Abstain, Forecast, PeriodScore, QuantileName } from "../../core/predict/types.js";
import { type ServedPeak, servedWindowPeak } from "../../core/predict/window-peak.js";

const num = (v: number): number => Number(v.toPrecision(10));

function parseQuantile(text: string): QuantileName {
  if (text === "p50" || text === "p90" || text === "p99") return text;
  throw invalidInput("--quantile", `want p50, p90 or p99, got "${text}"`);
}

/** Most forecast points one run may produce (a week at 6 s; a horizon is usually minutes to a day). */
export const MAX_HORIZON_SLOTS = 100_000;

/** `--utc-offset` in hours: real offsets are within -12..+14; anything else is a typo. */
export function parseUtcOffset(text: string): number {
  const v = parseNumber(text, "--utc-offset");
  if (v < -14 || v > 14) throw invalidInput("--utc-offset", `want hours between -14 and 14, got ${text}`);
  return v;
}

function parseNumber(text: string, where: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) throw invalidInput(where, `not a number: "${text}"`);
  return v;
}

/** Formats period candidates for --explain. */
export function describeCandidates(c: PeriodScore[] | undefined): string[] {
  if (!c || c.length === 0) return ["  (no period candidates)"];
  return c.map(
    (p) =>
      `  ${formatSeconds(p.seconds).padEnd(8)} score ${p.score.toFixed(3).padStart(6)}  ${p.accepted ? "accepted" : `rejected${p.note ? ` (${p.note})` : ""}`}`,
  );
}

function formatSeconds(s: number): string {
  if (s % 604_800 === 0) return `${s / 604_800}w`;
  if (s % 86_400 === 0) return `${s / 86_400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

function abstainMessage(a: Abstain): string {
  return `model ${a.model} abstained (${a.code}): ${a.message}`;
}

export function register(program: Command): void {
  const names = [...forecasterRegistry().keys()];
  program
    .command("forecast")
    .description(
      "Forecast a series (CSV `timestamp,value` or a Prometheus range query) with p50/p90/p99 quantiles.\n" +
        "The default model `auto` picks the best forecaster by rolling backtest; when a model abstains\n" +
        "it says why (too little history, no period with each candidate's score, too many gaps, ...).",
    )
    .argument("[csv]", "series file with a `timestamp,value` header (Unix seconds or RFC 3339)")
    .option("--prometheus-url <url>", "read the series from this Prometheus instead of a CSV")
    .option("--query <promql>", "PromQL expression returning one series (with --prometheus-url)")
    .option("--range <duration>", "history to read from Prometheus", "14d")
    .option("--step <duration>", "sampling step (Prometheus step; CSV: default = the most common spacing)")
    .option("--end <unix-seconds>", "end of the Prometheus range (default: now)")
    .option("--model <name>", `forecaster: ${names.join(", ")}`, "auto")
    .option("--horizon <duration>", "how far ahead to forecast", "1h")
    .option("--window <duration>", "window for the served peak (Crane predictionWindowSeconds)", "1h")
    .option(
      "--crane-dsp <file>",
      "YAML with Crane's dsp block or a whole Crane EHPA: forecast with crane-dsp configured like it",
    )
    .option("--quantile <q>", "quantile of the served window peak: p50, p90 or p99", "p90")
    .option("--utc-offset <hours>", "UTC offset of the series' local day (weekday/weekend classes)", "0")
    .option("--seed <n>", "seed for randomised steps (Crane's shuffle test)", "1")
    .option("-o, --output-format <format>", "text, csv or json", "text")
    .option("--output <file>", "write the forecast to a file instead of stdout")
    .option(
      "--svg <file>",
      "write an SVG chart of the recent series (8x the horizon, 6h..2d), the forecast and its band",
    )
    .option("--explain", "print the period candidates and scores, the model chosen and why")
    .addHelpText(
      "after",
      "\nExit codes: 0 forecast written (also when `auto` fell back after an abstention, which is reported);\n" +
        '1 the forced --model abstained (the reason is printed; -o json prints {"abstained": ...}); 2 bad input.\n' +
        "\nExample:\n  tidescale forecast examples/traces/checkout-qps.csv --horizon 1h --explain --svg checkout.svg\n" +
        "  tidescale forecast --prometheus-url http://127.0.0.1:9090 --query 'sum(rate(http_requests_total[1m]))' --range 3d --step 1m -o json",
    )
    .action(async (csv: string | undefined, o, cmd: Command) => {
      const format = String(o.outputFormat);
      if (!["text", "csv", "json"].includes(format))
        throw invalidInput("--output-format", `want text, csv or json, got "${format}"`);
      const horizonSec = parseDurationMs(o.horizon, "--horizon") / 1000;
      const windowSec = parseDurationMs(o.window, "--window") / 1000;
      const quantile = parseQuantile(o.quantile);
      const utcOffsetHours = parseUtcOffset(o.utcOffset);
      const seed = parseNumber(o.seed, "--seed");
      const stepSec = o.step ? parseDurationMs(o.step, "--step") / 1000 : undefined;
      if (stepSec !== undefined && !(stepSec > 0)) throw invalidInput("--step", "must be positive");
      const registry = forecasterRegistry();
      let model = registry.get(o.model);
      if (!model) throw invalidInput("--model", `unknown model "${o.model}"; known: ${names.join(", ")}`);
      let windowSeconds = windowSec;
      if (o.craneDsp) {
        if (o.model !== "auto" && o.model !== "crane-dsp")
          throw invalidInput(
            "--crane-dsp",
            `configures crane-dsp; it cannot be combined with --model ${o.model}`,
          );
        const crane = await readCraneDspFile(o.craneDsp);
        model = craneDspForecaster(crane.config);
        if (crane.predictionWindowSeconds !== undefined && cmd.getOptionValueSource("window") === "default")
          windowSeconds = crane.predictionWindowSeconds;
      }
      let loaded: LoadedSeries;
      if (o.prometheusUrl) {
        if (csv) throw invalidInput("csv", "give either a CSV file or --prometheus-url, not both");
        if (!o.query) throw invalidInput("--query", "required with --prometheus-url");
        const rangeSec = parseDurationMs(o.range, "--range") / 1000;
        const endSec = o.end ? parseNumber(o.end, "--end") : Math.floor(Date.now() / 1000);
        loaded = await loadPrometheusSeries({
          url: o.prometheusUrl,
          query: o.query,
          rangeSec,
          stepSec: stepSec ?? 60,
          endSec,
        });
      } else {
        if (!csv) throw invalidInput("csv", "give a CSV file or --prometheus-url with --query");
        loaded = loadCsvSeries(csv, stepSec);
      }
      const series = loaded.series;
      const horizon = Math.max(1, Math.ceil(horizonSec / series.step));
      if (horizon > MAX_HORIZON_SLOTS)
        throw invalidInput(
          "--horizon",
          `${o.horizon} is ${horizon} steps of ${series.step}s; at most ${MAX_HORIZON_SLOTS}`,
        );
      const r = model.forecast(series, { horizon, seed, utcOffsetHours });
      const out = (text: string) => {
        if (o.output) writeOutputFile(o.output, text, "--output");
        else process.stdout.write(text);
      };
      if (!r.ok) {
        if (format === "json") out(`${JSON.stringify({ abstained: r.error }, null, 2)}\n`);
        if (o.explain)
          process.stderr.write(
            `${["period candidates:", ...describeCandidates(r.error.candidates)].join("\n")}\n`,
          );
        process.stderr.write(`error: forecast: ${abstainMessage(r.error)}\n`);
        process.exitCode = 1;
        return;
      }
      const f = r.value;
      const peak = servedWindowPeak(f, quantile, f.start, windowSeconds);
      if (o.svg) {
        const shown = Math.min(172_800, Math.max(21_600, 8 * horizonSec));
        const recent = tail(series, Math.round(shown / series.step));
        writeOutputFile(
          o.svg,
          forecastChartSvg({ actual: recent, forecast: f, title: `${loaded.name}: ${f.model}` }),
          "--svg",
        );
      }
      if (o.explain)
        process.stderr.write(`${[...explain(f, loaded), servedLine(peak, windowSeconds)].join("\n")}\n`);
      else
        for (const n of f.notes)
          if (n.includes(": abstained (")) process.stderr.write(`note: ${n.trim()}; using ${f.model}\n`);
      if (format === "json") {
        const doc = {
          model: f.model,
          step: f.step,
          start: f.start,
          horizon: horizon,
          periods: f.periods,
          candidates: f.candidates ?? [],
          notes: f.notes,
          windowPeak: peak
            ? {
                quantile,
                windowSeconds,
                value: num(peak.value),
                at: peak.at,
                unbounded: num(peak.unbounded),
                bound: peak.bound === undefined ? null : num(peak.bound),
                bounded: peak.bounded,
              }
            : null,
          calibration: f.calibration ?? null,
          points: Array.from(f.p50, (v, i) => ({
            timestamp: f.start + i * f.step,
            p50: num(v),
            p90: num(f.p90[i]!),
            p99: num(f.p99[i]!),
          })),
        };
        out(`${JSON.stringify(doc, null, 2)}\n`);
        return;
      }
      const rows = Array.from(
        f.p50,
        (v, i) => `${f.start + i * f.step},${num(v)},${num(f.p90[i]!)},${num(f.p99[i]!)}`,
      );
      if (format === "csv") {
        out(`timestamp,p50,p90,p99\n${rows.join("\n")}\n`);
        return;
      }
      const lines = [
        `model: ${f.model}   horizon: ${horizon} x ${f.step}s   periods: ${f.periods.map(formatSeconds).join(", ") || "none"}`,
        peak
          ? `window peak (${quantile}, next ${formatSeconds(windowSeconds)}): ${num(peak.value)} at ${peak.at}${peak.bounded ? ` (history bound; unbounded ${num(peak.unbounded)})` : ""}`
          : "window peak: no forecast slot in the window",
        "",
        "TIMESTAMP    P50          P90          P99",
        ...Array.from(
          f.p50,
          (v, i) =>
            `${String(f.start + i * f.step).padEnd(12)} ${String(num(v)).padEnd(12)} ${String(num(f.p90[i]!)).padEnd(12)} ${num(f.p99[i]!)}`,
        ),
      ];
      out(`${lines.join("\n")}\n`);
    });
}

/** The served value and whether the history bound applied (`--explain`). */
function servedLine(peak: ServedPeak | undefined, windowSeconds: number): string {
  if (!peak) return "served: nothing (no finite forecast slot in the window)";
  const bound =
    peak.bound === undefined
      ? "no history bound (model without one)"
      : peak.bounded
        ? `history bound ${num(peak.bound)} applied (unbounded ${num(peak.unbounded)})`
        : `history bound ${num(peak.bound)} not reached`;
  return `served: ${peak.quantile} window peak over the next ${formatSeconds(windowSeconds)} = ${num(peak.value)}; ${bound}`;
}

function explain(f: Forecast, loaded: LoadedSeries): string[] {
  const s = loaded.series;
  let missing = 0;
  for (const v of s.values) if (Number.isNaN(v)) missing++;
  return [
    `series: ${loaded.name}: ${loaded.points} points on a ${s.step}s grid of ${s.values.length} slots (${missing} missing)`,
    "period candidates:",
    ...describeCandidates(f.candidates),
    `model: ${f.model}`,
    ...f.notes.map((n) => (n.startsWith("  ") ? n : `  ${n}`)),
  ];
}
