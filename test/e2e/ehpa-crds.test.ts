/**
 * The CRDs in deploy/crds/ on the real control plane (kube-apiserver 1.20, scripts/control-plane.sh),
 * applied with the real kubectl: they are accepted as structural schemas, apply their defaults, refuse
 * wrong types/enums/ranges/patterns naming the field, keep the TSP status shape through the status
 * subresource, scale a Substitute through its scale subresource, and answer to their short names.
 * Rules the 1.20 schema cannot express (maxReplicas >= minReplicas, cron timezones) are checked by the
 * core validation on the object as the server stored it.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { validateEhpa } from "../../src/core/ehpa/spec.js";
import {
  ALGORITHM_TYPES,
  DEFAULT_ALGORITHM,
  DEFAULT_PREDICTION_WINDOW_SECONDS,
} from "../../src/core/ehpa/types.js";
import {
  type ControlPlane,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";

const NS = "e2e-ehpa";
const CRD_DIR = join(REPO_ROOT, "deploy/crds");

let cp: ControlPlane | undefined;
function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

function ehpa(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "autoscaling.tidescale.dev/v1alpha1",
    kind: "EffectiveHorizontalPodAutoscaler",
    metadata: { name, namespace: NS },
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
  };
}

async function applyFails(obj: Record<string, unknown>): Promise<string> {
  // --validate=false: the API server's schema must refuse it, not kubectl's client-side check.
  const r = await plane().kubectl(["apply", "--validate=false", "-f", "-"], {
    input: stringifyYaml(obj),
    allowFail: true,
  });
  expect(r.code, `apply should fail: ${r.stdout}`).not.toBe(0);
  return r.stderr;
}

async function getJson(args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse((await plane().kubectl(["get", ...args, "-o", "json"])).stdout) as Record<
    string,
    unknown
  >;
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  const files = (await readdir(CRD_DIR)).filter((f) => f.endsWith(".yaml")).sort();
  for (const f of files) await cp.kubectl(["apply", "-f", join(CRD_DIR, f)]);
  await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
  await cp.kubectl(["create", "namespace", NS]);
}, 1_800_000);

afterAll(async () => {
  await cp?.stop();
});

describe("deploy/crds on kube-apiserver 1.20", () => {
  it("every CRD is accepted with a structural schema (no NonStructuralSchema condition)", async () => {
    const list = (await getJson(["crd"])) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    const ours = list.items.filter((c) => c.metadata.name.includes("tidescale.dev"));
    expect(ours.map((c) => c.metadata.name).sort()).toEqual([
      "effectivehorizontalpodautoscalers.autoscaling.tidescale.dev",
      "recommendationrules.analysis.tidescale.dev",
      "recommendations.analysis.tidescale.dev",
      "substitutes.autoscaling.tidescale.dev",
      "timeseriespredictions.prediction.tidescale.dev",
    ]);
    for (const c of ours) {
      const types = c.status.conditions.filter((x) => x.status === "True").map((x) => x.type);
      expect(types).toContain("Established");
      expect(types).not.toContain("NonStructuralSchema");
    }
  });

  it("applies the defaults and answers to the short name with the printer columns", async () => {
    await plane().apply(stringifyYaml(ehpa("defaults", { prediction: {} })));
    const got = (await getJson(["ehpa", "defaults", "-n", NS])) as { spec: Record<string, unknown> };
    expect(got.spec.minReplicas).toBe(1);
    expect(got.spec.scaleStrategy).toBe("Auto");
    expect(got.spec.prediction).toEqual({
      predictionWindowSeconds: 3600,
      predictionAlgorithm: { algorithmType: "multi-seasonal" },
    });
    const table = (await plane().kubectl(["get", "ehpa", "-n", NS])).stdout;
    expect(table.split("\n")[0]).toMatch(
      /^NAME\s+STRATEGY\s+MINPODS\s+MAXPODS\s+SPECIFICPODS\s+REPLICAS\s+READY\s+AGE/,
    );
    expect(table).toMatch(/defaults\s+Auto\s+1\s+10\s+/);
    // What the server stored passes the controller's own validation.
    expect(validateEhpa(got).ok).toBe(true);
  });

  it.each([
    [{ scaleStrategy: "Manual" }, /spec\.scaleStrategy: Unsupported value: "Manual"/],
    [
      { maxReplicas: 0 },
      /spec\.maxReplicas: Invalid value: 0: spec\.maxReplicas in body should be greater than or equal to 1/,
    ],
    [
      { prediction: { predictionAlgorithm: { algorithmType: "prophet" } } },
      /spec\.prediction\.predictionAlgorithm\.algorithmType: Unsupported value: "prophet"/,
    ],
    [
      { prediction: { predictionAlgorithm: { algorithmType: "dsp", dsp: { historyLength: "seven days" } } } },
      /spec\.prediction\.predictionAlgorithm\.dsp\.historyLength: Invalid value: "seven days"/,
    ],
    [
      { crons: [{ name: "a", start: "0 9 * *", end: "0 18 * * *", targetReplicas: 2 }] },
      /spec\.crons\.start: Invalid value: "0 9 \* \*"/,
    ],
    [{ minReplicas: -1 }, /spec\.minReplicas: Invalid value: -1/],
    [
      { maxReplicas: "ten" },
      /spec\.maxReplicas: Invalid value: "string": spec\.maxReplicas in body must be of type integer/,
    ],
  ])("refuses %j naming the field", async (spec, message) => {
    expect(await applyFails(ehpa("bad", spec))).toMatch(message);
  });

  it("a missing maxReplicas is refused", async () => {
    const obj = ehpa("nomax", {});
    delete (obj.spec as Record<string, unknown>).maxReplicas;
    expect(await applyFails(obj)).toMatch(/spec\.maxReplicas: Required value/);
  });

  it("cross-field rules the 1.20 schema cannot hold are caught by the core validation naming the field", async () => {
    await plane().apply(
      stringifyYaml(
        ehpa("minmax", {
          minReplicas: 5,
          maxReplicas: 2,
          crons: [
            { name: "a", timezone: "Mars/Olympus", start: "0 9 * * *", end: "0 18 * * *", targetReplicas: 2 },
          ],
        }),
      ),
    );
    const stored = await getJson(["ehpa", "minmax", "-n", NS]);
    const r = validateEhpa(stored);
    expect(r.ok ? [] : r.error.map((p) => p.field)).toEqual(["spec.maxReplicas", "spec.crons[0].timezone"]);
  });

  it("a TimeSeriesPrediction keeps full-precision samples and accuracy through the status subresource", async () => {
    const tsp = {
      apiVersion: "prediction.tidescale.dev/v1alpha1",
      kind: "TimeSeriesPrediction",
      metadata: { name: "ehpa-web", namespace: NS },
      spec: {
        targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: NS },
        predictionMetrics: [
          {
            resourceIdentifier: "pods.http_requests",
            type: "ExpressionQuery",
            expressionQuery: { expression: 'sum(rate(http_requests_total{namespace="e2e-ehpa"}[2m]))' },
            algorithm: { algorithmType: "multi-seasonal" },
          },
        ],
      },
    };
    await plane().apply(stringifyYaml(tsp));
    const current = await getJson(["tsp", "ehpa-web", "-n", NS]);
    const status = {
      predictionMetrics: [
        {
          resourceIdentifier: "pods.http_requests",
          ready: true,
          model: "multi-seasonal",
          periods: [86_400],
          servedQuantile: "p90",
          lastRefreshTime: "2026-03-02T10:00:00Z",
          prediction: [
            {
              labels: [{ name: "quantile", value: "p90" }],
              samples: [
                { timestamp: 1_772_445_600, value: "0.123456789012345" },
                { timestamp: 1_772_445_660, value: "12345.678901234567" },
              ],
            },
          ],
          accuracy: {
            absErrorSum: "1.5",
            actualSum: "10",
            wape: "0.15",
            windows: "3",
            missedWindows: "0",
            windowPeakMissShare: "0",
            pendingPeaks: [{ origin: 1_772_445_600, value: "12.5" }],
            evaluatedUntil: 1_772_445_600,
            gated: false,
            updatedAt: 1_772_445_600,
          },
        },
      ],
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "PredictSucceed",
          message: "all metrics predicted",
          lastTransitionTime: "2026-03-02T10:00:00Z",
        },
      ],
    };
    await plane().kubectl(["replace", "--subresource=status", "-f", "-"], {
      input: JSON.stringify({ ...current, status }),
    });
    const got = (await getJson(["tsp", "ehpa-web", "-n", NS])) as {
      spec: { predictionWindowSeconds: number };
      status: unknown;
    };
    expect(got.status).toEqual(status);
    expect(got.spec.predictionWindowSeconds).toBe(3600);
    const table = (await plane().kubectl(["get", "tsp", "-n", NS])).stdout;
    expect(table).toMatch(/ehpa-web\s+Deployment\s+web\s+3600\s+True/);
  });

  it("a Substitute scales through its scale subresource", async () => {
    await plane().apply(
      stringifyYaml({
        apiVersion: "autoscaling.tidescale.dev/v1alpha1",
        kind: "Substitute",
        metadata: { name: "ehpa-web", namespace: NS },
        spec: {
          substituteTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          replicas: 2,
        },
      }),
    );
    await plane().kubectl(["scale", "subs", "ehpa-web", "-n", NS, "--replicas=4"]);
    const got = (await getJson(["subs", "ehpa-web", "-n", NS])) as { spec: { replicas: number } };
    expect(got.spec.replicas).toBe(4);
    const scale = JSON.parse(
      (
        await plane().kubectl([
          "get",
          "--raw",
          `/apis/autoscaling.tidescale.dev/v1alpha1/namespaces/${NS}/substitutes/ehpa-web/scale`,
        ])
      ).stdout,
    ) as { kind: string; spec: { replicas: number } };
    expect(scale.kind).toBe("Scale");
    expect(scale.spec.replicas).toBe(4);
  });
});

type Schema = { properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; default?: unknown };

function crd(file: string) {
  const doc = parseYaml(readFileSync(join(CRD_DIR, file), "utf8")) as {
    spec: { names: { shortNames: string[] }; versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  return { names: doc.spec.names, schema: doc.spec.versions[0]!.schema.openAPIV3Schema };
}

function at(s: Schema, path: string): Schema {
  let cur = s;
  for (const p of path.split(".")) cur = p === "[]" ? cur.items! : cur.properties![p]!;
  return cur;
}

describe("deploy/crds agree with the core validation", () => {
  const ehpa = crd("10-effectivehorizontalpodautoscalers.yaml");
  const tsp = crd("12-timeseriespredictions.yaml");

  it("EHPA enums and defaults match the core", () => {
    const algo = at(ehpa.schema, "spec.prediction.predictionAlgorithm.algorithmType");
    expect(algo.enum).toEqual([...ALGORITHM_TYPES]);
    expect(algo.default).toBe(DEFAULT_ALGORITHM);
    expect(at(ehpa.schema, "spec.prediction.predictionWindowSeconds").default).toBe(
      DEFAULT_PREDICTION_WINDOW_SECONDS,
    );
    expect(at(ehpa.schema, "spec.scaleStrategy")).toMatchObject({
      enum: ["Auto", "Preview"],
      default: "Auto",
    });
    expect(at(ehpa.schema, "spec.minReplicas").default).toBe(1);
    expect(at(ehpa.schema, "spec.metrics.[].type").enum).toEqual([
      "Resource",
      "ContainerResource",
      "Pods",
      "Object",
      "External",
    ]);
  });

  it("TSP algorithm enum matches and the short names are Crane's", () => {
    expect(at(tsp.schema, "spec.predictionMetrics.[].algorithm.algorithmType").enum).toEqual([
      ...ALGORITHM_TYPES,
    ]);
    expect(ehpa.names.shortNames).toEqual(["ehpa"]);
    expect(tsp.names.shortNames).toEqual(["tsp"]);
    expect(crd("11-substitutes.yaml").names.shortNames).toEqual(["subs"]);
  });
});
