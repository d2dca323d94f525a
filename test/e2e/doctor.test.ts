/**
 * `tidescale doctor` against the real control plane (scripts/control-plane.sh, whose
 * kube-controller-manager runs the HPA controller), a real Prometheus and the tidescale adapter registered
 * through the aggregation layer (custom.metrics.k8s.io v1beta2 and metrics.k8s.io v1beta1). One seeded
 * fault at a time, each in its own namespace (or on its own Prometheus job / rules file), each found with
 * its finding and fix and nothing else: a healthy setup (exit 0), an HPA on a missing Deployment, a CPU
 * Utilization target on pods without requests, a misspelled Pods metric, Prometheus refused by the
 * Kubernetes API for lack of pod list permission, a rule whose seriesQuery matches nothing, an EHPA no
 * controller reconciles (CRDs from deploy/crds), and the adapter
 * stopped (last, as it breaks the metrics APIs for every namespace). One control plane, one Prometheus and
 * one adapter for the file; no kubelet: the test marks pods ready.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli } from "../support/cli.js";
import { deploymentManifest } from "../support/cluster-helpers.js";
import {
  type ControlPlane,
  createNamespace,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";
import { type RequestsExporter, startRequestsExporter } from "../support/exporter.js";
import { cleanupPki, makeCA, makeCert } from "../support/pki.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";
import { eventually, httpsGetText, sleep } from "../support/wait.js";

const ADAPTER_NS = "tidescale";
const NAMESPACES = ["healthy", "missing", "cpu", "typo", "quiet", "monitoring", "predict"];
/** Namespaces whose Deployment `web` the pod loop keeps ready. */
const WORKLOADS = ["healthy", "cpu", "typo"];

const RULES = `rules:
  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
    name: {matches: "^(.*)_total$", as: "\${1}_qps"}
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[10s])) by (<<.GroupBy>>)'
resourceRules:
  cpu:
    containerQuery: 'sum(container_cpu_usage_seconds_total{<<.LabelMatchers>>,container!=""}) by (<<.GroupBy>>)'
    nodeQuery: 'sum(node_cpu_usage_seconds_total{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
    resources:
      overrides: {namespace: {resource: namespace}, pod: {resource: pod}, node: {resource: node}}
    containerLabel: container
  memory:
    containerQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>,container!=""}) by (<<.GroupBy>>)'
    nodeQuery: 'sum(node_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
    resources:
      overrides: {namespace: {resource: namespace}, pod: {resource: pod}, node: {resource: node}}
    containerLabel: container
  window: 10s
`;
/** The same rules with one more whose series name is misspelled (http_request_total). */
const BAD_RULES = RULES.replace(
  "resourceRules:",
  `  - seriesQuery: 'http_request_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
    name: {matches: "^(.*)_total$", as: "\${1}_per_second"}
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[10s])) by (<<.GroupBy>>)'
resourceRules:`,
);

let cp: ControlPlane | undefined;
let exporter: RequestsExporter | undefined;
let prom: RunningPrometheus | undefined;
let adapter: Started | undefined;
let dir = "";
let rulesFile = "";
let badRulesFile = "";
let podLoop: Promise<void> | undefined;
let looping = true;

function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

/** Pod names of Deployment `web` in `namespace` (not being deleted). */
async function pods(c: ControlPlane, namespace: string): Promise<string[]> {
  const r = await c.kubectl(["get", "pods", "-n", namespace, "-l", "app=web", "-o", "json"]);
  const list = JSON.parse(r.stdout) as {
    items: { metadata: { name: string; deletionTimestamp?: string } }[];
  };
  return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
}

/**
 * Stands in for the kubelet and the workloads' exporters, every second for at most 20 minutes: marks the
 * pods of each workload ready, gives the request exporter the pods of `healthy`, and serves cpu and memory
 * usage for the pods of `cpu` (what cAdvisor would).
 */
async function runPodLoop(c: ControlPlane, exp: RequestsExporter): Promise<void> {
  const until = Date.now() + 20 * 60_000;
  const usage = new Set<string>();
  while (looping && Date.now() < until) {
    try {
      for (const ns of WORKLOADS) await c.markPodsReady(ns, "app=web");
      exp.setPods(await pods(c, "healthy"));
      for (const pod of await pods(c, "cpu")) {
        if (usage.has(pod)) continue;
        usage.add(pod);
        const labels = { namespace: "cpu", pod, container: "web" };
        exp.setGauge("container_cpu_usage_seconds_total", labels, 0.05);
        exp.setGauge("container_memory_working_set_bytes", labels, 20_000_000);
      }
    } catch {
      // the apiserver may be stopping (afterAll); the next round retries
    }
    await sleep(1000);
  }
}

/** Registers the adapter behind an ExternalName Service on loopback and waits until both APIServices are Available. */
async function registerAdapter(c: ControlPlane, port: number, ca: string): Promise<void> {
  await c.apply(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "tidescale-adapter", namespace: ADAPTER_NS },
      spec: { type: "ExternalName", externalName: "localhost" },
    }),
  );
  const apiService = (group: string, version: string) => ({
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: `${version}.${group}` },
    spec: {
      group,
      version,
      service: { name: "tidescale-adapter", namespace: ADAPTER_NS, port },
      caBundle: Buffer.from(ca).toString("base64"),
      groupPriorityMinimum: 100,
      versionPriority: 200,
    },
  });
  await c.apply(
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [apiService("custom.metrics.k8s.io", "v1beta2"), apiService("metrics.k8s.io", "v1beta1")],
    }),
  );
  for (const name of APISERVICES) await waitForAvailable(c, name, "True");
}

const APISERVICES = ["v1beta2.custom.metrics.k8s.io", "v1beta1.metrics.k8s.io"];

async function waitForAvailable(c: ControlPlane, name: string, status: "True" | "False"): Promise<void> {
  await eventually(
    `APIService ${name} Available=${status}`,
    async () => {
      const r = await c.kubectl([
        "get",
        "apiservice",
        name,
        "-o",
        "jsonpath={.status.conditions[?(@.type=='Available')].status}",
      ]);
      return r.stdout === status ? true : undefined;
    },
    { timeoutMs: 120_000, detail: async () => adapter?.output().slice(-3000) ?? "" },
  );
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  const c = await startControlPlane();
  cp = c;
  dir = await mkdtemp(join(tmpdir(), "tidescale-doctor-e2e-"));
  exporter = await startRequestsExporter({ namespace: "healthy" });
  prom = await startPrometheus({ targets: [exporter.target], args: ["--web.enable-lifecycle"] });
  for (const ns of [...NAMESPACES, ADAPTER_NS]) await createNamespace(c, ns);
  await c.apply(deploymentManifest("web", "healthy", { resources: { requests: { cpu: "100m" } } }));
  await c.apply(deploymentManifest("web", "cpu"));
  await c.apply(deploymentManifest("web", "typo", { resources: { requests: { cpu: "100m" } } }));
  podLoop = runPodLoop(c, exporter);
  rulesFile = join(dir, "rules.yaml");
  badRulesFile = join(dir, "bad-rules.yaml");
  await writeFile(rulesFile, RULES);
  await writeFile(badRulesFile, BAD_RULES);
  const servingCA = makeCA("doctor-serving-ca");
  const serving = makeCert(servingCA, {
    cn: "tidescale-adapter",
    sans: [`tidescale-adapter.${ADAPTER_NS}.svc`, "localhost", "127.0.0.1"],
    usage: "server",
  });
  const port = await freePort();
  adapter = await startCli(
    [
      "adapter",
      "--config",
      rulesFile,
      "--prometheus-url",
      prom.url,
      "--secure-port",
      String(port),
      "--tls-cert-file",
      serving.certFile,
      "--tls-private-key-file",
      serving.keyFile,
      "--kubeconfig",
      c.kubeconfig,
      "--metrics-relist-interval",
      "5s",
      "--log-level",
      "warn",
    ],
    {
      timeoutMs: 90_000,
      ready: async () =>
        (await httpsGetText(`https://127.0.0.1:${port}/readyz`, servingCA.cert)).status === 200,
    },
  );
  await registerAdapter(c, port, servingCA.cert);
}, 1_800_000);

afterAll(async () => {
  looping = false;
  await podLoop;
  await adapter?.stop();
  await prom?.stop();
  await exporter?.stop();
  await cp?.stop();
  cleanupPki();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Finding {
  severity: string;
  id: string;
  object: string;
  seen: string;
  why: string;
  fix: string;
}

/** `tidescale doctor ... -o json` with the admin kubeconfig. */
async function doctor(
  args: string[],
): Promise<{ code: number; healthy: boolean; findings: Finding[]; err: string }> {
  const r = await runCli(["doctor", "--kubeconfig", plane().kubeconfig, ...args, "-o", "json"], {
    timeoutMs: 60_000,
  });
  if (r.code === 2 || !r.out.trim()) throw new Error(`doctor exited ${r.code}: ${r.err}`);
  const out = JSON.parse(r.out) as { healthy: boolean; findings: Finding[] };
  return { code: r.code, healthy: out.healthy, findings: out.findings, err: r.err };
}

/** An autoscaling/v2beta2 HPA `web` in `namespace` on Deployment `web` with one metric. */
function hpa(namespace: string, metric: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "autoscaling/v2beta2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", namespace },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [metric],
    },
  });
}

const podsMetric = (name: string) => ({
  type: "Pods",
  pods: { metric: { name }, target: { type: "AverageValue", averageValue: "100" } },
});

/** Waits until the real HPA controller has set condition `type` of `namespace/web` to `reason` (and `message` contains `part`). */
async function waitForCondition(namespace: string, type: string, reason: string, part = ""): Promise<void> {
  const c = plane();
  await eventually(
    `${namespace}/web ${type} ${reason}`,
    async () => {
      const r = await c.kubectl([
        "-n",
        namespace,
        "get",
        // autoscaling/v1 (kubectl's default on 1.20) keeps conditions in an annotation
        "horizontalpodautoscalers.v2beta2.autoscaling",
        "web",
        "-o",
        `jsonpath={.status.conditions[?(@.type=='${type}')].reason}|{.status.conditions[?(@.type=='${type}')].message}`,
      ]);
      const [got, message = ""] = r.stdout.split("|");
      return got === reason && message.includes(part) ? true : undefined;
    },
    {
      timeoutMs: 120_000,
      detail: async () =>
        (
          await c.kubectl(["-n", namespace, "get", "hpa.v2beta2.autoscaling,events", "-o", "yaml"])
        ).stdout.slice(-4000) + (await c.log("kube-controller-manager", 30)),
    },
  );
}

describe("tidescale doctor on a real control plane, Prometheus and adapter", () => {
  it("reports a working setup as healthy with exit 0 (adapter, Prometheus, rules, an HPA scaling on a Pods metric)", async () => {
    if (!exporter || !prom) throw new Error("not started");
    exporter.setTotalRate(50);
    await waitForQuery(prom.url, 'rate(http_requests_total{namespace="healthy"}[10s])', {
      timeoutMs: 60_000,
      accept: (s) => s.length === 1 && Number(s[0]?.value[1]) > 30,
    });
    await plane().apply(hpa("healthy", podsMetric("http_requests_qps")));
    await waitForCondition("healthy", "ScalingActive", "ValidMetricFound");
    await waitForCondition("healthy", "ScalingLimited", "DesiredWithinRange");
    const args = ["-n", "healthy", "--prometheus-url", prom.url, "--rules", rulesFile];
    const r = await doctor(args);
    expect(r.findings).toEqual([]);
    expect(r.healthy).toBe(true);
    expect(r.code).toBe(0);
    // The same rules read from the adapter's ConfigMap (as deploy/03-config.yaml holds them), in text.
    await plane().kubectl([
      "-n",
      ADAPTER_NS,
      "create",
      "configmap",
      "tidescale-adapter-config",
      `--from-file=rules.yaml=${rulesFile}`,
    ]);
    const text = await runCli([
      "doctor",
      "--kubeconfig",
      plane().kubeconfig,
      "-n",
      "healthy",
      "--prometheus-url",
      prom.url,
      "--rules-configmap",
      `${ADAPTER_NS}/tidescale-adapter-config`,
    ]);
    expect(text.code).toBe(0);
    expect(text.out).toBe(
      "healthy: 2 metrics APIServices, 1 custom metrics served, 1 HPAs, Prometheus (1 targets), 1 rules\n",
    );
  });

  it("finds an HPA on a missing Deployment (FailedGetScale) and says the fix; nothing else", async () => {
    await plane().apply(hpa("missing", podsMetric("http_requests_qps")));
    await waitForCondition("missing", "AbleToScale", "FailedGetScale");
    const r = await doctor(["-n", "missing", "--hpa", "web"]);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      id: "hpa.failed-get-scale",
      object: "hpa/missing/web",
      fix: expect.stringContaining("kubectl -n missing get deployment/web"),
    });
    expect(r.findings[0]?.seen).toContain('deployments/scale.apps "web" not found');
  });

  it("finds a CPU Utilization target on pods without requests, naming the containers; nothing else", async () => {
    await plane().apply(
      hpa("cpu", {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
      }),
    );
    await waitForCondition("cpu", "ScalingActive", "FailedGetResourceMetric", "missing request for cpu");
    const [pod] = await pods(plane(), "cpu");
    const r = await doctor(["-n", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: "hpa.missing-resource-request", object: "hpa/cpu/web" });
    expect(r.findings[0]?.seen).toContain(`containers without a cpu request: ${pod}/web`);
    expect(r.findings[0]?.fix).toContain(
      "kubectl -n cpu set resources deployment/web -c web --requests=cpu=100m",
    );
  });

  it("finds a misspelled Pods metric and suggests the nearest served name; nothing else", async () => {
    await plane().apply(hpa("typo", podsMetric("http_request_qps")));
    await waitForCondition("typo", "ScalingActive", "FailedGetPodsMetric", "http_request_qps");
    const r = await doctor(["-n", "typo"]);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: "hpa.pods-metric-not-served", object: "hpa/typo/web" });
    expect(r.findings[0]?.why).toBe(
      "custom.metrics.k8s.io does not serve a metric named http_request_qps; nearest served: http_requests_qps",
    );
    expect(r.findings[0]?.fix).toBe(
      "set spec.metrics[].pods.metric.name to http_requests_qps: kubectl -n typo edit hpa web",
    );
  });

  it("finds Prometheus refused by the Kubernetes API (no pod list permission) with the ClusterRole fix; nothing else", async () => {
    const c = plane();
    if (!prom) throw new Error("not started");
    // Prometheus' ServiceAccount may read services and endpoints in its own namespace only (as kube-prometheus'
    // Roles), not list pods. Debian's Prometheus is built without kubernetes_sd_configs, so the job sends the
    // request the pod discovery would (GET /api/v1/pods with the ServiceAccount's token) as its scrape.
    await c.kubectl(["-n", "monitoring", "create", "serviceaccount", "prometheus-k8s"]);
    await c.kubectl([
      "-n",
      "monitoring",
      "create",
      "role",
      "prometheus-k8s",
      "--verb=get,list,watch",
      "--resource=services,endpoints",
    ]);
    await c.kubectl([
      "-n",
      "monitoring",
      "create",
      "rolebinding",
      "prometheus-k8s",
      "--role=prometheus-k8s",
      "--serviceaccount=monitoring:prometheus-k8s",
    ]);
    const token = (await c.kubectl(["-n", "monitoring", "create", "token", "prometheus-k8s"])).stdout.trim();
    const tokenFile = join(dir, "prometheus-token");
    await writeFile(tokenFile, token);
    const configFile = join(prom.dir, "prometheus.yml");
    const original = await readFile(configFile, "utf8");
    const apiserver = new URL(c.server).host;
    await writeFile(
      configFile,
      `${original}  - job_name: kubernetes-pods
    scheme: https
    metrics_path: /api/v1/pods
    tls_config: {ca_file: ${JSON.stringify(c.caFile)}}
    authorization: {credentials_file: ${JSON.stringify(tokenFile)}}
    static_configs: [{targets: [${JSON.stringify(apiserver)}]}]
`,
    );
    const reload = async () => {
      const res = await fetch(`${prom?.url}/-/reload`, { method: "POST" });
      expect(res.status).toBe(200);
    };
    await reload();
    try {
      await eventually(
        "the kubernetes-pods target scraped and down",
        async () => {
          const body = (await (await fetch(`${prom?.url}/api/v1/targets?state=active`)).json()) as {
            data: { activeTargets: { scrapePool: string; health: string }[] };
          };
          return body.data.activeTargets.some(
            (t) => t.scrapePool === "kubernetes-pods" && t.health === "down",
          )
            ? true
            : undefined;
        },
        { timeoutMs: 60_000 },
      );
      const r = await doctor(["-n", "quiet", "--prometheus-url", prom.url]);
      expect(r.code).toBe(1);
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0]).toMatchObject({
        id: "prometheus.target-forbidden",
        object: `prometheus ${prom.url}`,
      });
      expect(r.findings[0]?.seen).toBe(
        `job kubernetes-pods: 1 target down (${c.server}/api/v1/pods): server returned HTTP status 403 Forbidden`,
      );
      expect(r.findings[0]?.why).toContain(
        "kube-apiserver refuses Prometheus' identity: it may not list pods",
      );
      expect(r.findings[0]?.fix).toContain(
        "kubectl apply -f deploy/kube-prometheus/00-prometheus-k8s-rbac.yaml",
      );
    } finally {
      await writeFile(configFile, original);
      await reload();
    }
  });

  it("finds a rule whose seriesQuery matches nothing and names the series Prometheus has; nothing else", async () => {
    if (!prom) throw new Error("not started");
    const r = await doctor(["-n", "quiet", "--prometheus-url", prom.url, "--rules", badRulesFile]);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      id: "rules.matches-nothing",
      object: `rules ${badRulesFile} rules[1]`,
      seen: `seriesQuery http_request_total{namespace!="",pod!=""} returned no series in the last 10m`,
    });
    expect(r.findings[0]?.why).toContain(
      "no series named http_request_total; nearest names it has: http_requests_total",
    );
    expect(r.findings[0]?.fix).toContain("correct the seriesQuery (and metricsQuery) to http_requests_total");
  });

  it("finds an EffectiveHorizontalPodAutoscaler no controller reconciles (CRDs from deploy/crds); nothing else", async () => {
    const c = plane();
    await c.kubectl(["apply", "-f", join(REPO_ROOT, "deploy/crds")]);
    await c.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/effectivehorizontalpodautoscalers.autoscaling.tidescale.dev",
      "crd/timeseriespredictions.prediction.tidescale.dev",
      "--timeout=60s",
    ]);
    const ehpa = JSON.stringify({
      apiVersion: "autoscaling.tidescale.dev/v1alpha1",
      kind: "EffectiveHorizontalPodAutoscaler",
      metadata: { name: "web", namespace: "predict" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        maxReplicas: 3,
        metrics: [podsMetric("http_requests_qps")],
      },
    });
    await eventually(
      "EHPA predict/web created",
      async () => {
        // the CRD is Established; the first create may still race the apiserver's discovery refresh
        await c.apply(ehpa);
        return true;
      },
      {
        timeoutMs: 30_000,
      },
    );
    const r = await doctor(["-n", "predict"]);
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      id: "ehpa.not-reconciled",
      object: "ehpa/predict/web",
      seen: "no Ready condition",
      fix: expect.stringContaining("kubectl -n tidescale logs deploy/tidescale-controller"),
    });
  });

  it("finds the adapter stopped: its APIServices not Available (FailedDiscoveryCheck), and nothing else", async () => {
    const c = plane();
    await adapter?.stop();
    for (const name of APISERVICES) await waitForAvailable(c, name, "False");
    const r = await doctor(["-n", "quiet"]);
    expect(r.code).toBe(1);
    expect(r.findings.map((f) => f.object).sort()).toEqual(APISERVICES.map((n) => `apiservice/${n}`).sort());
    for (const f of r.findings) {
      expect(f.id).toBe("apiservice.failed-discovery-check");
      expect(f.why).toContain("kube-apiserver cannot reach the adapter behind tidescale/tidescale-adapter");
      expect(f.fix).toContain("kubectl -n tidescale get pods,endpoints tidescale-adapter");
    }
  });

  it("a --hpa that does not exist is one error line, exit 1 (bad flags are refused offline: src/cli/commands/doctor.test.ts)", async () => {
    const r = await runCli(["doctor", "--kubeconfig", plane().kubeconfig, "-n", "quiet", "--hpa", "nothere"]);
    expect(r.err).toBe("error: --hpa: horizontalpodautoscaler quiet/nothere not found\n");
    expect(r.code).toBe(1);
  });
});
