// biome-ignore-all lint/suspicious/noExplicitAny: the tests walk parsed JSON/YAML documents
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { captureMain } from "../../../test/support/cli.js";

const FIX = "test/fixtures/hpa";
const EXAMPLE = "examples/explain-snapshot.yaml";

async function explainJson(file: string): Promise<Record<string, any>> {
  const r = await captureMain(["hpa", "explain", file, "-o", "json"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

const reasons = (d: Record<string, any>) => d.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`);

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidescale-hpa-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("hpa explain -o json reproduces the worked examples", () => {
  it("TestScaleUp: 3 -> 5 with utilization 50% and the SuccessfulRescale event", async () => {
    const d = await explainJson(`${FIX}/scale-up.yaml`);
    expect(d.format).toBe("tidescale.dev/hpa-explain/v1");
    expect(d).toMatchObject({
      case: "metrics",
      currentReplicas: 3,
      desiredReplicas: 5,
      rescale: true,
      metricsReplicas: 5,
    });
    expect(d.metrics[0]).toMatchObject({
      type: "Resource",
      name: "cpu resource utilization (percentage of request)",
      valid: true,
      replicas: 5,
      utilization: 50,
      average: "500m",
      target: 30,
      path: "fast",
    });
    expect(d.event).toEqual({
      type: "Normal",
      reason: "SuccessfulRescale",
      message: "New size: 5; reason: cpu resource utilization (percentage of request) above target",
    });
    expect(reasons(d)).toEqual([
      "AbleToScale=True/SucceededRescale",
      "ScalingActive=True/ValidMetricFound",
      "ScalingLimited=False/DesiredWithinRange",
    ]);
    expect(d.status.currentMetrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", current: { averageUtilization: 50, averageValue: "500m" } },
      },
    ]);
    expect(d.status.lastScaleTime).toBe("2026-11-28T12:00:00Z");
    expect(d.explanation.length).toBeGreaterThan(3);
  });

  it("TestScaleDownStabilizeInitialSize: no history -> seeded, scale-down held (ScaleDownStabilized)", async () => {
    const d = await explainJson(`${FIX}/stabilize-initial-size.yaml`);
    expect(d).toMatchObject({
      desiredReplicas: 5,
      rescale: false,
      metricsReplicas: 3,
      stabilizedReplicas: 5,
      event: null,
    });
    expect(reasons(d)[0]).toBe("AbleToScale=True/ScaleDownStabilized");
    expect(d.nextState.recommendations.map((r: any) => r.replicas)).toEqual([5, 3]);
    expect(d.now).toBe("2027-01-15T08:00:00Z");
  });

  it("TestMissingReports: 'All metrics below target' on a scale-down", async () => {
    const d = await explainJson(`${FIX}/missing-reports.yaml`);
    expect(d.desiredReplicas).toBe(2);
    expect(d.event.message).toBe("New size: 2; reason: All metrics below target");
  });

  it("rolling update with max surge: the count guard keeps 2", async () => {
    const d = await explainJson(`${FIX}/rolling-update-max-surge.yaml`);
    expect(d.desiredReplicas).toBe(2);
    expect(d.metrics[0]).toMatchObject({ replicas: 2, utilization: 10, path: "rebalanced-count-flip" });
    expect(d.metrics[0].pods).toEqual({
      ready: ["web-0", "web-1"],
      unready: [],
      missing: ["web-2"],
      ignored: [],
    });
  });

  it("an invalid metric refuses a scale-down; the first failure's condition is kept", async () => {
    const d = await explainJson(`${FIX}/invalid-metric-no-scale-down.yaml`);
    expect(d).toMatchObject({ case: "metricsFailed", desiredReplicas: 4, rescale: false, event: null });
    expect(reasons(d)).toEqual([
      "AbleToScale=True/SucceededGetScale",
      "ScalingActive=False/FailedGetExternalMetric",
    ]);
    expect(d.events.map((e: any) => e.reason)).toEqual([
      "FailedGetExternalMetric",
      "FailedComputeMetricsReplicas",
    ]);
    expect(d.metrics[1]).toMatchObject({ valid: true, replicas: 1 });
    expect(d.status.currentMetrics[0]).toEqual({ type: "" });
    expect(d.error).toMatch(
      /^failed to compute desired number of replicas based on listed metrics for Deployment\/default\/web: /,
    );
  });

  it("an unknown metric type (upstream test input) does not stop a scale-up", async () => {
    const d = await explainJson(`${FIX}/unknown-metric-type.yaml`);
    expect(d.desiredReplicas).toBe(4);
    expect(d.metrics[1]).toMatchObject({ valid: false, reason: "InvalidMetricSourceType" });
    expect(d.error).toBe(
      'invalid metrics (1 invalid out of 2), first error is: unknown metric source type "CheddarCheese"',
    );
  });

  it("scale-up budget used by earlier events: the limit is clamped to C", async () => {
    const d = await explainJson(`${FIX}/behavior-budget.yaml`);
    expect(d).toMatchObject({ metricsReplicas: 500, desiredReplicas: 100, rescale: false });
    expect(reasons(d)[2]).toBe("ScalingLimited=True/ScaleUpLimit");
    expect(d.metrics[0]).toMatchObject({
      type: "Object",
      name: "Ingress metric requests_per_second",
      value: "500",
      target: "100",
    });
  });

  it("TestConditionFailedUpdateScale: FailedRescale and AbleToScale=False", async () => {
    const d = await explainJson(`${FIX}/failed-update.yaml`);
    expect(d.desiredReplicas).toBe(3);
    expect(d.event).toEqual({
      type: "Warning",
      reason: "FailedRescale",
      message:
        "New size: 5; reason: cpu resource utilization (percentage of request) above target; error: something went wrong",
    });
    expect(reasons(d)[0]).toBe("AbleToScale=False/FailedUpdateScale");
  });

  it("CPU readiness through snapshot times: initializing, never-ready, pending and deleted pods", async () => {
    const d = await explainJson(`${FIX}/cpu-readiness.yaml`);
    expect(d.metrics[0]).toMatchObject({
      utilization: 150,
      ratio: 3.75,
      rebalancedRatio: 1.5,
      replicas: 8,
      path: "rebalanced",
    });
    expect(d.metrics[0].pods).toEqual({
      ready: ["web-1", "web-2"],
      unready: ["web-0", "web-3", "web-4"],
      missing: [],
      ignored: ["web-5"],
    });
    expect(d.desiredReplicas).toBe(8);
  });

  it("ContainerResource: the named container's usage and request; a pod without it is missing", async () => {
    const d = await explainJson(`${FIX}/container-resource.yaml`);
    expect(d.metrics[0]).toMatchObject({
      name: "cpu container resource utilization (percentage of request)",
      utilization: 90,
      average: "450m",
      path: "rebalanced-within-tolerance",
      replicas: 3,
    });
    expect(d.metrics[0].pods.missing).toEqual(["web-2"]);
    expect(d.status.currentMetrics[0]).toEqual({
      type: "ContainerResource",
      containerResource: {
        name: "cpu",
        container: "app",
        current: { averageUtilization: 90, averageValue: "450m" },
      },
    });
  });

  it("the scale-down window holds 5 until the old recommendation is exactly 300 s old", async () => {
    const d = await explainJson(`${FIX}/scale-down-window.yaml`);
    expect(d).toMatchObject({
      desiredReplicas: 5,
      rescale: false,
      metricsReplicas: 1,
      stabilizedReplicas: 5,
    });
    expect(reasons(d)[0]).toBe("AbleToScale=True/ScaleDownStabilized");
    const later = parse(await readFile(`${FIX}/scale-down-window.yaml`, "utf8"));
    later.now = "2026-11-28T12:26:45Z";
    const file = join(dir, "later.yaml");
    await writeFile(file, JSON.stringify(later));
    const d2 = await explainJson(file);
    expect(d2).toMatchObject({ desiredReplicas: 1, rescale: true, stabilizedReplicas: 1 });
    expect(d2.event.message).toBe("New size: 1; reason: All metrics below target");
    expect(d2.nextState.scaleDownEvents).toEqual([{ change: 4, time: "2026-11-28T12:26:45Z" }]);
  });

  it("the shipped example: 240 req/s on one pod with target 50 -> 5 by the default policies", async () => {
    const d = await explainJson(EXAMPLE);
    expect(d.desiredReplicas).toBe(5);
    expect(d.event.message).toBe("New size: 5; reason: pods metric http_requests_qps above target");
    expect(d.metrics.map((m: any) => m.replicas)).toEqual([5, 1]);
  });
});

describe("hpa explain output formats", () => {
  it("prints text by default with the proposal table, conditions, events and explanation", async () => {
    const r = await captureMain(["hpa", "explain", EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Desired replicas: 5 (scale 1 -> 5)");
    expect(r.out).toMatch(/0\s+pods metric http_requests_qps\s+5\s+average 240 \(target 50\), ratio 4\.8/);
    expect(r.out).toMatch(/ScalingActive\s+True\s+ValidMetricFound/);
    expect(r.out).toContain("SuccessfulRescale");
    expect(r.out).toContain("Explanation:");
  });

  it("-o yaml is the same document as -o json", async () => {
    const j = await captureMain(["hpa", "explain", EXAMPLE, "-o", "json"]);
    const y = await captureMain(["hpa", "explain", EXAMPLE, "-o", "yaml"]);
    expect(y.code).toBe(0);
    expect(parse(y.out)).toEqual(JSON.parse(j.out));
  });

  it("rejects an unknown output format with exit 2", async () => {
    const r = await captureMain(["hpa", "explain", EXAMPLE, "-o", "xml"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('error: --output: want "text", "json" or "yaml", got "xml"\n');
  });
});

describe("hpa explain bad input: exit 2, one line naming the field", () => {
  const cases: [string, (s: any) => void, string][] = [
    [
      "unknown metric type",
      (s) => (s.hpa.spec.metrics[0].type = "Cheese"),
      "hpa.spec.metrics[0].type: unsupported metric type",
    ],
    [
      "target type the source does not allow",
      (s) => (s.hpa.spec.metrics[0].pods.target = { type: "Utilization", averageUtilization: 50 }),
      'hpa.spec.metrics[0].pods.target.type: target type "Utilization" is not allowed for a Pods metric',
    ],
    [
      "negative minReplicas",
      (s) => (s.hpa.spec.minReplicas = -2),
      "hpa.spec.minReplicas: must be greater than or equal to 0",
    ],
    [
      "inverted min/max",
      (s) => (s.hpa.spec.minReplicas = 9),
      "hpa.spec.maxReplicas: must be greater than or equal to minReplicas (9)",
    ],
    [
      "malformed quantity",
      (s) => (s.hpa.spec.metrics[0].pods.target.averageValue = "5O"),
      "hpa.spec.metrics[0].pods.target.averageValue: invalid quantity",
    ],
    [
      "malformed selector",
      (s) => (s.hpa.spec.metrics[0].pods.metric.selector = { matchLabels: { "bad key!": "x" } }),
      "hpa.spec.metrics[0].pods.metric.selector.matchLabels",
    ],
    [
      "missing required HPA field",
      (s) => delete s.hpa.spec.scaleTargetRef,
      "hpa.spec.scaleTargetRef: required field is missing",
    ],
    [
      "missing target replicas",
      (s) => delete s.target.replicas,
      "target.replicas: required field is missing",
    ],
    [
      "malformed metric value",
      (s) => (s.metrics[0].pods[0].value = "lots"),
      "metrics[0].pods[0].value: invalid quantity",
    ],
    [
      "bad time",
      (s) => (s.pods[0].startTime = "yesterday"),
      'pods[0].startTime: time "yesterday" is neither RFC 3339',
    ],
    [
      "too many readings",
      (s) => s.metrics.push({ value: 1 }),
      "metrics[2]: there are 3 metric readings but the HPA has 2 metrics",
    ],
    [
      "reading with two kinds",
      (s) => (s.metrics[0].value = 3),
      "metrics[0]: set exactly one of error, value, values, pods",
    ],
    ["unknown snapshot field", (s) => (s.pod = []), 'pod: unknown field "pod" (did you mean "pods"?)'],
    ["now beyond year 9999", (s) => (s.now = 1e20), "now: time is after 9999-12-31T23:59:59Z"],
    [
      "history time beyond year 9999",
      (s) => (s.history.recommendations[0].time = 1e17),
      "history.recommendations[0].time: time is after 9999-12-31T23:59:59Z",
    ],
  ];
  it.each(cases)("%s", async (_n, mutate, expected) => {
    const snap = parse(await readFile(EXAMPLE, "utf8"));
    mutate(snap);
    const file = join(dir, `${_n.replace(/\W+/g, "-")}.json`);
    await writeFile(file, JSON.stringify(snap));
    const r = await captureMain(["hpa", "explain", file]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.startsWith(`error: ${file}: ${expected}`)).toBe(true);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it("an unreadable file", async () => {
    const r = await captureMain(["hpa", "explain", join(dir, "nope.yaml")]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: ${join(dir, "nope.yaml")}: cannot read file: no such file\n`);
  });

  it("a YAML syntax error is one line naming the file", async () => {
    const file = join(dir, "broken.yaml");
    await writeFile(file, "now: 1\nhpa: [\n");
    const r = await captureMain(["hpa", "explain", file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(:\\d+)?: invalid YAML`),
    );
  });
});
