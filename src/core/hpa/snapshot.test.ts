import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import { reconcile } from "./reconcile.js";
import { GO_ZERO_TIME_MS, parseSnapshot } from "./snapshot.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

const hpa = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web" },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    maxReplicas: 5,
    metrics: [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
      },
    ],
  },
};

describe("parseSnapshot", () => {
  it("resolves times (RFC 3339, Unix seconds, -duration) and pod defaults", () => {
    const { input } = parseSnapshot(
      {
        now: "2026-11-28T12:00:00Z",
        hpa,
        target: { replicas: 2 },
        pods: [
          { name: "a" },
          { name: "b", ready: "None", startTime: null, phase: "Pending" },
          {
            name: "c",
            ready: false,
            startTime: -60,
            readyTransitionTime: "-30s",
            deletionTimestamp: NOW / 1000,
          },
        ],
        metrics: [
          {
            pods: [
              { name: "a", value: "250m" },
              {
                name: "c",
                containers: [{ name: "x", usage: { cpu: "0.0001" } }],
                timestamp: "-5s",
                window: "30s",
              },
            ],
          },
        ],
      },
      "s.yaml",
    );
    expect(input.now).toBe(NOW);
    expect(input.pods[0]).toMatchObject({
      phase: "Running",
      ready: "True",
      startTime: GO_ZERO_TIME_MS,
      readyTransitionTime: GO_ZERO_TIME_MS,
    });
    expect(input.pods[1]?.ready).toBeUndefined();
    expect(input.pods[1]?.startTime).toBeUndefined();
    expect(input.pods[2]).toMatchObject({
      ready: "False",
      startTime: -60_000,
      readyTransitionTime: NOW - 30_000,
      deletionTimestamp: NOW,
    });
    expect(input.metrics[0]).toEqual({
      samples: [
        { pod: "a", value: 250, timestamp: NOW },
        { pod: "c", containers: [{ name: "x", usage: { cpu: 1 } }], timestamp: NOW - 5000, windowMs: 30_000 },
      ],
    });
    expect(input.state).toEqual({ recommendations: [], scaleUpEvents: [], scaleDownEvents: [] });
  });

  it("tells an absent history (fresh controller) from an existing empty one", () => {
    const base = { now: 0, hpa, target: { replicas: 1 } };
    expect(
      parseSnapshot({ ...base, history: { recommendations: null } }, "s").input.state.recommendationsRecorded,
    ).toBeUndefined();
    expect(
      parseSnapshot({ ...base, history: { recommendations: [] } }, "s").input.state.recommendationsRecorded,
    ).toBe(true);
    const s = parseSnapshot(
      {
        ...base,
        now: 100,
        history: {
          recommendations: [{ replicas: 3, time: "-30s" }],
          scaleUpEvents: [{ change: 2, time: 90, outdated: true }],
        },
      },
      "s",
    ).input.state;
    expect(s.recommendations).toEqual([{ replicas: 3, timestamp: 70_000 }]);
    expect(s.scaleUpEvents).toEqual([{ replicaChange: 2, timestamp: 90_000, outdated: true }]);
  });

  it("maps controller flags and the scale subresource", () => {
    const { input } = parseSnapshot(
      {
        now: 0,
        hpa,
        target: { replicas: 1, statusReplicas: 2, selector: "app=web", updateError: "x" },
        controller: {
          tolerance: 0.05,
          cpuInitializationPeriod: "2m",
          initialReadinessDelay: "10s",
          downscaleStabilization: 60,
          scaleUpLimitFactor: 8,
        },
      },
      "s",
    );
    expect(input.scale).toEqual({ statusReplicas: 2, selector: "app=web", updateError: "x" });
    expect(input.config).toEqual({
      tolerance: 0.05,
      cpuInitializationPeriodMs: 120_000,
      initialReadinessDelayMs: 10_000,
      downscaleStabilizationWindowMs: 60_000,
      scaleUpLimitFactor: 8,
    });
  });

  it("errors name the field path under the file", () => {
    const bad = (v: unknown) => {
      try {
        parseSnapshot(v, "s.yaml");
      } catch (e) {
        if (e instanceof ToolkitError) return e.oneLine();
        throw e;
      }
      return "no error";
    };
    expect(
      bad({ now: 0, hpa: { ...hpa, spec: { ...hpa.spec, maxReplicas: -1 } }, target: { replicas: 1 } }),
    ).toBe("s.yaml: hpa.spec.maxReplicas: must be greater than 0");
    expect(bad({ now: 0, hpa, target: { replicas: 1 }, pods: [{ name: "a" }, { name: "a" }] })).toBe(
      's.yaml: pods[1].name: duplicate pod name "a"',
    );
    expect(bad({ now: 0, hpa, target: { replicas: 1 }, metrics: [{ value: 3 }] })).toBe(
      "s.yaml: metrics[0]: spec.metrics[0] is a Resource metric: give per-pod items (pods:) or an error",
    );
    expect(bad({ now: "soon", hpa, target: { replicas: 1 } })).toMatch(
      /^s\.yaml: now: time "soon" is neither/,
    );
    expect(bad({ now: 0, target: { replicas: 1 } })).toBe("s.yaml: hpa: required field is missing");
    expect(bad({ now: 0, hpa, target: { replicas: 1 }, pods: [{ name: "a", ready: "yes" }] })).toMatch(
      /^s\.yaml: pods\[0\]\.ready: /,
    );
  });

  it("replica counts say why a value is not one (int32, never negative), not that it is missing", () => {
    const bad = (replicas: unknown) => {
      try {
        parseSnapshot({ now: 0, hpa, target: { replicas } }, "s.yaml");
      } catch (e) {
        if (e instanceof ToolkitError) return e.oneLine();
        throw e;
      }
      return "no error";
    };
    expect(bad(undefined)).toBe("s.yaml: target.replicas: required field is missing");
    expect(bad("abc")).toBe('s.yaml: target.replicas: must be a non-negative integer, got "abc"');
    expect(bad(-3)).toBe("s.yaml: target.replicas: must be a non-negative integer, got -3");
    expect(bad(Number.NaN)).toBe("s.yaml: target.replicas: must be a non-negative integer, got NaN");
    expect(bad(Number.POSITIVE_INFINITY)).toBe(
      "s.yaml: target.replicas: must be a non-negative integer, got Infinity",
    );
    expect(bad(2.5)).toBe("s.yaml: target.replicas: must be a non-negative integer, got 2.5");
    expect(bad(3e9)).toBe("s.yaml: target.replicas: must be at most 2147483647 (int32), got 3000000000");
    expect(bad(2_147_483_647)).toBe("no error");
  });

  it("refuses observed quantities beyond int64 milli-units, naming the field", () => {
    const bad = (value: unknown) => {
      try {
        parseSnapshot(
          {
            now: 0,
            hpa,
            target: { replicas: 1 },
            pods: [{ name: "a" }],
            metrics: [{ pods: [{ name: "a", value }] }],
          },
          "s.yaml",
        );
      } catch (e) {
        if (e instanceof ToolkitError) return e.oneLine();
        throw e;
      }
      return "no error";
    };
    const range = "is out of range: the metrics APIs carry int64 milli-units (at most 9223372036854775807m)";
    expect(bad(1e308)).toBe(`s.yaml: metrics[0].pods[0].value: 1e+308 ${range}`);
    expect(bad("99999999999999999999999Ei")).toBe(
      `s.yaml: metrics[0].pods[0].value: "99999999999999999999999Ei" ${range}`,
    );
    expect(bad("9223372036854775807m")).toBe("no error");
  });

  it("huge but valid metric values give int32 replica counts, never null/NaN", () => {
    const doc = (value: string) => ({
      now: 0,
      hpa: {
        ...hpa,
        spec: {
          ...hpa.spec,
          maxReplicas: 2_147_483_647,
          metrics: [
            {
              type: "Pods",
              pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1m" } },
            },
          ],
        },
      },
      target: { replicas: 1 },
      pods: [{ name: "a" }],
      metrics: [{ pods: [{ name: "a", value }] }],
    });
    for (const value of ["9223372036854775807m", "9P", "1P"]) {
      const { input } = parseSnapshot(doc(value), "s.yaml");
      const r = reconcile(input);
      const json = JSON.stringify(r);
      expect(json).not.toContain("null");
      expect(r.metricProposals[0]?.replicas).toBe(2_147_483_647);
      expect(r.desiredReplicas).toBe(4); // the legacy scale-up limit max(2 × 1, 4)
      for (const rec of r.nextState.recommendations) {
        expect(Number.isInteger(rec.replicas)).toBe(true);
        expect(rec.replicas).toBeLessThanOrEqual(2_147_483_647);
      }
    }
  });

  it("a target averageValue of 1e400 saturates at int64 max (as MilliValue) and the math stays finite", () => {
    const { input } = parseSnapshot(
      {
        now: 0,
        hpa: {
          ...hpa,
          spec: {
            ...hpa.spec,
            metrics: [
              {
                type: "Pods",
                pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1e400" } },
              },
            ],
          },
        },
        target: { replicas: 3 },
        pods: [{ name: "a" }, { name: "b" }, { name: "c" }],
        metrics: [
          {
            pods: [
              { name: "a", value: 5 },
              { name: "b", value: 5 },
              { name: "c", value: 5 },
            ],
          },
        ],
      },
      "s.yaml",
    );
    const r = reconcile(input);
    expect(JSON.stringify(r)).not.toContain("null");
    expect(r.metricProposals[0]?.replicas).toBe(1); // ceil(5000m / (2^63 - 1)m × 3)
    expect(r.desiredReplicas).toBe(3); // a fresh controller's history holds off the scale-down
  });

  it("a per-pod External target with statusReplicas 0 still proposes ceil(total / target)", () => {
    const { input } = parseSnapshot(
      {
        now: 0,
        hpa: {
          ...hpa,
          spec: {
            ...hpa.spec,
            metrics: [
              {
                type: "External",
                external: { metric: { name: "q" }, target: { type: "AverageValue", averageValue: "10" } },
              },
            ],
          },
        },
        target: { replicas: 1, statusReplicas: 0 },
        metrics: [{ values: [50] }],
      },
      "s.yaml",
    );
    const r = reconcile(input);
    expect(r.metricProposals[0]?.replicas).toBe(5);
    expect(r.metricProposals[0]?.ratio).toBe(Number.POSITIVE_INFINITY); // 50 / (10 × 0), as upstream
    expect(r.desiredReplicas).toBe(4); // legacy scale-up limit max(2 × 1, 4)
  });
});
