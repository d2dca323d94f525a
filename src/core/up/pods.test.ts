import { describe, expect, it } from "vitest";
import { deletionOrder, type LocalPod, podAddress, podInfos, scalePlan } from "./pods.js";

function pod(ordinal: number, phase: LocalPod["phase"], ip: number, readyAt?: number): LocalPod {
  const p: LocalPod = {
    name: `app-${ordinal}`,
    ordinal,
    ip: podAddress(ip),
    phase,
    createdAt: 1000,
    restarts: 0,
  };
  if (readyAt !== undefined) p.readyAt = readyAt;
  return p;
}

describe("scalePlan", () => {
  it("starts pods with the next ordinals on the lowest addresses not held, draining ones included", () => {
    const pods = [pod(1, "Ready", 1, 10), pod(2, "Draining", 2, 20), pod(4, "Ready", 4, 40)];
    expect(scalePlan(pods, 4, 5, "app")).toEqual({
      start: [
        { name: "app-5", ordinal: 5, ip: "127.0.1.3" },
        { name: "app-6", ordinal: 6, ip: "127.0.1.5" },
      ],
      drain: [],
    });
  });

  it("drains the surplus: not-ready pods first, then the most recently ready; draining pods do not count", () => {
    const pods = [
      pod(1, "Ready", 1, 10),
      pod(2, "Ready", 2, 30),
      pod(3, "Starting", 3),
      pod(4, "Draining", 4, 5),
    ];
    expect(scalePlan(pods, 1, 5, "app")).toEqual({ start: [], drain: ["app-3", "app-2"] });
    expect(scalePlan(pods, 3, 5, "app")).toEqual({ start: [], drain: [] });
  });

  it("refuses to go past the 254 loopback addresses", () => {
    const pods = Array.from({ length: 254 }, (_, i) => pod(i + 1, "Ready", i + 1, 1));
    expect(() => scalePlan(pods, 255, 255, "app")).toThrow(/no free pod address/);
  });
});

describe("deletionOrder", () => {
  it("ranks equal readiness times by the newest pod first", () => {
    expect(deletionOrder([pod(1, "Ready", 1, 5), pod(2, "Ready", 2, 5)]).map((p) => p.name)).toEqual([
      "app-2",
      "app-1",
    ]);
  });
});

describe("podInfos", () => {
  it("shows pods as the controller's informer does: Running, Ready condition, start time, deletion", () => {
    const draining = { ...pod(2, "Draining", 2, 20), drainingSince: 99 };
    expect(podInfos([pod(1, "Starting", 1), draining], { app: "x" })).toEqual([
      {
        name: "app-1",
        phase: "Running",
        ready: "False",
        startTime: 1000,
        labels: { app: "x" },
        containers: [{ name: "app", requests: {} }],
      },
      {
        name: "app-2",
        phase: "Running",
        ready: "False",
        startTime: 1000,
        readyTransitionTime: 20,
        deletionTimestamp: 99,
        labels: { app: "x" },
        containers: [{ name: "app", requests: {} }],
      },
    ]);
  });
});

describe("podAddress", () => {
  it("is 127.0.1.N for N in 1..254 only", () => {
    expect(podAddress(7)).toBe("127.0.1.7");
    expect(() => podAddress(0)).toThrow(RangeError);
    expect(() => podAddress(255)).toThrow(RangeError);
  });
});
