import { describe, expect, it } from "vitest";
import { formatGoDuration, roundDuration, roundToNextUnit } from "./go-duration.js";

describe("Go duration text", () => {
  it.each([
    [0, "0s"],
    [850, "850ns"],
    [1_500, "1.5µs"],
    [113_172, "113.172µs"],
    [12_345_678, "12.345678ms"],
    [1_300_000, "1.3ms"],
    [1_000_000_000, "1s"],
    [10_094_965_987, "10.094965987s"],
    [90_500_000_000, "1m30.5s"],
    [7_200_000_000_000, "2h0m0s"],
    [-1_500_000, "-1.5ms"],
  ])("formats %d ns as %s", (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });
  it("rounds halves away from zero like Duration.Round", () => {
    expect(roundDuration(1_500, 1_000)).toBe(2_000);
    expect(roundDuration(1_499, 1_000)).toBe(1_000);
    expect(roundDuration(-1_500, 1_000)).toBe(-2_000);
  });
  it("rounds to the next smaller unit as vegeta's text report", () => {
    expect(formatGoDuration(roundToNextUnit(4_461_234))).toBe("4.461ms");
    expect(formatGoDuration(roundToNextUnit(10_094_965_987))).toBe("10.095s");
    expect(formatGoDuration(roundToNextUnit(145_082_066))).toBe("145.082ms");
    expect(formatGoDuration(roundToNextUnit(999))).toBe("999ns");
    expect(formatGoDuration(roundToNextUnit(3_723_500_000_000))).toBe("1h2m0s");
  });
});
