import { describe, expect, it } from "vitest";
import { formatTable, humanDuration } from "./kubectl-format.js";

describe("humanDuration (apimachinery HumanDuration)", () => {
  it.each([
    [-5_000, "<invalid>"],
    [-1_500, "0s"],
    [0, "0s"],
    [45_000, "45s"],
    [119_999, "119s"],
    [120_000, "2m"],
    [125_000, "2m5s"],
    [599_000, "9m59s"],
    [600_000, "10m"],
    [10_799_000, "179m"],
    [10_800_000, "3h"],
    [3 * 3600_000 + 60_000, "3h1m"],
    [8 * 3600_000, "8h"],
    [47 * 3600_000, "47h"],
    [48 * 3600_000, "2d"],
    [7 * 86400_000 + 23 * 3600_000, "7d23h"],
    [30 * 86400_000, "30d"],
    [2 * 365 * 86400_000, "2y"],
    [2 * 365 * 86400_000 + 3 * 86400_000, "2y3d"],
    [9 * 365 * 86400_000, "9y"],
  ])("%d ms -> %s", (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe("formatTable", () => {
  it("pads like kubectl's tabwriter (minwidth 10, padding 3)", () => {
    const out = formatTable([
      ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
      ["sample-httpserver", "Deployment/httpserver", "41200m/50", "1", "5", "1", "5m"],
    ]);
    expect(out).toBe(
      "NAME                REFERENCE               TARGETS     MINPODS   MAXPODS   REPLICAS   AGE\n" +
        "sample-httpserver   Deployment/httpserver   41200m/50   1         5         1          5m\n",
    );
  });
});
