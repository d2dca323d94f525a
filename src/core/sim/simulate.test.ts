/**
 * The simulator's own bookkeeping, driven by a scripted stand-in for the engine (the engine itself is
 * tested in core/hpa; the seed-scenario test in seed-qps.test.ts runs the real one end to end).
 */
import { describe, expect, it } from "vitest";
import {
  reconcile as engine,
  type HpaObject,
  type ReconcileInput,
  type ReconcileResult,
} from "../hpa/index.js";
import { loadFunction } from "./load.js";
import { PodSet } from "./pods.js";
import {
  currentsAt,
  formatTargets,
  formatTargetsWith,
  simulationJson,
  simulationJsonChunks,
  targetsAt,
} from "./report.js";
import type { ScenarioSpec } from "./scenario.js";
import { simulate } from "./simulate.js";

const hpa: HpaObject = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "default" },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      {
        type: "Pods",
        pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "50" } },
      },
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
      },
      { type: "External", external: { metric: { name: "queue" }, target: { type: "Value", value: "100" } } },
    ],
  },
};

function spec(over: Partial<ScenarioSpec> = {}): ScenarioSpec {
  return {
    name: "t",
    durationMs: 120_000,
    syncPeriodMs: 15_000,
    startReplicas: 1,
    startEpochMs: 1_000_000_000_000,
    controller: {
      tolerance: 0.1,
      cpuInitializationPeriodMs: 300_000,
      initialReadinessDelayMs: 30_000,
      downscaleStabilizationMs: 300_000,
    },
    workload: {
      capacityPerPod: 100,
      startupDelayMs: 5_000,
      readinessDelayMs: 5_000,
      cpu: { requestMilli: 500, idleMilli: 10, perRequestMilli: 2 },
      metrics: {},
    },
    load: [],
    hpa: {},
    ...over,
  };
}

/** A deep copy of an input as plain data (samples are views whose getters read the step's values). */
function snapshot(input: ReconcileInput): ReconcileInput {
  const metrics = input.metrics.map((m) =>
    m && "samples" in m
      ? {
          samples: m.samples.map((x) => {
            const o: Record<string, unknown> = {};
            for (const k of ["pod", "value", "containers", "timestamp", "windowMs"] as const)
              if (x[k] !== undefined) o[k] = structuredClone(x[k]);
            return o;
          }),
        }
      : m,
  );
  return structuredClone({ ...input, metrics }) as ReconcileInput;
}

/** Scripted engine: asks for the replica counts in `plan` (by reconcile index) and records its inputs. */
function scripted(plan: number[]) {
  const inputs: ReconcileInput[] = [];
  let i = 0;
  const reconcile = (input: ReconcileInput): ReconcileResult => {
    inputs.push(snapshot(input));
    const desired = plan[Math.min(i++, plan.length - 1)]!;
    const rescale = desired !== input.currentReplicas;
    const event = rescale
      ? {
          type: "Normal" as const,
          reason: "SuccessfulRescale",
          message: `New size: ${desired}; reason: test`,
        }
      : undefined;
    const status = {
      currentReplicas: input.currentReplicas,
      desiredReplicas: desired,
      currentMetrics: [],
      conditions: [],
    };
    return {
      desiredReplicas: desired,
      rescale,
      case: "metrics",
      metricProposals: [],
      conditions: [],
      ...(event ? { event } : {}),
      events: event ? [event] : [],
      currentMetrics: [],
      status,
      nextState: input.state,
      explanation: [],
    };
  };
  return { inputs, reconcile };
}

describe("simulate", () => {
  it("reconciles every sync period and creates pods that start and become ready", () => {
    const eng = scripted([1, 3, 3, 3, 3, 3, 3, 3]);
    const run = simulate(spec(), hpa, loadFunction([{ kind: "constant", value: 120 }]), {
      reconcile: eng.reconcile,
    });
    expect(run.steps.map((s) => s.tMs)).toEqual([0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000, 105_000]);
    expect(run.steps.map((s) => s.replicas)).toEqual([1, 3, 3, 3, 3, 3, 3, 3]);
    expect(run.steps.map((s) => s.currentReplicas)).toEqual([1, 1, 3, 3, 3, 3, 3, 3]);

    // t=0: one long-ready pod serves 100 of 120 (capacity), cpu = 10m + 2m x 100 = 210m
    const first = eng.inputs[0]!;
    expect(first.now).toBe(1_000_000_000_000);
    expect(first.config).toMatchObject({
      tolerance: 0.1,
      syncPeriodMs: 15_000,
      downscaleStabilizationWindowMs: 300_000,
    });
    expect(first.pods).toHaveLength(1);
    expect(first.pods[0]).toMatchObject({
      phase: "Running",
      ready: "True",
      containers: [{ name: "app", requests: { cpu: 500 } }],
    });
    expect(first.metrics[0]).toEqual({
      samples: [{ pod: "web-0001", value: 100_000, timestamp: first.now, windowMs: 60_000 }],
    });
    expect(first.metrics[1]).toEqual({
      samples: [{ pod: "web-0001", value: 210, timestamp: first.now, windowMs: 15_000 }],
    });
    expect(first.metrics[2]).toEqual({ samples: [{ value: 120_000, timestamp: first.now }] });

    // t=30s: the two pods created at 15s started at 20s and became ready at 25s: 40 req/s each
    const third = eng.inputs[2]!;
    expect(third.pods.map((p) => [p.name, p.phase, p.ready, p.startTime, p.readyTransitionTime])).toEqual([
      ["web-0001", "Running", "True", 1_000_000_000_000 - 3_600_000, 1_000_000_000_000 - 3_600_000],
      ["web-0002", "Running", "True", 1_000_000_020_000, 1_000_000_025_000],
      ["web-0003", "Running", "True", 1_000_000_020_000, 1_000_000_025_000],
    ]);
    expect((third.metrics[0] as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([
      40_000, 40_000, 40_000,
    ]);

    expect(run.events).toEqual([
      { tMs: 15_000, type: "Normal", reason: "SuccessfulRescale", message: "New size: 3; reason: test" },
    ]);
    // under-provisioned while 120 > ready capacity: [0, 25s) with one ready pod
    expect(run.summary.underProvisionedMinutes).toBeCloseTo(25 / 60, 10);
    expect(run.summary.unservedTotal).toBeCloseTo(20 * 25, 9);
    expect(run.summary.offeredTotal).toBeCloseTo(120 * 120, 9);
    // pods: 1 during [0,15s), 3 during [15s,120s)
    expect(run.summary.podHours).toBeCloseTo((15 + 3 * 105) / 3600, 12);
    expect(run.summary).toMatchObject({
      reconciles: 8,
      peakReplicas: 3,
      minReplicasSeen: 1,
      scaleUps: 1,
      scaleDowns: 0,
      scaleEvents: 1,
    });
  });

  it("gives Pending pods no metric and NotReady pods no load", () => {
    const eng = scripted([2]);
    simulate(
      spec({
        durationMs: 45_000,
        workload: { ...spec().workload, startupDelayMs: 20_000, readinessDelayMs: 20_000 },
      }),
      hpa,
      loadFunction([{ kind: "constant", value: 60 }]),
      { reconcile: eng.reconcile },
    );
    // t=15s: new pod created at 0 is Pending until 20s
    const pending = eng.inputs[1]!;
    expect(pending.pods[1]).toMatchObject({ phase: "Pending" });
    expect(pending.pods[1]!.ready).toBeUndefined();
    expect((pending.metrics[0] as { samples: unknown[] }).samples).toHaveLength(1);
    // t=30s: Running since 20s, not Ready until 40s: reports 0 req/s and idle cpu
    const notReady = eng.inputs[2]!;
    expect(notReady.pods[1]).toMatchObject({
      phase: "Running",
      ready: "False",
      startTime: 1_000_000_020_000,
    });
    expect((notReady.metrics[0] as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([
      60_000, 0,
    ]);
    expect((notReady.metrics[1] as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([
      130, 10,
    ]);
  });

  it("removes the newest pods on scale-down and counts the events", () => {
    const eng = scripted([4, 4, 2, 2, 1]);
    const run = simulate(spec({ durationMs: 75_000 }), hpa, loadFunction([{ kind: "constant", value: 10 }]), {
      reconcile: eng.reconcile,
    });
    expect(eng.inputs[3]!.pods.map((p) => p.name)).toEqual(["web-0001", "web-0002"]);
    expect(run.summary).toMatchObject({
      scaleUps: 1,
      scaleDowns: 2,
      scaleEvents: 3,
      peakReplicas: 4,
      minReplicasSeen: 1,
    });
    expect(run.summary.underProvisionedMinutes).toBe(0);
  });

  it("averages a windowed metric over the reconciles in its window", () => {
    const eng = scripted([1]);
    const w = {
      ...spec().workload,
      capacityPerPod: 1000,
      metrics: { qps: { from: "servedPerPod" as const, scale: 1, windowMs: 60_000 } },
    };
    simulate(
      spec({ workload: w, durationMs: 90_000 }),
      hpa,
      loadFunction([{ kind: "step", atMs: 30_000, value: 100 }]),
      {
        reconcile: eng.reconcile,
      },
    );
    const qps = eng.inputs.map((i) => (i.metrics[0] as { samples: { value: number }[] }).samples[0]!.value);
    // 60 s / 15 s = 4 values: 0,0,100 -> 33.333; 0,0,100,100 -> 50; 0,100,100,100 -> 75; then 100
    expect(qps).toEqual([0, 0, 33_333, 50_000, 75_000, 100_000]);
    // the External metric has no window: instantaneous
    expect(
      eng.inputs.map((i) => (i.metrics[2] as { samples: { value: number }[] }).samples[0]!.value),
    ).toEqual([0, 0, 100_000, 100_000, 100_000, 100_000]);
  });

  it("reports no under-provisioning figure without a capacity model", () => {
    const eng = scripted([1]);
    const w = { ...spec().workload, capacityPerPod: Number.POSITIVE_INFINITY };
    const run = simulate(spec({ workload: w }), hpa, loadFunction([{ kind: "constant", value: 1e6 }]), {
      reconcile: eng.reconcile,
    });
    expect(run.summary.underProvisionedMinutes).toBeUndefined();
    expect(run.steps[0]!.served).toBe(1e6);
  });

  it("requires a resource model for resource metrics", () => {
    const eng = scripted([1]);
    const { cpu: _cpu, ...noCpu } = spec().workload;
    expect(() =>
      simulate(spec({ workload: noCpu }), hpa, loadFunction([{ kind: "constant", value: 1 }]), {
        reconcile: eng.reconcile,
      }),
    ).toThrow(/required because spec\.hpa\.spec\.metrics\[1\] is a cpu Resource metric/);
  });
});

describe("PodSet", () => {
  it("counts running and ready pods and finds the next transition", () => {
    const p = new PodSet("x", 5, 10);
    p.seed(2, -100);
    p.create(2, 0);
    p.create(1, 20);
    expect([p.runningAt(0), p.readyAt(0)]).toEqual([2, 2]);
    expect([p.runningAt(5), p.readyAt(5)]).toEqual([4, 2]);
    expect([p.runningAt(15), p.readyAt(15)]).toEqual([4, 4]);
    expect([p.runningAt(25), p.readyAt(35)]).toEqual([5, 5]);
    expect(p.nextTransitionAfter(0)).toBe(5);
    expect(p.nextTransitionAfter(15)).toBe(25);
    p.remove(2);
    expect(p.all.map((x) => x.name)).toEqual(["x-0001", "x-0002", "x-0003"]);
    expect(p.readyAt(100)).toBe(3);
  });
});

describe("simulate with the real engine", () => {
  it("reads ContainerResource cpu and memory AverageValue metrics from the workload model", () => {
    const h: HpaObject = {
      ...hpa,
      spec: {
        ...hpa.spec,
        metrics: [
          {
            type: "ContainerResource",
            containerResource: {
              name: "cpu",
              container: "server",
              target: { type: "Utilization", averageUtilization: 50 },
            },
          },
          {
            type: "Resource",
            resource: { name: "memory", target: { type: "AverageValue", averageValue: "300Mi" } },
          },
        ],
      },
    };
    const mi = 1024 * 1024 * 1000; // one Mi in milli-bytes
    const w = {
      ...spec().workload,
      cpu: { requestMilli: 500, idleMilli: 10, perRequestMilli: 2 },
      memory: { requestMilli: 512 * mi, idleMilli: 200 * mi, perRequestMilli: mi },
    };
    const run = simulate(
      spec({ workload: w, durationMs: 30_000 }),
      h,
      loadFunction([{ kind: "constant", value: 120 }]),
    );
    // t=0: one pod serves 100 (capacity): cpu 10m + 2m x 100 = 210m of 500m = 42 %, ratio 0.84 -> ceil(0.84 x 1) = 1
    // memory 200Mi + 100 x 1Mi = 300Mi = target -> ratio 1 -> 1
    const first = run.steps[0]!;
    expect(first.proposals).toEqual([1, 1]);
    expect(first.values).toEqual([42, 300 * 1024 * 1024]);
    // status quantities are DecimalSI milli-quantities, so kubectl prints memory as plain bytes
    expect(targetsAt(h.spec.metrics, run.timeline, 0)).toBe("cpu: 42%/50%, memory: 314572800/300Mi");
  });
});

describe("simulate: limits and huge values", () => {
  it("refuses an HPA whose maxReplicas exceeds the pods the simulator models", () => {
    const h: HpaObject = { ...hpa, spec: { ...hpa.spec, maxReplicas: 2_000_000 } };
    expect(() =>
      simulate(spec({ source: "s.yaml" }), h, loadFunction([{ kind: "constant", value: 1 }])),
    ).toThrow("2000000 is more pods than the simulator models (at most 100000)");
  });

  it("keeps every number finite at the load and scale limits (metric values saturate at int64 milli)", () => {
    const h: HpaObject = {
      ...hpa,
      spec: {
        ...hpa.spec,
        maxReplicas: 50,
        metrics: [
          {
            type: "Pods",
            pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1m" } },
          },
          {
            type: "External",
            external: { metric: { name: "queue" }, target: { type: "AverageValue", averageValue: "1m" } },
          },
        ],
      },
    };
    const w = {
      ...spec().workload,
      capacityPerPod: 1e12,
      metrics: {
        qps: { from: "offeredPerPod" as const, scale: 1e12, windowMs: 0 },
        queue: { from: "offered" as const, scale: 1e12, windowMs: 0 },
      },
    };
    const run = simulate(
      spec({ workload: w, durationMs: 120_000 }),
      h,
      loadFunction([
        { kind: "constant", value: 1e12 },
        { kind: "spike", atMs: 30_000, durationMs: 30_000, value: 1e12, riseMs: 0, fallMs: 0 },
      ]),
    );
    const json = JSON.stringify({ summary: run.summary, steps: run.steps });
    expect(json).not.toContain("null");
    expect(run.summary.peakReplicas).toBe(50);
    for (const st of run.steps) for (const p of st.proposals) expect(p).toBe(2_147_483_647);
  });
});

describe("simulationJsonChunks", () => {
  it("concatenates to exactly JSON.stringify(simulationJson(run), null, 2)", () => {
    const load = loadFunction([
      { kind: "constant", value: 20 },
      { kind: "spike", atMs: 60_000, durationMs: 120_000, value: 400, riseMs: 0, fallMs: 0 },
    ]);
    const s = spec({ durationMs: 900_000 });
    const run = simulate(s, hpa, load);
    expect(run.events.length).toBeGreaterThan(0);
    expect(run.underProvisioned.length).toBeGreaterThan(0);
    expect([...simulationJsonChunks(run)].join("")).toBe(JSON.stringify(simulationJson(run), null, 2));
    const bare = simulate(s, hpa, load, { recordSteps: false });
    expect([...simulationJsonChunks(bare)].join("")).toBe(JSON.stringify(simulationJson(bare), null, 2));
  });
});

describe("timeline columns", () => {
  it("reproduce the engine's status.currentMetrics exactly in TARGETS, for every metric kind", () => {
    const h: HpaObject = {
      ...hpa,
      spec: {
        ...hpa.spec,
        metrics: [
          ...hpa.spec.metrics,
          {
            type: "External",
            external: { metric: { name: "queue" }, target: { type: "AverageValue", averageValue: "1500m" } },
          },
          {
            type: "Object",
            object: {
              describedObject: { apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "main" },
              metric: { name: "hits" },
              target: { type: "Value", value: "2k" },
            },
          },
        ],
      },
    };
    const seen: ReconcileResult[] = [];
    const run = simulate(
      spec({ durationMs: 3_600_000 }),
      h,
      loadFunction([
        { kind: "sine", mean: 300, amplitude: 250, periodMs: 1_200_000, peakAtMs: 0 },
        { kind: "noise", amplitude: 7.3, intervalMs: 15_000, seed: 3 },
      ]),
      {
        reconcile: (input) => {
          const r = engine(input);
          seen.push(r);
          return r;
        },
      },
    );
    expect(run.timeline.length).toBe(240);
    const specs = h.spec.metrics;
    for (let k = 0; k < run.timeline.length; k++) {
      expect(targetsAt(specs, run.timeline, k)).toBe(formatTargets(specs, seen[k]!.currentMetrics));
      // TARGETS shows two metrics; compare each one on its own too
      const cur = currentsAt(specs, run.timeline, k);
      for (let i = 0; i < specs.length; i++)
        expect(formatTargetsWith([specs[i]!], () => cur(i))).toBe(
          formatTargets([specs[i]!], [seen[k]!.currentMetrics[i]!]),
        );
    }
    expect(new Set(seen.map((r) => r.desiredReplicas)).size).toBeGreaterThan(1);
  });
});
