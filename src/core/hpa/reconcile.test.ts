/**
 * Whole-reconcile vectors rebuilt from upstream horizontal_test.go (pods `test-pod-<i>` with one container
 * each, CPU utilization target by default, legacy scale-up factor 8, CPU initialization 2m, readiness
 * delay 10s) plus rules from the controller code (reconcile cases, invalid metrics,
 * conditions, reasons and status).
 */
import { describe, expect, it } from "vitest";
import { emptyState, reconcile, targetMilli } from "./reconcile.js";
import { parseHpa } from "./spec.js";
import type {
  HpaScalingRules,
  HpaState,
  HpaStatus,
  MetricReading,
  MetricSpec,
  PodInfo,
  ReconcileInput,
} from "./types.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const CONFIG = { scaleUpLimitFactor: 8, cpuInitializationPeriodMs: 120_000, initialReadinessDelayMs: 10_000 };

interface Tc {
  min?: number;
  max: number;
  spec: number;
  status?: number;
  cpuTarget?: number;
  levels?: number[];
  requests?: number[];
  metrics?: MetricSpec[];
  readings?: (MetricReading | undefined)[];
  up?: HpaScalingRules;
  down?: HpaScalingRules;
  /** undefined: fresh controller (seeded); []: explicit empty history */
  recommendations?: { replicas: number; age: number }[];
  prevStatus?: HpaStatus;
  scale?: ReconcileInput["scale"];
}

function hpaOf(tc: Tc) {
  const spec: Record<string, unknown> = {
    scaleTargetRef: { apiVersion: "v1", kind: "ReplicationController", name: "test-rc" },
    minReplicas: tc.min ?? 1,
    maxReplicas: tc.max,
    metrics: tc.metrics ?? [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: tc.cpuTarget ?? 50 } },
      },
    ],
  };
  if (tc.up !== undefined || tc.down !== undefined) {
    const b: Record<string, unknown> = {};
    if (tc.up) b.scaleUp = tc.up;
    if (tc.down) b.scaleDown = tc.down;
    spec.behavior = b;
  }
  return parseHpa(
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "test-hpa", namespace: "test-namespace" },
      spec,
    },
    "hpa",
    { allowUnknownMetricTypes: true },
  );
}

function run(tc: Tc) {
  const n = tc.requests?.length ?? tc.status ?? tc.spec;
  const pods: PodInfo[] = Array.from({ length: n }, (_, i) => ({
    name: `test-pod-${i}`,
    phase: "Running",
    ready: "True",
    readyTransitionTime: 0,
    startTime: 0,
    labels: { name: "test-pod" },
    containers: [{ name: "container", requests: { cpu: tc.requests?.[i] ?? 1000 } }],
  }));
  const cpuReading: MetricReading = {
    samples: (tc.levels ?? []).map((v, i) => ({
      pod: `test-pod-${i}`,
      timestamp: 0,
      windowMs: 60_000,
      value: v,
    })),
  };
  const state: HpaState =
    tc.recommendations === undefined
      ? emptyState()
      : {
          ...emptyState(),
          recommendations: tc.recommendations.map((r) => ({
            replicas: r.replicas,
            timestamp: NOW - r.age * 1000,
          })),
          recommendationsRecorded: true,
        };
  const input: ReconcileInput = {
    hpa: hpaOf(tc),
    now: NOW,
    currentReplicas: tc.spec,
    pods,
    metrics: tc.readings ?? [cpuReading],
    state,
    config: CONFIG,
    scale: { statusReplicas: tc.status ?? tc.spec, selector: "name=test-pod", ...(tc.scale ?? {}) },
  };
  if (tc.prevStatus) input.status = tc.prevStatus;
  return reconcile(input);
}

const conds = (r: ReturnType<typeof run>) => r.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);
const OK_RESCALED = [
  "AbleToScale=True/SucceededRescale",
  "ScalingActive=True/ValidMetricFound",
  "ScalingLimited=False/DesiredWithinRange",
];
const CPU_NAME = "cpu resource utilization (percentage of request)";

describe("reconcile: upstream controller vectors", () => {
  it("TestScaleUp: 3 -> 5 with the event, conditions and currentMetrics", () => {
    const r = run({
      min: 2,
      max: 6,
      spec: 3,
      cpuTarget: 30,
      levels: [300, 500, 700],
      requests: [1000, 1000, 1000],
    });
    expect(r.desiredReplicas).toBe(5);
    expect(r.rescale).toBe(true);
    expect(r.event).toEqual({
      type: "Normal",
      reason: "SuccessfulRescale",
      message: `New size: 5; reason: ${CPU_NAME} above target`,
    });
    expect(conds(r)).toEqual(OK_RESCALED);
    expect(r.conditions.find((c) => c.type === "AbleToScale")?.message).toBe(
      "the HPA controller was able to update the target scale to 5",
    );
    expect(r.conditions.find((c) => c.type === "ScalingActive")?.message).toBe(
      `the HPA was able to successfully calculate a replica count from ${CPU_NAME}`,
    );
    expect(r.currentMetrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", current: { averageUtilization: 50, averageValue: "500m" } },
      },
    ]);
    expect(r.status).toMatchObject({ currentReplicas: 3, desiredReplicas: 5, lastScaleTime: NOW });
    // legacy path: scale events are stored only when behavior is set
    expect(r.nextState.scaleUpEvents).toEqual([]);
  });

  it("TestScaleDownStabilizeInitialSize: a fresh controller holds the count for one window", () => {
    const r = run({
      min: 2,
      max: 6,
      spec: 5,
      cpuTarget: 50,
      levels: [100, 300, 500, 250, 250],
      requests: Array(5).fill(1000),
    });
    expect(r.desiredReplicas).toBe(5);
    expect(r.rescale).toBe(false);
    expect(conds(r)).toEqual([
      "AbleToScale=True/ScaleDownStabilized",
      "ScalingActive=True/ValidMetricFound",
      "ScalingLimited=False/DesiredWithinRange",
    ]);
    expect(r.nextState.recommendations.map((x) => x.replicas)).toEqual([5, 3]);
  });

  it("TestMissingReports: a scale-down is 'All metrics below target' even when the metric is above target", () => {
    const r = run({
      min: 1,
      max: 5,
      spec: 4,
      cpuTarget: 50,
      levels: [200],
      requests: [200],
      recommendations: [],
    });
    expect(r.desiredReplicas).toBe(2);
    expect(r.event?.message).toBe("New size: 2; reason: All metrics below target");
  });

  it("TestScaleUpOneMetricInvalid: scale-up goes ahead on the valid metric, the error is reported", () => {
    const r = run({
      min: 2,
      max: 6,
      spec: 3,
      levels: [300, 400, 500],
      requests: [1000, 1000, 1000],
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 30 } },
        },
        { type: "CheddarCheese" } as unknown as MetricSpec,
      ],
    });
    expect(r.desiredReplicas).toBe(4);
    expect(r.events[0]).toEqual({
      type: "Warning",
      reason: "InvalidMetricSourceType",
      message: 'unknown metric source type "CheddarCheese"',
    });
    expect(r.error).toBe(
      'invalid metrics (1 invalid out of 2), first error is: unknown metric source type "CheddarCheese"',
    );
    expect(conds(r)).toEqual(OK_RESCALED);
    expect(r.currentMetrics[1]).toEqual({ type: "" });
  });

  it("NoScaleDownOneMetricInvalid: with an invalid metric a scale-down is refused", () => {
    const r = run({
      min: 2,
      max: 6,
      spec: 5,
      levels: [100, 300, 500, 250, 250],
      requests: Array(5).fill(1000),
      recommendations: [],
      prevStatus: { currentReplicas: 5, desiredReplicas: 5, currentMetrics: [], conditions: [] },
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
        },
        { type: "CheddarCheese" } as unknown as MetricSpec,
      ],
    });
    expect(r.case).toBe("metricsFailed");
    expect(r.desiredReplicas).toBe(5);
    expect(r.rescale).toBe(false);
    expect(conds(r)).toEqual([
      "AbleToScale=True/SucceededGetScale",
      "ScalingActive=False/InvalidMetricSourceType",
    ]);
    expect(r.conditions[1]?.message).toBe(
      'the HPA was unable to compute the replica count: unknown metric source type "CheddarCheese"',
    );
    expect(r.events.map((e) => e.reason)).toEqual([
      "InvalidMetricSourceType",
      "FailedComputeMetricsReplicas",
    ]);
    expect(r.error).toBe(
      'failed to compute desired number of replicas based on listed metrics for ReplicationController/test-namespace/test-rc: invalid metrics (1 invalid out of 2), first error is: unknown metric source type "CheddarCheese"',
    );
    // the valid metric's status is still written
    expect(r.currentMetrics[0]?.resource?.current.averageUtilization).toBe(28);
  });

  it("TestUpscaleCap: a 700% policy caps 3 -> 24 (ScaleUpLimit)", () => {
    const r = run({
      min: 1,
      max: 100,
      spec: 3,
      cpuTarget: 10,
      levels: [100, 200, 300],
      requests: [100, 100, 100],
      up: {
        policies: [{ type: "Percent", value: 700, periodSeconds: 60 }],
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
      },
    });
    expect(r.desiredReplicas).toBe(24);
    expect(conds(r)).toEqual([
      "AbleToScale=True/SucceededRescale",
      "ScalingActive=True/ValidMetricFound",
      "ScalingLimited=True/ScaleUpLimit",
    ]);
    expect(r.nextState.scaleUpEvents).toEqual([{ timestamp: NOW, replicaChange: 21 }]);
  });

  it("TestMoreReplicasThanSpecNoScale: status has a surge pod; ratio 1 keeps spec.replicas", () => {
    const r = run({
      min: 1,
      max: 8,
      spec: 4,
      status: 5,
      levels: [500, 500, 500, 500, 500],
      requests: Array(5).fill(1000),
    });
    expect(r.desiredReplicas).toBe(4);
    expect(r.rescale).toBe(false);
    expect(conds(r)[0]).toBe("AbleToScale=True/ReadyForNewScale");
  });

  it("TestConditionFailedUpdateScale: FailedRescale event, AbleToScale=False, desired stays", () => {
    const r = run({
      min: 1,
      max: 5,
      spec: 3,
      cpuTarget: 100,
      levels: [150, 150, 150],
      requests: [100, 100, 100],
      scale: { updateError: "something went wrong" },
      prevStatus: { currentReplicas: 3, desiredReplicas: 3, currentMetrics: [], conditions: [] },
    });
    expect(r.desiredReplicas).toBe(3);
    expect(r.event).toEqual({
      type: "Warning",
      reason: "FailedRescale",
      message: `New size: 5; reason: ${CPU_NAME} above target; error: something went wrong`,
    });
    expect(conds(r)[0]).toBe("AbleToScale=False/FailedUpdateScale");
    expect(r.conditions[0]?.message).toBe(
      "the HPA controller was unable to update the target scale: something went wrong",
    );
    expect(r.status.lastScaleTime).toBeUndefined();
  });

  it("TestConditionFailedGetScale: nothing else happens", () => {
    const r = run({
      min: 1,
      max: 5,
      spec: 3,
      levels: [150, 150, 150],
      scale: { getError: "something went wrong" },
    });
    expect(r.case).toBe("failedGetScale");
    expect(conds(r)).toEqual(["AbleToScale=False/FailedGetScale"]);
    expect(r.conditions[0]?.message).toBe(
      "the HPA controller was unable to get the target's current scale: something went wrong",
    );
    expect(r.events).toEqual([
      { type: "Warning", reason: "FailedGetScale", message: "something went wrong" },
    ]);
    expect(r.nextState.recommendations).toEqual([]);
  });

  it("an unparsable scaleTargetRef.apiVersion fails like a scale GET (FailedGetScale)", () => {
    const hpa = hpaOf({ max: 5, spec: 3 });
    hpa.spec.scaleTargetRef.apiVersion = "apps/v1/extra";
    const r = reconcile({ hpa, now: NOW, currentReplicas: 3, pods: [], metrics: [], state: emptyState() });
    expect(r.case).toBe("failedGetScale");
    expect(r.events).toEqual([
      { type: "Warning", reason: "FailedGetScale", message: "unexpected GroupVersion string: apps/v1/extra" },
    ]);
    expect(r.error).toBe(
      "invalid API version in scale target reference: unexpected GroupVersion string: apps/v1/extra",
    );
  });

  it("TestZeroReplicas: replica count 0 with minReplicas != 0 disables scaling", () => {
    const r = run({ min: 3, max: 5, spec: 0, levels: [] });
    expect(r.case).toBe("disabled");
    expect(r.desiredReplicas).toBe(0);
    expect(conds(r)).toEqual(["AbleToScale=True/SucceededGetScale", "ScalingActive=False/ScalingDisabled"]);
    expect(r.conditions[1]?.message).toBe(
      "scaling is disabled since the replica count of the target is zero",
    );
  });

  it("TestTooManyReplicas / below min: corrected without metrics; ScalingActive/ScalingLimited untouched", () => {
    const r = run({ min: 3, max: 5, spec: 10, levels: [] });
    expect(r.desiredReplicas).toBe(5);
    expect(conds(r)).toEqual(["AbleToScale=True/SucceededRescale"]);
    expect(r.event?.message).toBe("New size: 5; reason: Current number of replicas above Spec.MaxReplicas");
    expect(r.currentMetrics).toEqual([]);
    const prev: HpaStatus = {
      currentReplicas: 1,
      desiredReplicas: 1,
      currentMetrics: [],
      conditions: [
        {
          type: "AbleToScale",
          status: "True",
          reason: "ReadyForNewScale",
          message: "x",
          lastTransitionTime: 5,
        },
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetResourceMetric",
          message: "y",
          lastTransitionTime: 6,
        },
        {
          type: "ScalingLimited",
          status: "True",
          reason: "TooFewReplicas",
          message: "z",
          lastTransitionTime: 7,
        },
      ],
    };
    const below = run({ min: 3, max: 5, spec: 1, levels: [], prevStatus: prev });
    expect(below.desiredReplicas).toBe(3);
    expect(below.event?.message).toBe(
      "New size: 3; reason: Current number of replicas below Spec.MinReplicas",
    );
    expect(below.conditions.slice(1)).toEqual(prev.conditions.slice(1));
    expect(below.conditions[0]).toMatchObject({ reason: "SucceededRescale", lastTransitionTime: 5 });
  });

  it("TestMinReplicas: the proposal is raised to minReplicas (TooFewReplicas)", () => {
    const r = run({
      min: 2,
      max: 5,
      spec: 3,
      cpuTarget: 90,
      levels: [10, 95, 10],
      requests: [900, 1000, 1100],
      recommendations: [],
    });
    expect(r.desiredReplicas).toBe(2);
    expect(conds(r)[2]).toBe("ScalingLimited=True/TooFewReplicas");
  });

  it("TestScaleUpFromZeroIgnoresToleranceCMObject: from 0 replicas, ceil(ratio) without tolerance", () => {
    const r = run({
      min: 0,
      max: 6,
      spec: 0,
      levels: [],
      metrics: [
        {
          type: "Object",
          object: {
            describedObject: { apiVersion: "apps/v1", kind: "Deployment", name: "some-deployment" },
            metric: { name: "qps" },
            target: { type: "Value", value: "1" },
          },
        },
      ],
      readings: [{ samples: [{ value: 1000 }] }],
    });
    expect(r.desiredReplicas).toBe(1);
    expect(r.event?.message).toBe("New size: 1; reason: Deployment metric qps above target");
  });

  it("TestScaleUpCMExternal: Value target times Running+Ready pods; the name prints the selector like Go", () => {
    const r = run({
      min: 2,
      max: 6,
      spec: 3,
      metrics: [
        {
          type: "External",
          external: { metric: { name: "qps", selector: {} }, target: { type: "Value", value: "6666m" } },
        },
      ],
      readings: [{ samples: [{ value: 8600 }] }],
    });
    expect(r.desiredReplicas).toBe(4);
    expect(r.event?.message).toBe(
      "New size: 4; reason: external metric qps(&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}) above target",
    );
    expect(r.currentMetrics[0]).toEqual({
      type: "External",
      external: { metric: { name: "qps", selector: {} }, current: { value: "8600m" } },
    });
  });

  it("Object AverageValue is labelled 'external metric ...' and reports ceil(v/statusReplicas)", () => {
    const r = run({
      min: 1,
      max: 10,
      spec: 3,
      metrics: [
        {
          type: "Object",
          object: {
            describedObject: { apiVersion: "apps/v1", kind: "Deployment", name: "d" },
            metric: { name: "qps", selector: { matchLabels: { a: "b" } } },
            target: { type: "AverageValue", averageValue: "5" },
          },
        },
      ],
      readings: [{ samples: [{ value: 20000 }] }],
    });
    expect(r.desiredReplicas).toBe(4);
    expect(r.event?.message).toBe(
      "New size: 4; reason: external metric qps(&LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{},}) above target",
    );
    expect(r.currentMetrics[0]?.object?.current).toEqual({ averageValue: "6667m" });
  });

  it("TestScaleDownWithScalingRules: behavior set, explicit empty history, 5 -> 3", () => {
    const r = run({
      min: 2,
      max: 6,
      spec: 5,
      levels: [100, 300, 500, 250, 250],
      requests: Array(5).fill(1000),
      up: {
        policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
        stabilizationWindowSeconds: 30,
        selectPolicy: "Max",
      },
      recommendations: [],
    });
    expect(r.desiredReplicas).toBe(3);
    expect(r.event?.message).toBe("New size: 3; reason: All metrics below target");
    expect(r.nextState.scaleDownEvents).toEqual([{ timestamp: NOW, replicaChange: 2 }]);
  });
});

describe("reconcile: selector failures", () => {
  it("missing selector", () => {
    const r = run({ max: 5, spec: 3, levels: [100, 100, 100], scale: { selector: "" } });
    expect(r.case).toBe("metricsFailed");
    expect(conds(r)).toEqual(["AbleToScale=True/SucceededGetScale", "ScalingActive=False/InvalidSelector"]);
    expect(r.conditions[1]?.message).toBe("the HPA target's scale is missing a selector");
    expect(r.events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      "SelectorRequired: selector is required",
      "FailedComputeMetricsReplicas: selector is required",
    ]);
  });

  it("unparsable selector", () => {
    const r = run({ max: 5, spec: 3, levels: [100, 100, 100], scale: { selector: "name in (" } });
    expect(conds(r)[1]).toBe("ScalingActive=False/InvalidSelector");
    expect(r.events[0]?.reason).toBe("InvalidSelector");
    expect(r.conditions[1]?.message).toMatch(
      /^couldn't convert selector into a corresponding internal selector object: /,
    );
  });

  it("ambiguous selector: another HPA selects the same pods", () => {
    const r = run({
      max: 5,
      spec: 3,
      levels: [100, 100, 100],
      scale: { selector: "name=test-pod", otherHpas: [{ name: "other", selector: "name" }] },
    });
    expect(conds(r)[1]).toBe("ScalingActive=False/AmbiguousSelector");
    expect(r.conditions[1]?.message).toBe(
      "pods by selector name=test-pod are controlled by multiple HPAs: [test-namespace/other test-namespace/test-hpa]",
    );
  });
});

describe("reconcile: metrics, tolerance and conditions", () => {
  it("the first invalid metric's condition is the one kept; every failure gets a warning", () => {
    const r = run({
      max: 10,
      spec: 3,
      metrics: [
        {
          type: "Pods",
          pods: { metric: { name: "a" }, target: { type: "AverageValue", averageValue: "1" } },
        },
        { type: "External", external: { metric: { name: "b" }, target: { type: "Value", value: "1" } } },
      ],
      readings: [{ error: "no such metric" }, { samples: [] }],
    });
    expect(r.case).toBe("metricsFailed");
    expect(conds(r)[1]).toBe("ScalingActive=False/FailedGetPodsMetric");
    expect(r.conditions[1]?.message).toBe(
      "the HPA was unable to compute the replica count: unable to get metric a: unable to fetch metrics from custom metrics API: no such metric",
    );
    expect(r.events.map((e) => e.reason)).toEqual([
      "FailedGetPodsMetric",
      "FailedGetExternalMetric",
      "FailedComputeMetricsReplicas",
    ]);
    expect(r.events[1]?.message).toBe(
      "unable to get external metric test-namespace/b/nil: no metrics returned from external metrics API",
    );
  });

  it("the largest proposal wins and names the reason", () => {
    const r = run({
      max: 20,
      spec: 2,
      levels: [500, 500],
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
        },
        {
          type: "Pods",
          pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "10" } },
        },
      ],
      readings: [
        {
          samples: [0, 1].map((i) => ({ pod: `test-pod-${i}`, value: 500, timestamp: 0, windowMs: 60_000 })),
        },
        { samples: [0, 1].map((i) => ({ pod: `test-pod-${i}`, value: 30_000 })) },
      ],
    });
    expect(r.metricProposals.map((p) => p.replicas)).toEqual([2, 6]);
    expect(r.desiredReplicas).toBe(6);
    expect(r.event?.message).toBe("New size: 6; reason: pods metric qps above target");
  });

  it("per-HPA tolerance from behavior.scaleUp/scaleDown.tolerance (KEP-4951)", () => {
    const base: Tc = {
      max: 20,
      spec: 4,
      cpuTarget: 50,
      levels: [540, 540, 540, 540],
      requests: Array(4).fill(1000),
    };
    // ratio 54/50 = 1.08: within the cluster tolerance 0.1
    expect(run(base).desiredReplicas).toBe(4);
    const strict = run({ ...base, up: { tolerance: "0.05" } });
    expect(strict.desiredReplicas).toBe(5);
    const gateOff = reconcile({
      hpa: hpaOf({ ...base, up: { tolerance: "0.05" } }),
      now: NOW,
      currentReplicas: 4,
      pods: Array.from({ length: 4 }, (_, i) => ({
        name: `p${i}`,
        phase: "Running" as const,
        ready: "True" as const,
        readyTransitionTime: 0,
        startTime: 0,
        containers: [{ name: "c", requests: { cpu: 1000 } }],
      })),
      metrics: [
        { samples: Array.from({ length: 4 }, (_, i) => ({ pod: `p${i}`, value: 540, timestamp: 0 })) },
      ],
      state: emptyState(),
      config: { ...CONFIG, configurableTolerance: false },
    });
    expect(gateOff.desiredReplicas).toBe(4);
  });

  it("lastTransitionTime changes only when a condition's status flips", () => {
    const first = run({ max: 6, spec: 3, cpuTarget: 30, levels: [300, 500, 700] });
    const again = reconcile({
      hpa: hpaOf({ max: 6, spec: 5, cpuTarget: 30 }),
      now: NOW + 15_000,
      currentReplicas: 5,
      pods: [],
      metrics: [{ error: "down" }],
      state: first.nextState,
      status: first.status,
      config: CONFIG,
    });
    const able = again.conditions.find((c) => c.type === "AbleToScale");
    const active = again.conditions.find((c) => c.type === "ScalingActive");
    expect(able).toMatchObject({ status: "True", reason: "SucceededGetScale", lastTransitionTime: NOW });
    expect(active).toMatchObject({
      status: "False",
      reason: "FailedGetResourceMetric",
      lastTransitionTime: NOW + 15_000,
    });
    expect(active?.message).toBe(
      "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: down",
    );
    expect(again.status.desiredReplicas).toBe(5);
  });

  it("default behavior from 1 replica allows 5, the legacy path 4 (production factor 2)", () => {
    const pods = (n: number): PodInfo[] =>
      Array.from({ length: n }, (_, i) => ({
        name: `p${i}`,
        phase: "Running",
        ready: "True",
        readyTransitionTime: 0,
        startTime: 0,
        containers: [{ name: "c", requests: { cpu: 100 } }],
      }));
    const hot = { samples: [{ pod: "p0", value: 10_000, timestamp: 0 }] };
    const legacy = reconcile({
      hpa: hpaOf({ max: 100, spec: 1 }),
      now: NOW,
      currentReplicas: 1,
      pods: pods(1),
      metrics: [hot],
      state: emptyState(),
    });
    expect(legacy.desiredReplicas).toBe(4);
    const withBehavior = reconcile({
      hpa: hpaOf({ max: 100, spec: 1, up: {} }),
      now: NOW,
      currentReplicas: 1,
      pods: pods(1),
      metrics: [hot],
      state: emptyState(),
    });
    expect(withBehavior.desiredReplicas).toBe(5);
    expect(withBehavior.nextState.scaleUpEvents).toEqual([{ timestamp: NOW, replicaChange: 4 }]);
  });

  it("status.currentMetrics keeps spec order with zero-valued failed entries", () => {
    const r = run({
      max: 10,
      spec: 2,
      levels: [500, 500],
      metrics: [
        {
          type: "External",
          external: { metric: { name: "queue" }, target: { type: "AverageValue", averageValue: "30" } },
        },
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
        },
      ],
      readings: [
        { error: "gone" },
        { samples: [0, 1].map((i) => ({ pod: `test-pod-${i}`, value: 500, timestamp: 0 })) },
      ],
    });
    expect(r.currentMetrics).toEqual([
      { type: "" },
      {
        type: "Resource",
        resource: { name: "cpu", current: { averageUtilization: 50, averageValue: "500m" } },
      },
    ]);
    expect(r.error).toBe(
      "invalid metrics (1 invalid out of 2), first error is: failed to get queue external metric value: failed to get queue external metric: unable to get external metric test-namespace/queue/nil: unable to fetch metrics from external metrics API: gone",
    );
  });
});

describe("worked examples of the upstream rules (docs/hpa-explain.md, Controller rules reproduced)", () => {
  it("quantities become milli-units rounded up", () => {
    expect(["200m", "1", "1.5", "15.0", "100Mi", "0.0001"].map(targetMilli)).toEqual([
      200, 1000, 1500, 15000, 104857600000, 1,
    ]);
  });

  it("the rescale message names the winning metric: 'New size: 4; reason: pods metric http_requests_qps above target'", () => {
    const r = run({
      max: 10,
      spec: 2,
      metrics: [
        {
          type: "Pods",
          pods: {
            metric: { name: "http_requests_qps" },
            target: { type: "AverageValue", averageValue: "50" },
          },
        },
      ],
      readings: [{ samples: [0, 1].map((i) => ({ pod: `test-pod-${i}`, value: 100_000 })) }],
    });
    expect(r.event?.message).toBe("New size: 4; reason: pods metric http_requests_qps above target");
  });

  it("Object Value is named '<Kind> metric <name>', e.g. 'Deployment metric qps'", () => {
    const r = run({
      max: 10,
      spec: 2,
      metrics: [
        {
          type: "Object",
          object: {
            describedObject: { kind: "Deployment", name: "d" },
            metric: { name: "qps" },
            target: { type: "Value", value: "10" },
          },
        },
      ],
      readings: [{ samples: [{ value: 40_000 }] }],
    });
    expect(r.metricProposals[0]?.name).toBe("Deployment metric qps");
    expect(r.desiredReplicas).toBe(8);
  });

  it("ratio exactly 110/100 does not scale (inclusive bound)", () => {
    const r = run({
      max: 10,
      spec: 4,
      cpuTarget: 100,
      levels: [1100, 1100, 1100, 1100],
      requests: Array(4).fill(1000),
    });
    expect(r.metricProposals[0]?.ratio).toBe(1.1);
    expect(r.desiredReplicas).toBe(4);
  });

  it("a direction flip after rebalancing keeps the current count (the ratio-flip guard)", () => {
    // one pod at 150 % of a 100 % target, two pods missing: rebalanced (1500 + 0 + 0) / 3000 = 50 % -> flip
    const r = run({ max: 10, spec: 3, cpuTarget: 100, levels: [1500], requests: [1000, 1000, 1000] });
    expect(r.metricProposals[0]).toMatchObject({
      ratio: 1.5,
      rebalancedRatio: 0.5,
      path: "rebalanced-direction-flip",
      replicas: 3,
    });
  });
});

describe("explain: false", () => {
  it("decides the same, without the explanation and pod-name groups", () => {
    const tc: Tc = {
      min: 2,
      max: 6,
      spec: 3,
      cpuTarget: 30,
      levels: [300, 500, 700],
      requests: [1000, 1000, 1000],
    };
    const full = run(tc);
    const hpa = hpaOf(tc);
    const pods: PodInfo[] = [0, 1, 2].map((i) => ({
      name: `test-pod-${i}`,
      phase: "Running",
      ready: "True",
      readyTransitionTime: 0,
      startTime: 0,
      containers: [{ name: "container", requests: { cpu: 1000 } }],
    }));
    const quiet = reconcile({
      hpa,
      now: NOW,
      currentReplicas: 3,
      pods,
      metrics: [
        {
          samples: [300, 500, 700].map((v, i) => ({
            pod: `test-pod-${i}`,
            value: v,
            timestamp: 0,
            windowMs: 60_000,
          })),
        },
      ],
      state: emptyState(),
      config: CONFIG,
      explain: false,
    });
    expect(quiet.explanation).toEqual([]);
    expect(quiet.metricProposals[0]?.pods).toBeUndefined();
    expect(full.metricProposals[0]?.pods?.ready).toEqual(["test-pod-0", "test-pod-1", "test-pod-2"]);
    expect({ ...quiet, explanation: [], metricProposals: [] }).toEqual({
      ...full,
      explanation: [],
      metricProposals: [],
    });
    const { pods: _p, ...rest } = full.metricProposals[0]!;
    expect(quiet.metricProposals[0]).toEqual(rest);
  });
});
