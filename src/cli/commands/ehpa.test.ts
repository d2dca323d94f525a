import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { convertText } from "./ehpa.js";

const crane = readFileSync(new URL("../../../examples/ehpa/crane-ehpa.yaml", import.meta.url), "utf8");

describe("ehpa convert", () => {
  it("rewrites the example: apiVersion, annotation, notes; the spec is kept", () => {
    const r = convertText(crane, "crane.yaml");
    expect(r.problems).toEqual([]);
    const out = parse(r.yaml) as {
      apiVersion: string;
      metadata: { annotations: Record<string, string> };
      spec: unknown;
    };
    const src = parse(crane) as { spec: unknown };
    expect(out.apiVersion).toBe("autoscaling.tidescale.dev/v1alpha1");
    expect(Object.keys(out.metadata.annotations)).toEqual([
      "metric-query.autoscaling.tidescale.dev/pods.http_requests",
    ]);
    expect(out.spec).toEqual(src.spec);
    expect(r.notes).toEqual([
      "crane.yaml: metadata.annotations: metric-query.autoscaling.crane.io/pods.http_requests renamed to metric-query.autoscaling.tidescale.dev/pods.http_requests",
      "crane.yaml: spec.crons[1].timezone: unset; Crane used the controller's local zone, tidescale uses UTC (set it to keep local times)",
    ]);
  });

  it("Manual becomes Preview; server fields and status are dropped; documents stay separate", () => {
    const two = `${crane.replace("scaleStrategy: Auto", "scaleStrategy: Manual")}\n---\n${crane.replace("name: web\n  namespace", "name: api\n  uid: abc\n  resourceVersion: '5'\n  namespace")}\nstatus: {expectReplicas: 3}\n`;
    const r = convertText(two, "f.yaml");
    expect(r.problems).toEqual([]);
    const docs = r.yaml
      .split("---\n")
      .map((d) => parse(d) as { spec: { scaleStrategy: string }; metadata: unknown; status?: unknown });
    expect(docs.map((d) => d.spec.scaleStrategy)).toEqual(["Preview", "Auto"]);
    expect(docs[1]!.metadata).toEqual({
      name: "api",
      namespace: "shop",
      annotations: { "metric-query.autoscaling.tidescale.dev/pods.http_requests": expect.any(String) },
    });
    expect(docs[1]!.status).toBeUndefined();
    expect(r.notes).toContain(
      "f.yaml: doc 1: spec.scaleStrategy: Manual (Crane's name before Dec 2021) is Preview",
    );
  });

  it.each([
    [
      "apiVersion: autoscaling.crane.io/v1alpha1",
      "apiVersion: autoscaling/v2",
      'x.yaml: apiVersion: expected autoscaling.crane.io/v1alpha1 (or autoscaling.tidescale.dev/v1alpha1), got "autoscaling/v2"',
    ],
    [
      "maxReplicas: 20",
      "maxReplicas: 1",
      "x.yaml: spec.maxReplicas: must be greater than or equal to minReplicas (2)",
    ],
    [
      'historyLength: "7d"',
      'historyLength: "1d"',
      "x.yaml: spec.prediction.predictionAlgorithm.dsp.historyLength: must be at least 48h",
    ],
    [
      "timezone: Asia/Shanghai",
      "timezone: Local",
      'x.yaml: spec.crons[0].timezone: use an IANA zone name such as "Europe/Berlin" ("Local" depends on the host)',
    ],
  ])("names the field: %s -> %s", (from, to, problem) => {
    expect(convertText(crane.replace(from, to), "x.yaml").problems[0]).toBe(problem);
  });
});
