import { describe, expect, it } from "vitest";
import type { MetricSpec } from "../hpa/types.js";
import { hpaAction, hpaSpecEqual } from "./managed-hpa.js";
import { reconcileEhpa } from "./reconcile.js";
import type { TspMetricStatus, TspStatus } from "./types.js";

const NOW = Date.parse("2026-03-02T10:00:00Z") / 1000;
const pods: MetricSpec = {
  type: "Pods",
  pods: { metric: { name: "http_requests" }, target: { type: "AverageValue", averageValue: "10" } },
};
const cpu: MetricSpec = {
  type: "Resource",
  resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
};

function ehpa(spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "autoscaling.tidescale.dev/v1alpha1",
    kind: "EffectiveHorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "shop", uid: "u-1" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [pods],
      prediction: { predictionWindowSeconds: 600 },
      ...spec,
    },
    ...extra,
  };
}

function metricStatus(id: string, over: Partial<TspMetricStatus> = {}): TspMetricStatus {
  return {
    resourceIdentifier: id,
    ready: true,
    servedQuantile: "p90",
    prediction: [
      {
        labels: [{ name: "quantile", value: "p90" }],
        samples: [
          { timestamp: NOW + 60, value: "31.5" },
          { timestamp: NOW + 300, value: "44.0001" },
          { timestamp: NOW + 900, value: "99" },
        ],
      },
    ],
    ...over,
  };
}

function tspStatus(metrics: TspMetricStatus[]): TspStatus {
  return {
    predictionMetrics: metrics,
    conditions: [
      {
        type: "Ready",
        status: metrics.every((m) => m.ready) ? "True" : "False",
        reason: "PredictSucceed",
        message: "",
        lastTransitionTime: "2026-03-02T09:00:00Z",
      },
    ],
  };
}

describe("reconcileEhpa", () => {
  it("creates HPA and TSP; the prediction metric waits for a servable forecast", () => {
    const d = reconcileEhpa({ object: ehpa(), nowSec: NOW, hpaApiVersion: "autoscaling/v2beta2" });
    expect(d.hpa?.action).toBe("create");
    expect(d.hpa?.manifest.apiVersion).toBe("autoscaling/v2beta2");
    expect(d.hpa?.manifest.metadata).toEqual({
      name: "ehpa-web",
      namespace: "shop",
      labels: {
        "app.kubernetes.io/managed-by": "tidescale",
        "autoscaling.tidescale.dev/effective-hpa-uid": "u-1",
      },
      ownerReferences: [
        {
          apiVersion: "autoscaling.tidescale.dev/v1alpha1",
          kind: "EffectiveHorizontalPodAutoscaler",
          name: "web",
          uid: "u-1",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(d.hpa?.manifest.spec.metrics).toEqual([pods]);
    expect(d.tsp?.action).toBe("create");
    expect(d.tsp?.manifest.spec.predictionMetrics).toEqual([
      {
        resourceIdentifier: "pods.http_requests",
        type: "ExpressionQuery",
        expressionQuery: {
          expression: 'sum(http_requests{namespace="shop",pod=~"^web-[a-z0-9]+-[a-z0-9]{5}$"})',
        },
        algorithm: { algorithmType: "multi-seasonal" },
      },
    ]);
    expect(d.status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Ready", "True", "EffectiveHorizontalPodAutoscalerReady"],
      ["PredictionReady", "Unknown", "WaitingForForecast"],
    ]);
    expect(d.events.map((e) => e.reason)).toEqual([
      "EffectiveHorizontalPodAutoscalerReady",
      "HPACreated",
      "TSPCreated",
    ]);
  });

  it("adds one prediction metric per servable metric and the cron metric", () => {
    const d = reconcileEhpa({
      object: ehpa({
        metrics: [pods, cpu],
        crons: [{ name: "work", start: "0 9 * * *", end: "0 18 * * *", targetReplicas: 4 }],
      }),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      observedTsp: { status: tspStatus([metricStatus("pods.http_requests"), metricStatus("resource.cpu")]) },
      requests: { pod: { cpu: 250 } },
    });
    const sel = (id: string) => ({
      matchLabels: {
        targetKind: "Deployment",
        targetName: "web",
        targetNamespace: "shop",
        resourceIdentifier: id,
      },
    });
    expect(d.hpa?.manifest.spec.metrics).toEqual([
      pods,
      cpu,
      {
        type: "External",
        external: {
          metric: { name: "tidescale_prediction", selector: sel("pods.http_requests") },
          target: { type: "AverageValue", averageValue: "10" },
        },
      },
      {
        type: "External",
        external: {
          metric: { name: "tidescale_prediction", selector: sel("resource.cpu") },
          target: { type: "AverageValue", averageValue: "125m" },
        },
      },
      {
        type: "External",
        external: {
          metric: { name: "tidescale_cron", selector: sel("cron") },
          target: { type: "AverageValue", averageValue: "1" },
        },
      },
    ]);
    expect(d.predicted).toEqual(["pods.http_requests", "resource.cpu"]);
    expect(d.status.conditions[1]).toMatchObject({ type: "PredictionReady", status: "True" });
  });

  it("takes a gated metric out with a condition saying why, and keeps the reactive metric", () => {
    const gated = metricStatus("pods.http_requests", {
      ready: false,
      reason: "AccuracyBelowThreshold",
      message:
        "window-peak miss share 0.50, WAPE 0.20 over 8.0 windows: above the limits (miss share 0.3, WAPE 0.5)",
    });
    const d = reconcileEhpa({
      object: ehpa(),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      observedTsp: { status: tspStatus([gated]) },
    });
    expect(d.hpa?.manifest.spec.metrics).toEqual([pods]);
    const c = d.status.conditions.find((x) => x.type === "PredictionReady");
    expect(c?.status).toBe("False");
    expect(c?.reason).toBe("AccuracyBelowThreshold");
    expect(c?.message).toContain(
      "pods.http_requests left out of the HPA (AccuracyBelowThreshold: window-peak miss share 0.50",
    );
    expect(c?.message).toContain("reactive metrics still scale");
  });

  it("an outdated forecast is not served", () => {
    const old = metricStatus("pods.http_requests");
    const d = reconcileEhpa({
      object: ehpa(),
      nowSec: NOW + 2000,
      hpaApiVersion: "autoscaling/v2",
      observedTsp: { status: tspStatus([old]) },
    });
    expect(d.predicted).toEqual([]);
  });

  it("an invalid spec gives Ready=False naming every field and writes nothing", () => {
    const d = reconcileEhpa({
      object: ehpa({
        minReplicas: 5,
        maxReplicas: 2,
        prediction: { predictionAlgorithm: { algorithmType: "dsp", dsp: { historyLength: "1d" } } },
      }),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
    });
    expect(d.hpa).toBeUndefined();
    expect(d.tsp).toBeUndefined();
    expect(d.status.conditions[0]).toMatchObject({
      type: "Ready",
      status: "False",
      reason: "InvalidSpec",
      message:
        "spec.maxReplicas: must be greater than or equal to minReplicas (5); spec.prediction.predictionAlgorithm.dsp.historyLength: must be at least 48h",
    });
    expect(d.events).toEqual([
      { type: "Warning", reason: "InvalidSpec", message: d.status.conditions[0]!.message },
    ]);
  });

  it("a target scaled to zero disables scaling", () => {
    const d = reconcileEhpa({
      object: ehpa(),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      targetReplicas: 0,
    });
    expect(d.hpa).toBeUndefined();
    expect(d.status.conditions[0]?.reason).toBe("ScalingDisabled");
  });

  it("Preview scales a Substitute and writes specificReplicas to the target", () => {
    const d = reconcileEhpa({
      object: ehpa({ scaleStrategy: "Preview", specificReplicas: 3 }),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      targetReplicas: 5,
    });
    expect(d.hpa?.manifest.spec.scaleTargetRef).toEqual({
      apiVersion: "autoscaling.tidescale.dev/v1alpha1",
      kind: "Substitute",
      name: "ehpa-web",
    });
    expect(d.substitute).toMatchObject({
      action: "create",
      manifest: {
        spec: {
          substituteTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          replicas: 5,
        },
      },
    });
    expect(d.scaleTo).toBe(3);
    const again = reconcileEhpa({
      object: ehpa({ scaleStrategy: "Preview", specificReplicas: 3 }),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      targetReplicas: 3,
      observedSubstitute: { spec: d.substitute?.manifest.spec },
    });
    expect(again.scaleTo).toBeUndefined();
    expect(again.substitute?.action).toBe("update"); // the mirrored replica count changed 5 -> 3
  });

  it("copies the HPA status and conditions; an unchanged status is not rewritten", () => {
    const observedHpa = {
      metadata: {
        labels: {
          "app.kubernetes.io/managed-by": "tidescale",
          "autoscaling.tidescale.dev/effective-hpa-uid": "u-1",
        },
        ownerReferences: [{ uid: "u-1", controller: true }],
      },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: "Pods",
            pods: { metric: { name: "http_requests" }, target: { type: "AverageValue", averageValue: "10" } },
          },
        ],
      },
      status: {
        currentReplicas: 3,
        desiredReplicas: 4,
        conditions: [
          {
            type: "AbleToScale",
            status: "True",
            reason: "SucceededRescale",
            message: "ok",
            lastTransitionTime: "2026-03-02T09:59:00Z",
          },
        ],
      },
    };
    const first = reconcileEhpa({
      object: ehpa({ prediction: undefined }),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      observedHpa,
    });
    expect(first.hpa?.action).toBe("none");
    expect(first.status).toMatchObject({ expectReplicas: 4, currentReplicas: 3 });
    expect(first.status.conditions.map((c) => c.type)).toEqual(["Ready", "AbleToScale"]);
    const second = reconcileEhpa({
      object: { ...ehpa({ prediction: undefined }), status: first.status },
      nowSec: NOW + 60,
      hpaApiVersion: "autoscaling/v2",
      observedHpa,
    });
    expect(second.statusChanged).toBe(false);
    expect(second.events).toEqual([]);
  });

  it("deletes the TSP when prediction is removed", () => {
    const d = reconcileEhpa({
      object: ehpa({ prediction: undefined }),
      nowSec: NOW,
      hpaApiVersion: "autoscaling/v2",
      observedTsp: {},
    });
    expect(d.deleteTsp).toBe(true);
    expect(d.tsp).toBeUndefined();
  });
});

describe("hpaSpecEqual and hpaAction", () => {
  const desired = {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      {
        type: "External" as const,
        external: { metric: { name: "m" }, target: { type: "AverageValue" as const, averageValue: "0.5" } },
      },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
  };
  it("compares quantities by value and applies API defaults", () => {
    const observed = JSON.parse(JSON.stringify(desired));
    observed.metrics[0].external.target.averageValue = "500m";
    delete observed.minReplicas;
    observed.behavior = {
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: "Max",
        policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
      },
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
      },
    };
    expect(hpaSpecEqual(desired, observed)).toBe(true);
    observed.maxReplicas = 11;
    expect(hpaSpecEqual(desired, observed)).toBe(false);
  });

  it("rewrites missing labels or owner references (drift) but not an equal object", () => {
    const manifest = {
      apiVersion: "autoscaling/v2" as const,
      kind: "HorizontalPodAutoscaler" as const,
      metadata: {
        name: "ehpa-web",
        namespace: "shop",
        labels: { a: "b" },
        ownerReferences: [
          { apiVersion: "x", kind: "y", name: "web", uid: "u", controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: desired,
    };
    expect(hpaAction(manifest, undefined)).toBe("create");
    expect(
      hpaAction(manifest, {
        metadata: { labels: { a: "b", extra: "1" }, ownerReferences: [{ uid: "u", controller: true }] },
        spec: desired,
      }),
    ).toBe("none");
    expect(
      hpaAction(manifest, {
        metadata: { labels: {}, ownerReferences: [{ uid: "u", controller: true }] },
        spec: desired,
      }),
    ).toBe("update");
  });
});
