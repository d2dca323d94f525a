import { describe, expect, it } from "vitest";
import { invalidInput, ToolkitError } from "../errors.js";
import { checkRunLimits, parseScenario, resolveTraces, scenarioWarnings, traceFiles } from "./scenario.js";

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

describe("run limits (SIM_LIMITS)", () => {
  const parse = (spec: Record<string, unknown>) => parseScenario(doc(spec), "s.yaml", milli);
  it.each([
    [{ syncPeriod: "1ms" }, "s.yaml: spec.syncPeriod: must be at least 1s"],
    [{ resolution: "1ms" }, "s.yaml: spec.resolution: must be at least 100ms"],
    [
      { startReplicas: 1e10 },
      "s.yaml: spec.startReplicas: must be at most 2147483647 (int32, as scale.spec.replicas)",
    ],
    [{ startReplicas: -1 }, "s.yaml: spec.startReplicas: must be a non-negative integer"],
    [{ startReplicas: "abc" }, "s.yaml: spec.startReplicas: must be a non-negative integer"],
    [
      { load: [{ constant: 1e308 }] },
      "s.yaml: spec.load[0].constant: must be at most 1e12 in absolute value",
    ],
    [
      { load: [{ step: { at: "1m", value: -2e12 } }] },
      "s.yaml: spec.load[0].step.value: must be at most 1e12",
    ],
    [
      { load: [{ sine: { mean: 1, amplitude: 1e300 } }] },
      "s.yaml: spec.load[0].sine.amplitude: must be at most 1e12",
    ],
    [
      { load: [{ spike: { at: "1m", duration: "1m", value: 1e13 } }] },
      "s.yaml: spec.load[0].spike.value: must be at most 1e12",
    ],
    [
      { load: [{ noise: { amplitude: 1e13 } }] },
      "s.yaml: spec.load[0].noise.amplitude: must be at most 1e12",
    ],
    [{ workload: { capacityPerPod: 1e308 } }, "s.yaml: spec.workload.capacityPerPod: must be at most 1e12"],
    [
      { workload: { metrics: { q: { from: "offered", scale: 1e20 } } } },
      "s.yaml: spec.workload.metrics.q.scale: must be at most 1e12",
    ],
  ])("parseScenario refuses %j", (spec, message) => {
    expect(errorOf(() => parse(spec))).toContain(message);
  });

  it("bounds reconciles, samples and starting pods, naming the field or the overriding flag", () => {
    expect(errorOf(() => checkRunLimits(parse({ duration: "100000h" })))).toBe(
      "s.yaml: spec.duration: 100000h at a 15s sync period is 24,000,000 reconciles; the limit is 3,000,000 " +
        "(shorten the duration or lengthen syncPeriod)",
    );
    expect(() => checkRunLimits(parse({ duration: "8760h" }))).not.toThrow(); // a year at 15 s
    const year = parse({ duration: "8760h", syncPeriod: "15s" });
    expect(errorOf(() => checkRunLimits({ ...year, syncPeriodMs: 1 }, { syncPeriod: "--sync-period" }))).toBe(
      "--sync-period: must be at least 1s",
    );
    expect(
      errorOf(() => checkRunLimits({ ...year, durationMs: 3.6e11 }, { duration: "--duration" })),
    ).toMatch(/^--duration: 100000h at a 15s sync period is 24,000,000 reconciles/);
    expect(errorOf(() => checkRunLimits(parse({ duration: "8760h", resolution: "100ms" })))).toBe(
      "s.yaml: spec.resolution: 8760h sampled every 100ms is 315,360,000 samples; the limit is 100,000,000 " +
        "(use a coarser resolution)",
    );
    expect(errorOf(() => checkRunLimits(parse({ startReplicas: 1e9 })))).toBe(
      "s.yaml: spec.startReplicas: 1000000000 is more pods than the simulator models (at most 100000)",
    );
    expect(() => checkRunLimits(parse({ startReplicas: 100_000 }))).not.toThrow();
  });

  it("refuses trace values that times scale exceed the load limit", () => {
    const s = parse({ load: [{ csv: { file: "t.csv", scale: 1e6 } }] });
    expect(
      errorOf(() => resolveTraces(s.load, new Map([["t.csv", "timestamp,value\n60,1\n120,2e6\n"]]))),
    ).toBe(
      's.yaml: spec.load[0].csv.file: data row 2 of "t.csv" has value 2000000, which times scale 1000000 is ' +
        "beyond the simulator's load limit of 1e12",
    );
    expect(() =>
      resolveTraces(s.load, new Map([["t.csv", "timestamp,value\n60,1\n120,1e6\n"]])),
    ).not.toThrow();
  });
});

describe("scenarioWarnings", () => {
  it("warns about steps, spikes and ramps that begin at or after the end", () => {
    const s = parseScenario(
      doc({
        load: [
          { spike: { at: "99999h", duration: "1m", value: 3 } },
          { step: { at: "30m", value: 1 } },
          { ramp: { start: "31m", duration: "1m", from: 0, to: 1 } },
          { spike: { at: "29m", duration: "1m", value: 3 } },
          { constant: 1 },
        ],
      }),
      "s.yaml",
      milli,
    );
    expect(scenarioWarnings(s)).toEqual([
      "s.yaml: spec.load[0].spike.at: 99999h is after the end of the simulation (30m); it has no effect",
      "s.yaml: spec.load[1].step.at: 30m is at the end of the simulation (30m); it has no effect",
      "s.yaml: spec.load[2].ramp.start: 31m is after the end of the simulation (30m); it has no effect",
    ]);
    expect(scenarioWarnings({ ...s, durationMs: 360_000_000_000 })).toEqual([]);
  });
});
