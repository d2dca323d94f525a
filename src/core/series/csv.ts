/**
 * The `timestamp,value` series file (conventions: "Series files are CSV with a `timestamp,value` header").
 *
 * Pure: text in, points out. Every error is an INVALID_INPUT `ToolkitError` whose `where` is
 * `<name>:<line>` (1-based line numbers, as editors show them), so a CLI prints
 * `error: trace.csv:17: value "abc" is not a number`.
 */
import { invalidInput } from "../errors.js";

/** One sample of a series: `t` in milliseconds since the Unix epoch, `v` the value. */
export interface SeriesPoint {
  readonly t: number;
  readonly v: number;
}

/** Options for {@link parseSeriesCsv}. */
export interface SeriesCsvOptions {
  /** Name used in error positions (usually the file path). Default `"csv"`. */
  readonly name?: string;
  /** Reject negative values (request rates, counts). Default false. */
  readonly nonNegative?: boolean;
}

/** Accepted spellings of the header's first column. `ts` is what Crane's DSP test data uses. */
const TIME_HEADERS = new Set(["timestamp", "ts", "time"]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a timestamp as the conventions define times: RFC 3339 (`2024-04-15T00:00:00Z`) or Unix seconds
 * (`1713139200`, fractions allowed). Returns milliseconds since the epoch, or undefined when malformed.
 */
export function parseTimestampMs(text: string): number | undefined {
  const s = text.trim();
  if (NUMBER.test(s)) {
    const sec = Number(s);
    return Number.isFinite(sec) ? Math.round(sec * 1000) : undefined;
  }
  if (!RFC3339.test(s)) return undefined;
  const ms = Date.parse(s.replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Parses a `timestamp,value` CSV. Rules (each violation names the line):
 * - the first non-blank line must be the header `timestamp,value` (`ts,value` and `time,value` accepted);
 * - each following line has exactly two fields; blank lines and `#` comments are skipped;
 * - timestamps are RFC 3339 or Unix seconds, strictly increasing (no duplicates, no going back);
 * - values are finite decimal numbers (no NaN/Inf); optionally non-negative;
 * - at least one data row.
 * Handles `\r\n` line endings and a UTF-8 BOM.
 */
export function parseSeriesCsv(text: string, options: SeriesCsvOptions = {}): SeriesPoint[] {
  const name = options.name ?? "csv";
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  const points: SeriesPoint[] = [];
  let sawHeader = false;
  let prevT = Number.NEGATIVE_INFINITY;
  let prevLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${name}:${lineNo}`;
    const line = lines[i]!.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(",").map((f) => f.trim());
    if (!sawHeader) {
      const [h0, h1] = fields;
      if (fields.length !== 2 || !TIME_HEADERS.has(h0!.toLowerCase()) || h1!.toLowerCase() !== "value")
        throw invalidInput(where, `expected the header "timestamp,value", got "${truncate(line)}"`);
      sawHeader = true;
      continue;
    }
    if (fields.length !== 2)
      throw invalidInput(where, `expected 2 fields "timestamp,value", got ${fields.length}`);
    const [ts, vs] = fields as [string, string];
    const t = parseTimestampMs(ts);
    if (t === undefined)
      throw invalidInput(where, `timestamp "${truncate(ts)}" is neither RFC 3339 nor Unix seconds`);
    if (!NUMBER.test(vs)) throw invalidInput(where, `value "${truncate(vs)}" is not a number`);
    const v = Number(vs);
    if (!Number.isFinite(v)) throw invalidInput(where, `value "${truncate(vs)}" is not finite`);
    if (options.nonNegative && v < 0) throw invalidInput(where, `value ${vs} must not be negative`);
    if (t === prevT) throw invalidInput(where, `duplicate timestamp ${ts} (also on line ${prevLine})`);
    if (t < prevT)
      throw invalidInput(where, `timestamp ${ts} is earlier than line ${prevLine}'s; sort the rows`);
    points.push({ t, v });
    prevT = t;
    prevLine = lineNo;
  }
  if (!sawHeader) throw invalidInput(name, 'empty series: expected the header "timestamp,value" and rows');
  if (points.length === 0) throw invalidInput(name, "no data rows after the header");
  return points;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
