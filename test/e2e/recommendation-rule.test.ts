/**
 * RecommendationRule and Recommendation (deploy/crds/2*.yaml) on the real control plane (kube-apiserver
 * 1.20, scripts/control-plane.sh) with the real kubectl: the CRDs are structural, apply their defaults,
 * refuse wrong enums/patterns naming the field, answer to their short names with the printer columns,
 * and keep a Recommendation's status through the status subresource.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { RECOMMENDER_TYPES, WORKLOAD_KINDS } from "../../src/core/recommend-rule/types.js";
import {
  type ControlPlane,
  createNamespace,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";

const NS = "e2e-rec";
const CRDS = ["20-recommendationrules.yaml", "21-recommendations.yaml"].map((f) =>
  join(REPO_ROOT, "deploy/crds", f),
);

let cp: ControlPlane | undefined;
function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

function rule(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "analysis.tidescale.dev/v1alpha1",
    kind: "RecommendationRule",
    metadata: { name },
    spec: {
      resourceSelectors: [{ kind: "Deployment", labelSelector: { matchLabels: { tier: "web" } } }],
      namespaceSelector: { matchNames: [NS] },
      recommenders: [{ name: "Replicas" }],
      ...spec,
    },
  };
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await plane().kubectl(["get", ...args, "-o", "json"])).stdout) as T;
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

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  for (const f of CRDS) await cp.kubectl(["apply", "-f", f]);
  await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
  await createNamespace(cp, NS);
}, 1_800_000);

afterAll(async () => {
  await cp?.stop();
});

describe("the analysis.tidescale.dev CRDs on kube-apiserver 1.20", () => {
  it("are structural and established", async () => {
    for (const name of ["recommendationrules", "recommendations"]) {
      const c = await getJson<{ status: { conditions: { type: string; status: string }[] } }>([
        "crd",
        `${name}.analysis.tidescale.dev`,
      ]);
      const types = c.status.conditions.filter((x) => x.status === "True").map((x) => x.type);
      expect(types).toContain("Established");
      expect(types).not.toContain("NonStructuralSchema");
    }
  });

  it("a rule gets the defaults and is cluster-scoped; `kubectl get rr` shows its columns", async () => {
    await plane().apply(stringifyYaml(rule("defaults", {})));
    const got = await getJson<{ metadata: { namespace?: string }; spec: Record<string, unknown> }>([
      "rr",
      "defaults",
    ]);
    expect(got.metadata.namespace).toBeUndefined();
    expect(got.spec.runInterval).toBe("24h");
    expect(got.spec.namespaceSelector).toEqual({ any: false, matchNames: [NS] });
    expect(got.spec.resourceSelectors).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", labelSelector: { matchLabels: { tier: "web" } } },
    ]);
    const header = (await plane().kubectl(["get", "recommendationrules"])).stdout.split("\n")[0];
    expect(header).toMatch(/^NAME\s+INTERVAL\s+TARGETS\s+RECOMMENDATIONS\s+READY\s+LASTUPDATE\s+AGE/);
    await plane().kubectl(["delete", "rr", "defaults"]);
  });

  it.each([
    [{ runInterval: "daily" }, /spec\.runInterval: Invalid value: "daily"/],
    [{ recommenders: [{ name: "IdleNode" }] }, /spec\.recommenders\.name: Unsupported value: "IdleNode"/],
    [
      { resourceSelectors: [{ kind: "DaemonSet" }] },
      /spec\.resourceSelectors\.kind: Unsupported value: "DaemonSet"/,
    ],
    [
      { recommenders: [] },
      /spec\.recommenders: Invalid value: 0: spec\.recommenders in body should have at least 1 items/,
    ],
    [
      { namespaceSelector: { matchNames: ["Not_A_Namespace"] } },
      /spec\.namespaceSelector\.matchNames: Invalid value: "Not_A_Namespace"/,
    ],
  ])("refuses the rule %j naming the field", async (spec, message) => {
    expect(await applyFails(rule("bad", spec))).toMatch(message);
  });

  it("a Recommendation keeps its status through the status subresource and prints target, type, recommended, current", async () => {
    await plane().apply(
      stringifyYaml({
        apiVersion: "analysis.tidescale.dev/v1alpha1",
        kind: "Recommendation",
        metadata: { name: "by-hand", namespace: NS },
        spec: { targetRef: { kind: "Deployment", name: "web", namespace: NS }, type: "Replicas" },
      }),
    );
    const current = await getJson<Record<string, unknown>>(["rec", "by-hand", "-n", NS]);
    expect((current.spec as { targetRef: { apiVersion: string } }).targetRef.apiVersion).toBe("apps/v1");
    const status = {
      recommended: "3",
      current: "5",
      recommendedInfo: '{"spec":{"replicas":3}}',
      currentInfo: '{"spec":{"replicas":5}}',
      action: "Patch",
      evidence: { window: "168h", samples: 10080, nested: { any: ["shape"] } },
      lastUpdateTime: "2026-03-02T10:00:00Z",
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Recommended",
          message: "ok",
          lastTransitionTime: "2026-03-02T10:00:00Z",
        },
      ],
    };
    await plane().kubectl(["replace", "--subresource=status", "-f", "-"], {
      input: JSON.stringify({ ...current, status }),
    });
    expect((await getJson<{ status: unknown }>(["rec", "by-hand", "-n", NS])).status).toEqual(status);
    const table = (await plane().kubectl(["get", "recommendations", "-n", NS])).stdout;
    expect(table.split("\n")[0]).toMatch(/^NAME\s+TARGET\s+TYPE\s+RECOMMENDED\s+CURRENT\s+AGE/);
    expect(table).toMatch(/by-hand\s+web\s+Replicas\s+3\s+5\s+/);
    const wide = (await plane().kubectl(["get", "rec", "-n", NS, "-o", "wide"])).stdout;
    expect(wide).toMatch(/by-hand\s+web\s+Deployment\s+Replicas\s+3\s+5\s+True\s+/);
    await plane().kubectl(["delete", "rec", "by-hand", "-n", NS]);
  });
});

describe("the CRDs agree with the core", () => {
  type Schema = { properties?: Record<string, Schema>; items?: Schema; enum?: unknown[] };
  const schema = (i: number) =>
    (
      parseYaml(readFileSync(CRDS[i]!, "utf8")) as {
        spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
      }
    ).spec.versions[0]!.schema.openAPIV3Schema;
  const at = (s: Schema, path: string) =>
    path.split(".").reduce((cur, p) => (p === "[]" ? cur.items! : cur.properties![p]!), s);

  it("recommender and kind enums", () => {
    expect(at(schema(0), "spec.recommenders.[].name").enum).toEqual([...RECOMMENDER_TYPES]);
    expect(at(schema(0), "spec.resourceSelectors.[].kind").enum).toEqual([...WORKLOAD_KINDS]);
    expect(at(schema(1), "spec.type").enum).toEqual([...RECOMMENDER_TYPES]);
  });
});
