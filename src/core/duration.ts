/**
 * Go / Prometheus duration syntax: `300ms`, `15s`, `5m`, `1h30m`, `1.5h`, `2d`, `1w`.
 * Units: ns, us (µs), ms, s, m, h, and Prometheus' d (24h), w (7d), y (365d). A bare `0` is allowed.
 */
import { invalidInput } from "./errors.js";

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w|y)/y;

/** Parses a duration into milliseconds, or returns undefined when the text is not a duration. */
export function tryParseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (s === "") return undefined;
  let i = 0;
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    sign = s[0] === "-" ? -1 : 1;
    i = 1;
  }
  let total = 0;
  let parts = 0;
  while (i < s.length) {
    PART.lastIndex = i;
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    i = PART.lastIndex;
    parts++;
  }
  return parts > 0 ? sign * total : undefined;
}

/** Parses a duration into milliseconds; throws INVALID_INPUT naming `where` when malformed or negative. */
export function parseDurationMs(text: string, where: string): number {
  const v = tryParseDurationMs(text);
  if (v === undefined)
    throw invalidInput(where, `invalid duration "${text}" (use Go syntax such as 15s, 5m, 1h30m)`);
  if (v < 0) throw invalidInput(where, `duration must not be negative, got "${text}"`);
  return v;
}

/** Formats milliseconds the way Go's time.Duration prints: `1h30m0s`, `15s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? "-" : ""}${+rest.toFixed(3)}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = +(rest / 1000).toFixed(3);
  let out = neg ? "-" : "";
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  return `${out}${s}s`;
}
