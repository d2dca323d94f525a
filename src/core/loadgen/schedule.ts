/**
 * The open-model schedule: request `i` is due at `start + i * interval`, anchored to the attack start and
 * never to the previous response (vegeta's constant pacer, `lib/pacer.go`, without its catch-up burst
 * ambiguity: a late generator sends every overdue request immediately and records how late it was).
 */
import type { Rate } from "./rate.js";

/** Milliseconds between two scheduled requests; 0 for the unlimited rate. */
export function intervalMs(rate: Rate): number {
  return rate.freq === 0 ? 0 : rate.perMs / rate.freq;
}

/**
 * How many requests a constant rate schedules within `durationMs` (request i is due at i*interval, so
 * due times in [0, duration) count). `Infinity` when the duration is 0 (run until interrupted).
 */
export function scheduledHits(rate: Rate, durationMs: number): number {
  if (durationMs === 0) return Number.POSITIVE_INFINITY;
  if (rate.freq === 0) return Number.POSITIVE_INFINITY;
  return Math.ceil((durationMs * rate.freq) / rate.perMs - 1e-9);
}

/** Offset of request `i` from the attack start, in milliseconds. */
export function dueOffsetMs(rate: Rate, i: number): number {
  return (i * rate.perMs) / rate.freq;
}

/**
 * Number of requests due by `elapsedMs` (those with offset <= elapsed), capped at `total`:
 * the dispatcher sends everything up to this index on each timer tick.
 */
export function dueCount(rate: Rate, elapsedMs: number, total: number): number {
  if (elapsedMs < 0) return 0;
  const n = Math.floor((elapsedMs * rate.freq) / rate.perMs + 1e-9) + 1;
  return Math.min(n, total);
}
