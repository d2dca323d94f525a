import { describe, expect, it } from "vitest";
import { invalidInput, ToolkitError } from "../errors.js";
import { parseScenario, resolveTraces, traceFiles } from "./scenario.js";

/** Test double for the quantity parser: plain decimals and the `m` suffix only. */
function milli(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!m) throw invalidInput(where, `invalid quantity "${text}"`);
  return Math.ceil(Number(m[1]) * (m[2] ? 1 : 1000));
}

function doc(spec: Record<string, unknown>): unknown {
  return {
    apiVersion: "autoscaling.tidescale.dev/v1alpha1",
    kind: "Simulation",
    metadata: { name: "t" },
    spec: {
      duration: "30m",
      workload: { capacityPerPod: 100 },
      load: [{ constant: 5 }],
      hpa: { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
      ...spec,
    },
  };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ToolkitError) return e.oneLine();
    throw e;
  }
  throw new Error("expected an error");
}

describe("parseScenario", () => {
  it("fills defaults", () => {
    const s = parseScenario(doc({}), "s.yaml", milli);
    expect(s.name).toBe("t");
    expect(s.durationMs).toBe(1_800_000);
    expect(s.syncPeriodMs).toBe(15_000);
    expect(s.startReplicas).toBeUndefined();
    expect(s.startEpochMs).toBe(0);
    expect(s.controller).toEqual({
      tolerance: 0.1,
      cpuInitializationPeriodMs: 300_000,
      initialReadinessDelayMs: 30_000,
      downscaleStabilizationMs: 300_000,
    });
    expect(s.workload).toEqual({ capacityPerPod: 100, startupDelayMs: 0, readinessDelayMs: 0, metrics: {} });
    expect(s.load).toEqual([{ kind: "constant", value: 5 }]);
  });

  it("reads every generator and the workload model", () => {
    const s = parseScenario(
      doc({
        start: "2024-04-15T00:00:00Z",
        syncPeriod: "30s",
        startReplicas: 3,
        controller: { tolerance: 0.05, downscaleStabilization: "10m" },
        workload: {
          startupDelay: "5s",
          readinessDelay: "1m",
          cpu: { request: "250m", idle: "10m", perRequest: "2m" },
          metrics: { qps: { from: "offeredPerPod", scale: 2, window: "2m" } },
        },
        load: [
          { constant: 5 },
          { step: { at: "1m", value: 10 } },
          { ramp: { start: "2m", duration: "1m", from: 0, to: 30 } },
          { sine: { mean: 50, amplitude: 20, peakAt: "14h" } },
          { spike: { at: "21m", duration: "60s", value: 235, rise: "10s" } },
          { noise: { amplitude: 3, seed: 42 } },
          { csv: { file: "trace.csv", interpolation: "linear", scale: 0.5 } },
        ],
      }),
      "s.yaml",
      milli,
    );
    expect(s.startEpochMs).toBe(1713139200_000);
    expect(s.syncPeriodMs).toBe(30_000);
    expect(s.startReplicas).toBe(3);
    expect(s.controller.tolerance).toBe(0.05);
    expect(s.controller.downscaleStabilizationMs).toBe(600_000);
    expect(s.controller.initialReadinessDelayMs).toBe(30_000);
    expect(s.workload.capacityPerPod).toBe(Number.POSITIVE_INFINITY);
    expect(s.workload.cpu).toEqual({ requestMilli: 250, idleMilli: 10, perRequestMilli: 2 });
    expect(s.workload.metrics).toEqual({ qps: { from: "offeredPerPod", scale: 2, windowMs: 120_000 } });
    expect(s.load.map((c) => c.kind)).toEqual([
      "constant",
      "step",
      "ramp",
      "sine",
      "spike",
      "noise",
      "csvFile",
    ]);
    expect(s.load[3]).toEqual({
      kind: "sine",
      mean: 50,
      amplitude: 20,
      periodMs: 86_400_000,
      peakAtMs: 50_400_000,
    });
    expect(s.load[4]).toEqual({
      kind: "spike",
      atMs: 1_260_000,
      durationMs: 60_000,
      value: 235,
      riseMs: 10_000,
      fallMs: 0,
    });
    expect(s.load[5]).toEqual({ kind: "noise", amplitude: 3, intervalMs: 15_000, seed: 42 });
    expect(traceFiles(s)).toEqual([{ file: "trace.csv", where: "s.yaml: spec.load[6].csv.file" }]);
  });

  it.each([
    [{ duraton: "1m" }, 's.yaml: spec.duraton: unknown field "duraton" (did you mean "duration"?)'],
    [
      { duration: "soon" },
      's.yaml: spec.duration: invalid duration "soon" (use Go syntax such as 15s, 5m, 1h30m)',
    ],
    [{ duration: "0s" }, "s.yaml: spec.duration: must be greater than 0"],
    [
      { syncPeriod: "-15s" },
      's.yaml: spec.syncPeriod: invalid duration "-15s" (use Go syntax such as 15s, 5m, 1h30m)',
    ],
    [{ workload: { capacityPerPod: 0 } }, "s.yaml: spec.workload.capacityPerPod: must be greater than 0"],
    [
      { workload: { startupDelya: "1s" } },
      's.yaml: spec.workload.startupDelya: unknown field "startupDelya" (did you mean "startupDelay"?)',
    ],
    [
      { workload: { readinessDelay: 5 } },
      's.yaml: spec.workload.readinessDelay: expected a duration string such as "15s" or "5m"',
    ],
    [
      { workload: { cpu: { request: "lots" } } },
      's.yaml: spec.workload.cpu.request: invalid quantity "lots"',
    ],
    [{ workload: { metrics: { qps: { from: "everything" } } } }, "s.yaml: spec.workload.metrics.qps.from"],
    [{ load: [] }, "s.yaml: spec.load: needs at least one load component"],
    [
      { load: [{ constnt: 5 }] },
      's.yaml: spec.load[0].constnt: unknown load generator "constnt" (did you mean "constant"?)',
    ],
    [
      { load: [{ constant: 5, step: {} }] },
      "s.yaml: spec.load[0]: expected exactly one generator key, got constant, step",
    ],
    [{ load: [5] }, "s.yaml: spec.load[0]: expected one generator such as {constant: 5}"],
    [{ load: [{ constant: -1 }] }, "s.yaml: spec.load[0].constant: must not be negative"],
    [
      { load: [{ spike: { at: "1m", value: 3 } }] },
      "s.yaml: spec.load[0].spike.duration: required field is missing",
    ],
    [
      { load: [{ spike: { at: "1m", duration: "1m", value: 3, peak: 2 } }] },
      's.yaml: spec.load[0].spike.peak: unknown field "peak"',
    ],
    [
      { load: [{ ramp: { start: "1m", duration: "1x", from: 0, to: 3 } }] },
      's.yaml: spec.load[0].ramp.duration: invalid duration "1x"',
    ],
    [
      { load: [{ spike: { at: "1m", duration: "10s", value: 3, rise: "8s", fall: "8s" } }] },
      "s.yaml: spec.load[0].spike.rise: rise + fall must not exceed the duration",
    ],
    [{ hpa: "x" }, "s.yaml: spec.hpa: expected an autoscaling/v2 HorizontalPodAutoscaler object"],
    [{ start: "yesterday" }, "s.yaml: spec.start: expected an RFC 3339 time or Unix seconds"],
  ])("rejects %j", (spec, message) => {
    expect(errorOf(() => parseScenario(doc(spec), "s.yaml", milli))).toContain(message);
  });

  it("needs the HPA inline or from a file", () => {
    const { hpa: _h, ...noHpa } = (doc({}) as { spec: Record<string, unknown> }).spec;
    const base = doc({}) as Record<string, unknown>;
    expect(errorOf(() => parseScenario({ ...base, spec: noHpa }, "s.yaml", milli))).toBe(
      "s.yaml: spec.hpa: required field is missing (or set spec.hpaFile to read the HPA from a manifest)",
    );
    expect(parseScenario({ ...base, spec: { ...noHpa, hpaFile: "hpa.yaml" } }, "s.yaml", milli).hpaFile).toBe(
      "hpa.yaml",
    );
  });

  it("names the document fields", () => {
    expect(errorOf(() => parseScenario({ kind: "Simulation", spec: {} }, "s.yaml", milli))).toMatch(
      /^s\.yaml: apiVersion: /,
    );
    expect(errorOf(() => parseScenario({ ...(doc({}) as object), extra: 1 }, "s.yaml", milli))).toBe(
      's.yaml: extra: unknown field "extra"',
    );
  });
});

describe("resolveTraces", () => {
  const spec = parseScenario(
    doc({ load: [{ csv: { file: "t.csv", offset: "1m" } }, { constant: 1 }] }),
    "s.yaml",
    milli,
  );
  it("parses the trace texts", () => {
    const comps = resolveTraces(spec.load, new Map([["t.csv", "timestamp,value\n60,1\n120,2\n"]]));
    expect(comps[0]).toMatchObject({
      kind: "csv",
      offsetMs: 60_000,
      points: [
        { t: 60_000, v: 1 },
        { t: 120_000, v: 2 },
      ],
    });
    expect(comps[1]).toEqual({ kind: "constant", value: 1 });
  });
  it("names the trace line of a defect", () => {
    expect(
      errorOf(() => resolveTraces(spec.load, new Map([["t.csv", "timestamp,value\n60,1\n60,2\n"]]))),
    ).toBe("t.csv:3: duplicate timestamp 60 (also on line 2)");
    expect(errorOf(() => resolveTraces(spec.load, new Map([["t.csv", "timestamp,value\n60,-4\n"]])))).toBe(
      "t.csv:2: value -4 must not be negative",
    );
  });
});
