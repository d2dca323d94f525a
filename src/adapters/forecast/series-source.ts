/**
 * Where `tidescale forecast` and `tidescale backtest` get series: a `timestamp,value` CSV file (parsed by
 * core/series/csv.ts, errors name the line) or a Prometheus range query (adapters/prometheus/client.ts).
 * Also loads marked events (spikes) for the backtest: a traces manifest or our own events file.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import type { SpikeRange } from "../../core/predict/backtest.js";
import { MAX_GRID_SLOTS, toRegularGrid } from "../../core/predict/grid.js";
import type { RegularSeries } from "../../core/predict/types.js";
import { parseSeriesCsv } from "../../core/series/csv.js";
import { readFileError } from "../files/file-error.js";
import { createPrometheusClient, type PrometheusClient } from "../prometheus/client.js";

/** A loaded series: raw points (seconds) and the regular grid built from them. */
export interface LoadedSeries {
  name: string;
  series: RegularSeries;
  points: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw readFileError(e, path);
  }
}

/** Reads a CSV file; at least 2 points. `step` in seconds, or inferred. */
export function loadCsvSeries(path: string, step?: number): LoadedSeries {
  const text = readText(path);
  const pts = parseSeriesCsv(text, { name: path });
  if (pts.length < 2) {
    const lines = text.split("\n");
    const line = lines.findIndex((l, i) => i > 0 && l.trim() !== "" && !l.trim().startsWith("#")) + 1;
    throw invalidInput(`${path}:${line}`, "only one data point; a forecast needs at least 2");
  }
  const ts = pts.map((p) => p.t / 1000);
  const vs = pts.map((p) => p.v);
  const big = vs.findIndex((v) => Math.abs(v) > MAX_ABS_VALUE);
  if (big >= 0)
    throw invalidInput(
      `${path}:${dataLine(text, big)}`,
      `value ${vs[big]} is too large (at most ${MAX_ABS_VALUE} in magnitude; sums of squares must stay finite)`,
    );
  return { name: path, series: toRegularGrid(ts, vs, step, path), points: pts.length };
}

/** Largest value magnitude a series may hold: the models square and sum values, which must stay finite. */
export const MAX_ABS_VALUE = 1e100;

/** 1-based line number of the `index`-th data row (after the header; blank and `#` lines skipped). */
function dataLine(text: string, index: number): number {
  const lines = text.split("\n");
  let seen = -1; // the header is row -1
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.replace(/^\uFEFF/, "").trim();
    if (l === "" || l.startsWith("#")) continue;
    if (seen === index) return i + 1;
    seen++;
  }
  return lines.length;
}

/** Prometheus refuses range queries over 11,000 points per series; chunks stay under this. */
export const MAX_POINTS_PER_QUERY = 10_000;

/**
 * Runs a Prometheus range query ending at `endSec`, split into chunks of at most 10,000 steps (as Crane
 * splits at `--prometheus-maxpoints`); the query must return exactly one series.
 */
export async function loadPrometheusSeries(opts: {
  url: string;
  query: string;
  rangeSec: number;
  stepSec: number;
  endSec: number;
  /** A long-lived client to reuse (the controller's); a one-off client is made and closed otherwise. */
  client?: PrometheusClient;
}): Promise<LoadedSeries> {
  const slots = Math.floor(opts.rangeSec / opts.stepSec) + 1;
  if (!(slots <= MAX_GRID_SLOTS))
    throw invalidInput(
      "--range",
      `${opts.rangeSec}s at a ${opts.stepSec}s step is ${slots} points; at most ${MAX_GRID_SLOTS} (raise --step)`,
    );
  const client = opts.client ?? createPrometheusClient({ url: opts.url });
  try {
    const start = opts.endSec - opts.rangeSec;
    const bySeries = new Map<string, Array<[number, string]>>();
    const chunk = (MAX_POINTS_PER_QUERY - 1) * opts.stepSec;
    for (let s = start; s <= opts.endSec; s += chunk + opts.stepSec) {
      const e = Math.min(opts.endSec, s + chunk);
      for (const r of await client.queryRange(opts.query, s, e, opts.stepSec)) {
        const key = JSON.stringify(r.metric);
        const list = bySeries.get(key) ?? [];
        list.push(...r.values);
        bySeries.set(key, list);
      }
    }
    if (bySeries.size === 0) throw new ToolkitError("NOT_FOUND", "--query", "the query returned no series");
    if (bySeries.size > 1)
      throw invalidInput(
        "--query",
        `the query returned ${bySeries.size} series; aggregate it to one (e.g. sum(...)): ${[
          ...bySeries.keys(),
        ]
          .slice(0, 3)
          .join(", ")}`,
      );
    const values = [...bySeries.values()][0]!;
    if (values.length < 2)
      throw invalidInput("--query", `the query returned ${values.length} sample(s); need 2`);
    const ts = values.map((v) => v[0]);
    const vs = values.map((v) => Number(v[1]));
    return { name: opts.query, series: toRegularGrid(ts, vs, opts.stepSec), points: values.length };
  } finally {
    if (!opts.client) await client.close();
  }
}

/**
 * Loads the marked spikes for a series, as slot ranges of `series`. Formats (docs/forecasting.md):
 * - a traces manifest: `{ "start_timestamp", "format": {"step_seconds"}, "traces": [{ "file", "events":
 *   [{ "start_index", "end_index_exclusive", "counts_as_spike" }] }] }` (the entry whose file matches);
 * - an events file: `{ "events": [{ "start": <unix s>, "end": <unix s, exclusive>, "countsAsSpike": true }] }`.
 * With no `eventsPath`, `manifest.json` next to the CSV is used when it exists.
 */
export function loadSpikes(csvPath: string, series: RegularSeries, eventsPath?: string): SpikeRange[] {
  const path = eventsPath ?? join(dirname(csvPath), "manifest.json");
  if (!eventsPath && !existsSync(path)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readText(path));
  } catch (e) {
    if (e instanceof ToolkitError) throw e;
    throw invalidInput(path, `not valid JSON: ${(e as Error).message}`);
  }
  const toSlots = (startSec: number, endSec: number): SpikeRange => ({
    start: Math.floor((startSec - series.start) / series.step),
    end: Math.ceil((endSec - series.start) / series.step),
  });
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  /** Checks one event's bounds (numbers, end after start) and its optional boolean flag. */
  const checkEvent = (e: unknown, where: string, from: string, to: string, flag: string) => {
    if (!isObject(e)) throw invalidInput(where, "must be an object");
    if (!finite(e[from]) || !finite(e[to])) throw invalidInput(where, `needs numeric ${from} and ${to}`);
    if (e[to] <= e[from]) throw invalidInput(`${where}.${to}`, `must be greater than ${from} (${e[from]})`);
    if (e[flag] !== undefined && typeof e[flag] !== "boolean")
      throw invalidInput(`${where}.${flag}`, `must be true or false, got ${JSON.stringify(e[flag])}`);
    return e as Record<string, number | boolean | undefined>;
  };
  const d = isObject(doc) ? doc : {};
  if (Array.isArray(d.events)) {
    return d.events.flatMap((raw, i) => {
      const where = `${path}: events[${i}]`;
      if (!isObject(raw) || !finite(raw.start) || !finite(raw.end))
        throw invalidInput(where, "needs numeric start and end (Unix seconds)");
      const e = checkEvent(raw, where, "start", "end", "countsAsSpike");
      return e.countsAsSpike === false ? [] : [toSlots(e.start as number, e.end as number)];
    });
  }
  if (Array.isArray(d.traces)) {
    const base = basename(csvPath);
    const i = d.traces.findIndex((t) => isObject(t) && t.file === base);
    if (i < 0) return [];
    const tr = d.traces[i] as Record<string, unknown>;
    const start = d.start_timestamp;
    if (!finite(start)) throw invalidInput(`${path}: start_timestamp`, "must be a number (Unix seconds)");
    const step = isObject(d.format) ? (d.format.step_seconds ?? 60) : 60;
    if (!finite(step) || step <= 0)
      throw invalidInput(`${path}: format.step_seconds`, "must be a positive number");
    if (tr.events !== undefined && !Array.isArray(tr.events))
      throw invalidInput(`${path}: traces[${i}].events`, "must be a list");
    return ((tr.events as unknown[] | undefined) ?? [])
      .map((raw, j) =>
        checkEvent(
          raw,
          `${path}: traces[${i}].events[${j}]`,
          "start_index",
          "end_index_exclusive",
          "counts_as_spike",
        ),
      )
      .filter((e) => e.counts_as_spike === true)
      .map((e) =>
        toSlots(start + (e.start_index as number) * step, start + (e.end_index_exclusive as number) * step),
      );
  }
  throw invalidInput(
    path,
    'expected an events file {"events": [...]} or a traces manifest {"traces": [...]}',
  );
}
