/**
 * RecommendationRule and Recommendation (deploy/crds/2*.yaml) on the real control plane (kube-apiserver
 * 1.20, scripts/control-plane.sh) with the real kubectl:
 *
 * - the CRDs are structural, apply their defaults, refuse wrong enums/patterns naming the field, answer
 *   to their short names with the printer columns, and keep a Recommendation's status through the status
 *   subresource;
 * - `tidescale controller --recommendations`, running as the ServiceAccount and RBAC of deploy/08, with a
 *   real Prometheus backfilled (promtool) with a week of cAdvisor series of the Deployment's pods: a rule
 *   creates Recommendations that `kubectl get recommendations` lists with their values, owned by the rule;
 *   the Resource patch is accepted by `kubectl patch --dry-run=server`; changing the rule's selector
 *   deletes the stale ones and creates the new ones (abstaining without history); deleting the rule
 *   garbage-collects them.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { RECOMMENDER_TYPES, WORKLOAD_KINDS } from "../../src/core/recommend-rule/types.js";
import { cadvisorHistory, deploymentPodName, diurnal } from "../support/cadvisor-history.js";
import { startCli } from "../support/cli.js";
import { deploymentManifest, writeTokenKubeconfig } from "../support/cluster-helpers.js";
import {
  type ControlPlane,
  createNamespace,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";
import { eventually } from "../support/wait.js";

const NS = "e2e-rec";
const CRDS = ["20-recommendationrules.yaml", "21-recommendations.yaml"].map((f) =>
  join(REPO_ROOT, "deploy/crds", f),
);

const SYSTEM_NS = "tidescale";
const MIB = 1_048_576;
const NOW_SEC = Math.floor(Date.now() / 1000);
/** Three pods of `web`, each using a steady 100 m CPU and 128 MiB for a week (up to 2 minutes ago). */
const HISTORY = cadvisorHistory({
  workloads: [
    {
      namespace: NS,
      pods: [0, 1, 2].map((i) => deploymentPodName("web", i)),
      containers: [{ name: "web", cpu: diurnal(0.1, 0, 14, 0), memory: diurnal(128 * MIB, 0, 14, 0) }],
    },
  ],
  startSec: NOW_SEC - 7 * 86_400 - 3600,
  endSec: NOW_SEC - 120,
});

let cp: ControlPlane | undefined;
let prom: RunningPrometheus | undefined;
let controller: Started | undefined;
let workDir = "";
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
  workDir = await mkdtemp(join(tmpdir(), "tidescale-e2e-rec-"));
  prom = await startPrometheus({ retention: "30d", backfillOpenMetrics: HISTORY });
  // Every CRD: the EHPA controller runs in the same process.
  await cp.kubectl(["apply", "-f", join(REPO_ROOT, "deploy/crds")]);
  await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
  await createNamespace(cp, NS);
}, 1_800_000);

afterAll(async () => {
  await controller?.stop();
  await prom?.stop();
  await cp?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
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

interface Rec {
  metadata: {
    name: string;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec: { targetRef: { name: string }; type: string };
  status?: {
    recommended?: string;
    current?: string;
    recommendedInfo?: string;
    action?: string;
    evidence?: Record<string, unknown>;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

async function recs(): Promise<Rec[]> {
  return (await getJson<{ items: Rec[] }>(["recommendations", "-n", NS])).items;
}

const names = (list: Rec[]) => list.map((r) => r.metadata.name).sort();
const controllerLog = async () => controller?.output().slice(-4000) ?? "";

function workload(name: string, tier: string): string {
  const d = JSON.parse(
    deploymentManifest(name, NS, { resources: { requests: { cpu: "500m", memory: "512Mi" } } }),
  ) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  d.metadata.labels = { tier };
  d.spec.replicas = 3;
  return JSON.stringify(d);
}

describe("tidescale controller --recommendations", () => {
  it("runs as the ServiceAccount of deploy/08 against the backfilled Prometheus", async () => {
    const c = plane();
    if (!prom) throw new Error("prometheus not started");
    for (const f of ["00-namespace.yaml", "01-service-account.yaml", "08-controller-rbac.yaml"])
      await c.kubectl(["apply", "-f", join(REPO_ROOT, "deploy", f)]);
    const token = (
      await c.kubectl(["create", "token", "tidescale-controller", "-n", SYSTEM_NS, "--duration=2h"])
    ).stdout.trim();
    const kubeconfig = await writeTokenKubeconfig(c, join(workDir, "controller.kubeconfig"), token);
    // The week of history is queryable (the backfilled blocks are loaded).
    await waitForQuery(
      prom.url,
      `count(container_memory_working_set_bytes{namespace="${NS}",container="web"} offset 6d)`,
      {
        accept: (s) => Number(s[0]?.value[1]) === 3,
      },
    );
    await c.apply(workload("web", "web"));
    await c.apply(workload("api", "api"));
    const probePort = await freePort();
    controller = await startCli(
      [
        "controller",
        "--kubeconfig",
        kubeconfig,
        "--prometheus-url",
        prom.url,
        "--recommendations",
        "--health-probe-bind-address",
        `127.0.0.1:${probePort}`,
        "--log-level",
        "debug",
      ],
      { timeoutMs: 60_000, ready: async () => true },
    );
    // Ready once every informer listed, the RecommendationRule controller's included.
    const readyz = await eventually(
      "/readyz 200",
      async () => {
        const r = await fetch(`http://127.0.0.1:${probePort}/readyz`, { signal: AbortSignal.timeout(2000) });
        const body = await r.text();
        return r.status === 200 ? body : undefined;
      },
      { timeoutMs: 60_000, detail: controllerLog },
    );
    for (const informer of [
      "recommendationrules",
      "recommendations",
      "workload-hpas",
      "deployments",
      "statefulsets",
    ])
      expect(readyz).toContain(`[+]informer-${informer} ok`);
  });

  it("a rule creates one Recommendation per recommender for the selected Deployment, listed with its values", async () => {
    await plane().apply(
      stringifyYaml(
        rule("rightsize", { recommenders: [{ name: "Replicas" }, { name: "Resource" }, { name: "HPA" }] }),
      ),
    );
    const ready = await eventually(
      "three computed Recommendations for web",
      async () => {
        const l = await recs();
        return l.length === 3 && l.every((r) => r.status?.conditions?.length) ? l : undefined;
      },
      { timeoutMs: 90_000, detail: controllerLog },
    );
    expect(names(ready)).toEqual([
      "rightsize-deployment-web-hpa",
      "rightsize-deployment-web-replicas",
      "rightsize-deployment-web-resource",
    ]);
    const uid = (await getJson<{ metadata: { uid: string } }>(["rr", "rightsize"])).metadata.uid;
    for (const r of ready)
      expect(r.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: "RecommendationRule", name: "rightsize", uid, controller: true }),
      ]);

    // Replicas: 3 pods x 100 m = 300 m at the 95th percentile, at 50 % of the 500 m request: ceil(1.2) = 2;
    // memory 3 x 128 MiB at 50 % of the 512 MiB request: ceil(1.5) = 2.
    const replicas = ready.find((r) => r.spec.type === "Replicas")!;
    expect(replicas.status).toMatchObject({
      recommended: "2",
      current: "3",
      recommendedInfo: '{"spec":{"replicas":2}}',
      action: "Patch",
    });
    expect(replicas.status?.conditions?.[0]).toMatchObject({
      type: "Ready",
      status: "True",
      reason: "Recommended",
    });
    // The evidence says what was used: a week of 1-minute samples from the 3 pods.
    expect(replicas.status?.evidence?.pods).toBe(3);
    expect(Number(replicas.status?.evidence?.samples)).toBeGreaterThan(6 * 1440);

    const table = (await plane().kubectl(["get", "recommendations", "-n", NS])).stdout;
    expect(table.split("\n")[0]).toMatch(/^NAME\s+TARGET\s+TYPE\s+RECOMMENDED\s+CURRENT\s+AGE/);
    expect(table).toMatch(/rightsize-deployment-web-replicas\s+web\s+Replicas\s+2\s+3\s+/);

    // Resource: 100 m and 128 MiB used against 500m / 512Mi requested (+15 % margin: about 115m and
    // 147Mi); the patch applies as it is.
    const resource = ready.find((r) => r.spec.type === "Resource")!;
    expect(resource.status?.current).toBe("web: cpu 500m, memory 512Mi");
    const [, cpu, mem] = /^web: cpu (\d+)m, memory (\d+)Mi$/.exec(resource.status?.recommended ?? "") ?? [];
    expect(Number(cpu)).toBeGreaterThanOrEqual(100);
    expect(Number(cpu)).toBeLessThanOrEqual(130);
    expect(Number(mem)).toBeGreaterThanOrEqual(128);
    expect(Number(mem)).toBeLessThanOrEqual(160);
    const patched = await plane().kubectl([
      "patch",
      "deployment",
      "web",
      "-n",
      NS,
      "--dry-run=server",
      "-o",
      "json",
      "-p",
      resource.status?.recommendedInfo ?? "",
    ]);
    const container = (
      JSON.parse(patched.stdout) as {
        spec: { template: { spec: { containers: { resources: { requests: Record<string, string> } }[] } } };
      }
    ).spec.template.spec.containers[0]!;
    expect(container.resources.requests).toEqual({ cpu: `${cpu}m`, memory: `${mem}Mi` });

    // HPA: a value or a named abstention, never an empty status.
    const hpa = ready.find((r) => r.spec.type === "HPA")!;
    expect(hpa.status?.conditions?.[0]?.reason).toMatch(/^(Recommended|[A-Z][A-Za-z]+)$/);
    expect(hpa.status?.conditions?.[0]?.message).not.toBe("");

    const rr = await getJson<{
      status: { targets: number; recommendations: number; conditions: { reason: string }[] };
    }>(["rr", "rightsize"]);
    expect(rr.status).toMatchObject({ targets: 1, recommendations: 3 });
    expect(rr.status.conditions[0]?.reason).toBe("Recommended");
  });

  it("changing the rule's selector deletes the stale Recommendations and creates the new ones", async () => {
    await plane().apply(
      stringifyYaml(
        rule("rightsize", {
          resourceSelectors: [{ kind: "Deployment", labelSelector: { matchLabels: { tier: "api" } } }],
          recommenders: [{ name: "Replicas" }],
        }),
      ),
    );
    const after = await eventually(
      "only api's Replicas Recommendation",
      async () => {
        const l = await recs();
        return l.length === 1 &&
          l[0]!.metadata.name === "rightsize-deployment-api-replicas" &&
          l[0]!.status?.conditions
          ? l
          : undefined;
      },
      { timeoutMs: 60_000, detail: controllerLog },
    );
    // api has no history in Prometheus: the recommender abstains and says why.
    expect(after[0]!.status?.conditions?.[0]).toMatchObject({ type: "Ready", status: "False" });
    expect(after[0]!.status?.conditions?.[0]?.reason).not.toBe("RecommendFailed");
    expect(after[0]!.status?.recommended).toBeUndefined();
  });

  it("records Created and DeletedStale Events on the rule (cluster-scoped: in default, no namespace named)", async () => {
    const events = await eventually(
      "Created and DeletedStale Events",
      async () => {
        const l = await getJson<{
          items: { reason: string; message: string; involvedObject: { kind: string; namespace?: string } }[];
        }>(["events", "-n", "default", "--field-selector", "involvedObject.name=rightsize"]);
        const reasons = new Set(l.items.map((e) => e.reason));
        return reasons.has("Created") && reasons.has("DeletedStale") ? l.items : undefined;
      },
      { timeoutMs: 30_000, detail: controllerLog },
    );
    for (const e of events) {
      expect(e.involvedObject.kind).toBe("RecommendationRule");
      expect(e.involvedObject.namespace).toBeUndefined();
    }
    expect(events.find((e) => e.reason === "DeletedStale")?.message).toMatch(
      /rightsize-deployment-web-(hpa|replicas|resource)/,
    );
  });

  it("deleting the rule garbage-collects its Recommendations", async () => {
    await plane().kubectl(["delete", "recommendationrule", "rightsize"]);
    await eventually(
      "no Recommendations left",
      async () => ((await recs()).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
        detail: () => plane().log("kube-controller-manager", 30),
      },
    );
  });
});
