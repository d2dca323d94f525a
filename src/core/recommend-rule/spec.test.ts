import { describe, expect, it } from "vitest";
import { matches } from "../labels/selector.js";
import { observedRuleStatus, validateRule } from "./spec.js";

function rule(spec: Record<string, unknown>) {
  return {
    apiVersion: "analysis.tidescale.dev/v1alpha1",
    kind: "RecommendationRule",
    metadata: { name: "rightsize", uid: "u-1", generation: 3 },
    spec: {
      resourceSelectors: [{ kind: "Deployment", labelSelector: { matchLabels: { tier: "web" } } }],
      namespaceSelector: { matchNames: ["shop"] },
      recommenders: [{ name: "Replicas" }],
      ...spec,
    },
  };
}

describe("validateRule", () => {
  it("applies the CRD defaults and parses the selector", () => {
    const r = validateRule(rule({}));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.metadata).toEqual({ name: "rightsize", uid: "u-1", generation: 3 });
    const spec = r.value.spec;
    expect(spec.runInterval).toBe("24h");
    expect(spec.runIntervalMs).toBe(86_400_000);
    expect(spec.namespaceSelector).toEqual({ any: false, matchNames: ["shop"] });
    expect(spec.recommenders).toEqual([{ name: "Replicas", config: {} }]);
    expect(spec.resourceSelectors[0]).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
    const sel = spec.resourceSelectors[0]!.labelSelector!;
    expect(matches(sel, { tier: "web" })).toBe(true);
    expect(matches(sel, { tier: "db" })).toBe(false);
  });

  it("a selector without name or labelSelector keeps both absent (every workload of the kind)", () => {
    const r = validateRule(rule({ resourceSelectors: [{ kind: "StatefulSet" }] }));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.spec.resourceSelectors).toEqual([{ apiVersion: "apps/v1", kind: "StatefulSet" }]);
  });

  it.each([
    [{ runInterval: "daily" }, "spec.runInterval", /not a positive duration/],
    [{ runInterval: "0s" }, "spec.runInterval", /not a positive duration/],
    [{ recommenders: [] }, "spec.recommenders", /./],
    [{ recommenders: [{ name: "IdleNode" }] }, "spec.recommenders[0].name", /./],
    [
      { recommenders: [{ name: "HPA" }, { name: "HPA" }] },
      "spec.recommenders[1].name",
      /"HPA" is listed twice/,
    ],
    [{ resourceSelectors: [{ kind: "DaemonSet" }] }, "spec.resourceSelectors[0].kind", /./],
    [
      { resourceSelectors: [{ kind: "Deployment", apiVersion: "apps/v1beta1" }] },
      "spec.resourceSelectors[0].apiVersion",
      /./,
    ],
    [
      {
        resourceSelectors: [
          { kind: "Deployment", labelSelector: { matchExpressions: [{ key: "a", operator: "Near" }] } },
        ],
      },
      "spec.resourceSelectors[0].labelSelector.matchExpressions[0].operator",
      /not a valid label selector operator/,
    ],
    [
      { resourceSelectors: [{ kind: "Deployment", labelSelector: { matchLabels: { "bad key!": "x" } } }] },
      'spec.resourceSelectors[0].labelSelector.matchLabels["bad key!"]',
      /invalid label key/,
    ],
    [{ namespaceSelector: { every: true } }, "spec.namespaceSelector.every", /unknown field/],
  ])("refuses %j naming %s", (spec, field, message) => {
    const r = validateRule(rule(spec));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error[0]!.field).toBe(field);
    expect(r.error[0]!.message).toMatch(message);
  });

  it("a missing namespaceSelector is a missing required field", () => {
    const obj = rule({});
    delete (obj.spec as Record<string, unknown>).namespaceSelector;
    const r = validateRule(obj);
    expect(r.ok ? [] : r.error).toEqual([
      { field: "spec.namespaceSelector", message: "required field is missing" },
    ]);
  });
});

describe("observedRuleStatus", () => {
  it("keeps the well-formed fields only", () => {
    expect(
      observedRuleStatus({
        status: {
          observedGeneration: 2,
          lastUpdateTime: "2026-01-01T00:00:00Z",
          targets: "x",
          conditions: [],
        },
      }),
    ).toEqual({ observedGeneration: 2, lastUpdateTime: "2026-01-01T00:00:00Z", conditions: [] });
    expect(observedRuleStatus({})).toEqual({});
    expect(observedRuleStatus({ status: "garbage" })).toEqual({});
  });
});

describe("recommender config (Crane's keys) -> policy", () => {
  const withConfig = (recommenders: unknown[]) => validateRule(rule({ recommenders }));

  it("applies the settings over tidescale's defaults", () => {
    const r = withConfig([
      { name: "Replicas", config: { "cpu-target-utilization": "0.6", "default-min-replicas": "2" } },
      {
        name: "Resource",
        config: { "cpu-request-percentile": "0.99", "mem-request-margin-fraction": "0.2" },
      },
      { name: "HPA", config: { "max-cpu-target-utilization": "70" } },
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const p = r.value.spec.policy;
    expect(p.replicas).toMatchObject({ targetUtilization: 0.6, minReplicas: 2, percentile: 0.95 });
    expect(p.cpu.percentile).toBe(0.99);
    expect(p.memory.margin).toBe(0.2);
    expect(p.hpa.maxTargetPercent).toBe(70);
    expect(p.hpa.minTargetPercent).toBe(30);
  });

  it.each([
    [
      { name: "Replicas", config: { "cpu-target-utilisation": "0.5" } },
      "spec.recommenders[0].config.cpu-target-utilisation",
      /unknown setting for Replicas \(did you mean "cpu-target-utilization"\?\)/,
    ],
    [
      { name: "Replicas", config: { "cpu-target-utilization": "0" } },
      "spec.recommenders[0].config.cpu-target-utilization",
      /0 is out of range \(0, 1\]/,
    ],
    [
      { name: "Resource", config: { "cpu-request-percentile": "high" } },
      "spec.recommenders[0].config.cpu-request-percentile",
      /"high" is not a number/,
    ],
    [
      { name: "HPA", config: { "min-cpu-target-utilization": "30.5" } },
      "spec.recommenders[0].config.min-cpu-target-utilization",
      /not an integer/,
    ],
    [
      { name: "HPA", config: { "cpu-request-percentile": "0.9" } },
      "spec.recommenders[0].config.cpu-request-percentile",
      /unknown setting for HPA/,
    ],
    [
      { name: "HPA", config: { "min-cpu-target-utilization": "80", "max-cpu-target-utilization": "60" } },
      "spec.recommenders.config.min-cpu-target-utilization",
      /80 is above max-cpu-target-utilization 60/,
    ],
  ])("refuses %j naming %s", (rec, field, message) => {
    const r = withConfig([rec]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error[0]!.field).toBe(field);
    expect(r.error[0]!.message).toMatch(message);
  });
});
