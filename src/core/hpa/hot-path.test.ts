/**
 * What the hot-path shortcuts of reconcile must not change: a config object edited between reconciles
 * takes effect (the merged config is reused only while it matches), an unchanged condition is the previous
 * result's entry while an input entry of another shape is replaced, and a reconcile leaves its input alone.
 */
import { describe, expect, it } from "vitest";
import { emptyState, reconcile } from "./reconcile.js";
import { parseHpa } from "./spec.js";
import type { Condition, ControllerConfig, PodInfo, ReconcileInput } from "./types.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

const hpa = parseHpa(
  {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "default" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
        },
      ],
    },
  },
  "hpa",
);

const pods: PodInfo[] = Array.from({ length: 4 }, (_, i) => ({
  name: `web-${i}`,
  phase: "Running",
  ready: "True",
  readyTransitionTime: 0,
  startTime: 0,
  containers: [{ name: "app", requests: { cpu: 1000 } }],
}));

/** 4 pods at `milli` CPU each (request 1000m, target 50 %). */
function input(
  milli: number,
  config: Partial<ControllerConfig>,
  status?: ReconcileInput["status"],
): ReconcileInput {
  const i: ReconcileInput = {
    hpa,
    now: NOW,
    currentReplicas: 4,
    pods,
    metrics: [
      { samples: pods.map((p) => ({ pod: p.name, value: milli, timestamp: NOW, windowMs: 60_000 })) },
    ],
    state: emptyState(),
    config,
    explain: false,
  };
  if (status !== undefined) i.status = status;
  return i;
}

describe("reconcile hot-path shortcuts", () => {
  it("applies an edit of the same config object between reconciles", () => {
    const config: Partial<ControllerConfig> = { tolerance: 0.1 };
    // ratio 550/1000 / 0.5 = 1.1: within a 0.1 tolerance (inclusive), outside 0.05
    expect(reconcile(input(550, config)).metricsReplicas).toBe(4);
    config.tolerance = 0.05;
    expect(reconcile(input(550, config)).metricsReplicas).toBe(5);
    config.tolerance = 0.1;
    expect(reconcile(input(550, config)).metricsReplicas).toBe(4);
  });

  it("shares unchanged conditions with the previous result and replaces input entries of another shape", () => {
    const first = reconcile(input(500, {}));
    const second = reconcile(input(500, {}, first.status));
    expect(second.conditions).toEqual(first.conditions);
    expect(second.conditions).not.toBe(first.conditions);
    for (const [i, c] of second.conditions.entries()) expect(c).toBe(first.conditions[i]);

    // Same values, other key order and an extra field: the engine writes its own entry.
    const foreign = first.status.conditions.map(
      (c) =>
        ({
          message: c.message,
          reason: c.reason,
          status: c.status,
          type: c.type,
          lastTransitionTime: c.lastTransitionTime,
          note: "from the API server",
        }) as Condition,
    );
    const third = reconcile(input(500, {}, { ...first.status, conditions: foreign }));
    expect(third.conditions).toEqual(first.conditions);
    for (const c of third.conditions) expect(Object.keys(c)).toEqual(Object.keys(first.conditions[0]!));
  });

  it("leaves its input unchanged", () => {
    const first = reconcile(input(900, {}));
    const prev = first.status;
    const snapshot = JSON.stringify(prev);
    const next = input(900, {}, prev);
    const before = JSON.stringify(next);
    reconcile(next);
    expect(JSON.stringify(next)).toBe(before);
    expect(JSON.stringify(prev)).toBe(snapshot);
  });
});
