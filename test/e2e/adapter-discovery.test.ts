/**
 * The adapter resolving resources through the cluster's API discovery, on the real control plane
 * (scripts/control-plane.sh): a CustomResourceDefinition of the test's own (`queues.example.io`, kind
 * Queue, served at v1alpha1) gets an Object metric through a rule whose `resources.overrides` name it,
 * wildcard requests are answered from the adapter's metadata watch cache, and the real HPA controller
 * (autoscaling/v2beta2 on 1.20) scales a Deployment on the Queue's metric. One control plane and one
 * Prometheus for the whole file; no kubelet: the test marks pods ready.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli } from "../support/cli.js";
import { deploymentManifest, startPodReadyLoop, writeTokenKubeconfig } from "../support/cluster-helpers.js";
import {
  type ControlPlane,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";
import { type RequestsExporter, startRequestsExporter } from "../support/exporter.js";
import { type CA, cleanupPki, makeCA, makeCert, type Pem } from "../support/pki.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";
import { eventually, httpsGetText } from "../support/wait.js";

const NS = "e2e-queues";
const ADAPTER_NS = "tidescale";
const DEPLOY_DIR = join(REPO_ROOT, "deploy");
const CUSTOM = "/apis/custom.metrics.k8s.io/v1beta2";
const HPA_PATH = `/apis/autoscaling/v2beta2/namespaces/${NS}/horizontalpodautoscalers/worker`;

const RULES = `
rules:
  - seriesQuery: 'queue_depth{namespace!="",queue!=""}'
    resources:
      overrides:
        namespace: { resource: namespace }
        queue: { group: example.io, resource: queues }
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
`;

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "queues.example.io" },
  spec: {
    group: "example.io",
    scope: "Namespaced",
    names: { plural: "queues", singular: "queue", kind: "Queue", listKind: "QueueList" },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

const queue = (name: string, labels: Record<string, string> = {}) =>
  JSON.stringify({
    apiVersion: "example.io/v1alpha1",
    kind: "Queue",
    metadata: { name, namespace: NS, labels },
  });

let cp: ControlPlane | undefined;
let exporter: RequestsExporter | undefined;
let prom: RunningPrometheus | undefined;
let adapter: Started | undefined;
let workDir = "";
let podLoop: { stop: () => Promise<void> } | undefined;

function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  exporter = await startRequestsExporter({ namespace: NS });
  prom = await startPrometheus({ targets: [exporter.target] });
  workDir = await mkdtemp(join(tmpdir(), "tidescale-e2e-discovery-"));
}, 1_800_000);

afterAll(async () => {
  await podLoop?.stop();
  await adapter?.stop();
  await prom?.stop();
  await exporter?.stop();
  await cp?.stop();
  cleanupPki();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** The adapter's ServiceAccount from deploy/ (its RBAC too), as a token kubeconfig. */
async function adapterKubeconfig(c: ControlPlane): Promise<string> {
  for (const f of ["00-namespace.yaml", "01-service-account.yaml", "02-rbac.yaml"])
    await c.kubectl(["apply", "-f", join(DEPLOY_DIR, f)]);
  const token = (
    await c.kubectl(["create", "token", "tidescale-adapter", "-n", ADAPTER_NS, "--duration=2h"])
  ).stdout.trim();
  return writeTokenKubeconfig(c, join(workDir, "adapter.kubeconfig"), token);
}

function adapterArgs(o: { rulesFile: string; port: number; serving: Pem; kubeconfig: string }): string[] {
  if (!prom) throw new Error("not started");
  return [
    "adapter",
    "--config",
    o.rulesFile,
    "--prometheus-url",
    prom.url,
    "--secure-port",
    String(o.port),
    "--tls-cert-file",
    o.serving.certFile,
    "--tls-private-key-file",
    o.serving.keyFile,
    "--kubeconfig",
    o.kubeconfig,
    "--metrics-relist-interval",
    "5s",
    "--log-level",
    "info",
  ];
}

let kubeconfig = "";
let rulesFile = "";
let serving: Pem | undefined;
let servingCA: CA | undefined;
let port = 0;

interface MetricValueList {
  items: {
    describedObject: { kind: string; name: string; namespace: string; apiVersion: string };
    metric: { name: string };
    value: string;
  }[];
}

async function getRaw(c: ControlPlane, path: string): Promise<MetricValueList> {
  const r = await c.kubectl(["get", "--raw", path], { allowFail: true });
  if (r.code !== 0) throw new Error(r.stderr.trim());
  return JSON.parse(r.stdout) as MetricValueList;
}

describe("resources from the cluster's API discovery", () => {
  it("refuses to start when an override names a resource the cluster lacks, naming the rule and field", async () => {
    const c = plane();
    kubeconfig = await adapterKubeconfig(c);
    rulesFile = join(workDir, "rules.yaml");
    await writeFile(rulesFile, RULES);
    servingCA = makeCA("discovery-serving-ca");
    serving = makeCert(servingCA, {
      cn: "tidescale-adapter",
      sans: [`tidescale-adapter.${ADAPTER_NS}.svc`, "localhost", "127.0.0.1"],
      usage: "server",
    });
    port = await freePort();
    // queues.example.io does not exist yet.
    const r = await runCli(adapterArgs({ rulesFile, port, serving, kubeconfig }), { timeoutMs: 60_000 });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(
      `error: ${rulesFile}: rules[0].resources.overrides.queue.resource: the cluster has no resource "queues" in group "example.io" (discovery of ${c.server}`,
    );
  });

  it("maps the override to the CRD's plural, group and served version, and serves its Object metric", async () => {
    const c = plane();
    if (!exporter || !prom || !serving || !servingCA) throw new Error("not started");
    await c.apply(JSON.stringify(CRD));
    await c.kubectl(["wait", "--for=condition=Established", "crd/queues.example.io", "--timeout=60s"]);
    await c.kubectl(["create", "namespace", NS]);
    await eventually(
      "Queue orders created",
      async () => {
        await c.apply(queue("orders", { team: "shop" }));
        return true;
      },
      { timeoutMs: 30_000 },
    );
    // Least privilege: the adapter may list and watch Queues because this role says so (docs/adapter.md).
    await c.apply(
      JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "tidescale-adapter-queue-reader" },
        rules: [{ apiGroups: ["example.io"], resources: ["queues"], verbs: ["get", "list", "watch"] }],
      }),
    );
    await c.kubectl([
      "create",
      "clusterrolebinding",
      "tidescale-adapter-queue-reader",
      "--clusterrole=tidescale-adapter-queue-reader",
      `--serviceaccount=${ADAPTER_NS}:tidescale-adapter`,
    ]);
    exporter.setGauge("queue_depth", { namespace: NS, queue: "orders" }, 40);
    exporter.setGauge("queue_depth", { namespace: NS, queue: "billing" }, 7);
    await waitForQuery(prom.url, `queue_depth{namespace="${NS}"}`, {
      timeoutMs: 30_000,
      accept: (s) => s.length === 2,
    });
    const ca = servingCA.cert;
    adapter = await startCli(adapterArgs({ rulesFile, port, serving, kubeconfig }), {
      timeoutMs: 90_000,
      // Ready once discovery relisted and the watch caches (queues, namespaces) finished their first list.
      ready: async () => (await httpsGetText(`https://127.0.0.1:${port}/readyz`, ca)).status === 200,
    });
    await c.apply(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "tidescale-adapter", namespace: ADAPTER_NS },
        spec: { type: "ExternalName", externalName: "localhost" },
      }),
    );
    const apiService = (version: string, priority: number) => ({
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: `${version}.custom.metrics.k8s.io` },
      spec: {
        group: "custom.metrics.k8s.io",
        version,
        service: { name: "tidescale-adapter", namespace: ADAPTER_NS, port },
        caBundle: Buffer.from(ca).toString("base64"),
        groupPriorityMinimum: 100,
        versionPriority: priority,
      },
    });
    await c.apply(
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [apiService("v1beta1", 100), apiService("v1beta2", 200)],
      }),
    );
    for (const v of ["v1beta1", "v1beta2"])
      await eventually(
        `APIService ${v}.custom.metrics.k8s.io Available`,
        async () => {
          const o = JSON.parse(
            (await c.kubectl(["get", "apiservice", `${v}.custom.metrics.k8s.io`, "-o", "json"])).stdout,
          ) as { status?: { conditions?: { type: string; status: string }[] } };
          return o.status?.conditions?.some((x) => x.type === "Available" && x.status === "True")
            ? true
            : undefined;
        },
        { timeoutMs: 90_000, detail: async () => adapter?.output().slice(-3000) ?? "" },
      );
    const one = await eventually(
      "queue_depth of Queue orders through kube-apiserver",
      async () => {
        const l = await getRaw(c, `${CUSTOM}/namespaces/${NS}/queues.example.io/orders/queue_depth`);
        return l.items.length === 1 ? l : undefined;
      },
      { timeoutMs: 60_000, detail: async () => adapter?.output().slice(-3000) ?? "" },
    );
    // The version is the one the cluster serves (v1alpha1), not a guess.
    expect(one.items[0]?.describedObject).toEqual({
      kind: "Queue",
      namespace: NS,
      name: "orders",
      apiVersion: "example.io/v1alpha1",
    });
    expect(one.items[0]?.value).toBe("40");
    const discovery = JSON.parse((await c.kubectl(["get", "--raw", CUSTOM])).stdout) as {
      resources: { name: string; namespaced: boolean }[];
    };
    expect(discovery.resources).toContainEqual(
      expect.objectContaining({ name: "queues.example.io/queue_depth", namespaced: true }),
    );
  });

  it("answers wildcard requests from the watch cache, which follows Queues being added, relabelled and deleted", async () => {
    const c = plane();
    const names = async (selector = "") =>
      (
        await getRaw(
          c,
          `${CUSTOM}/namespaces/${NS}/queues.example.io/*/queue_depth${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ""}`,
        )
      ).items.map((i) => i.describedObject.name);
    // billing has a series but no Queue object yet: the cache lists only orders.
    expect(await names()).toEqual(["orders"]);
    await c.apply(queue("billing", { team: "finance" }));
    await eventually(
      "billing added through the watch",
      async () => ((await names()).join(",") === "billing,orders" ? true : undefined),
      { timeoutMs: 30_000, everyMs: 250 },
    );
    expect(await names("team=finance")).toEqual(["billing"]);
    await c.kubectl(["label", "queue", "billing", "-n", NS, "team=shop", "--overwrite"]);
    await eventually(
      "billing relabelled through the watch",
      async () => ((await names("team=shop")).join(",") === "billing,orders" ? true : undefined),
      { timeoutMs: 30_000, everyMs: 250 },
    );
    await c.kubectl(["delete", "queue", "billing", "-n", NS]);
    await eventually(
      "billing deleted through the watch",
      async () => ((await names()).join(",") === "orders" ? true : undefined),
      { timeoutMs: 30_000, everyMs: 250 },
    );
  });

  it("learns of a CRD created after start on the first request naming it (discovery re-read on a miss)", async () => {
    const c = plane();
    await c.apply(
      JSON.stringify({
        ...CRD,
        metadata: { name: "brokers.example.io" },
        spec: {
          ...CRD.spec,
          scope: "Cluster",
          names: { plural: "brokers", singular: "broker", kind: "Broker", listKind: "BrokerList" },
        },
      }),
    );
    await c.kubectl(["wait", "--for=condition=Established", "crd/brokers.example.io", "--timeout=60s"]);
    const ask = async () =>
      (await c.kubectl(["get", "--raw", `${CUSTOM}/brokers.example.io/b1/queue_depth`], { allowFail: true }))
        .stderr;
    // Unknown until discovery is read again; the miss triggers that read (at most one per 30 s).
    const known = await eventually(
      "brokers.example.io known to the adapter",
      async () => {
        const err = await ask();
        return err.includes("unknown resource") ? undefined : err;
      },
      { timeoutMs: 60_000, everyMs: 1000, detail: async () => adapter?.output().slice(-2000) ?? "" },
    );
    // Known now, and cluster-scoped: the answer says which resources the metric is discovered for.
    expect(known).toContain(
      "the server could not find the metric queue_depth for brokers.example.io: it is discovered for",
    );
    expect(known).toContain("queues.example.io");
    expect(adapter?.output()).toContain("unknown resource requested: refreshing API discovery");
  });

  it("lets the real HPA controller scale a Deployment on the Queue's Object metric, up and back down", async () => {
    const c = plane();
    if (!exporter) throw new Error("not started");
    await c.apply(deploymentManifest("worker", NS));
    podLoop = startPodReadyLoop(c, NS, "app=worker");
    await c.apply(
      JSON.stringify({
        apiVersion: "autoscaling/v2beta2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "worker", namespace: NS },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "worker" },
          minReplicas: 1,
          maxReplicas: 4,
          metrics: [
            {
              type: "Object",
              object: {
                describedObject: { apiVersion: "example.io/v1alpha1", kind: "Queue", name: "orders" },
                metric: { name: "queue_depth" },
                target: { type: "Value", value: "10" },
              },
            },
          ],
          behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
        },
      }),
    );
    const detail = async () =>
      `${(await c.kubectl(["get", "--raw", HPA_PATH], { allowFail: true })).stdout}\n${await c.log("kube-controller-manager", 30)}\nadapter:\n${adapter?.output().slice(-2000)}`;
    // 40 queued for a target of 10: four times what one pod handles, so the HPA goes to maxReplicas.
    await eventually(
      "worker scaled to 4 with 4 pods available",
      async () => {
        const d = await deployment(c);
        return d.spec === 4 && d.available === 4 ? true : undefined;
      },
      { timeoutMs: 150_000, detail },
    );
    const hpa = await eventually(
      "HPA status showing the Queue's metric",
      async () => {
        const h = JSON.parse((await c.kubectl(["get", "--raw", HPA_PATH])).stdout) as HpaStatus;
        return h.status.currentReplicas === 4 && h.status.currentMetrics?.[0]?.object ? h : undefined;
      },
      { timeoutMs: 60_000, detail },
    );
    expect(hpa.status.currentMetrics?.[0]?.object).toMatchObject({
      describedObject: { kind: "Queue", name: "orders", apiVersion: "example.io/v1alpha1" },
      metric: { name: "queue_depth" },
      current: { value: "40" },
    });
    expect(hpa.status.conditions?.find((x) => x.type === "ScalingActive")).toMatchObject({
      status: "True",
      reason: "ValidMetricFound",
    });
    // The queue drains to 5, half the target: the HPA halves the replicas until minReplicas (4 -> 2 -> 1).
    exporter.setGauge("queue_depth", { namespace: NS, queue: "orders" }, 5);
    await eventually(
      "worker scaled down to minReplicas",
      async () => ((await deployment(c)).spec === 1 ? true : undefined),
      { timeoutMs: 150_000, detail },
    );
  });
});

interface HpaStatus {
  status: {
    currentReplicas: number;
    currentMetrics?: { type: string; object?: unknown }[];
    conditions?: { type: string; status: string; reason: string }[];
  };
}

async function deployment(c: ControlPlane): Promise<{ spec: number; available: number }> {
  const d = JSON.parse((await c.kubectl(["get", "deployment", "worker", "-n", NS, "-o", "json"])).stdout) as {
    spec: { replicas: number };
    status: { availableReplicas?: number };
  };
  return { spec: d.spec.replicas, available: d.status.availableReplicas ?? 0 };
}
