/**
 * Replica calculator vectors, rebuilt from the upstream replica_calculator_test.go cases (same pods,
 * levels, requests and expectations; unit-test flags: tolerance 0.1, CPU initialization 2m, readiness
 * delay 10s). Pods are `test-pod-<i>` with containers `container1`/`container2`; a pod with no start time
 * given started at the zero time; "hot" pods started now, "cool" ones 3 minutes ago.
 */
import { describe, expect, it } from "vitest";
import {
  fetchExternalMetric,
  fetchObjectMetric,
  fetchPodsMetrics,
  fetchResourceMetrics,
  podsMetricsByPod,
  resourceMetricsByPod,
} from "./metric-sources.js";
import {
  isWithinTolerance,
  perPodReplicas,
  plainMetricReplicas,
  resourceUtilizationReplicas,
  valueReplicas,
} from "./replica-calculator.js";
import type { PodInfo, PodPhase } from "./types.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const HOT = NOW;
const COOL = NOW - 3 * 60_000;
const TOL = { scaleUp: 0.1, scaleDown: 0.1 };
const TIMING = { now: NOW, cpuInitializationPeriodMs: 120_000, initialReadinessDelayMs: 10_000 };

interface Vec {
  name: string;
  current: number;
  expected?: number;
  error?: string;
  readiness?: ("True" | "False")[];
  start?: number[];
  phase?: PodPhase[];
  deleted?: boolean[];
}

/** Upstream harness: max(current, len(phase)) pods, each with two containers and the same request. */
function makePods(v: Vec, requests: number[]): PodInfo[] {
  const n = Math.max(v.current, v.phase?.length ?? 0);
  return Array.from({ length: n }, (_, i) => {
    const req = requests[i];
    const pod: PodInfo = {
      name: `test-pod-${i}`,
      phase: v.phase?.[i] ?? "Running",
      ready: v.readiness?.[i] ?? "True",
      readyTransitionTime: 0,
      startTime: v.start?.[i] ?? 0,
      containers: [
        { name: "container1", requests: req === undefined ? {} : { cpu: req } },
        { name: "container2", requests: req === undefined ? {} : { cpu: req } },
      ],
    };
    if (v.deleted?.[i]) pod.deletionTimestamp = NOW;
    return pod;
  });
}

interface ResVec extends Vec {
  requests: number[];
  /** per pod, per container (or one value for both containers) */
  levels: (number | [number, number])[];
  target: number;
  utilization?: number;
  raw?: number;
  container?: string;
}

function runResource(v: ResVec) {
  const pods = makePods(v, v.requests);
  const samples = v.levels.map((l, i) => {
    const [a, b] = typeof l === "number" ? [l, l] : l;
    return {
      pod: `test-pod-${i}`,
      timestamp: 0,
      windowMs: 60_000,
      containers: [
        { name: "container1", usage: { cpu: a } },
        { name: "container2", usage: { cpu: b } },
      ],
    };
  });
  const fetched = fetchResourceMetrics({ samples }, "cpu", v.container ?? "", NOW);
  if (!fetched.ok)
    return { ok: false as const, error: `unable to get metrics for resource cpu: ${fetched.error}` };
  return resourceUtilizationReplicas({
    currentReplicas: v.current,
    pods,
    metrics: fetched.value,
    tolerances: TOL,
    timing: TIMING,
    targetUtilization: v.target,
    resource: "cpu",
    container: v.container ?? "",
    podLevelResources: true,
  });
}

const R = (n: number) => Array.from({ length: n }, () => 1000);

const resourceVectors: ResVec[] = [
  {
    name: "ScaleUp",
    current: 3,
    expected: 5,
    requests: R(3),
    levels: [300, 500, 700],
    target: 30,
    utilization: 50,
    raw: 1000,
  },
  {
    name: "ContainerScaleUp",
    current: 3,
    expected: 5,
    requests: R(3),
    levels: [
      [1000, 300],
      [1000, 500],
      [1000, 700],
    ],
    target: 30,
    utilization: 50,
    raw: 500,
    container: "container2",
  },
  {
    name: "ScaleUpUnreadyLessScale",
    current: 3,
    expected: 4,
    readiness: ["False", "True", "True"],
    requests: R(3),
    levels: [300, 500, 700],
    target: 30,
    utilization: 60,
    raw: 1200,
  },
  {
    name: "ScaleUpHotCpuLessScale",
    current: 3,
    expected: 4,
    start: [HOT, COOL, COOL],
    requests: R(3),
    levels: [300, 500, 700],
    target: 30,
    utilization: 60,
    raw: 1200,
  },
  {
    name: "ScaleUpContainerHotCpuLessScale",
    current: 3,
    expected: 4,
    start: [HOT, COOL, COOL],
    requests: R(3),
    levels: [
      [0, 300],
      [0, 500],
      [0, 700],
    ],
    target: 30,
    utilization: 60,
    raw: 600,
    container: "container2",
  },
  {
    name: "ScaleUpUnreadyNoScale",
    current: 3,
    expected: 3,
    readiness: ["True", "False", "False"],
    requests: R(3),
    levels: [400, 500, 700],
    target: 30,
    utilization: 40,
    raw: 800,
  },
  {
    name: "ScaleHotCpuNoScale",
    current: 3,
    expected: 3,
    readiness: ["True", "False", "False"],
    start: [COOL, HOT, HOT],
    requests: R(3),
    levels: [400, 500, 700],
    target: 30,
    utilization: 40,
    raw: 800,
  },
  {
    name: "ScaleUpIgnoresFailedPods",
    current: 2,
    expected: 4,
    readiness: ["True", "True", "False", "False"],
    phase: ["Running", "Running", "Failed", "Failed"],
    requests: R(4),
    levels: [500, 700],
    target: 30,
    utilization: 60,
    raw: 1200,
  },
  {
    name: "ScaleUpIgnoresDeletionPods",
    current: 2,
    expected: 4,
    readiness: ["True", "True", "False", "False"],
    phase: ["Running", "Running", "Running", "Running"],
    deleted: [false, false, true, true],
    requests: R(4),
    levels: [500, 700],
    target: 30,
    utilization: 60,
    raw: 1200,
  },
  {
    name: "ScaleDown",
    current: 5,
    expected: 3,
    requests: R(5),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 28,
    raw: 560,
  },
  {
    name: "ContainerScaleDown",
    current: 5,
    expected: 3,
    requests: R(5),
    levels: [
      [1000, 100],
      [1000, 300],
      [1000, 500],
      [1000, 250],
      [1000, 250],
    ],
    target: 50,
    utilization: 28,
    raw: 280,
    container: "container2",
  },
  {
    name: "ScaleDownExcludeUnreadyPods",
    current: 5,
    expected: 2,
    readiness: ["True", "True", "True", "False", "False"],
    requests: R(5),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 30,
    raw: 600,
  },
  {
    name: "ScaleDownExcludeUnscheduledPods",
    current: 5,
    expected: 1,
    readiness: ["True", "False", "False", "False", "False"],
    phase: ["Running", "Pending", "Pending", "Pending", "Pending"],
    requests: R(5),
    levels: [100],
    target: 50,
    utilization: 10,
    raw: 200,
  },
  {
    name: "ScaleDownIgnoreHotCpuPods",
    current: 5,
    expected: 2,
    start: [COOL, COOL, COOL, HOT, HOT],
    requests: R(5),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 30,
    raw: 600,
  },
  {
    name: "ScaleDownIgnoresFailedPods",
    current: 5,
    expected: 3,
    readiness: ["True", "True", "True", "True", "True", "False", "False"],
    phase: ["Running", "Running", "Running", "Running", "Running", "Failed", "Failed"],
    requests: R(7),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 28,
    raw: 560,
  },
  {
    name: "ScaleDownIgnoresDeletionPods",
    current: 5,
    expected: 3,
    readiness: ["True", "True", "True", "True", "True", "False", "False"],
    phase: Array(7).fill("Running"),
    deleted: [false, false, false, false, false, true, true],
    requests: R(7),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 28,
    raw: 560,
  },
  {
    name: "Tolerance",
    current: 3,
    expected: 3,
    requests: [900, 1000, 1100],
    levels: [1010, 1030, 1020],
    target: 100,
    utilization: 102,
    raw: 2040,
  },
  {
    name: "SuperfluousMetrics",
    current: 4,
    expected: 24,
    requests: R(4),
    levels: [4000, 9500, 3000, 7000, 3200, 2000],
    target: 100,
    utilization: 587,
    raw: 11750,
  },
  {
    name: "MissingMetrics",
    current: 4,
    expected: 3,
    requests: R(4),
    levels: [400, 95],
    target: 100,
    utilization: 24,
    raw: 495,
  },
  {
    name: "EmptyMetrics",
    current: 4,
    error: "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
    requests: R(3),
    levels: [],
    target: 100,
  },
  {
    name: "EmptyCPURequest",
    current: 1,
    error: "missing request for cpu in container container1 of Pod test-pod-0",
    requests: [],
    levels: [200],
    target: 100,
  },
  {
    name: "MissingMetricsNoChangeEq",
    current: 2,
    expected: 2,
    requests: R(2),
    levels: [1000],
    target: 100,
    utilization: 100,
    raw: 2000,
  },
  {
    name: "MissingMetricsNoChangeGt",
    current: 2,
    expected: 2,
    requests: R(2),
    levels: [1900],
    target: 100,
    utilization: 190,
    raw: 3800,
  },
  {
    name: "MissingMetricsNoChangeLt",
    current: 2,
    expected: 2,
    requests: R(2),
    levels: [600],
    target: 100,
    utilization: 60,
    raw: 1200,
  },
  {
    name: "MissingMetricsUnreadyChange",
    current: 3,
    expected: 3,
    readiness: ["False", "True", "True"],
    requests: R(3),
    levels: [100, 450],
    target: 50,
    utilization: 45,
    raw: 900,
  },
  {
    name: "MissingMetricsHotCpuNoChange",
    current: 3,
    expected: 3,
    start: [HOT, COOL, COOL],
    requests: R(3),
    levels: [100, 450],
    target: 50,
    utilization: 45,
    raw: 900,
  },
  {
    name: "MissingMetricsUnreadyScaleUp",
    current: 3,
    expected: 4,
    readiness: ["False", "True", "True"],
    requests: R(3),
    levels: [100, 2000],
    target: 50,
    utilization: 200,
    raw: 4000,
  },
  {
    name: "MissingMetricsHotCpuScaleUp",
    current: 3,
    expected: 4,
    readiness: ["False", "True", "True"],
    start: [HOT, COOL, COOL],
    requests: R(3),
    levels: [100, 2000],
    target: 50,
    utilization: 200,
    raw: 4000,
  },
  {
    name: "MissingMetricsUnreadyScaleDown",
    current: 4,
    expected: 3,
    readiness: ["False", "True", "True", "True"],
    requests: R(4),
    levels: [100, 100, 100],
    target: 50,
    utilization: 10,
    raw: 200,
  },
  // the second direction-flip guard: the rebalanced count (3) would go up during a scale-down, so the current count
  // stays.
  {
    name: "DuringRollingUpdateWithMaxSurge",
    current: 2,
    expected: 2,
    phase: ["Running", "Running", "Running"],
    requests: R(3),
    levels: [100, 100],
    target: 50,
    utilization: 10,
    raw: 200,
  },
];

describe("resource utilization proposals (upstream vectors)", () => {
  it.each(resourceVectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const r = runResource(v);
    if (v.error !== undefined) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain(v.error);
      return;
    }
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.replicas).toBe(v.expected);
    expect(r.utilization).toBe(v.utilization);
    expect(r.usage).toBe(v.raw);
  });

  it("ComputedToleranceAlgImplementation: just outside tolerance scales, just inside does not", () => {
    // 10 pods using 150m each, requesting ~300m each (jittered).
    const per = 300;
    const requests = [per + 100, per - 100, per + 10, per - 10, per + 2, per - 2, per + 1, per - 1, per, per];
    const base: Omit<ResVec, "target" | "name"> = { current: 10, requests, levels: Array(10).fill(150) };
    const requestedToUsed = 2;
    const t1 = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.01;
    const target1 = Math.trunc(t1 * 100);
    const ratio = 1500 / (3000 * t1);
    const r1 = runResource({ ...base, name: "x", target: target1 });
    expect(r1.ok && r1.replicas).toBe(Math.ceil(ratio * 10));
    expect(r1.ok && r1.utilization).toBe(50);
    const t2 = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.004;
    const r2 = runResource({ ...base, name: "y", target: Math.trunc(t2 * 100) });
    expect(r2.ok && r2.replicas).toBe(10);
  });
});

interface PodsVec extends Vec {
  levels: number[];
  target: number;
  average: number;
}

const podsVectors: PodsVec[] = [
  {
    name: "ScaleUpCM",
    current: 3,
    expected: 4,
    levels: [20000, 10000, 30000],
    target: 15000,
    average: 20000,
  },
  // readiness is ignored for Pods metrics, even for hot NotReady pods.
  {
    name: "ScaleUpCMUnreadyHotCpuNoLessScale",
    current: 3,
    expected: 6,
    readiness: ["True", "True", "False"],
    start: [COOL, COOL, HOT],
    levels: [50000, 10000, 30000],
    target: 15000,
    average: 30000,
  },
  {
    name: "ScaleUpCMUnreadyHotCpuScaleWouldScaleDown",
    current: 3,
    expected: 7,
    readiness: ["False", "True", "False"],
    start: [HOT, COOL, HOT],
    levels: [50000, 15000, 30000],
    target: 15000,
    average: 31666,
  },
  { name: "ScaleUpCMExternal (pods)", current: 1, expected: 2, levels: [8600], target: 4400, average: 8600 },
  {
    name: "ScaleDownCM",
    current: 5,
    expected: 3,
    levels: [12000, 12000, 12000, 12000, 12000],
    target: 20000,
    average: 12000,
  },
  {
    name: "ToleranceCM",
    current: 3,
    expected: 3,
    levels: [20000, 21000, 21000],
    target: 20000,
    average: 20666,
  },
];

describe("pods metric proposals (upstream vectors)", () => {
  it.each(podsVectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const pods = makePods(v, []);
    const fetched = fetchPodsMetrics(
      { samples: v.levels.map((value, i) => ({ pod: `test-pod-${i}`, value })) },
      NOW,
    );
    expect(fetched.ok).toBe(true);
    if (!fetched.ok) return;
    const r = plainMetricReplicas({
      currentReplicas: v.current,
      pods,
      metrics: fetched.value,
      tolerances: TOL,
      timing: TIMING,
      targetUsage: v.target,
      resource: "",
    });
    expect(r.ok && r.replicas).toBe(v.expected);
    expect(r.ok && r.usage).toBe(v.average);
  });

  it("missing pods on a Pods-metric scale-down count exactly the target", () => {
    const pods = makePods({ name: "", current: 4 }, []);
    const fetched = fetchPodsMetrics(
      {
        samples: [
          { pod: "test-pod-0", value: 1000 },
          { pod: "test-pod-1", value: 1000 },
        ],
      },
      NOW,
    );
    if (!fetched.ok) throw new Error(fetched.error);
    const r = plainMetricReplicas({
      currentReplicas: 4,
      pods,
      metrics: fetched.value,
      tolerances: TOL,
      timing: TIMING,
      targetUsage: 10000,
      resource: "",
    });
    // first pass 1000/10000 = 0.1; rebalanced (1000+1000+10000+10000)/4 = 5500 -> 0.55 -> ceil(0.55*4) = 3
    expect(r.ok && r.replicas).toBe(3);
    expect(r.ok && r.rebalancedRatio).toBeCloseTo(0.55, 10);
  });
});

describe("object and external proposals (upstream vectors)", () => {
  const pods3 = (readiness?: ("True" | "False")[]) =>
    makePods({ name: "", current: 3, ...(readiness ? { readiness } : {}) }, []);
  it.each([
    ["ScaleUpCMObject", 3, 20000, 15000, undefined, 4],
    ["ScaleUpCMObjectIgnoresUnreadyPods", 3, 50000, 10000, ["False", "True", "False"], 5],
    ["ScaleDownCMObject", 5, 12000, 20000, undefined, 3],
    ["ToleranceCMObject", 3, 20666, 20000, undefined, 3],
  ] as const)("Object Value %s", (_n, current, value, target, readiness, expected) => {
    const pods = makePods({ name: "", current, ...(readiness ? { readiness: [...readiness] } : {}) }, []);
    const fetched = fetchObjectMetric({ samples: [{ value }] });
    if (!fetched.ok) throw new Error(fetched.error);
    const r = valueReplicas({
      currentReplicas: current,
      usage: fetched.value,
      target,
      tolerances: TOL,
      pods,
    });
    expect(r.ok && r.replicas).toBe(expected);
  });

  it.each([
    ["ScaleUpCMExternalIgnoresUnreadyPods", 3, [8600], 4400, ["False", "True", "False"], 2],
    ["ScaleDownCMExternal", 5, [8600], 14334, undefined, 3],
    ["ToleranceCMExternal", 3, [8600], 8888, undefined, 3],
    ["External sums all items", 3, [3000, 3000, 2600], 4400, ["False", "True", "False"], 2],
  ] as const)("External Value %s", (_n, current, values, target, readiness, expected) => {
    const pods = makePods({ name: "", current, ...(readiness ? { readiness: [...readiness] } : {}) }, []);
    const fetched = fetchExternalMetric({ samples: values.map((value) => ({ value })) });
    if (!fetched.ok) throw new Error(fetched.error);
    const r = valueReplicas({
      currentReplicas: current,
      usage: fetched.value,
      target,
      tolerances: TOL,
      pods,
    });
    expect(r.ok && r.replicas).toBe(expected);
  });

  it.each([
    ["ScaleUpCMPerPodObject", 3, 20000, 5000, 4, 6667],
    ["ScaleDownPerPodCMObject", 5, 6000, 2000, 3, 1200],
    ["TolerancePerPodCMObject", 4, 20166, 5000, 4, 5042],
    ["ScaleUpPerPodCMExternal", 3, 8600, 2150, 4, 2867],
    ["ScaleDownPerPodCMExternal", 5, 8600, 2867, 3, 1720],
    ["TolerancePerPodCMExternal", 3, 8600, 2900, 3, 2867],
  ] as const)(
    "per-pod AverageValue %s (pods ignored, ceil(total/target))",
    (_n, statusReplicas, usage, target, expected, average) => {
      const r = perPodReplicas({ statusReplicas, usage, target, tolerances: TOL });
      expect(r.replicas).toBe(expected);
      expect(r.usage).toBe(average);
    },
  );

  it("Value targets with 0 current replicas skip tolerance and use ceil(ratio)", () => {
    const r = valueReplicas({ currentReplicas: 0, usage: 1050, target: 1000, tolerances: TOL, pods: [] });
    expect(r.ok && r.replicas).toBe(2);
    const inBand = valueReplicas({
      currentReplicas: 1,
      usage: 1050,
      target: 1000,
      tolerances: TOL,
      pods: pods3(),
    });
    expect(inBand.ok && inBand.replicas).toBe(1);
  });

  it("no pods at all is an error for Object Value outside tolerance", () => {
    const r = valueReplicas({ currentReplicas: 3, usage: 50000, target: 1000, tolerances: TOL, pods: [] });
    expect(r).toEqual({
      ok: false,
      error: "unable to calculate ready pods: no pods returned by selector while calculating replica count",
    });
  });

  it("object readings must hold exactly one item; external and pods readings at least one", () => {
    expect(fetchObjectMetric({ samples: [] })).toEqual({
      ok: false,
      error:
        "unable to fetch metrics from custom metrics API: the custom metrics API server returned 0 results when we asked for exactly one",
    });
    expect(fetchExternalMetric({ samples: [] })).toEqual({
      ok: false,
      error: "no metrics returned from external metrics API",
    });
    expect(fetchPodsMetrics({ samples: [] }, NOW)).toEqual({
      ok: false,
      error: "no metrics returned from custom metrics API",
    });
    expect(fetchExternalMetric({ error: "boom" })).toEqual({
      ok: false,
      error: "unable to fetch metrics from external metrics API: boom",
    });
  });
});

describe("tolerance", () => {
  it("is inclusive at both ends and may differ per direction", () => {
    expect(isWithinTolerance(0.9, TOL)).toBe(true);
    expect(isWithinTolerance(1.1, TOL)).toBe(true);
    expect(isWithinTolerance(110 / 100, TOL)).toBe(true); // the old |1-r| form would scale here
    expect(isWithinTolerance(0.89, TOL)).toBe(false);
    expect(isWithinTolerance(1.11, TOL)).toBe(false);
    const asym = { scaleUp: 0.02, scaleDown: 0.3 };
    expect(isWithinTolerance(1.05, asym)).toBe(false);
    expect(isWithinTolerance(0.75, asym)).toBe(true);
  });
});

describe("truncation and multipliers", () => {
  it("truncates utilization to an integer percent before dividing by the target", () => {
    // Σusage 1004m over Σrequests 6000m = 16.73 % -> 16 %. Target 15: 16/15 = 1.067 is within tolerance;
    // without the truncation 16.73/15 = 1.115 would scale to ceil(1.115 × 3) = 4.
    const r = runResource({
      name: "t",
      current: 3,
      requests: R(3),
      levels: [
        [0, 334],
        [0, 335],
        [0, 335],
      ],
      target: 15,
    });
    expect(r.ok && r.utilization).toBe(16);
    expect(r.ok && r.usage).toBe(334); // raw average 1004/3 truncated
    expect(r.ok && r.replicas).toBe(3);
  });

  it("the rebalance multiplies by len(metrics): superfluous entries and filled-in missing pods count, unready pods drop on scale-down", () => {
    // 2 ready pods at 20 %, 1 missing, 1 NotReady (unready, dropped on scale-down), 1 superfluous metric
    const pods = makePods({ name: "", current: 4, readiness: ["True", "True", "True", "False"] }, R(4));
    const samples = [0, 1, 3].map((i) => ({
      pod: `test-pod-${i}`,
      value: 200,
      timestamp: 0,
      windowMs: 60_000,
    }));
    samples.push({ pod: "gone-pod", value: 200, timestamp: 0, windowMs: 60_000 });
    const fetched = fetchResourceMetrics({ samples }, "cpu", "", NOW);
    if (!fetched.ok) throw new Error(fetched.error);
    const r = resourceUtilizationReplicas({
      currentReplicas: 4,
      pods,
      metrics: fetched.value,
      tolerances: TOL,
      timing: TIMING,
      targetUtilization: 50,
      resource: "cpu",
      container: "",
      podLevelResources: true,
    });
    // first pass over pods with a request: (200+200)/(2000+2000) = 10 %; rebalance: missing test-pod-2 at 100 %
    // of its 2000m request -> (200+200+2000)/6000 = 40 % -> 0.8; entries: 2 ready + 1 missing + 1 superfluous = 4
    expect(r).toMatchObject({
      ok: true,
      utilization: 10,
      rebalancedRatio: 0.8,
      multiplier: 4,
      replicas: 4,
      path: "rebalanced",
    }); // 3 entries would give 3
  });

  it("Object/External Value multiply by Running+Ready pods; per-pod targets ignore pods", () => {
    const pods = makePods(
      {
        name: "",
        current: 4,
        readiness: ["True", "True", "False", "True"],
        phase: ["Running", "Running", "Running", "Pending"],
      },
      [],
    );
    const r = valueReplicas({ currentReplicas: 4, usage: 3000, target: 1000, tolerances: TOL, pods });
    expect(r).toMatchObject({ ok: true, multiplier: 2, replicas: 6 });
    expect(perPodReplicas({ statusReplicas: 4, usage: 3000, target: 1000, tolerances: TOL }).replicas).toBe(
      3,
    );
  });

  it("missing pods on a Utilization scale-down count max(100, target)% of their request", () => {
    // target 150%: one pod at 10%, one missing; rebalanced = (100 + 1500) / 2000 = 80% -> ratio 0.5333 -> ceil(0.533*2)=2
    const r = runResource({ name: "m", current: 2, requests: [500, 500], levels: [50], target: 150 });
    expect(r.ok && r.utilization).toBe(10);
    expect(r.ok && r.rebalancedRatio).toBeCloseTo(80 / 150, 12);
    expect(r.ok && r.replicas).toBe(2);
  });

  it("pending pods are unready, zeroed on scale-up", () => {
    const r = runResource({
      name: "p",
      current: 3,
      phase: ["Running", "Running", "Pending"],
      readiness: ["True", "True", "False"],
      requests: R(3),
      levels: [1000, 1000],
      target: 50,
    });
    // ratio 2 with one pending pod: rebalanced (2000+2000+0)/6000 = 66% -> 1.32 -> ceil(1.32*3) = 4
    expect(r.ok && r.replicas).toBe(4);
    expect(r.ok && r.groups?.unready.includes("test-pod-2")).toBe(true);
  });

  it("deleted or failed pods without requests still fail the metric", () => {
    const v: ResVec = {
      name: "d",
      current: 2,
      phase: ["Running", "Running", "Failed"],
      requests: [1000, 1000],
      levels: [500, 500],
      target: 50,
    };
    const r = runResource(v);
    expect(r).toMatchObject({
      ok: false,
      error: "missing request for cpu in container container1 of Pod test-pod-2",
    });
  });

  it("memory ignores readiness: a NotReady Running pod with a metric is ready", () => {
    const pods = makePods({ name: "", current: 2, readiness: ["True", "False"], start: [HOT, HOT] }, []);
    for (const p of pods) for (const c of p.containers) c.requests = { memory: 1_000_000 };
    const fetched = fetchResourceMetrics(
      {
        samples: pods.map((p) => ({
          pod: p.name,
          timestamp: 0,
          windowMs: 60_000,
          containers: [
            { name: "container1", usage: { memory: 1_000_000 } },
            { name: "container2", usage: { memory: 1_000_000 } },
          ],
        })),
      },
      "memory",
      "",
      NOW,
    );
    if (!fetched.ok) throw new Error(fetched.error);
    const r = resourceUtilizationReplicas({
      currentReplicas: 2,
      pods,
      metrics: fetched.value,
      tolerances: TOL,
      timing: TIMING,
      targetUtilization: 50,
      resource: "memory",
      container: "",
      podLevelResources: true,
    });
    expect(r.ok && r.groups?.ready).toEqual(["test-pod-0", "test-pod-1"]);
    expect(r.ok && r.replicas).toBe(4);
  });

  it("a pod whose PodMetrics lacks the named container is missing, not an error", () => {
    const fetched = fetchResourceMetrics(
      {
        samples: [
          { pod: "a", containers: [{ name: "other", usage: { cpu: 100 } }] },
          { pod: "b", containers: [{ name: "app", usage: { cpu: 100 } }] },
        ],
      },
      "cpu",
      "app",
      NOW,
    );
    expect(fetched.ok && [...fetched.value.keys()]).toEqual(["b"]);
    const podMode = fetchResourceMetrics(
      {
        samples: [
          {
            pod: "a",
            containers: [
              { name: "x", usage: { cpu: 1 } },
              { name: "y", usage: {} },
            ],
          },
        ],
      },
      "cpu",
      "",
      NOW,
    );
    expect(podMode.ok && podMode.value.size).toBe(0);
  });
});

describe("pod-aligned and name-keyed metrics give the same proposals", () => {
  it("on 300 generated cases (shuffled, missing, superfluous, unready pods)", () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let k = 0; k < 300; k++) {
      const n = 1 + rnd(8);
      const phases: PodPhase[] = ["Running", "Running", "Running", "Pending", "Failed"];
      const pods = makePods(
        {
          name: "",
          current: n,
          readiness: Array.from({ length: n }, () => (rnd(4) === 0 ? "False" : "True")),
          start: Array.from({ length: n }, () => (rnd(3) === 0 ? HOT : COOL)),
          phase: Array.from({ length: n }, () => phases[rnd(phases.length)]!),
        },
        Array.from({ length: n }, () => 100 + rnd(900)),
      );
      const samples = pods
        .filter(() => rnd(5) !== 0)
        .map((p) => ({ pod: p.name, value: rnd(2000), timestamp: NOW - rnd(120_000), windowMs: 30_000 }));
      if (rnd(4) === 0)
        samples.push({ pod: `extra-${k}`, value: rnd(2000), timestamp: NOW, windowMs: 30_000 });
      if (rnd(2) === 0) samples.reverse();
      if (samples.length === 0) continue;
      const reading = { samples };
      const args = { currentReplicas: n, pods, tolerances: TOL, timing: TIMING };
      const byName = fetchResourceMetrics(reading, "cpu", "", NOW);
      const byPod = resourceMetricsByPod(reading, "cpu", "", pods, NOW);
      if (!byName.ok || !byPod.ok) throw new Error("fetch failed");
      const target = 20 + rnd(100);
      const u = {
        ...args,
        targetUtilization: target,
        resource: "cpu",
        container: "",
        podLevelResources: true,
      };
      expect(resourceUtilizationReplicas({ ...u, metrics: byPod.value })).toEqual(
        resourceUtilizationReplicas({ ...u, metrics: byName.value }),
      );
      const pName = fetchPodsMetrics(reading, NOW);
      const pPod = podsMetricsByPod(reading, pods, NOW);
      if (!pName.ok || !pPod.ok) throw new Error("fetch failed");
      const p = { ...args, targetUsage: 100 + rnd(1000), resource: "" };
      expect(plainMetricReplicas({ ...p, metrics: pPod.value })).toEqual(
        plainMetricReplicas({ ...p, metrics: pName.value }),
      );
    }
  });
});
