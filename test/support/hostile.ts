/**
 * Deterministic hostile strings for fuzz tests: pieces that end strings, selectors and expressions in
 * PromQL (quotes of every kind, backslashes, braces, operators, comments), regex metacharacters,
 * control characters, non-ASCII text and lone UTF-16 surrogates, in random mixes. Seeded: the same seed
 * gives the same strings on every machine.
 */
import { seededRandom } from "../../src/core/predict/crane-dsp.js";

const PIECES = [
  '"',
  "'",
  "`",
  "\\",
  '\\"',
  "}",
  "{",
  ")",
  "(",
  "]",
  "[5m]",
  ",",
  '"} or vector(1) or {a="',
  "'} or vector(1) or {a='",
  '"}) + on() vector(1e9',
  " or ",
  " unless ",
  "#",
  "=~",
  "!=",
  ".*",
  "|",
  "$",
  "^",
  "+",
  "?",
  "a",
  "web-1",
  "x.y",
  "\n",
  "\t",
  "\r",
  "\u0000",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u2028",
  "é",
  "😀",
  "\ud800",
  "\udfff",
  "\\x22",
  "\\u0022",
  "%2F",
  " ",
];

/** A generator of hostile strings and small random choices, from `seed`. */
export function hostileStrings(seed: number) {
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return {
    rand,
    int,
    pick,
    /** One hostile string of 1–6 pieces (never empty). */
    value(): string {
      let s = "";
      const n = 1 + int(6);
      for (let i = 0; i < n; i++) s += pick(PIECES);
      return s;
    },
    /** `n` distinct hostile strings. */
    distinct(n: number): string[] {
      const out = new Set<string>();
      while (out.size < n) out.add(this.value());
      return [...out];
    },
  };
}

/** `s` with each lone UTF-16 surrogate replaced by U+FFFD (`String.prototype.toWellFormed`, ES2024). */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
