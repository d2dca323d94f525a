import { describe, expect, it } from "vitest";
import { type RuleReconcileSummary, recommendationStatus, ruleStatus, ruleStatusChanged } from "./status.js";

const NOW = "2026-03-02T10:00:00.000Z";
const EARLIER = "2026-03-01T10:00:00.000Z";

describe("recommendationStatus", () => {
  const recommended = {
    kind: "recommended" as const,
    recommended: "3",
    current: "5",
    recommendedInfo: { spec: { replicas: 3 } },
    currentInfo: { spec: { replicas: 5 } },
    evidence: { samples: 10080 },
  };

  it("a value: Ready=True, the patch as JSON, action Patch when it differs from the current", () => {
    expect(recommendationStatus(recommended, NOW)).toEqual({
      recommended: "3",
      current: "5",
      recommendedInfo: '{"spec":{"replicas":3}}',
      currentInfo: '{"spec":{"replicas":5}}',
      action: "Patch",
      evidence: { samples: 10080 },
      lastUpdateTime: NOW,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Recommended",
          message: "the recommendation is up to date",
          lastTransitionTime: NOW,
        },
      ],
    });
    expect(recommendationStatus({ ...recommended, current: "3" }, NOW).action).toBe("None");
  });

  it("keeps lastTransitionTime while the Ready status holds", () => {
    const before = recommendationStatus(recommended, EARLIER);
    expect(recommendationStatus(recommended, NOW, before).conditions[0]!.lastTransitionTime).toBe(EARLIER);
  });

  it("an abstention: Ready=False with the recommender's reason, no values, the evidence", () => {
    const before = recommendationStatus(recommended, EARLIER);
    const s = recommendationStatus(
      { kind: "abstained", reason: "InsufficientHistory", message: "2 h of 168 h", evidence: { hours: 2 } },
      NOW,
      before,
    );
    expect(s).toEqual({
      action: "None",
      evidence: { hours: 2 },
      lastUpdateTime: NOW,
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "InsufficientHistory",
          message: "2 h of 168 h",
          lastTransitionTime: NOW,
        },
      ],
    });
  });

  it("a failure keeps the last values and says why", () => {
    const before = recommendationStatus(recommended, EARLIER);
    const s = recommendationStatus(
      { kind: "failed", message: "prometheus: connection refused" },
      NOW,
      before,
    );
    expect(s.recommended).toBe("3");
    expect(s.recommendedInfo).toBe('{"spec":{"replicas":3}}');
    expect(s.conditions).toEqual([
      {
        type: "Ready",
        status: "False",
        reason: "RecommendFailed",
        message: "prometheus: connection refused",
        lastTransitionTime: NOW,
      },
    ]);
  });
});

describe("ruleStatus", () => {
  const base: RuleReconcileSummary = {
    generation: 4,
    targets: 2,
    recommendations: 4,
    conflicts: [],
    ran: true,
    failed: 0,
    abstained: 1,
  };
  const ready = (s: ReturnType<typeof ruleStatus>) => s.conditions?.[0];

  it.each([
    [{}, "True", "Recommended", "4 recommendations for 2 workloads (1 abstained)"],
    [
      { targets: 0, recommendations: 0, abstained: 0 },
      "True",
      "NoTargets",
      "no workload matches the selectors",
    ],
    [
      { failed: 1, firstFailure: "HTTP 503" },
      "False",
      "RecommendFailed",
      "1 of 4 recommendations failed: HTTP 503",
    ],
    [
      { conflicts: ["shop/a", "shop/b", "shop/c", "shop/d"] },
      "False",
      "NameConflict",
      "another owner controls shop/a, shop/b, shop/c, ...",
    ],
    [
      { problems: [{ field: "spec.runInterval", message: "bad" }] },
      "False",
      "InvalidSpec",
      "spec.runInterval: bad",
    ],
  ])("%j -> Ready=%s %s", (patch, status, reason, message) => {
    expect(ready(ruleStatus({ ...base, ...patch }, NOW, {}))).toEqual({
      type: "Ready",
      status,
      reason,
      message,
      lastTransitionTime: NOW,
    });
  });

  it("a run sets lastUpdateTime and observedGeneration; a reconcile without a run keeps them", () => {
    const prev = { observedGeneration: 3, lastUpdateTime: EARLIER };
    expect(ruleStatus(base, NOW, prev)).toMatchObject({
      observedGeneration: 4,
      lastUpdateTime: NOW,
      targets: 2,
      recommendations: 4,
    });
    expect(ruleStatus({ ...base, ran: false }, NOW, prev)).toMatchObject({
      observedGeneration: 3,
      lastUpdateTime: EARLIER,
    });
  });

  it("ruleStatusChanged: an identical status is not written again", () => {
    const first = ruleStatus(base, NOW, {});
    const again = ruleStatus({ ...base, ran: false }, "2026-03-02T10:05:00.000Z", first);
    expect(ruleStatusChanged(first, again)).toBe(false);
    expect(ruleStatusChanged(first, { ...again, targets: 3 })).toBe(true);
    expect(ruleStatusChanged(first, ruleStatus({ ...base, failed: 1 }, NOW, first))).toBe(true);
  });
});
