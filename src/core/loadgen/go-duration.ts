/**
 * Go `time.Duration` text for integer nanoseconds, as vegeta prints it: `Duration.String()` and the
 * report's "round to the next smaller unit" rule (`lib/reporters.go` round()).
 */

const NS_PER_US = 1_000;
const NS_PER_MS = 1_000_000;
const NS_PER_S = 1_000_000_000;
const NS_PER_MIN = 60 * NS_PER_S;
const NS_PER_H = 60 * NS_PER_MIN;

/** Digits of `v / 10^prec` fraction part without trailing zeros (Go's fmtFrac), plus the integer part. */
function splitFrac(v: number, prec: number): { int: number; frac: string } {
  const p = 10 ** prec;
  const int = Math.floor(v / p);
  const rest = v - int * p;
  if (rest === 0) return { int, frac: "" };
  return { int, frac: `.${String(rest).padStart(prec, "0").replace(/0+$/, "")}` };
}

/**
 * Formats integer nanoseconds exactly as Go's `time.Duration.String()`: `0s`, `850ns`, `1.5µs`,
 * `12.345ms`, `1.2s`, `1m30s`, `2h0m0s`.
 */
export function formatGoDuration(ns: number): string {
  const neg = ns < 0;
  let u = Math.abs(Math.trunc(ns));
  let out: string;
  if (u === 0) return "0s";
  if (u < NS_PER_S) {
    if (u < NS_PER_US) out = `${u}ns`;
    else if (u < NS_PER_MS) {
      const { int, frac } = splitFrac(u, 3);
      out = `${int}${frac}µs`;
    } else {
      const { int, frac } = splitFrac(u, 6);
      out = `${int}${frac}ms`;
    }
  } else {
    const { int, frac } = splitFrac(u, 9);
    u = int;
    out = `${u % 60}${frac}s`;
    u = Math.floor(u / 60);
    if (u > 0) {
      out = `${u % 60}m${out}`;
      u = Math.floor(u / 60);
      if (u > 0) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** Go's `Duration.Round(m)`: halves round away from zero. */
export function roundDuration(ns: number, m: number): number {
  if (m <= 0) return ns;
  const neg = ns < 0;
  const a = Math.abs(ns);
  const r = a % m;
  const rounded = r + r < m ? a - r : a + m - r;
  return neg ? -rounded : rounded;
}

const UNITS = [NS_PER_H, NS_PER_MIN, NS_PER_S, NS_PER_MS, NS_PER_US, 1];

/**
 * vegeta's text-report rounding: a duration of at least one unit is rounded to the next smaller unit
 * (so milliseconds keep microsecond precision, seconds keep milliseconds).
 */
export function roundToNextUnit(ns: number): number {
  for (let i = 0; i < UNITS.length - 1; i++) {
    if (ns >= UNITS[i]!) return roundDuration(ns, UNITS[i + 1]!);
  }
  return ns;
}
