import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import { resolveAlgorithm } from "./algorithm.js";
import { parseEhpa, validateEhpa } from "./spec.js";

function ehpa(spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "autoscaling.tidescale.dev/v1alpha1",
    kind: "EffectiveHorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      maxReplicas: 10,
      metrics: [
        {
          type: "Pods",
          pods: { metric: { name: "http_requests" }, target: { type: "AverageValue", averageValue: "10" } },
        },
      ],
      ...spec,
    },
    ...extra,
  };
}

function problems(spec: Record<string, unknown>) {
  const r = validateEhpa(ehpa(spec));
  return r.ok ? [] : r.error.map((p) => `${p.field}: ${p.message}`);
}

describe("validateEhpa", () => {
  it("applies the CRD defaults", () => {
    const r = validateEhpa(ehpa({ prediction: {} }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec.minReplicas).toBe(1);
    expect(r.value.spec.scaleStrategy).toBe("Auto");
    expect(r.value.spec.crons).toEqual([]);
    expect(r.value.spec.prediction).toEqual({
      predictionWindowSeconds: 3600,
      predictionAlgorithm: { algorithmType: "multi-seasonal" },
    });
    expect(r.value.metadata).toEqual({ name: "web", namespace: "shop" });
  });

  it.each([
    [
      { minReplicas: 5, maxReplicas: 2 },
      "spec.maxReplicas: must be greater than or equal to minReplicas (5)",
    ],
    [{ maxReplicas: 0 }, "spec.maxReplicas: must be greater than 0"],
    [
      { scaleStrategy: "Manual" },
      'spec.scaleStrategy: unsupported scaleStrategy "Manual" (use Auto or Preview)',
    ],
    [{ specificReplicas: 3 }, "spec.specificReplicas: may only be set with scaleStrategy Preview"],
    [
      { prediction: { predictionAlgorithm: { algorithmType: "prophet" } } },
      'spec.prediction.predictionAlgorithm.algorithmType: unknown algorithm "prophet" (use multi-seasonal, dsp, percentile)',
    ],
    [
      { prediction: { predictionAlgorithm: { algorithmType: "dsp", dsp: { historyLength: "1d" } } } },
      "spec.prediction.predictionAlgorithm.dsp.historyLength: must be at least 48h",
    ],
    [
      { prediction: { predictionAlgorithm: { algorithmType: "dsp", dsp: { sampleInterval: "ten" } } } },
      'spec.prediction.predictionAlgorithm.dsp.sampleInterval: invalid duration "ten"',
    ],
    [
      { prediction: { predictionAlgorithm: { multiSeasonal: { historyLength: "5m" } } } },
      "spec.prediction.predictionAlgorithm.multiSeasonal.historyLength: must hold at least 10 sample intervals",
    ],
    [
      { prediction: { predictionAlgorithm: { multiSeasonal: { sampleInterval: "2h" } } } },
      "spec.prediction.predictionAlgorithm.multiSeasonal.sampleInterval: must be at most 1h",
    ],
    [
      { prediction: { predictionAlgorithm: { algorithmType: "dsp", percentile: {} } } },
      "spec.prediction.predictionAlgorithm.percentile: may only be set with algorithmType percentile (algorithmType is dsp)",
    ],
    [
      {
        prediction: {
          predictionAlgorithm: { algorithmType: "percentile", percentile: { percentile: "0.95" } },
        },
      },
      'spec.prediction.predictionAlgorithm.percentile.percentile: "0.95" is not served; use 0.5, 0.9 or 0.99',
    ],
    [
      { prediction: { predictionWindowSeconds: 0 } },
      "spec.prediction.predictionWindowSeconds: must be greater than 0",
    ],
    [
      {
        prediction: {},
        metrics: [
          {
            type: "Object",
            object: {
              describedObject: { kind: "Service", name: "web" },
              metric: { name: "rps" },
              target: { type: "Value", value: "5" },
            },
          },
        ],
      },
      "spec.prediction: no metric can be predicted: add a Resource, ContainerResource, Pods or External metric",
    ],
  ])("refuses %j", (spec, message) => {
    expect(problems(spec)).toContain(message);
  });

  it("refuses bad crons naming the entry and field", () => {
    const base = { name: "a", start: "0 9 * * *", end: "0 18 * * *", targetReplicas: 3 };
    expect(problems({ crons: [{ ...base, timezone: "Mars/Olympus" }] })).toEqual([
      'spec.crons[0].timezone: unknown timezone "Mars/Olympus" (use an IANA zone name such as "Europe/Berlin" or "UTC")',
    ]);
    expect(problems({ crons: [{ ...base, start: "0 9 * *" }] })).toEqual([
      "spec.crons[0].start: must have 5 fields (minute hour day-of-month month day-of-week), got 4",
    ]);
    expect(problems({ crons: [{ ...base, end: "61 18 * * *" }] })[0]).toMatch(/^spec\.crons\[0\]\.end: /);
    expect(problems({ crons: [{ ...base, end: "0 18 L * *" }] })).toEqual([
      'spec.crons[0].end: day-of-month field "L" is not a crontab field (digits, names, * ? , - /)',
    ]);
    expect(problems({ crons: [base, { ...base, targetReplicas: 11 }] })).toEqual([
      'spec.crons[1].name: duplicate cron name "a"',
      "spec.crons[1].targetReplicas: must be at most maxReplicas (10)",
    ]);
    expect(problems({ crons: [{ ...base, end: "0  9 * * *" }] })).toEqual([
      "spec.crons[0].end: must differ from start",
    ]);
    expect(problems({ crons: [{ ...base, timezone: "Local" }] })[0]).toMatch(
      /^spec\.crons\[0\]\.timezone: use an IANA/,
    );
  });

  it("names unknown fields and missing required ones", () => {
    expect(problems({ maxReplica: 3 })).toContain('spec.maxReplica: unknown field "maxReplica"');
    const r = validateEhpa({ ...ehpa({}), spec: { scaleTargetRef: { kind: "Deployment", name: "web" } } });
    expect(r.ok ? [] : r.error).toContainEqual({
      field: "spec.maxReplicas",
      message: "required field is missing",
    });
  });

  it("parseEhpa throws the first problem with a did-you-mean", () => {
    try {
      parseEhpa(ehpa({ maxReplica: 3 }), "web.yaml");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ToolkitError);
      expect((e as ToolkitError).oneLine()).toBe(
        'web.yaml: spec.maxReplica: unknown field "maxReplica" (did you mean "maxReplicas"?)',
      );
    }
    expect(() => parseEhpa(ehpa({ minReplicas: 4, maxReplicas: 3 }), "x.yaml")).toThrow(
      "must be greater than or equal to minReplicas (4)",
    );
  });

  it("accepts a full Crane-shaped spec", () => {
    const r = validateEhpa(
      ehpa({
        minReplicas: 2,
        scaleStrategy: "Preview",
        specificReplicas: 4,
        behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
        prediction: {
          predictionWindowSeconds: 1800,
          predictionAlgorithm: { algorithmType: "dsp", dsp: { sampleInterval: "60s", historyLength: "3d" } },
        },
        crons: [
          {
            name: "work",
            timezone: "Asia/Shanghai",
            start: "0 9 * * MON-FRI",
            end: "0 18 * * MON-FRI",
            targetReplicas: 5,
          },
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.spec.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(60);
  });
});

describe("resolveAlgorithm", () => {
  it("serves p50 of multi-seasonal by default, on 60 s samples over 15 days", () => {
    const r = resolveAlgorithm({ algorithmType: "multi-seasonal" });
    expect(r.ok && { ...r.value, forecaster: r.value.forecaster.name }).toEqual({
      type: "multi-seasonal",
      forecaster: "multi-seasonal",
      sampleIntervalSec: 60,
      historyLengthSec: 15 * 86_400,
      servedQuantile: "p50",
    });
  });

  it("maps the percentile and applies its margin", () => {
    const r = resolveAlgorithm({
      algorithmType: "percentile",
      percentile: { percentile: "0.99", marginFraction: "0.5" },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.servedQuantile).toBe("p99");
    const f = r.value.forecaster.forecast(
      { start: 0, step: 60, values: new Float64Array(100).fill(2) },
      { horizon: 3 },
    );
    expect(f.ok && f.value.p50[0]).toBeCloseTo(3 * 1.0, 0);
  });

  it("bounds the points of one history", () => {
    const r = resolveAlgorithm({
      algorithmType: "multi-seasonal",
      multiSeasonal: { sampleInterval: "1s", historyLength: "1d" },
    });
    expect(r.ok ? [] : r.error.map((p) => p.field)).toEqual(["multiSeasonal.historyLength"]);
  });
});
