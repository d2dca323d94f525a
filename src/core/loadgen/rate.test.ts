import { describe, expect, it } from "vitest";
import type { ToolkitError } from "../errors.js";
import { parseRate, ratePerSecond } from "./rate.js";
import { dueCount, dueOffsetMs, intervalMs, scheduledHits } from "./schedule.js";

/** The one-line form (`where: what`) of the error `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as ToolkitError).oneLine();
  }
  return "(no error)";
}

describe("rates", () => {
  it.each([
    ["240/s", 240, 1000],
    ["240/1s", 240, 1000],
    ["100/1m", 100, 60_000],
    ["50/500ms", 50, 500],
    ["50", 50, 1000],
    ["0", 0, 1000],
    ["infinity", 0, 1000],
  ])("parses %s", (text, freq, perMs) => {
    expect(parseRate(text)).toEqual({ freq, perMs });
  });
  it.each(["", "fast", "-5/s", "10/x", "10/0s", "1.5/s", "10/"])("rejects %j with the flag name", (text) => {
    expect(thrown(() => parseRate(text))).toMatch(/-rate: invalid rate/);
  });
  it("converts to per second", () => {
    expect(ratePerSecond(parseRate("120/1m"))).toBe(2);
    expect(ratePerSecond(parseRate("0"))).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("schedule", () => {
  const r = parseRate("1000/s");
  it("anchors request i at i * interval from the start", () => {
    expect(intervalMs(r)).toBe(1);
    expect(dueOffsetMs(r, 0)).toBe(0);
    expect(dueOffsetMs(r, 2500)).toBe(2500);
    expect(dueOffsetMs(parseRate("3/s"), 1)).toBeCloseTo(333.333, 2);
  });
  it("counts requests due within the duration", () => {
    expect(scheduledHits(r, 2000)).toBe(2000);
    expect(scheduledHits(parseRate("3/s"), 1000)).toBe(3);
    expect(scheduledHits(parseRate("7/s"), 1500)).toBe(11);
    expect(scheduledHits(r, 0)).toBe(Number.POSITIVE_INFINITY);
  });
  it("knows how many are due at an elapsed time, capped at the total", () => {
    expect(dueCount(r, -1, 10)).toBe(0);
    expect(dueCount(r, 0, 10)).toBe(1);
    expect(dueCount(r, 2.5, 10)).toBe(3);
    expect(dueCount(r, 100, 10)).toBe(10);
  });
});
