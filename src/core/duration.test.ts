import { describe, expect, it } from "vitest";
import { formatDuration, parseDurationMs, tryParseDurationMs } from "./duration.js";

describe("duration", () => {
  it.each([
    ["15s", 15_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["300ms", 300],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["0", 0],
    ["-1s", -1000],
  ])("parses %s", (text, ms) => {
    expect(tryParseDurationMs(text)).toBe(ms);
  });
  it.each(["", "15", "s", "1x", "1h 30m", "abc"])("rejects %j", (text) => {
    expect(tryParseDurationMs(text)).toBeUndefined();
  });
  it("names the place of a bad or negative duration", () => {
    expect(() => parseDurationMs("fast", "--duration")).toThrow(/invalid duration "fast"/);
    expect(() => parseDurationMs("-5s", "spec.window")).toThrow(/must not be negative/);
  });
  it("formats like Go", () => {
    expect(formatDuration(5_400_000)).toBe("1h30m0s");
    expect(formatDuration(15_000)).toBe("15s");
    expect(formatDuration(250)).toBe("250ms");
    expect(formatDuration(61_500)).toBe("1m1.5s");
  });
});
