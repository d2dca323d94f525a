import { describe, expect, it } from "vitest";
import { calculateRequests, groupPods, isCpuUnready } from "./pods.js";
import type { PodInfo } from "./types.js";

const pod = (over: Partial<PodInfo> = {}): PodInfo => ({
  name: "p",
  phase: "Running",
  ready: "True",
  startTime: 0,
  readyTransitionTime: 0,
  containers: [
    { name: "app", requests: { cpu: 300 } },
    { name: "proxy", requests: { cpu: 100 } },
  ],
  ...over,
});

describe("calculateRequests: containers plus sidecar init containers; one missing request fails", () => {
  it("sums containers plus sidecar init containers, not ordinary init containers", () => {
    const p = pod({
      initContainers: [
        { name: "migrate", requests: { cpu: 1000 } },
        { name: "log-agent", restartPolicy: "Always", requests: { cpu: 50 } },
      ],
    });
    expect(calculateRequests([p], "", "cpu", true)).toEqual({ ok: true, requests: [450] });
  });

  it("uses pod-level requests when the PodLevelResources gate is on", () => {
    const p = pod({ podRequests: { cpu: 2000 } });
    expect(calculateRequests([p], "", "cpu", true)).toEqual({ ok: true, requests: [2000] });
    expect(calculateRequests([p], "", "cpu", false)).toEqual({ ok: true, requests: [400] });
    // a container resource metric always reads the container's own request
    expect(calculateRequests([p], "app", "cpu", true)).toEqual({ ok: true, requests: [300] });
  });

  it("fails the metric on a missing request or a missing container", () => {
    expect(
      calculateRequests(
        [pod({ name: "a" }), pod({ name: "b", containers: [{ name: "app", requests: {} }] })],
        "",
        "cpu",
        true,
      ),
    ).toEqual({
      ok: false,
      error: "missing request for cpu in container app of Pod b",
    });
    expect(calculateRequests([pod()], "worker", "cpu", true)).toEqual({
      ok: false,
      error: "container worker not found in Pod p",
    });
  });
});

describe("CPU readiness", () => {
  const timing = { now: 1_000_000, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000 };
  const metric = (timestamp: number, windowMs = 60_000) => ({ value: 1, timestamp, windowMs });
  it("no Ready condition or no start time: unready", () => {
    const { ready: _r, ...noReady } = pod();
    expect(isCpuUnready(noReady, metric(0), timing)).toBe(true);
    const { startTime: _s, ...noStart } = pod();
    expect(isCpuUnready(noStart, metric(0), timing)).toBe(true);
  });
  it("initializing: unready when NotReady or the sample is less than a window after the transition", () => {
    const start = timing.now - 60_000;
    expect(
      isCpuUnready(
        pod({ startTime: start, readyTransitionTime: start + 10_000 }),
        metric(start + 69_999),
        timing,
      ),
    ).toBe(true);
    expect(
      isCpuUnready(
        pod({ startTime: start, readyTransitionTime: start + 10_000 }),
        metric(start + 70_000),
        timing,
      ),
    ).toBe(false);
    expect(isCpuUnready(pod({ startTime: start, ready: "False" }), metric(timing.now), timing)).toBe(true);
    // exactly the initialization period old: past initialization
    const old = timing.now - 300_000;
    expect(
      isCpuUnready(pod({ startTime: old, readyTransitionTime: old + 1000 }), metric(old + 1000), timing),
    ).toBe(false);
  });
  it("initialized: unready only if it went unready within the delay and never became ready", () => {
    const start = 0;
    expect(
      isCpuUnready(pod({ startTime: start, ready: "False", readyTransitionTime: 29_999 }), metric(0), timing),
    ).toBe(true);
    expect(
      isCpuUnready(pod({ startTime: start, ready: "False", readyTransitionTime: 30_000 }), metric(0), timing),
    ).toBe(false);
    expect(
      isCpuUnready(pod({ startTime: start, ready: "Unknown", readyTransitionTime: 0 }), metric(0), timing),
    ).toBe(false);
  });
  it("groups in rule order: ignored, pending, missing, cpu rule, ready", () => {
    const pods = [
      pod({ name: "deleted", deletionTimestamp: 5 }),
      pod({ name: "failed", phase: "Failed" }),
      pod({ name: "pending", phase: "Pending" }),
      pod({ name: "nometric" }),
      pod({ name: "notready", ready: "False", readyTransitionTime: 10_000 }),
      pod({ name: "ok" }),
      pod({ name: "succeeded", phase: "Succeeded" }),
    ];
    const metrics = new Map(
      ["deleted", "failed", "pending", "notready", "ok", "succeeded"].map((n) => [
        n,
        { value: 1, timestamp: 0, windowMs: 60_000 },
      ]),
    );
    const g = groupPods(pods, metrics, "cpu", timing);
    expect({ ready: g.ready, unready: g.unready, missing: g.missing, ignored: g.ignored }).toEqual({
      ready: ["ok", "succeeded"],
      unready: ["pending", "notready"],
      missing: ["nometric"],
      ignored: ["deleted", "failed"],
    });
    // other resources ignore readiness
    expect(groupPods(pods, metrics, "memory", timing).ready).toEqual(["notready", "ok", "succeeded"]);
  });
});
