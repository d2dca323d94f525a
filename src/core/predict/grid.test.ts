import { describe, expect, it } from "vitest";
import { MAX_GRID_SLOTS, toRegularGrid } from "./grid.js";

describe("toRegularGrid bounds", () => {
  it("accepts a grid of exactly MAX_GRID_SLOTS slots", () => {
    const g = toRegularGrid([0, MAX_GRID_SLOTS - 1], [1, 2], 1);
    expect(g.values.length).toBe(MAX_GRID_SLOTS);
    expect(g.values[0]).toBe(1);
    expect(g.values[MAX_GRID_SLOTS - 1]).toBe(2);
  });

  it("rejects a stray far timestamp as an input error naming the source, not a failed allocation", () => {
    expect(() => toRegularGrid([0, 60, 1e20], [1, 2, 3], undefined, "qps.csv")).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", where: "qps.csv" }),
    );
    expect(() => toRegularGrid([0, MAX_GRID_SLOTS], [1, 2], 1)).toThrow(
      /span 1000001 slots of 1s; at most 1000000/,
    );
  });

  it("rejects a step so small that the span needs too many slots", () => {
    expect(() => toRegularGrid([0, 86_400], [1, 2], 0.001, "day.csv")).toThrow(
      expect.objectContaining({ where: "day.csv" }),
    );
  });
});
