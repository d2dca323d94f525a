import { describe, expect, it } from "vitest";
import { DecayingHistogram } from "../predict/percentile.js";
import { replay, riseRatio, verdict } from "./hpa.js";
import { CRANE_POLICY, DEFAULT_POLICY, recommendWorkload, withPolicy } from "./index.js";
import { recommendReplicas } from "./replicas.js";
import { recommendRequests } from "./requests.js";
import { coverage, weightedQuantile } from "./series.js";
import type { ContainerUsage, HpaValue, ReplicasValue, ResourceValue, WorkloadUsage } from "./types.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const MIB = 1_048_576;
const T0 = Date.UTC(2026, 0, 5);

/** One pod series of `minutes` samples a minute apart from T0, value `f(i)`. */
function series(pod: string, minutes: number, f: (i: number) => number, skip?: (i: number) => boolean) {
  const points = [];
  for (let i = 0; i < minutes; i++) if (!skip?.(i)) points.push({ t: T0 + i * MIN, v: f(i) });
  return { pod, points };
}

interface Spec {
  minutes?: number;
  pods?: number;
  cpu?: (i: number) => number; // cores per pod
  memory?: (i: number) => number; // bytes per pod
  requests?: ContainerUsage["requests"];
  limits?: ContainerUsage["limits"];
  skip?: (i: number) => boolean;
  replicas?: number;
}

function usage(s: Spec = {}): WorkloadUsage {
  const minutes = s.minutes ?? 2 * 1440;
  const pods = Array.from({ length: s.pods ?? 2 }, (_, k) => `web-7d4b9c-${k}`);
  return {
    workload: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
    windowStartMs: T0,
    windowEndMs: T0 + (minutes - 1) * MIN,
    stepMs: MIN,
    currentReplicas: s.replicas ?? pods.length,
    containers: [
      {
        name: "app",
        requests: s.requests ?? { cpuMilli: 500, memoryBytes: 256 * MIB },
        limits: s.limits ?? {},
        cpu: pods.map((p) => series(p, minutes, s.cpu ?? (() => 0.65), s.skip)),
        memory: pods.map((p) => series(p, minutes, s.memory ?? (() => 200 * MIB), s.skip)),
      },
    ],
  };
}

const requests = (u: WorkloadUsage, p = DEFAULT_POLICY) => recommendRequests(u, p, CRANE_POLICY);
const replicas = (u: WorkloadUsage, p = DEFAULT_POLICY) => recommendReplicas(u, p, CRANE_POLICY);

const value = <T>(r: T | { abstain: true; message: string }): T => {
  if ((r as { abstain?: boolean }).abstain)
    throw new Error(`abstained: ${(r as { message: string }).message}`);
  return r as T;
};

describe("the histogram percentile", () => {
  it("interpolates inside the bucket instead of returning its upper edge", () => {
    const h = new DecayingHistogram({
      maxValue: 10,
      firstBucketSize: 1,
      ratio: 1,
      halfLife: Number.POSITIVE_INFINITY,
      epsilon: 1e-10,
    });
    for (const v of [0.5, 1.5, 2.5, 3.5]) h.add(v, 1, 0);
    // weight 1 per bucket: p 0.5 reaches 2.0 at the end of bucket [1, 2); p 0.375 is half-way into it
    expect(h.percentileInterpolated(0.5)).toBeCloseTo(2, 12);
    expect(h.percentileInterpolated(0.375)).toBeCloseTo(1.5, 12);
    expect(h.percentile(0.375)).toBe(2);
  });

  it("weighted quantile: type-7 interpolation without weights, the crossing value with weights", () => {
    expect(weightedQuantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(weightedQuantile([1, 2, 3], 0.5, [1, 1, 8])).toBe(3);
    expect(weightedQuantile([1, 2, 3], 0.1, [1, 1, 8])).toBe(1);
  });
});

describe("requests per container", () => {
  it("Crane's worked example: a 20 m container gets 0.1 core (bucket upper edge) × 1.15 = 115 m", () => {
    const cpu = value(requests(usage({ cpu: () => 0.02 }))[0]!.cpu) as ResourceValue;
    expect(cpu.crane).toBe(115);
    // ours: p90 inside the 5 % bucket holding 0.020 → between 0.020 and 0.021, × 1.15 → 23 m or 25 m at most
    expect(cpu.request).toBeGreaterThanOrEqual(23);
    expect(cpu.request).toBeLessThanOrEqual(25);
  });

  it("Crane's 100 MiB memory buckets: a 300 MiB working set gets 400 MiB × 1.15 = 460 MiB; ours 345-363 MiB", () => {
    const mem = value(requests(usage({ memory: () => 300 * MIB }))[0]!.memory) as ResourceValue;
    expect(mem.crane).toBe(460 * MIB);
    expect(mem.request % MIB).toBe(0);
    expect(mem.request).toBeGreaterThanOrEqual(345 * MIB);
    expect(mem.request).toBeLessThanOrEqual(363 * MIB);
  });

  it("forgets: after 6 days at 1 core and 1 day at 0.2 core, p50 with a 24 h half-life is the recent level", () => {
    // the last day holds (1 - 1/2) / (1 - 1/128) = 50.4 % of the decayed weight, so p50 falls in it
    const cpu = (i: number) => (i < 6 * 1440 ? 1 : 0.2);
    const p50 = withPolicy({ cpu: { percentile: 0.5 } });
    const ours = value(requests(usage({ minutes: 7 * 1440, cpu }), p50)[0]!.cpu) as ResourceValue;
    expect(ours.request).toBeGreaterThanOrEqual(230); // 0.2 × 1.15
    expect(ours.request).toBeLessThanOrEqual(242); // one 5 % bucket above
    const never = withPolicy({ cpu: { percentile: 0.5, halfLifeMs: Number.POSITIVE_INFINITY } });
    const kept = value(requests(usage({ minutes: 7 * 1440, cpu }), never)[0]!.cpu) as ResourceValue;
    // 1.0 × 1.15 = 1150 give or take the 5 % bucket holding 1.0: six days of 1 core dominate
    expect(kept.request).toBeGreaterThanOrEqual(1095);
    expect(kept.request).toBeLessThanOrEqual(1208);
    // Crane (p99, value-weighted, no decay) stays at 1.1 × 1.15 whatever the last day did
    expect(kept.crane).toBe(1265);
  });

  it("keeps the limit/request ratio, or leaves a limit unchanged (raised to the request when below it)", () => {
    const u = usage({ cpu: () => 0.65, requests: { cpuMilli: 500 }, limits: { cpuMilli: 1000 } });
    const keep = value(requests(u)[0]!.cpu) as ResourceValue;
    expect(keep.limit).toBe(keep.request * 2);
    const same = value(requests(u, withPolicy({ limits: "unchanged" }))[0]!.cpu) as ResourceValue;
    expect(same.limit).toBe(1000);
    expect(same.currentRequest).toBe(500);
  });

  it("abstains with the reason and what to change", () => {
    const short = requests(usage({ minutes: 12 * 60 }))[0]!.cpu;
    expect(short).toMatchObject({ abstain: true, reason: "too-little-history" });
    expect((short as { message: string }).message).toContain(
      '12h of container "app" cpu history, at least 24h',
    );
    const none = requests(usage({ skip: () => true }))[0]!.memory;
    expect(none).toMatchObject({ abstain: true, reason: "no-samples" });
  });

  it("reports its evidence: samples, pods, window and method", () => {
    const cpu = value(requests(usage())[0]!.cpu) as ResourceValue;
    expect(cpu.evidence).toMatchObject({ samples: 2 * 2880, pods: 2, fromMs: T0, coveredMs: 2880 * MIN });
    expect(cpu.evidence.method).toMatch(/^p90 of 5760 samples from 2 pod\(s\) \(half-life 24h/);
  });
});

describe("replicas", () => {
  it("sizes at the target utilization: 2 × 0.65 core at 50 % of 500 m → 6; min and max over the window", () => {
    const r = value(replicas(usage())) as ReplicasValue;
    // 1.3 / (0.5 × 0.5) = 5.2 → 6, Crane the same; memory 400 MiB / (0.5 × 256 MiB) = 3.125 → 4
    expect(r).toMatchObject({ replicas: 6, crane: 6, memoryReplicas: 4, min: 6, max: 6, current: 2 });
    const daily = value(replicas(usage({ cpu: (i) => (i % 1440 < 720 ? 0.2 : 1) }))) as ReplicasValue;
    // totals 0.4 and 2.0 cores: 0.4 / 0.25 = 1.6 → 2, 2.0 / 0.25 = 8
    expect(daily).toMatchObject({ min: 2, max: 8, replicas: 8 });
  });

  it("sizes memory from memory (Crane feeds CPU into its memory slot and misses it)", () => {
    const r = value(
      replicas(usage({ memory: () => 500 * MIB, requests: { cpuMilli: 500, memoryBytes: 128 * MIB } })),
    ) as ReplicasValue;
    // 1000 MiB / (0.5 × 128 MiB) = 15.6 → 16; Crane: 1.3 cores ÷ (0.5 × 128 MiB in bytes) → 1, so CPU's 6
    expect(r.memoryReplicas).toBe(16);
    expect(r.replicas).toBe(16);
    expect(r.crane).toBe(6);
  });

  it("abstains without CPU requests and on a gap longer than the maximum", () => {
    const noReq = recommendWorkload(usage({ requests: {} }));
    expect(noReq.replicas).toMatchObject({ abstain: true, reason: "no-requests" });
    expect((noReq.replicas as { message: string }).message).toContain('container "app" has no CPU request');
    expect(noReq.hpa).toMatchObject({ abstain: true, reason: "no-requests" });
    const gapped = usage({ skip: (i) => i >= 600 && i < 720 });
    const gap = replicas(gapped);
    expect(gap).toMatchObject({ abstain: true, reason: "gaps" });
    expect((gap as { message: string }).message).toContain("gap of 2h");
    expect(coverage(gapped.containers[0]!.cpu, MIN, T0, T0 + 2879 * MIN).largestGapMs).toBe(2 * HOUR);
  });
});

describe("the HPA recommendation (replayed)", () => {
  it("a steady workload: target at the 85 % cap, min covers the load, fewer pod-hours than 5 fixed replicas", () => {
    const r = value(recommendWorkload(usage({ replicas: 5 })).hpa) as HpaValue;
    // rise 1 → 1 / 1.1 = 91 % → clamped to 85; min = ceil(1.3 / 0.5) = 3; max = ceil(1.3 × 1.2 / 0.425) = 4
    expect(r.recommended).toMatchObject({ minReplicas: 3, maxReplicas: 4, target: 85 });
    expect(r.recommended.replay.underProvisionedMinutes).toBe(0);
    expect(r.current.replay.podHours).toBeCloseTo(5 * 48, 6);
    expect(r.recommended.replay.podHours).toBeCloseTo(3 * 48, 6); // 1.3 / 3 pods = 87 % of 500 m, within tolerance
    expect(r.verdict).toBe(
      "fewer pod-hours, at the same under-provisioned minutes (under-provisioned minutes 0.0 → 0.0; pod-hours 240.0 → 144.0)",
    );
    // Crane: min = its replicas (6); target ceil(100 × 0.7 × 1.15 / 0.5) = 161 → 75; max = ceil(1.3 × 3 / 0.375) = 11
    expect(r.crane).toMatchObject({ minReplicas: 6, maxReplicas: 11, target: 75 });
    expect(r.recommended.object).toMatchObject({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { averageUtilization: 85 } } }],
      },
    });
  });

  it("a daily jump the pods cannot absorb: lowers the target, reports the minutes it still misses", () => {
    // 0.5 core, jumping to 2 cores for an hour each day
    const cpu = (i: number) => (i % 1440 >= 600 && i % 1440 < 660 ? 1 : 0.25);
    const r = value(recommendWorkload(usage({ cpu, replicas: 5 })).hpa) as HpaValue;
    expect(r.current.replay.underProvisionedMinutes).toBe(0); // 5 × 0.5 core cover 2 cores
    expect(r.recommended.replay.underProvisionedMinutes).toBeGreaterThan(0);
    expect(r.recommended.target).toBeLessThan(85); // the replay tried lower targets
    expect(r.verdict).toMatch(/^fewer pod-hours, at more under-provisioned minutes/);
  });

  it("the replay of fixed replicas counts replicas × hours; the rise ratio looks one reaction time ahead", () => {
    const u = usage();
    const model = {
      load: u.containers[0]!.cpu[0]!.points,
      stepMs: MIN,
      capacityPerPod: 0.5,
      metric: { kind: "cpu", requestMilli: 500 } as const,
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      namespace: "shop",
      hpaName: "web",
    };
    const fixed = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace: "shop" },
      spec: { scaleTargetRef: model.scaleTargetRef, minReplicas: 4, maxReplicas: 4 },
    };
    expect(replay(model, fixed, DEFAULT_POLICY.hpa).podHours).toBeCloseTo(4 * 48, 6);
    expect(riseRatio([1, 1, 2, 2, 1], 1, 1, 0)).toBe(2);
    expect(riseRatio([1, 1, 2, 2, 1], 2, 0, 0)).toBe(1);
    expect(
      verdict(
        { underProvisionedMinutes: 1, podHours: 5, peakReplicas: 1, scaleEvents: 0 },
        { underProvisionedMinutes: 2, podHours: 6, peakReplicas: 1, scaleEvents: 0 },
      ),
    ).toMatch(/^fewer under-provisioned minutes and fewer pod-hours/);
  });

  it("compares with a current CPU HPA by replaying it", () => {
    const u = {
      ...usage(),
      currentHpa: {
        name: "web-hpa",
        object: {
          apiVersion: "autoscaling/v2",
          kind: "HorizontalPodAutoscaler",
          metadata: { name: "web-hpa", namespace: "shop" },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
            minReplicas: 2,
            maxReplicas: 10,
            metrics: [
              {
                type: "Resource",
                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
              },
            ],
          },
        },
      },
    };
    const r = value(recommendWorkload(u).hpa) as HpaValue;
    expect(r.current.description).toBe("HorizontalPodAutoscaler web-hpa");
    // 1.3 cores at 50 % of 500 m → 6 pods after the first scale-up
    expect(r.current.replay.peakReplicas).toBe(6);
    expect((r.recommended.object.metadata as { name: string }).name).toBe("web-hpa");
  });

  it("Crane's preset reproduces its defaults", () => {
    expect(CRANE_POLICY.cpu).toMatchObject({
      percentile: 0.99,
      margin: 0.15,
      firstBucket: 0.1,
      bucketRatio: 1,
    });
    expect(CRANE_POLICY.hpa).toMatchObject({ minTargetPercent: 30, maxTargetPercent: 75 });
  });
});
