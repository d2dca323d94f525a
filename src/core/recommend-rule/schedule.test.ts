import { describe, expect, it } from "vitest";
import { computed, runSchedule } from "./schedule.js";
import type { RuleStatus } from "./types.js";

const H = 3_600_000;
const T0 = Date.parse("2026-03-02T10:00:00Z");
const ran = (at: number, extra: Partial<RuleStatus> = {}): RuleStatus => ({
  observedGeneration: 2,
  lastUpdateTime: new Date(at).toISOString(),
  ...extra,
});
const failed = {
  conditions: [
    {
      type: "Ready",
      status: "False" as const,
      reason: "RecommendFailed",
      message: "",
      lastTransitionTime: "",
    },
  ],
};

describe("runSchedule (interval 24h, retry 1m)", () => {
  it.each([
    ["never ran", 2, {}, T0, { due: true, nextRunMs: T0 }],
    ["the spec changed since the last run", 3, ran(T0 - H), T0, { due: true, nextRunMs: T0 }],
    ["ran an hour ago", 2, ran(T0 - H), T0, { due: false, nextRunMs: T0 + 23 * H }],
    ["ran exactly one interval ago", 2, ran(T0 - 24 * H), T0, { due: true, nextRunMs: T0 }],
    [
      "failed 30 s ago: retry after 1 m",
      2,
      ran(T0 - 30_000, failed),
      T0,
      { due: false, nextRunMs: T0 + 30_000 },
    ],
    ["failed 2 m ago: due", 2, ran(T0 - 120_000, failed), T0, { due: true, nextRunMs: T0 }],
    [
      "lastUpdateTime in the future counts from now",
      2,
      ran(T0 + 5 * H),
      T0,
      { due: false, nextRunMs: T0 + 24 * H },
    ],
    [
      "an unparsable lastUpdateTime",
      2,
      { observedGeneration: 2, lastUpdateTime: "yesterday" },
      T0,
      { due: true, nextRunMs: T0 },
    ],
    [
      "no generation known: the time decides",
      undefined,
      ran(T0 - H),
      T0,
      { due: false, nextRunMs: T0 + 23 * H },
    ],
  ])("%s", (_what, generation, status, now, want) => {
    expect(runSchedule(generation, status, 24 * H, now, 60_000)).toEqual(want);
  });
});

describe("computed", () => {
  it("is true once a status has a lastUpdateTime", () => {
    expect(computed(undefined)).toBe(false);
    expect(computed({ metadata: { name: "a" } })).toBe(false);
    expect(computed({ metadata: { name: "a" }, status: { lastUpdateTime: "2026-03-02T10:00:00Z" } })).toBe(
      true,
    );
  });
});
