/**
 * Normalization vectors rebuilt from upstream horizontal_test.go (TestScalingWithRules,
 * TestNormalizeDesiredReplicas, TestNormalizeDesiredReplicasWithBehavior, TestStoreScaleEvents,
 * TestConvertDesiredReplicasWithRules) plus rules from the controller code: the legacy versus default-behavior
 * caps, stabilization anchored on the current count, period accounting and scale-event storage.
 */
import { describe, expect, it } from "vitest";
import {
  defaultBehavior,
  limitLegacy,
  limitWithBehavior,
  type ResolvedBehavior,
  resolveBehavior,
  stabilizeLegacy,
  stabilizeWithBehavior,
  storeScaleEvent,
} from "./behavior.js";
import type { HpaScalingRules, TimestampedScaleEvent } from "./types.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const ago = (s: number) => NOW - s * 1000;

/** upstream generateScalingRules(pods, podsPeriod, percent, percentPeriod, window), selectPolicy Max */
function rules(
  pods: number,
  podsPeriod: number,
  percent: number,
  percentPeriod: number,
  window: number,
): HpaScalingRules {
  const policies = [];
  if (pods !== 0) policies.push({ type: "Pods" as const, value: pods, periodSeconds: podsPeriod });
  if (percent !== 0)
    policies.push({ type: "Percent" as const, value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: "Max", policies };
}

/** upstream generateEventsUniformDistribution: events centred in equal segments of the last `period` s. */
function uniform(changes: number[], period: number): TimestampedScaleEvent[] {
  const seg = period / changes.length;
  return changes.map((c, i) => ({
    replicaChange: c,
    timestamp: ago(Math.trunc(period - seg * (i + 1) + seg / 2)),
  }));
}

function behavior(up?: HpaScalingRules, down?: HpaScalingRules): ResolvedBehavior {
  return resolveBehavior({ ...(up ? { scaleUp: up } : {}), ...(down ? { scaleDown: down } : {}) }, 300_000);
}

describe("rate limits with behavior (TestScalingWithRules)", () => {
  const cases: {
    name: string;
    current: number;
    desired: number;
    min: number;
    max: number;
    up?: HpaScalingRules;
    down?: HpaScalingRules;
    upEvents?: TimestampedScaleEvent[];
    downEvents?: TimestampedScaleEvent[];
    expected: number;
    reason: string;
  }[] = [
    {
      name: "within range",
      current: 5,
      desired: 7,
      min: 3,
      max: 8,
      expected: 7,
      reason: "DesiredWithinRange",
    },
    { name: "< minReplicas", current: 3, desired: 1, min: 2, max: 8, expected: 2, reason: "TooFewReplicas" },
    {
      name: "within range with minReplicas 0",
      current: 1,
      desired: 0,
      min: 0,
      max: 10,
      expected: 0,
      reason: "DesiredWithinRange",
    },
    {
      name: "maxReplicas < scaleUpLimit",
      current: 20,
      desired: 1000,
      min: 1,
      max: 10,
      expected: 10,
      reason: "TooManyReplicas",
    },
    {
      name: "more than max",
      current: 100,
      desired: 1000,
      min: 100,
      max: 150,
      expected: 150,
      reason: "TooManyReplicas",
    },
    {
      name: "user scale-up policy",
      current: 3,
      desired: 1000,
      min: 1,
      max: 2000,
      up: rules(0, 0, 1, 60, 0),
      expected: 4,
      reason: "ScaleUpLimit",
    },
    {
      name: "user scale-down policy",
      current: 1000,
      desired: 3,
      min: 3,
      max: 2000,
      down: rules(20, 60, 0, 0, 0),
      expected: 980,
      reason: "ScaleDownLimit",
    },
    {
      name: "default behavior: max(C+4, 2C)",
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      expected: 20,
      reason: "ScaleUpLimit",
    },
    {
      name: "pods policy larger than percent",
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(100, 60, 100, 60, 0),
      expected: 110,
      reason: "ScaleUpLimit",
    },
    {
      name: "percent policy larger than pods",
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(2, 60, 100, 60, 0),
      expected: 20,
      reason: "ScaleUpLimit",
    },
    {
      name: "large pods policy",
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(100, 60, 0, 0, 0),
      expected: 50,
      reason: "DesiredWithinRange",
    },
    {
      name: "large percent policy",
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(10000, 60, 0, 0, 0),
      expected: 50,
      reason: "DesiredWithinRange",
    },
    {
      name: "pod policy limitation",
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(30, 60, 0, 0, 0),
      expected: 40,
      reason: "ScaleUpLimit",
    },
    {
      name: "percent policy limitation",
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 60, 0),
      expected: 30,
      reason: "ScaleUpLimit",
    },
    {
      name: "scale-down percent larger than pods",
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(20, 60, 1, 60, 300),
      expected: 80,
      reason: "ScaleDownLimit",
    },
    {
      name: "scale-down pods larger than percent",
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(2, 60, 1, 60, 300),
      expected: 98,
      reason: "ScaleDownLimit",
    },
    {
      name: "scale-down floored by min (pods)",
      current: 10,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(100, 60, 0, 0, 300),
      expected: 1,
      reason: "TooFewReplicas",
    },
    {
      name: "scale-down floored by min (percent)",
      current: 10,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 60, 300),
      expected: 5,
      reason: "TooFewReplicas",
    },
    {
      name: "scale-down pod policy limitation",
      current: 10,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 60, 0, 0, 300),
      expected: 5,
      reason: "ScaleDownLimit",
    },
    {
      name: "scale-down percent policy limitation",
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 60, 300),
      expected: 5,
      reason: "DesiredWithinRange",
    },
    {
      name: "max with large pods policy and events",
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(300, 60, 0, 0, 0),
      upEvents: uniform([1, 5, 9], 120),
      expected: 200,
      reason: "TooManyReplicas",
    },
    {
      name: "max with large percent policy and events",
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(0, 0, 10000, 60, 0),
      upEvents: uniform([1, 5, 9], 120),
      expected: 200,
      reason: "TooManyReplicas",
    },
    // a limit pointing the wrong way is clamped to C (100 - 15 + 5 < 100).
    {
      name: "budget used up by earlier scale-ups",
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(5, 120, 0, 0, 0),
      upEvents: uniform([1, 5, 9], 120),
      expected: 100,
      reason: "ScaleUpLimit",
    },
    {
      name: "pods policy after scale-ups",
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(150, 120, 0, 0, 0),
      upEvents: uniform([1, 5, 9], 120),
      expected: 235,
      reason: "ScaleUpLimit",
    },
    {
      name: "percent policy after scale-ups",
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 120, 0),
      upEvents: uniform([1, 5, 9], 120),
      expected: 255,
      reason: "ScaleUpLimit",
    },
    {
      name: "default scale-down with events",
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      downEvents: uniform([1, 5, 9], 120),
      expected: 5,
      reason: "DesiredWithinRange",
    },
    {
      name: "scale-down min with large pods policy and events",
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(115, 120, 0, 0, 300),
      downEvents: uniform([1, 5, 9], 120),
      expected: 1,
      reason: "TooFewReplicas",
    },
    {
      name: "scale-down min 5 with large pods policy and events",
      current: 100,
      desired: 0,
      min: 5,
      max: 1000,
      down: rules(130, 120, 0, 0, 300),
      downEvents: uniform([1, 5, 9], 120),
      expected: 5,
      reason: "TooFewReplicas",
    },
    {
      name: "scale-down 100% always reaches min",
      current: 100,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 120, 300),
      downEvents: uniform([1, 5, 9], 120),
      expected: 5,
      reason: "TooFewReplicas",
    },
    {
      name: "scale-down pods policy after scale-downs",
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 120, 0, 0, 300),
      downEvents: uniform([1, 5, 9], 120),
      expected: 100,
      reason: "ScaleDownLimit",
    },
    {
      name: "scale-down percent truncates after scale-downs",
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 120, 300),
      downEvents: uniform([2, 4, 6], 120),
      expected: 56,
      reason: "ScaleDownLimit",
    },
    {
      name: "scale-down prevented by earlier events",
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(0, 0, 10, 120, 300),
      downEvents: uniform([10, 10, 10], 120),
      expected: 100,
      reason: "ScaleDownLimit",
    },
    // percent scale-down can go below zero (40 - 1000% = -360); the metric proposal stands.
    {
      name: "scale-down limit below zero",
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 1000, 120, 300),
      downEvents: uniform([10, 10, 10], 120),
      expected: 5,
      reason: "DesiredWithinRange",
    },
    {
      name: "outdated up events, one policy",
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 60, 0, 0, 0),
      upEvents: uniform([8, 12, 9, 11], 120),
      expected: 200,
      reason: "DesiredWithinRange",
    },
    {
      name: "up events two policies (120/60)",
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 120, 100, 60, 0),
      upEvents: uniform([8, 12, 9, 11], 120),
      expected: 200,
      reason: "DesiredWithinRange",
    },
    {
      name: "up events two policies (30/60)",
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 30, 100, 60, 0),
      upEvents: uniform([8, 12, 9, 11], 120),
      expected: 200,
      reason: "DesiredWithinRange",
    },
    {
      name: "outdated down events, one policy",
      current: 100,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(1000, 60, 0, 0, 300),
      downEvents: uniform([8, 12, 9, 11], 120),
      expected: 5,
      reason: "DesiredWithinRange",
    },
    {
      name: "down events two policies (120/60)",
      current: 100,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(1000, 120, 100, 60, 300),
      downEvents: uniform([8, 12, 9, 11], 120),
      expected: 5,
      reason: "DesiredWithinRange",
    },
  ];
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const r = limitWithBehavior({
      currentReplicas: c.current,
      desired: c.desired,
      minReplicas: c.min,
      maxReplicas: c.max,
      behavior: behavior(c.up, c.down),
      upEvents: c.upEvents ?? [],
      downEvents: c.downEvents ?? [],
      now: NOW,
    });
    expect(r.replicas).toBe(c.expected);
    expect(r.reason).toBe(c.reason);
  });

  it("selectPolicy Min takes the smallest change, Disabled forbids the direction", () => {
    const two = {
      policies: [
        { type: "Pods" as const, value: 4, periodSeconds: 15 },
        { type: "Percent" as const, value: 100, periodSeconds: 15 },
      ],
    };
    const args = {
      currentReplicas: 10,
      desired: 100,
      minReplicas: 1,
      maxReplicas: 1000,
      upEvents: [],
      downEvents: [],
      now: NOW,
    };
    expect(limitWithBehavior({ ...args, behavior: behavior({ ...two, selectPolicy: "Max" }) }).replicas).toBe(
      20,
    );
    expect(limitWithBehavior({ ...args, behavior: behavior({ ...two, selectPolicy: "Min" }) }).replicas).toBe(
      14,
    );
    const disabled = limitWithBehavior({ ...args, behavior: behavior({ selectPolicy: "Disabled" }) });
    expect(disabled).toMatchObject({ replicas: 10, reason: "ScaleUpLimit" });
    const down = { ...args, desired: 1 };
    const twoDown = {
      policies: [
        { type: "Pods" as const, value: 2, periodSeconds: 15 },
        { type: "Percent" as const, value: 50, periodSeconds: 15 },
      ],
    };
    expect(
      limitWithBehavior({ ...down, behavior: behavior(undefined, { ...twoDown, selectPolicy: "Max" }) })
        .replicas,
    ).toBe(5);
    expect(
      limitWithBehavior({ ...down, behavior: behavior(undefined, { ...twoDown, selectPolicy: "Min" }) })
        .replicas,
    ).toBe(8);
    expect(
      limitWithBehavior({ ...down, behavior: behavior(undefined, { selectPolicy: "Disabled" }) }),
    ).toMatchObject({
      replicas: 10,
      reason: "ScaleDownLimit",
    });
  });

  it("percent scale-up rounds up, percent scale-down truncates", () => {
    const args = { minReplicas: 1, maxReplicas: 1000, upEvents: [], downEvents: [], now: NOW };
    const up = behavior({ policies: [{ type: "Percent", value: 10, periodSeconds: 60 }] });
    expect(limitWithBehavior({ ...args, currentReplicas: 3, desired: 100, behavior: up }).replicas).toBe(4); // ceil(3.3)
    const down = behavior(undefined, { policies: [{ type: "Percent", value: 10, periodSeconds: 60 }] });
    expect(limitWithBehavior({ ...args, currentReplicas: 15, desired: 1, behavior: down }).replicas).toBe(13); // trunc(13.5)
  });

  it("counts only events strictly younger than each policy's own period", () => {
    const up = behavior({ policies: [{ type: "Pods", value: 4, periodSeconds: 60 }] });
    const args = {
      currentReplicas: 10,
      desired: 100,
      minReplicas: 1,
      maxReplicas: 1000,
      downEvents: [],
      now: NOW,
      behavior: up,
    };
    expect(
      limitWithBehavior({ ...args, upEvents: [{ timestamp: ago(60), replicaChange: 3 }] }).replicas,
    ).toBe(14);
    expect(
      limitWithBehavior({ ...args, upEvents: [{ timestamp: ago(59), replicaChange: 3 }] }).replicas,
    ).toBe(11);
  });
});

describe("legacy stabilization and limits (TestNormalizeDesiredReplicas, TestConvertDesiredReplicasWithRules)", () => {
  it.each([
    ["empty log", [], 5, 5, 1],
    [
      "stabilize",
      [
        [4, 120],
        [5, 60],
      ],
      3,
      5,
      3,
    ],
    [
      "no stabilize",
      [
        [1, 120],
        [2, 60],
      ],
      3,
      3,
      3,
    ],
    [
      "no stabilize - old recommendations",
      [
        [10, 600],
        [9, 540],
      ],
      3,
      3,
      2,
    ],
    [
      "stabilize - old recommendations",
      [
        [10, 600],
        [4, 60],
        [5, 120],
        [9, 540],
      ],
      3,
      5,
      4,
    ],
  ] as const)("%s", (_n, recs, proposal, expected, length) => {
    const r = stabilizeLegacy(
      recs.map(([replicas, age]) => ({ replicas, timestamp: ago(age) })),
      proposal,
      NOW,
      300_000,
    );
    expect(r.replicas).toBe(expected);
    expect(r.recommendations).toHaveLength(length);
    expect(r.reason).toBe(expected !== proposal ? "ScaleDownStabilized" : "ReadyForNewScale");
  });

  it("replaces only the last stale entry per reconcile", () => {
    const r = stabilizeLegacy(
      [
        { replicas: 10, timestamp: ago(600) },
        { replicas: 9, timestamp: ago(540) },
      ],
      3,
      NOW,
      300_000,
    );
    expect(r.recommendations).toEqual([
      { replicas: 10, timestamp: ago(600) },
      { replicas: 3, timestamp: NOW },
    ]);
  });

  it.each([
    // current, desired, min, max -> replicas, reason (factor 2, minimum 4: production)
    [1, 10, 1, 10, 4, "ScaleUpLimit"],
    [3, 20, 1, 10, 6, "ScaleUpLimit"],
    [6, 20, 1, 10, 10, "TooManyReplicas"],
    [3, 0, 2, 10, 2, "TooFewReplicas"],
    [3, 5, 1, 10, 5, "DesiredWithinRange"],
  ] as const)("legacy limits from %i to %i (min %i max %i) -> %i %s", (c, d, min, max, expected, reason) => {
    const r = limitLegacy(c, d, min, max, 2, 4);
    expect(r.replicas).toBe(expected);
    expect(r.reason).toBe(reason);
  });

  it("legacy allows 4 from 1 replica where default behavior allows 5; tests use factor 8", () => {
    expect(limitLegacy(1, 100, 1, 100, 2, 4).replicas).toBe(4);
    const b = limitWithBehavior({
      currentReplicas: 1,
      desired: 100,
      minReplicas: 1,
      maxReplicas: 100,
      behavior: behavior(),
      upEvents: [],
      downEvents: [],
      now: NOW,
    });
    expect(b.replicas).toBe(5);
    expect(limitLegacy(3, 100, 1, 100, 8, 4).replicas).toBe(24);
  });
});

describe("behavior stabilization (TestNormalizeDesiredReplicasWithBehavior)", () => {
  it.each([
    ["empty recommendations for scaling down", [], 100, 5, 0, 0, 5, [5]],
    [
      "simple scale down stabilization",
      [
        [4, 120],
        [5, 60],
      ],
      100,
      3,
      0,
      180,
      5,
      [4, 5, 3],
    ],
    [
      "simple scale up stabilization",
      [
        [4, 120],
        [5, 60],
      ],
      1,
      7,
      300,
      0,
      4,
      [4, 5, 7],
    ],
    [
      "no scale down stabilization",
      [
        [1, 120],
        [2, 60],
      ],
      100,
      3,
      300,
      0,
      3,
      [1, 2, 3],
    ],
    [
      "no scale up stabilization",
      [
        [4, 120],
        [5, 60],
      ],
      1,
      3,
      0,
      300,
      3,
      [4, 5, 3],
    ],
    [
      "no scale down stabilization, reuse element",
      [
        [10, 600],
        [9, 540],
      ],
      100,
      3,
      0,
      0,
      3,
      [10, 3],
    ],
    [
      "no scale up stabilization, reuse element",
      [
        [10, 600],
        [9, 540],
      ],
      1,
      100,
      0,
      0,
      100,
      [10, 100],
    ],
    [
      "scale down stabilization, reuse obsolete element",
      [
        [10, 600],
        [4, 60],
        [5, 120],
        [9, 540],
      ],
      100,
      3,
      0,
      180,
      5,
      [10, 4, 5, 3],
    ],
    [
      "scale up stabilization, reuse obsolete element",
      [
        [10, 6000],
        [6, 60],
        [5, 120],
        [9, 180],
      ],
      1,
      100,
      300,
      0,
      5,
      [100, 6, 5, 9],
    ],
    // "do not scale up when prenormalized rec goes down" and its mirror: C between the bounds stays.
    ["do not scale up when the recommendation goes down", [[5, 30]], 4, 3, 300, 300, 4, [5, 3]],
    ["do not scale down when the recommendation goes up", [[3, 30]], 4, 5, 300, 300, 4, [3, 5]],
  ] as const)("%s", (_n, recs, current, proposal, upW, downW, expected, stored) => {
    const r = stabilizeWithBehavior(
      recs.map(([replicas, age]) => ({ replicas, timestamp: ago(age) })),
      current,
      proposal,
      NOW,
      upW,
      downW,
    );
    expect(r.replicas).toBe(expected);
    expect(r.recommendations.map((x) => x.replicas)).toEqual(stored);
    expect(r.reason).toBe(
      expected === proposal
        ? "ReadyForNewScale"
        : proposal >= current
          ? "ScaleUpStabilized"
          : "ScaleDownStabilized",
    );
  });
});

describe("scale events (TestStoreScaleEvents)", () => {
  it.each([
    ["empty entries with two-policy behavior", rules(10, 60, 100, 60, 0), [], [[5, false]]],
    ["one outdated entry replaced", rules(10, 60, 100, 60, 0), [[7, 61]], [[5, false]]],
    [
      "one actual entry untouched",
      rules(10, 60, 100, 60, 0),
      [[7, 58]],
      [
        [7, false],
        [5, false],
      ],
    ],
    [
      "two entries, one replaced",
      rules(10, 60, 0, 0, 0),
      [
        [7, 61],
        [6, 59],
      ],
      [
        [5, false],
        [6, false],
      ],
    ],
    [
      "different periods: longest decides, last outdated slot reused",
      rules(10, 60, 100, 30, 0),
      [
        [8, 29],
        [6, 59],
        [7, 61],
        [9, 61],
      ],
      [
        [8, false],
        [6, false],
        [7, true],
        [5, false],
      ],
    ],
    [
      "two entries, both actual",
      rules(10, 120, 100, 30, 0),
      [
        [7, 58],
        [6, 59],
      ],
      [
        [7, false],
        [6, false],
        [5, false],
      ],
    ],
  ] as const)("%s", (_n, up, prev, expected) => {
    const b = behavior(up);
    const r = storeScaleEvent(
      b,
      prev.map(([replicaChange, age]) => ({ replicaChange, timestamp: ago(age) })),
      [],
      10,
      15,
      NOW,
    );
    expect(r.scaleUpEvents.map((e) => [e.replicaChange, e.outdated === true])).toEqual(expected);
    expect(r.scaleDownEvents).toEqual([]);
  });

  it("stores absolute changes in the down list on a scale-down", () => {
    const r = storeScaleEvent(behavior(), [], [], 10, 4, NOW);
    expect(r.scaleDownEvents).toEqual([{ replicaChange: 6, timestamp: NOW }]);
  });
});

describe("behavior defaults", () => {
  it("fills unset fields; scale-down window comes from the controller flag", () => {
    expect(defaultBehavior({})).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
    });
    expect(resolveBehavior({}, 300_000).scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(
      resolveBehavior({ scaleDown: { stabilizationWindowSeconds: 60 } }, 300_000).scaleDown
        .stabilizationWindowSeconds,
    ).toBe(60);
    expect(resolveBehavior({}, 120_000).scaleDown.stabilizationWindowSeconds).toBe(120);
  });
});
