/**
 * The EHPA controller end to end on the real control plane (kube-apiserver + kube-controller-manager 1.20,
 * scripts/control-plane.sh) with a real Prometheus whose storage is backfilled (promtool) with 8 days of
 * a daily-periodic http_requests_total whose next peak is 30 minutes after the test starts, while the
 * live load is low. `tidescale controller` runs as the ServiceAccount and RBAC of deploy/08; `tidescale
 * adapter --serve-predictions` is registered with kube-apiserver as the metrics APIServices, so the real
 * HPA controller reads tidescale_prediction through the aggregation layer.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { runCli, startCli } from "../support/cli.js";
import { deploymentManifest, writeTokenKubeconfig } from "../support/cluster-helpers.js";
import {
  type ControlPlane,
  createNamespace,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
  startPodLoop,
} from "../support/control-plane.js";
import { type RequestsExporter, startRequestsExporter } from "../support/exporter.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";
import { eventually, sleep } from "../support/wait.js";

const NS = "e2e-ehpa";
const SYSTEM_NS = "tidescale";
const DEPLOY = join(REPO_ROOT, "deploy");
const T0 = Math.floor(Date.now() / 1000);
/** The daily peak of the backfilled load: 30 minutes after the test starts. */
const PEAK_AT = T0 + 30 * 60;
const LOW_RATE = 30;
const PEAK_RATE = 300;
const HPA_PATH = `/apis/autoscaling/v2beta2/namespaces/${NS}/horizontalpodautoscalers/ehpa-web`;
const EHPA = "effectivehorizontalpodautoscalers.autoscaling.tidescale.dev";
const TSP = "timeseriespredictions.prediction.tidescale.dev";

/** Requests per second of the history: LOW_RATE, rising to PEAK_RATE around the same time every day. */
function historyRate(t: number): number {
  const d = ((((t - PEAK_AT) % 86_400) + 86_400 + 43_200) % 86_400) - 43_200;
  return LOW_RATE + (PEAK_RATE - LOW_RATE) * Math.exp(-(d * d) / (2 * 600 * 600));
}

/** 8 days of the counter of a former pod of the Deployment, one sample a minute, ending 5 min ago. */
function historyOpenMetrics(): string {
  const lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"];
  let total = 0;
  const start = T0 - 8 * 86_400;
  for (let t = start; t <= T0 - 300; t += 60) {
    total += historyRate(t) * 60;
    lines.push(`http_requests_total{namespace="${NS}",pod="web-6f9c7d8b5c-h1st0"} ${total.toFixed(3)} ${t}`);
  }
  return `${lines.join("\n")}\n# EOF\n`;
}

let cp: ControlPlane | undefined;
let exporter: RequestsExporter | undefined;
let prom: RunningPrometheus | undefined;
let adapter: Started | undefined;
let workDir = "";
let rulesFile = "";
let controllerKubeconfig = "";
const controllers = new Map<string, Started>();
/** Port of each controller's --health-probe-bind-address. */
const healthPorts = new Map<string, number>();
let podLoop: { stop(): Promise<void> } | undefined;

/** True once something accepts TCP connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.end();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** An EHPA on Deployment web with the Pods metric http_requests_qps (target 50 per pod). */
function ehpaManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "autoscaling.tidescale.dev/v1alpha1",
    kind: "EffectiveHorizontalPodAutoscaler",
    metadata: { name, namespace: NS },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      metrics: [
        {
          type: "Pods",
          pods: {
            metric: { name: "http_requests_qps" },
            target: { type: "AverageValue", averageValue: "50" },
          },
        },
      ],
      ...spec,
    },
  });
}

/** `kubectl patch` of the EHPA `web` (merge patch unless `type` says otherwise). */
async function patchEhpa(patch: unknown, type: "merge" | "json" = "merge"): Promise<void> {
  await plane().kubectl(["patch", EHPA, "web", "-n", NS, `--type=${type}`, "-p", JSON.stringify(patch)]);
}

function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

async function getJson<T>(args: string[]): Promise<T | undefined> {
  const r = await plane().kubectl([...args, "-o", "json"], { allowFail: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
}

async function raw<T>(path: string): Promise<T> {
  const r = await plane().kubectl(["get", "--raw", path], { allowFail: true });
  if (r.code !== 0) throw new Error(r.stderr.trim());
  return JSON.parse(r.stdout) as T;
}

interface Obj {
  metadata: {
    uid: string;
    resourceVersion: string;
    generation?: number;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface HpaV2beta2 extends Obj {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    metrics: { type: string; external?: { metric: { name: string } } }[];
  };
  status: { desiredReplicas?: number; currentReplicas?: number };
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const hpa = () => raw<HpaV2beta2>(HPA_PATH);
const ehpaObject = (name = "web") => getJson<Obj>(["get", EHPA, name, "-n", NS]);
const condition = (o: Obj | undefined, type: string) =>
  ((o?.status?.conditions as Condition[] | undefined) ?? []).find((c) => c.type === type);

/** Starts `tidescale controller` as the deploy/ ServiceAccount with identity `id`. */
async function startController(id: string, extra: string[] = []): Promise<Started> {
  if (!prom) throw new Error("prometheus not started");
  const healthPort = await freePort();
  healthPorts.set(id, healthPort);
  const c = await startCli(
    [
      "controller",
      "--kubeconfig",
      controllerKubeconfig,
      "--prometheus-url",
      prom.url,
      "--config",
      rulesFile,
      "--refresh-interval",
      "30s",
      "--resync-period",
      "5s",
      "--leader-elect",
      "--leader-elect-namespace",
      SYSTEM_NS,
      "--identity",
      id,
      "--log-level",
      "debug",
      "--health-probe-bind-address",
      `127.0.0.1:${healthPort}`,
      ...extra,
    ],
    { timeoutMs: 60_000, ready: async () => true },
  );
  controllers.set(id, c);
  return c;
}

/** GET of a controller's health endpoint: status and body. */
async function probe(id: string, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${healthPorts.get(id)}${path}`);
  return { status: r.status, body: await r.text() };
}

async function stopController(id: string): Promise<void> {
  await controllers.get(id)?.stop();
  controllers.delete(id);
}

const logs = () =>
  [...controllers.entries()].map(([id, c]) => `--- ${id}\n${c.output().slice(-3000)}`).join("\n");

async function leaseHolder(): Promise<string | undefined> {
  const l = await getJson<{ spec: { holderIdentity?: string } }>([
    "get",
    "lease",
    "tidescale-controller",
    "-n",
    SYSTEM_NS,
  ]);
  return l?.spec.holderIdentity || undefined;
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  workDir = await mkdtemp(join(tmpdir(), "tidescale-e2e-ehpa-"));
  exporter = await startRequestsExporter({ namespace: NS });
  prom = await startPrometheus({
    targets: [exporter.target],
    retention: "30d",
    backfillOpenMetrics: historyOpenMetrics(),
  });
}, 1_800_000);

afterAll(async () => {
  await podLoop?.stop();
  for (const id of [...controllers.keys()]) await stopController(id);
  await adapter?.stop();
  await prom?.stop();
  await exporter?.stop();
  await cp?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("setup: CRDs, workload, adapter, controller", () => {
  it("applies the CRDs and the controller's RBAC from deploy/", async () => {
    const c = plane();
    await c.kubectl(["apply", "-f", join(DEPLOY, "crds")]);
    await c.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    // 02-rbac.yaml lets the HPA controller read the metrics APIs (tidescale_prediction included).
    for (const f of [
      "00-namespace.yaml",
      "01-service-account.yaml",
      "02-rbac.yaml",
      "08-controller-rbac.yaml",
    ])
      await c.kubectl(["apply", "-f", join(DEPLOY, f)]);
    const token = (
      await c.kubectl(["create", "token", "tidescale-controller", "-n", SYSTEM_NS, "--duration=2h"])
    ).stdout.trim();
    controllerKubeconfig = await writeTokenKubeconfig(c, join(workDir, "controller.kubeconfig"), token);
    // The backfilled history is in Prometheus: the rate 8 days ago, same time of day, was the low load.
    const old = await waitForQuery(
      prom?.url ?? "",
      `sum(rate(http_requests_total{namespace="${NS}"}[2m] offset 7d))`,
    );
    expect(Number(old[0]?.value[1])).toBeCloseTo(historyRate(T0 - 7 * 86_400), 0);
  });

  it("runs the Deployment at the low live load", async () => {
    const c = plane();
    if (!exporter) throw new Error("exporter not started");
    await createNamespace(c, NS);
    await c.apply(deploymentManifest("web", NS));
    exporter.setTotalRate(LOW_RATE);
    podLoop = startPodLoop(c, NS, "app=web", exporter);
    await eventually("one live pod scraped", async () => (exporter?.pods().length === 1 ? true : undefined), {
      timeoutMs: 60_000,
      everyMs: 500,
    });
  });

  it("registers the adapter (with --serve-predictions) as the metrics APIServices", async () => {
    const c = plane();
    if (!prom) throw new Error("prometheus not started");
    const cm = parseYaml(await readFile(join(DEPLOY, "03-config.yaml"), "utf8")) as {
      data: Record<string, string>;
    };
    rulesFile = join(workDir, "rules.yaml");
    await writeFile(rulesFile, cm.data["rules.yaml"] ?? "");
    const port = await freePort();
    const certsDir = join(workDir, "certs");
    const certs = await runCli([
      "certs",
      "--namespace",
      SYSTEM_NS,
      "--service",
      "tidescale-adapter",
      "--port",
      String(port),
      "--out-dir",
      certsDir,
    ]);
    expect(certs.code, certs.err).toBe(0);
    adapter = await startCli(
      [
        "adapter",
        "--config",
        rulesFile,
        "--prometheus-url",
        prom.url,
        "--secure-port",
        String(port),
        "--bind-address",
        "127.0.0.1",
        "--tls-cert-file",
        join(certsDir, "tls.crt"),
        "--tls-private-key-file",
        join(certsDir, "tls.key"),
        "--kubeconfig",
        c.kubeconfig,
        "--serve-predictions",
        "--metrics-relist-interval",
        "5s",
        "--log-level",
        "info",
      ],
      {
        timeoutMs: 60_000,
        ready: () => listening(port),
      },
    );
    await c.apply(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "tidescale-adapter", namespace: SYSTEM_NS },
        spec: { type: "ExternalName", externalName: "localhost" },
      }),
    );
    const docs = parseAllDocuments(await readFile(join(certsDir, "apiservices.yaml"), "utf8"))
      .map((d) => d.toJS())
      .filter(Boolean);
    await c.apply(JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }));
    // Each group must answer through kube-apiserver's proxy, not only report Available.
    for (const path of [
      "/apis/external.metrics.k8s.io/v1beta1",
      "/apis/custom.metrics.k8s.io/v1beta1",
      "/apis/custom.metrics.k8s.io/v1beta2",
    ]) {
      await eventually(`${path} proxied`, async () => raw<unknown>(path), {
        timeoutMs: 120_000,
        everyMs: 500,
        detail: async () => adapter?.output().slice(-2000) ?? "",
      });
    }
    const ext = await raw<{ resources: { name: string }[] }>("/apis/external.metrics.k8s.io/v1beta1");
    expect(ext.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(["tidescale_prediction", "tidescale_cron"]),
    );
  });

  it("starts the controller, which takes the Lease", async () => {
    await startController("c1");
    const holder = await eventually("Lease held", leaseHolder, {
      timeoutMs: 60_000,
      detail: async () => logs(),
    });
    expect(holder).toBe("c1");
    // Live, and ready once every informer listed; the leader says it leads.
    expect((await probe("c1", "/healthz")).status).toBe(200);
    const ready = await eventually(
      "c1 ready and leading",
      async () => {
        const r = await probe("c1", "/readyz");
        return r.status === 200 && r.body.includes("leading as c1") ? r : undefined;
      },
      { timeoutMs: 30_000, detail: async () => JSON.stringify(await probe("c1", "/readyz")) },
    );
    expect(ready.body).toContain("[+]informer-ehpas ok\n");
    expect(ready.body).toContain("[+]informer-tsps ok\n");
    expect((await probe("c1", "/metrics")).body).toContain("\ntidescale_controller_leader 1\n");
  });
});

describe("an EHPA on a Pods metric", () => {
  it("gets its managed HPA (autoscaling/v2beta2 on 1.20) and TSP, both owned by the EHPA", async () => {
    const c = plane();
    await c.apply(
      ehpaManifest("web", {
        minReplicas: 1,
        maxReplicas: 8,
        prediction: {
          predictionWindowSeconds: 3600,
          predictionAlgorithm: {
            algorithmType: "multi-seasonal",
            multiSeasonal: { sampleInterval: "60s", historyLength: "8d" },
          },
        },
      }),
    );
    const ehpa = await eventually("EHPA", () => ehpaObject(), { timeoutMs: 30_000 });
    const h = await eventually("managed HPA ehpa-web", hpa, {
      timeoutMs: 60_000,
      detail: async () => logs(),
    });
    expect(h.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: "EffectiveHorizontalPodAutoscaler",
        name: "web",
        uid: ehpa.metadata.uid,
        controller: true,
      }),
    ]);
    expect(h.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: "web" });
    expect(h.spec.metrics[0]?.type).toBe("Pods");
    const tsp = await eventually("TSP ehpa-web", () => getJson<Obj>(["get", TSP, "ehpa-web", "-n", NS]), {
      timeoutMs: 30_000,
    });
    expect(tsp.metadata.ownerReferences?.[0]?.uid).toBe(ehpa.metadata.uid);
    // The history query is the adapter's own rule for http_requests_qps (deploy/03-config.yaml).
    const metrics = tsp.spec.predictionMetrics as {
      resourceIdentifier: string;
      expressionQuery: { expression: string };
    }[];
    expect(metrics[0]?.resourceIdentifier).toBe("pods.http_requests_qps");
    // Events on the EHPA say what the controller did.
    const events = await eventually(
      "Events on the EHPA",
      async () => {
        const l = await getJson<{ items: { reason: string; involvedObject: { kind: string } }[] }>([
          "get",
          "events",
          "-n",
          NS,
          "--field-selector",
          "involvedObject.name=web",
        ]);
        const reasons = (l?.items ?? []).filter(
          (e) => e.involvedObject.kind === "EffectiveHorizontalPodAutoscaler",
        );
        return reasons.some((e) => e.reason === "HPACreated") ? reasons.map((e) => e.reason) : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(events).toContain("TSPCreated");
    expect(metrics[0]?.expressionQuery.expression).toBe(
      `sum(sum(rate(http_requests_total{namespace="${NS}",pod=~"^web-[a-z0-9]+-[a-z0-9]{5}$"}[2m])) by ())`,
    );
  });

  let servedPeak = 0;

  it("forecasts the peak and serves the window peak through kube-apiserver (kubectl get --raw)", async () => {
    const tsp = await eventually(
      "TSP forecast ready",
      async () => {
        const t = await getJson<Obj>(["get", TSP, "ehpa-web", "-n", NS]);
        const m = (t?.status?.predictionMetrics as { ready: boolean }[] | undefined)?.[0];
        return m?.ready ? t : undefined;
      },
      {
        timeoutMs: 180_000,
        everyMs: 2000,
        detail: async () =>
          `${JSON.stringify((await getJson<Obj>(["get", TSP, "ehpa-web", "-n", NS]))?.status)?.slice(0, 2000)}\n${logs()}`,
      },
    );
    type Series = {
      labels: { name: string; value: string }[];
      samples: { timestamp: number; value: string }[];
    };
    const statuses = (tsp.status?.predictionMetrics ?? []) as {
      servedQuantile: string;
      prediction: Series[];
    }[];
    const m = statuses[0];
    const served = m?.prediction.find((s) => s.labels.some((l) => l.value === m.servedQuantile));
    // Samples at full precision (not Crane's %.5f or integers).
    expect(served?.samples.some((s) => /\.\d{6,}/.test(s.value))).toBe(true);
    const selector = encodeURIComponent(
      `targetKind=Deployment,targetName=web,targetNamespace=${NS},resourceIdentifier=pods.http_requests_qps`,
    );
    const list = await raw<{
      items: { metricName: string; value: string; metricLabels: Record<string, string> }[];
    }>(
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/tidescale_prediction?labelSelector=${selector}`,
    );
    expect(list.items).toHaveLength(1);
    const item = list.items[0];
    servedPeak = Number(item?.value.endsWith("m") ? Number(item.value.slice(0, -1)) / 1000 : item?.value);
    // The window [now, now + 1h] holds the daily peak (300 req/s in the history); the low live load is 30.
    expect(servedPeak).toBeGreaterThan(0.8 * PEAK_RATE);
    expect(servedPeak).toBeLessThan(1.3 * PEAK_RATE);
    // It is the maximum of the served series in the window, rounded up to milli-units.
    const now = Date.now() / 1000;
    const inWindow = (served?.samples ?? []).filter(
      (s) => s.timestamp >= now - 60 && s.timestamp <= now + 3600,
    );
    const max = Math.max(...inWindow.map((s) => Number(s.value)));
    expect(Math.abs(servedPeak - max)).toBeLessThan(0.01 * max);
    expect(item?.metricLabels).toMatchObject({
      targetName: "web",
      resourceIdentifier: "pods.http_requests_qps",
    });
  });

  it("makes the real HPA controller want more replicas than the low load gives, before the peak", async () => {
    const h = await eventually(
      "HPA desires the replicas the predicted peak needs (about 300 / 50 per pod)",
      async () => {
        const x = await hpa();
        return (x.status.desiredReplicas ?? 0) >= Math.floor((0.9 * servedPeak) / 50) ? x : undefined;
      },
      { timeoutMs: 120_000, everyMs: 2000, detail: async () => `${JSON.stringify(await hpa())}\n${logs()}` },
    );
    // The live load alone (30 req/s over 50 per pod) gives 1 replica; the forecast gives ceil(peak / 50).
    expect(h.spec.metrics.map((m) => m.external?.metric.name ?? m.type)).toEqual([
      "Pods",
      "tidescale_prediction",
    ]);
    // The live Pods metric is below its target of 50 per pod: alone it would keep 1 replica.
    const current = (h.status as { currentMetrics?: { pods?: { current: { averageValue: string } } }[] })
      .currentMetrics;
    const live = current?.[0]?.pods?.current.averageValue ?? "";
    expect(live.endsWith("m") ? Number(live.slice(0, -1)) / 1000 : Number(live)).toBeLessThan(50);
    expect(Date.now() / 1000).toBeLessThan(PEAK_AT);
    // The EHPA's status mirrors the HPA's.
    const e = await eventually(
      "EHPA status expectReplicas",
      async () => {
        const o = await ehpaObject();
        return o?.status?.expectReplicas === h.status.desiredReplicas ? o : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(condition(e, "Ready")).toMatchObject({ status: "True" });
    expect(condition(e, "PredictionReady")).toMatchObject({ status: "True" });
    expect(condition(e, "ScalingActive")).toBeDefined();
  });

  it("adds a cron floor: an active cron gives at least its targetReplicas", async () => {
    await patchEhpa({
      spec: { crons: [{ name: "all-year", start: "0 0 1 1 *", end: "59 23 31 12 *", targetReplicas: 8 }] },
    });
    const cron = await eventually(
      "tidescale_cron served",
      async () =>
        raw<{ items: { value: string }[] }>(
          `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/tidescale_cron?labelSelector=${encodeURIComponent("targetKind=Deployment,targetName=web")}`,
        ),
      { timeoutMs: 30_000 },
    );
    expect(cron.items[0]?.value).toBe("8");
    const h = await eventually(
      "HPA desires the cron's 8 replicas",
      async () => {
        const x = await hpa();
        return x.status.desiredReplicas === 8 ? x : undefined;
      },
      { timeoutMs: 120_000, everyMs: 2000, detail: async () => JSON.stringify(await hpa()) },
    );
    expect(h.spec.metrics.map((m) => m.external?.metric.name ?? m.type)).toContain("tidescale_cron");
    await patchEhpa([{ op: "remove", path: "/spec/crons" }], "json");
    await eventually(
      "cron metric removed from the HPA",
      async () =>
        (await hpa()).spec.metrics.some((m) => m.external?.metric.name === "tidescale_cron")
          ? undefined
          : true,
      { timeoutMs: 60_000 },
    );
  });
});

describe("controller restarts and leader election", () => {
  it("a restarted controller does not rewrite the unchanged HPA", async () => {
    // The HPA controller writes the HPA's status (and so its resourceVersion) whenever a metric value
    // moves; the spec's generation moves only when someone writes the spec.
    const before = (await hpa()).metadata.generation;
    await stopController("c1");
    const c2 = await startController("c2");
    await eventually("c2 leads", async () => ((await leaseHolder()) === "c2" ? true : undefined), {
      timeoutMs: 60_000,
    });
    // c2 reconciled the EHPA (its log says so) and found nothing to write.
    await eventually(
      "c2 reconciled web",
      async () => (/reconciled e2e-ehpa\/web: hpa none/.test(c2.output()) ? true : undefined),
      { timeoutMs: 60_000, detail: async () => c2.output().slice(-3000) },
    );
    await sleep(6000); // one more resync period
    expect((await hpa()).metadata.generation).toBe(before);
    expect(c2.output()).not.toMatch(/horizontalpodautoscalers .*: (creating|spec differs)/);
  });

  it("with two controllers only the leader writes; the standby takes over when the leader dies", async () => {
    const c3 = await startController("c3");
    await eventually(
      "c3 sees the leader",
      async () => (/the leader is c2/.test(c3.output()) ? true : undefined),
      {
        timeoutMs: 60_000,
        detail: async () => c3.output().slice(-2000),
      },
    );
    // The standby is ready (its caches are warm) and names the leader; it does not lead.
    const standby = await eventually(
      "c3 ready",
      async () => {
        const r = await probe("c3", "/readyz");
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, detail: async () => JSON.stringify(await probe("c3", "/readyz")) },
    );
    expect(standby.body).toContain("[+]leader-election ok: standby (c3); the leader is c2\n");
    expect((await probe("c3", "/metrics")).body).toContain("\ntidescale_controller_leader 0\n");
    // A drift on the HPA is corrected by the leader only.
    await plane().kubectl([
      "patch",
      "hpa",
      "ehpa-web",
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"spec":{"maxReplicas":3}}',
    ]);
    await eventually(
      "drift corrected",
      async () =>
        (await raw<{ spec: { maxReplicas: number } }>(HPA_PATH)).spec.maxReplicas === 8 ? true : undefined,
      { timeoutMs: 60_000, detail: async () => logs() },
    );
    expect(controllers.get("c2")?.output()).toMatch(
      /horizontalpodautoscalers e2e-ehpa\/ehpa-web: spec differs/,
    );
    expect(c3.output()).not.toMatch(/reconciled |creating|spec differs/);
    // The leader dies without releasing the Lease: the standby takes over after the lease duration.
    controllers.get("c2")?.child.kill("SIGKILL");
    controllers.delete("c2");
    await eventually("c3 leads", async () => ((await leaseHolder()) === "c3" ? true : undefined), {
      timeoutMs: 60_000,
      detail: async () => c3.output().slice(-2000),
    });
    await eventually(
      "c3 reconciles",
      async () => (/reconciled e2e-ehpa\/web/.test(c3.output()) ? true : undefined),
      { timeoutMs: 60_000 },
    );
    expect((await probe("c3", "/readyz")).body).toContain("[+]leader-election ok: leading as c3\n");
  });
});

describe("invalid EHPAs and Preview", () => {
  it("an invalid EHPA gets Ready=False naming the field, and no HPA", async () => {
    await plane().apply(
      ehpaManifest("bad", {
        minReplicas: 5,
        maxReplicas: 2,
        crons: [{ name: "x", start: "61 * * * *", end: "0 1 * * *", targetReplicas: 2 }],
      }),
    );
    const e = await eventually(
      "Ready=False on the invalid EHPA",
      async () => {
        const o = await ehpaObject("bad");
        return condition(o, "Ready")?.status === "False" ? o : undefined;
      },
      { timeoutMs: 60_000, detail: async () => logs() },
    );
    const ready = condition(e, "Ready");
    expect(ready?.reason).toBe("InvalidSpec");
    expect(ready?.message).toContain("spec.maxReplicas");
    expect(ready?.message).toContain("spec.crons[0].start");
    const r = await plane().kubectl(["get", "--raw", HPA_PATH.replace("ehpa-web", "ehpa-bad")], {
      allowFail: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NotFound|not found/);
  });

  it("Preview leaves the workload's replicas alone while status.expectReplicas shows the recommendation", async () => {
    const replicasBefore = (
      await getJson<{ spec: { replicas: number } }>(["get", "deployment", "web", "-n", NS])
    )?.spec.replicas;
    await patchEhpa({ spec: { scaleStrategy: "Preview" } });
    const h = await eventually(
      "HPA scales the Substitute",
      async () => {
        const x = await hpa();
        return x.spec.scaleTargetRef.kind === "Substitute" && (x.status.desiredReplicas ?? 0) >= 4
          ? x
          : undefined;
      },
      { timeoutMs: 120_000, everyMs: 2000, detail: async () => `${JSON.stringify(await hpa())}\n${logs()}` },
    );
    const sub = await getJson<Obj>(["get", "substitutes.autoscaling.tidescale.dev", "ehpa-web", "-n", NS]);
    expect(sub?.status).toMatchObject({ labelSelector: "app=web" });
    const e = await eventually(
      "EHPA expectReplicas shows the recommendation",
      async () => {
        const o = await ehpaObject();
        return o?.status?.expectReplicas === h.status.desiredReplicas ? o : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(e.status?.expectReplicas).toBeGreaterThanOrEqual(4);
    await sleep(10_000); // two HPA sync periods
    const after = (await getJson<{ spec: { replicas: number } }>(["get", "deployment", "web", "-n", NS]))
      ?.spec.replicas;
    expect(after).toBe(replicasBefore);
  });
});

describe("outages and deletion", () => {
  it("with Prometheus stopped, PredictionReady=False names the outage and the prediction leaves the HPA", async () => {
    await prom?.kill();
    const e = await eventually(
      "PredictionReady=False",
      async () => {
        const o = await ehpaObject();
        return condition(o, "PredictionReady")?.status === "False" ? o : undefined;
      },
      { timeoutMs: 120_000, everyMs: 2000, detail: async () => logs() },
    );
    expect(condition(e, "PredictionReady")?.message).toMatch(/QueryFailed.*prometheus/);
    await eventually(
      "prediction metric out of the HPA",
      async () =>
        (await hpa()).spec.metrics.some((m) => m.external?.metric.name === "tidescale_prediction")
          ? undefined
          : true,
      { timeoutMs: 60_000 },
    );
    expect((await hpa()).spec.metrics.map((m) => m.external?.metric.name ?? m.type)).toEqual(["Pods"]);
  });

  it("deleting the EHPA garbage-collects its HPA and TSP", async () => {
    await plane().kubectl(["delete", EHPA, "web", "-n", NS]);
    await eventually(
      "HPA and TSP gone",
      async () => {
        const h = await plane().kubectl(["get", "--raw", HPA_PATH], { allowFail: true });
        const t = await plane().kubectl(["get", TSP, "ehpa-web", "-n", NS], { allowFail: true });
        return h.code !== 0 && t.code !== 0 ? true : undefined;
      },
      { timeoutMs: 120_000, everyMs: 1000, detail: () => plane().log("kube-controller-manager", 30) },
    );
  });
});
