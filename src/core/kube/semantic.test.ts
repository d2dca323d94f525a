import { describe, expect, it } from "vitest";
import { covers, driftPaths } from "./semantic.js";

describe("covers", () => {
  it("ignores fields the apiserver defaulted", () => {
    const desired = { spec: { minReplicas: 1, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } };
    const actual = {
      spec: {
        minReplicas: 1,
        behavior: { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [] } },
      },
    };
    expect(covers(desired, actual)).toBe(true);
  });

  it("compares quantities by value, not text", () => {
    expect(covers({ averageValue: "0.5" }, { averageValue: "500m" })).toBe(true);
    expect(covers({ averageValue: "1k" }, { averageValue: "1000" })).toBe(true);
    expect(covers({ averageValue: "0.5" }, { averageValue: "501m" })).toBe(false);
    expect(covers({ name: "web" }, { name: "web2" })).toBe(false);
  });

  it("treats a missing, extra or changed list entry as drift", () => {
    const m = [{ type: "Pods" }, { type: "External" }];
    expect(covers({ metrics: m }, { metrics: [{ type: "Pods" }] })).toBe(false);
    expect(covers({ metrics: [m[0]] }, { metrics: m })).toBe(false);
    expect(covers({ metrics: m }, { metrics: [{ type: "Pods" }, { type: "Resource" }] })).toBe(false);
    expect(covers({ metrics: m }, { metrics: m })).toBe(true);
  });

  it("ignores keys whose desired value is undefined, but not null", () => {
    expect(covers({ a: undefined, b: 1 }, { b: 1 })).toBe(true);
    expect(covers({ a: null }, {})).toBe(false);
  });
});

describe("driftPaths", () => {
  it("names the drifted fields", () => {
    const desired = { spec: { maxReplicas: 10, metrics: [{ pods: { target: { averageValue: "50" } } }] } };
    const actual = { spec: { maxReplicas: 12, metrics: [{ pods: { target: { averageValue: "40" } } }] } };
    expect(driftPaths(desired, actual)).toEqual([
      "spec.maxReplicas",
      "spec.metrics[0].pods.target.averageValue",
    ]);
    expect(driftPaths(desired, desired)).toEqual([]);
  });
});
