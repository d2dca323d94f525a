/**
 * Attack rates in vegeta's `-rate` syntax: `N/D` where D is a Go duration and a bare unit means one of it
 * (`240/s`, `100/1m`, `50/500ms`), a bare `N` meaning per second, and `0` or `infinity` for "as fast as
 * possible" (vegeta's `lib/pacer.go` Rate with Freq 0).
 */

import { tryParseDurationMs } from "../duration.js";
import { invalidInput } from "../errors.js";

/** `freq` hits every `perMs` milliseconds; `freq === 0` means unlimited (closed model, see attack). */
export interface Rate {
  freq: number;
  perMs: number;
}

/** Requests per second of a rate (Infinity for the unlimited rate). */
export function ratePerSecond(rate: Rate): number {
  if (rate.freq === 0 || rate.perMs === 0) return Number.POSITIVE_INFINITY;
  return (rate.freq * 1000) / rate.perMs;
}

/** Parses `-rate`; throws INVALID_INPUT naming `where` on anything else. */
export function parseRate(text: string, where = "-rate"): Rate {
  const s = text.trim();
  if (s === "infinity" || s === "0") return { freq: 0, perMs: 1000 };
  const slash = s.indexOf("/");
  const num = slash < 0 ? s : s.slice(0, slash);
  if (!/^\d+$/.test(num)) {
    throw invalidInput(where, `invalid rate "${text}" (use N/s, N/1m, N/500ms; 0 = as fast as possible)`);
  }
  const freq = Number(num);
  let perMs = 1000;
  if (slash >= 0) {
    let unit = s.slice(slash + 1);
    if (/^[a-zµ]+$/.test(unit)) unit = `1${unit}`;
    const d = tryParseDurationMs(unit);
    if (d === undefined || d <= 0) {
      throw invalidInput(where, `invalid rate "${text}": "${s.slice(slash + 1)}" is not a positive duration`);
    }
    perMs = d;
  }
  if (freq === 0) return { freq: 0, perMs };
  return { freq, perMs };
}
