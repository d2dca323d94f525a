import { describe, expect, it } from "vitest";
import type { ToolkitError } from "../errors.js";
import { parseHpa } from "../hpa/spec.js";
import { parseQuantity } from "../quantity/quantity.js";
import { loadFunction } from "./load.js";
import { comparisonJson, relativeChange, renderComparison, simulatePredictive } from "./predictive.js";
import { parseScenario } from "./scenario.js";

function scenario(extra: Record<string, unknown>, metrics?: unknown[]) {
  const doc = {
    apiVersion: "autoscaling.tidescale.dev/v1alpha1",
    kind: "Simulation",
    metadata: { name: "t" },
    spec: {
      duration: "4h",
      start: "2026-03-02T05:00:00Z",
      history: "4d",
      workload: {
        capacityPerPod: 50,
        startupDelay: "60s",
        readinessDelay: "60s",
        metrics: { http_requests: { from: "offeredPerPod", window: "2m" } },
      },
      load: [{ sine: { mean: 300, amplitude: 280, period: "24h", peakAt: "13h" } }],
      hpa: {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web", namespace: "shop" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 1,
          maxReplicas: 30,
          metrics: metrics ?? [
            {
              type: "Pods",
              pods: {
                metric: { name: "http_requests" },
                target: { type: "AverageValue", averageValue: "48" },
              },
            },
          ],
        },
      },
      ...extra,
    },
  };
  const spec = parseScenario(doc, "s.yaml", (t, w) => parseQuantity(t, w).milliValue());
  const load = loadFunction(spec.load as Parameters<typeof loadFunction>[0]);
  return { spec, hpa: parseHpa(spec.hpa, "s.yaml"), load };
}

const prediction = {
  predictionWindowSeconds: 900,
  predictionAlgorithm: {
    algorithmType: "multi-seasonal",
    multiSeasonal: { sampleInterval: "5m", historyLength: "4d" },
  },
};

describe("simulatePredictive", () => {
  it("scales ahead of a daily ramp: fewer under-provisioned minutes than the HPA alone", () => {
    const s = scenario({ prediction });
    const c = simulatePredictive(s.spec, s.hpa, s.load, { recordSteps: false });
    const r = c.reactive.summary.underProvisionedMinutes!;
    const p = c.predictive.summary.underProvisionedMinutes!;
    expect(r).toBeGreaterThan(5);
    expect(p).toBeLessThan(r / 2);
    expect(
      c.predictive.hpa.spec.metrics.map((m) => (m.type === "External" ? m.external.metric.name : m.type)),
    ).toEqual(["Pods", "tidescale_prediction"]);
    expect(renderComparison(c)).toContain(`under-provisioned minutes: ${r.toFixed(1)} -> ${p.toFixed(1)}`);
    const j = comparisonJson(c) as {
      reactive: { underProvisionedMinutes: number; podHours: number };
      predictive: { underProvisionedMinutes: number; podHours: number };
      change: { underProvisionedMinutes: number; podHours: number; peakReplicas: number };
    };
    expect(j.reactive.underProvisionedMinutes).toBe(r);
    expect(j.predictive.underProvisionedMinutes).toBe(p);
    expect(j.change.underProvisionedMinutes).toBeCloseTo((p - r) / r, 12);
    expect(j.change.podHours).toBeCloseTo(j.predictive.podHours / j.reactive.podHours - 1, 12);
    expect(j.change.peakReplicas).toBe(c.predictive.summary.peakReplicas - c.reactive.summary.peakReplicas);
  }, 60_000);

  it("relative change: 0 -> 0 is 0, 0 -> more has no ratio", () => {
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(0, 3)).toBeNull();
    expect(relativeChange(4, 3)).toBe(-0.25);
  });

  it("a cron floor holds its replicas while active", () => {
    const s = scenario({
      duration: "2h",
      crons: [{ name: "floor", start: "30 5 * * *", end: "30 6 * * *", targetReplicas: 9 }],
    });
    const c = simulatePredictive(s.spec, s.hpa, s.load);
    const steps = c.predictive.steps;
    const at = (min: number) => steps.find((x) => x.tMs >= min * 60_000)!;
    expect(at(40).replicas).toBeGreaterThanOrEqual(9);
    expect(at(80).replicas).toBeGreaterThanOrEqual(9);
    expect(at(119).replicas).toBeLessThan(9);
    expect(Math.max(...c.reactive.steps.map((x) => x.replicas))).toBeLessThan(9);
  });

  it("names the scenario field of a bad parameter", () => {
    const oneLine = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as ToolkitError).oneLine();
      }
      return "no error";
    };
    const s = scenario({
      prediction: { predictionAlgorithm: { algorithmType: "dsp", dsp: { historyLength: "1d" } } },
    });
    expect(oneLine(() => simulatePredictive(s.spec, s.hpa, s.load))).toBe(
      "s.yaml: spec.prediction.predictionAlgorithm.dsp.historyLength: must be at least 48h",
    );
    const cpu = scenario({ prediction, workload: { cpu: { request: "1", perRequest: "10m" } } }, [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
      },
    ]);
    expect(oneLine(() => simulatePredictive(cpu.spec, cpu.hpa, cpu.load))).toMatch(
      /^s\.yaml: spec\.hpa\.spec\.metrics\[0\]: the simulator predicts Pods and External metrics/,
    );
  });
});
