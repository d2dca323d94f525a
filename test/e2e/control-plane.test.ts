/**
 * End to end on a real control plane: etcd + kube-apiserver + kube-controller-manager (built from Debian's
 * `kubernetes` source package, see scripts/control-plane.sh), a real Prometheus scraping a test exporter,
 * and the manifests in deploy/ validated by the real apiserver. No kubelet: the test marks pods ready.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
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
import { cleanupPki, makeCA, makeCert } from "../support/pki.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";
import { eventually } from "../support/wait.js";

const NS = "e2e-web";
const DEPLOY_DIR = join(REPO_ROOT, "deploy");

/** The `tidescale adapter` flags (src/cli/commands/adapter.ts; security flags from adapters/http/auth). */
function adapterArgs(o: {
  rulesFile: string;
  promUrl: string;
  port: number;
  serving: { certFile: string; keyFile: string };
  kubeconfig: string;
}): string[] {
  return [
    "adapter",
    "--config",
    o.rulesFile,
    "--prometheus-url",
    o.promUrl,
    "--secure-port",
    String(o.port),
    "--bind-address",
    "127.0.0.1",
    "--tls-cert-file",
    o.serving.certFile,
    "--tls-private-key-file",
    o.serving.keyFile,
    // TokenReview, SubjectAccessReview, the extension-apiserver-authentication ConfigMap (front-proxy
    // CA and allowed names) and the pod lister, all as the ServiceAccount from deploy/.
    "--kubeconfig",
    o.kubeconfig,
    "--metrics-relist-interval",
    "5s",
    "--log-level",
    "warn",
  ];
}

let cp: ControlPlane | undefined;
let exporter: RequestsExporter | undefined;
let prom: RunningPrometheus | undefined;
let podLoop: { stop: () => Promise<void> } | undefined;

function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

/**
 * A setup step shared by several cases, run by the first case that needs it and reused by the others;
 * a failed attempt is not kept, so the next case tries again and one failure does not fail every
 * later case with a stale error.
 */
function onceOk<T>(setUp: () => Promise<T>): () => Promise<T> {
  let done: Promise<T> | undefined;
  return () => {
    done ??= setUp().catch((e: unknown) => {
      done = undefined;
      throw e;
    });
    return done;
  };
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  exporter = await startRequestsExporter({ namespace: NS });
  prom = await startPrometheus({ targets: [exporter.target] });
}, 1_800_000);

afterAll(async () => {
  await podLoop?.stop();
  await prom?.stop();
  await exporter?.stop();
  await cp?.stop();
});

/**
 * The workload every later case reads: namespace NS, the Deployment `web` (1 replica) with its pod
 * marked Running/Ready, the pod loop standing in for the kubelet, and 300 req/s of load on the exporter.
 * Returns the name of the first ready pod.
 */
const workload = onceOk(async (): Promise<string> => {
  const c = plane();
  if (!exporter) throw new Error("exporter not started");
  await createNamespace(c, NS);
  await c.apply(deploymentManifest("web", NS, { resources: { requests: { cpu: "10m", memory: "16Mi" } } }));
  const ready = await eventually(
    "one pod marked ready",
    async () => {
      await c.markPodsReady(NS, "app=web");
      const pods = JSON.parse(
        (await c.kubectl(["get", "pods", "-n", NS, "-l", "app=web", "-o", "json"])).stdout,
      ) as {
        items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
      };
      const names = pods.items
        .filter((x) => x.status?.conditions?.some((k) => k.type === "Ready" && k.status === "True"))
        .map((x) => x.metadata.name);
      return names.length === 1 ? names : undefined;
    },
    { timeoutMs: 60_000, everyMs: 250, detail: () => c.log("kube-controller-manager") },
  );
  await eventually(
    "Deployment available",
    async () => {
      const d = JSON.parse(
        (await c.kubectl(["get", "deployment", "web", "-n", NS, "-o", "json"])).stdout,
      ) as {
        status: { availableReplicas?: number };
      };
      return d.status.availableReplicas === 1 ? d.status.availableReplicas : undefined;
    },
    { timeoutMs: 30_000, everyMs: 250 },
  );
  podLoop = startPodLoop(c, NS, "app=web", exporter);
  exporter.setTotalRate(300);
  return ready[0] ?? "";
});

describe("the control plane (scripts/control-plane.sh)", () => {
  it("serves the API with RBAC, the aggregator's front-proxy config and the controllers", async () => {
    const c = plane();
    expect((await c.kubectl(["get", "--raw", "/readyz"])).stdout.trim()).toBe("ok");
    const version = JSON.parse((await c.kubectl(["get", "--raw", "/version"])).stdout) as {
      gitVersion: string;
    };
    expect(version.gitVersion).toMatch(/^v1\.20\./);
    // The apiserver publishes its requestheader (front-proxy) configuration for aggregated servers.
    const cm = JSON.parse(
      (
        await c.kubectl([
          "get",
          "configmap",
          "-n",
          "kube-system",
          "extension-apiserver-authentication",
          "-o",
          "json",
        ])
      ).stdout,
    ) as { data: Record<string, string> };
    expect(cm.data["requestheader-allowed-names"]).toBe('["front-proxy-client"]');
    expect(cm.data["requestheader-username-headers"]).toBe('["X-Remote-User"]');
    expect(cm.data["requestheader-client-ca-file"]).toBe(await readFile(c.requestheaderClientCAFile, "utf8"));
    // RBAC is on: a ServiceAccount cannot read pods until it is granted.
    const can = await c.kubectl(
      ["auth", "can-i", "list", "pods", "--as", "system:serviceaccount:default:default"],
      {
        allowFail: true,
      },
    );
    expect(can.stdout.trim()).toBe("no");
  });

  it("runs a Deployment whose pods the test marks Running/Ready (no kubelet)", async () => {
    const c = plane();
    const name = await workload();
    const pod = JSON.parse((await c.kubectl(["get", "pod", name, "-n", NS, "-o", "json"])).stdout) as {
      metadata: { labels?: Record<string, string> };
      status: { phase: string };
    };
    // The setup waited for the Ready condition; the phase and the labels are what it did not check.
    expect(pod.status.phase).toBe("Running");
    expect(pod.metadata.labels?.app).toBe("web");
    const rs = JSON.parse(
      (await c.kubectl(["get", "replicasets", "-n", NS, "-l", "app=web", "-o", "json"])).stdout,
    ) as { items: { status: { readyReplicas?: number } }[] };
    // The ReplicaSet controller (kube-controller-manager) counts the pod the test marked ready.
    expect(rs.items.map((r) => r.status.readyReplicas ?? 0)).toContain(1);
  });

  it("feeds Prometheus per-pod request counters for the pods that exist", async () => {
    if (!exporter || !prom) throw new Error("not started");
    await workload();
    exporter.setTotalRate(300);
    // The per-pod rate settles at the load the test generates (300 req/s, one pod).
    const samples = await waitForQuery(
      prom.url,
      `sum by (pod) (rate(http_requests_total{namespace="${NS}"}[10s]))`,
      {
        timeoutMs: 60_000,
        accept: (s) => s.length === 1 && Math.abs(Number(s[0]?.value[1]) - 300) < 30,
      },
    );
    expect(samples[0]?.metric.pod).toBe(exporter.pods()[0]);
    expect(samples[0]?.metric.pod).toMatch(/^web-/);
  });
});

describe("deploy/ manifests", () => {
  it("are accepted by kube-apiserver (kubectl apply --dry-run=server)", async () => {
    const c = plane();
    const files = (await readdir(DEPLOY_DIR)).filter((f) => f.endsWith(".yaml")).sort();
    expect(files.length).toBeGreaterThanOrEqual(7);
    // Namespaced objects need their namespace to exist for a server-side dry run.
    await c.kubectl(["apply", "-f", join(DEPLOY_DIR, "00-namespace.yaml")]);
    const r = await c.kubectl(["apply", "--dry-run=server", "-f", DEPLOY_DIR]);
    for (const kind of [
      "serviceaccount/tidescale-adapter",
      "clusterrolebinding.rbac.authorization.k8s.io/tidescale-adapter:system:auth-delegator",
      "rolebinding.rbac.authorization.k8s.io/tidescale-adapter-auth-reader",
      "clusterrole.rbac.authorization.k8s.io/tidescale-adapter-resource-reader",
      "clusterrolebinding.rbac.authorization.k8s.io/tidescale-hpa-controller-metrics",
      "configmap/tidescale-adapter-config",
      "deployment.apps/tidescale-adapter",
      "service/tidescale-adapter",
      "apiservice.apiregistration.k8s.io/v1beta1.custom.metrics.k8s.io",
      "apiservice.apiregistration.k8s.io/v1beta2.custom.metrics.k8s.io",
      "apiservice.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io",
      "apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io",
    ]) {
      expect(r.stdout).toContain(`${kind} created (server dry run)`);
    }
  });

  it("only use flags that `tidescale adapter` has", async () => {
    const deployment = parseYaml(await readFile(join(DEPLOY_DIR, "04-deployment.yaml"), "utf8")) as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = deployment.spec.template.spec.containers[0]?.args ?? [];
    expect(args[0]).toBe("adapter");
    const r = await runCli(["adapter", "--help"]);
    expect(r.code, r.err).toBe(0);
    const help = r.out;
    const flags = args.slice(1).map((a) => a.split("=")[0] ?? a);
    expect(flags.length).toBeGreaterThanOrEqual(5);
    for (const flag of flags) expect(help).toContain(`${flag} `);
  });
});

// ------------------------------------------------------------------------------------------------------
// The tidescale adapter, registered with kube-apiserver through the aggregation layer.

const ADAPTER_NS = "tidescale";
const METRIC_PATH = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/http_requests_qps`;
const HPA_V2BETA2_PATH = `/apis/autoscaling/v2beta2/namespaces/${NS}/horizontalpodautoscalers/web`;
const APISERVICES = [
  "v1beta1.custom.metrics.k8s.io",
  "v1beta2.custom.metrics.k8s.io",
  "v1beta1.external.metrics.k8s.io",
  "v1beta1.metrics.k8s.io",
];

let adapter: Started | undefined;
let adapterPort = 0;
/** The CA that `tidescale certs` made for the adapter (PEM). */
let adapterCA: string | undefined;
/** The name the aggregator verifies the adapter's certificate for (`<service>.<namespace>.svc`). */
const ADAPTER_DNS = `tidescale-adapter.${ADAPTER_NS}.svc`;
let workDir: string | undefined;

afterAll(async () => {
  await adapter?.stop();
  cleanupPki();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface HttpsAnswer {
  status: number;
  body: string;
}

/** One HTTPS GET with an explicit trust root and optional client certificate / headers. */
function httpsGet(
  url: string,
  opts: { ca: string; servername?: string; cert?: string; key?: string; headers?: Record<string, string> },
): Promise<HttpsAnswer> {
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(
      url,
      {
        method: "GET",
        ca: opts.ca,
        ...(opts.servername ? { servername: opts.servername } : {}),
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        headers: { accept: "application/json", ...(opts.headers ?? {}) },
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on("error", reject);
    req.end();
  });
}

/** A Kubernetes quantity ("300", "299500m", "1.5k") as a number. */
function quantity(q: string): number {
  const m = /^([0-9.]+)(m|k|M)?$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const scale = m[2] === "m" ? 1e-3 : m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1;
  return Number(m[1]) * scale;
}

interface MetricValueList {
  kind: string;
  apiVersion: string;
  items: {
    describedObject: { kind: string; name: string; namespace: string };
    metric: { name: string };
    value: string;
  }[];
}

interface HpaV2beta2 {
  spec: { maxReplicas: number };
  status: {
    currentReplicas: number;
    desiredReplicas: number;
    currentMetrics?: {
      type: string;
      pods?: { metric: { name: string }; current: { averageValue: string } };
    }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

async function deploymentReplicas(c: ControlPlane): Promise<{ spec: number; available: number }> {
  const d = JSON.parse((await c.kubectl(["get", "deployment", "web", "-n", NS, "-o", "json"])).stdout) as {
    spec: { replicas: number };
    status: { availableReplicas?: number };
  };
  return { spec: d.spec.replicas, available: d.status.availableReplicas ?? 0 };
}

async function hpaV2beta2(c: ControlPlane): Promise<HpaV2beta2> {
  // kubectl 1.32 shows autoscaling/v1 against this apiserver for `describe hpa` and even for
  // `get hpa.v2beta2.autoscaling` (the short name drops the version), so read v2beta2 from its path.
  return JSON.parse((await c.kubectl(["get", "--raw", HPA_V2BETA2_PATH])).stdout);
}

/** What registering the adapter produced, for the case that checks it. */
interface AdapterRegistration {
  /** The APIService objects `tidescale certs` wrote. */
  apiServices: { spec: { caBundle?: string; insecureSkipTLSVerify?: boolean } }[];
  /** The reason of each APIService's Available=True condition. */
  availableReasons: string[];
}

/**
 * The adapter running on loopback with deploy/'s ServiceAccount and RBAC, registered through the
 * APIServices `tidescale certs` wrote, and every group answering through kube-apiserver. A failed
 * attempt stops the adapter it started, so the next case starts over.
 */
const adapterUp = onceOk(async (): Promise<AdapterRegistration> => {
  try {
    return await registerAdapter();
  } catch (e) {
    await adapter?.stop();
    adapter = undefined;
    throw e;
  }
});

async function registerAdapter(): Promise<AdapterRegistration> {
  const c = plane();
  if (!prom) throw new Error("not started");
  workDir = await mkdtemp(join(tmpdir(), "tidescale-e2e-adapter-"));
  adapterPort = await freePort();
  // The adapter's identity and RBAC are the ones shipped in deploy/ (namespace, SA, RBAC, rules).
  for (const f of ["00-namespace.yaml", "01-service-account.yaml", "02-rbac.yaml"]) {
    await c.kubectl(["apply", "-f", join(DEPLOY_DIR, f)]);
  }
  const token = (
    await c.kubectl(["create", "token", "tidescale-adapter", "-n", ADAPTER_NS, "--duration=2h"])
  ).stdout.trim();
  const kubeconfig = await writeTokenKubeconfig(c, join(workDir, "adapter.kubeconfig"), token);
  // The example rules from deploy/03-config.yaml, with a 30 s rate window so the test is quick.
  const configMap = parseYaml(await readFile(join(DEPLOY_DIR, "03-config.yaml"), "utf8")) as {
    data: Record<string, string>;
  };
  const rules = (configMap.data["rules.yaml"] ?? "").replaceAll("[2m]", "[30s]");
  expect(rules).toContain("[30s]");
  const rulesFile = join(workDir, "rules.yaml");
  await writeFile(rulesFile, rules);
  // The adapter's CA, serving certificate and APIServices from `tidescale certs`, as a user makes them
  // (docs/install.md): the APIServices point at the adapter's port and carry the CA in caBundle.
  const certsDir = join(workDir, "certs");
  const certs = await runCli([
    "certs",
    "--namespace",
    ADAPTER_NS,
    "--service",
    "tidescale-adapter",
    "--port",
    String(adapterPort),
    "--out-dir",
    certsDir,
  ]);
  expect(certs.code, certs.err).toBe(0);
  adapterCA = await readFile(join(certsDir, "ca.crt"), "utf8");
  const serving = { certFile: join(certsDir, "tls.crt"), keyFile: join(certsDir, "tls.key") };
  // A queue length for the example externalRules (an External metric).
  exporter?.setGauge("queue_messages_ready", { namespace: NS, queue: "orders" }, 42);
  await waitForQuery(prom.url, `http_requests_total{namespace="${NS}"}`, { timeoutMs: 30_000 });
  await waitForQuery(prom.url, `queue_messages_ready{namespace="${NS}"}`, { timeoutMs: 30_000 });
  const ca = adapterCA;
  adapter = await startCli(
    adapterArgs({ rulesFile, promUrl: prom.url, port: adapterPort, serving, kubeconfig }),
    {
      timeoutMs: 60_000,
      ready: async () =>
        (await httpsGet(`https://127.0.0.1:${adapterPort}/readyz`, { ca, servername: ADAPTER_DNS }))
          .status === 200,
    },
  );
  // A process on loopback: ExternalName `localhost` + --enable-aggregator-routing=false.
  await c.apply(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "tidescale-adapter", namespace: ADAPTER_NS },
      spec: { type: "ExternalName", externalName: "localhost" },
    }),
  );
  // The APIService objects `tidescale certs` wrote (the same as deploy/06 and 07 with caBundle set;
  // src/cli/commands/certs.test.ts checks that), applied as they are.
  const docs: unknown[] = [];
  for (const d of parseAllDocuments(await readFile(join(certsDir, "apiservices.yaml"), "utf8"))) {
    const o = d.toJS() as { spec: { caBundle?: string; insecureSkipTLSVerify?: boolean } } | null;
    if (!o) continue;
    docs.push(o);
  }
  await c.apply(JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }));
  const availableReasons: string[] = [];
  for (const name of APISERVICES) {
    const cond = await eventually(
      `APIService ${name} Available`,
      async () => {
        const o = JSON.parse((await c.kubectl(["get", "apiservice", name, "-o", "json"])).stdout) as {
          status?: { conditions?: { type: string; status: string; reason: string }[] };
        };
        const a = o.status?.conditions?.find((x) => x.type === "Available");
        return a?.status === "True" ? a : undefined;
      },
      {
        timeoutMs: 90_000,
        detail: async () =>
          `${(await c.kubectl(["get", "apiservices", name, "-o", "yaml"])).stdout}\nadapter:\n${adapter?.output().slice(-3000)}`,
      },
    );
    availableReasons.push(cond.reason);
  }
  // Available=True in the API does not mean kube-apiserver proxies the group yet: its proxy handler
  // keeps its own copy of each APIService (kube-aggregator's APIServiceRegistrationController, a
  // separate informer and work queue) and answers 404 before it has the APIService and 503 "service
  // unavailable" while its copy is not Available. Measured here on a loaded machine: 404 then 503 for
  // up to 11 s after Available=True was read. So wait until each group answers through kube-apiserver.
  for (const name of APISERVICES) {
    const [version, ...group] = name.split(".");
    await eventually(
      `${name} proxied by kube-apiserver`,
      async () => {
        const r = await c.kubectl(["get", "--raw", `/apis/${group.join(".")}/${version}`], {
          allowFail: true,
        });
        if (r.code !== 0) throw new Error(r.stderr.trim());
        return true;
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
  }
  return { apiServices: docs as AdapterRegistration["apiServices"], availableReasons };
}

describe("the tidescale adapter behind kube-apiserver", () => {
  it("registers through APIService objects and all four become Available", async () => {
    const r = await adapterUp();
    expect(r.apiServices).toHaveLength(4);
    for (const o of r.apiServices) {
      expect(o.spec.insecureSkipTLSVerify).toBeUndefined();
      expect(Buffer.from(o.spec.caBundle ?? "", "base64").toString("utf8")).toBe(adapterCA);
    }
    expect(r.availableReasons).toEqual(APISERVICES.map(() => "Passed"));
  });

  it("kube-apiserver fetches the adapter's OpenAPI spec without a 403 (system:aggregator is authenticated)", async () => {
    const c = plane();
    await adapterUp();
    const proxyCert = await readFile(c.frontProxyClientCert, "utf8");
    const proxyKey = await readFile(c.frontProxyClientKey, "utf8");
    const adapterMetrics = async () =>
      (
        await httpsGet(`https://127.0.0.1:${adapterPort}/metrics`, {
          ca: adapterCA ?? "",
          servername: ADAPTER_DNS,
          cert: proxyCert,
          key: proxyKey,
          headers: { "X-Remote-User": "e2e-admin", "X-Remote-Group": "system:masters" },
        })
      ).body;
    const openapi = (text: string, code: number) =>
      Number(
        new RegExp(`^tidescale_adapter_requests_total\\{code="${code}",path="openapi"\\} (\\d+)$`, "m").exec(
          text,
        )?.[1] ?? 0,
      );
    // kube-apiserver's OpenAPI aggregation downloads /openapi/v2 once per APIService, as the user
    // system:aggregator with no group; the adapter counts each answer by code.
    await eventually(
      "the OpenAPI spec fetched for all four APIServices",
      async () => {
        const n = openapi(await adapterMetrics(), 200);
        return n >= APISERVICES.length ? n : undefined;
      },
      {
        timeoutMs: 120_000,
        detail: async () => `${await adapterMetrics()}
${await c.log("kube-apiserver", 40)}`,
      },
    );
    expect(openapi(await adapterMetrics(), 403)).toBe(0);
    const log = await c.log("kube-apiserver", 1_000_000);
    const denied = log
      .split("\n")
      .filter((l) => /loading OpenAPI spec for "v1beta\d\.[a-z.]*metrics\.k8s\.io" failed.*403/.test(l));
    expect(denied).toEqual([]);
  });

  it("answers kubectl get --raw for the custom metric through kube-apiserver", async () => {
    const c = plane();
    if (!exporter) throw new Error("not started");
    await workload();
    await adapterUp();
    const list = await eventually(
      "http_requests_qps for the one pod at ~300/s",
      async () => {
        const r = await c.kubectl(["get", "--raw", METRIC_PATH], { allowFail: true });
        if (r.code !== 0) throw new Error(r.stderr);
        const l = JSON.parse(r.stdout) as MetricValueList;
        const v = l.items[0] ? quantity(l.items[0].value) : 0;
        return l.items.length === 1 && Math.abs(v - 300) < 30 ? l : undefined;
      },
      { timeoutMs: 90_000, detail: async () => adapter?.output().slice(-3000) ?? "" },
    );
    expect(list.kind).toBe("MetricValueList");
    expect(list.apiVersion).toBe("custom.metrics.k8s.io/v1beta2");
    expect(list.items[0]?.describedObject).toMatchObject({
      kind: "Pod",
      namespace: NS,
      name: exporter.pods()[0],
    });
    expect(list.items[0]?.metric.name).toBe("http_requests_qps");
    // Discovery through the aggregator lists the metric.
    const discovery = JSON.parse(
      (await c.kubectl(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2"])).stdout,
    ) as {
      resources: { name: string }[];
    };
    expect(discovery.resources.map((r) => r.name)).toContain("pods/http_requests_qps");
  });

  it("serves custom.metrics v1beta1 and external.metrics through kube-apiserver too", async () => {
    const c = plane();
    if (!exporter) throw new Error("not started");
    await workload();
    await adapterUp();
    // Each case sets up what it reads, so wait for the adapter to serve the pod (Prometheus' rate window).
    const v1beta1 = await eventually(
      "custom.metrics v1beta1 list with the one pod",
      async () => {
        const r = await c.kubectl(
          ["get", "--raw", `/apis/custom.metrics.k8s.io/v1beta1/namespaces/${NS}/pods/*/http_requests_qps`],
          { allowFail: true },
        );
        if (r.code !== 0) throw new Error(r.stderr);
        const l = JSON.parse(r.stdout) as {
          kind: string;
          apiVersion: string;
          items: { metricName: string; describedObject: { name: string } }[];
        };
        return l.items.length === 1 ? l : undefined;
      },
      { timeoutMs: 90_000, detail: async () => adapter?.output().slice(-3000) ?? "" },
    );
    expect(v1beta1.apiVersion).toBe("custom.metrics.k8s.io/v1beta1");
    expect(v1beta1.items.map((i) => [i.metricName, i.describedObject.name])).toEqual([
      ["http_requests_qps", exporter.pods()[0]],
    ]);
    const external = await eventually(
      "external metric queue_messages_ready",
      async () => {
        const r = await c.kubectl(
          ["get", "--raw", `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/queue_messages_ready`],
          { allowFail: true },
        );
        if (r.code !== 0) throw new Error(r.stderr);
        const l = JSON.parse(r.stdout) as { kind: string; items: { metricName: string; value: string }[] };
        return l.items.length > 0 ? l : undefined;
      },
      { timeoutMs: 30_000, detail: async () => adapter?.output().slice(-3000) ?? "" },
    );
    expect(external.kind).toBe("ExternalMetricValueList");
    expect(external.items.map((i) => [i.metricName, quantity(i.value)])).toEqual([
      ["queue_messages_ready", 42],
    ]);
  });

  it("rejects unauthenticated (401) and unauthorized (403) callers, directly and through kube-apiserver", async () => {
    const c = plane();
    await workload();
    await adapterUp();
    if (!adapterCA) throw new Error("adapter not started");
    const direct = `https://127.0.0.1:${adapterPort}${METRIC_PATH.replace("*", "%2A")}`;
    const ca = adapterCA;
    const servername = ADAPTER_DNS;
    // No credentials at all.
    const anon = await httpsGet(direct, { ca, servername });
    expect(anon.status).toBe(401);
    expect(JSON.parse(anon.body)).toMatchObject({ kind: "Status", code: 401 });
    // Forged front-proxy headers without the front-proxy client certificate: not trusted.
    const forged = await httpsGet(direct, {
      ca,
      servername,
      headers: { "X-Remote-User": "tidescale-admin", "X-Remote-Group": "system:masters" },
    });
    expect(forged.status).toBe(401);
    // Forged headers with a client certificate from a CA that is not the requestheader CA.
    const rogueCA = makeCA("rogue-front-proxy-ca");
    const rogue = makeCert(rogueCA, { cn: "front-proxy-client", usage: "client" });
    const rogueAnswer = await httpsGet(direct, {
      ca,
      servername,
      cert: rogue.cert,
      key: rogue.key,
      headers: { "X-Remote-User": "tidescale-admin", "X-Remote-Group": "system:masters" },
    });
    expect(rogueAnswer.status).toBe(401);
    // The real front-proxy certificate: headers are trusted, and authorization decides on that user.
    const proxyCert = await readFile(c.frontProxyClientCert, "utf8");
    const proxyKey = await readFile(c.frontProxyClientKey, "utf8");
    const asProxy = (user: string, group: string) =>
      httpsGet(direct, {
        ca,
        servername,
        cert: proxyCert,
        key: proxyKey,
        headers: { "X-Remote-User": user, "X-Remote-Group": group },
      });
    expect((await asProxy("nosy", "system:authenticated")).status).toBe(403);
    expect((await asProxy("tidescale-admin", "system:masters")).status).toBe(200);

    // A ServiceAccount without RBAC on the metrics API, with a real token.
    await c.kubectl(["create", "serviceaccount", "nosy", "-n", NS]);
    const token = (await c.kubectl(["create", "token", "nosy", "-n", NS, "--duration=1h"])).stdout.trim();
    const auth = { Authorization: `Bearer ${token}` };
    const cpCA = await readFile(c.caFile, "utf8");
    const viaApiserver = await httpsGet(`${c.server}${METRIC_PATH}`, { ca: cpCA, headers: auth });
    expect(viaApiserver.status).toBe(403);
    expect(JSON.parse(viaApiserver.body)).toMatchObject({ kind: "Status", reason: "Forbidden" });
    // The same token straight to the adapter: TokenReview says who, SubjectAccessReview says no.
    const directToken = await httpsGet(direct, { ca, servername, headers: auth });
    expect(directToken.status).toBe(403);
    expect(JSON.parse(directToken.body)).toMatchObject({ kind: "Status", code: 403 });
    // Granting deploy/'s metrics reader role makes the same token work through kube-apiserver.
    await c.kubectl([
      "create",
      "clusterrolebinding",
      "nosy-metrics",
      "--clusterrole=tidescale-metrics-reader",
      `--serviceaccount=${NS}:nosy`,
    ]);
    const granted = await eventually(
      "nosy allowed after the RoleBinding (decision caches expire)",
      async () => {
        const r = await httpsGet(`${c.server}${METRIC_PATH}`, { ca: cpCA, headers: auth });
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 40_000 },
    );
    expect((JSON.parse(granted.body) as MetricValueList).items.length).toBeGreaterThan(0);
  });

  it("lets the real HPA controller scale the Deployment 1 -> 5 under load and back down when it stops", async () => {
    const c = plane();
    if (!exporter) throw new Error("not started");
    await workload();
    await adapterUp();
    exporter.setTotalRate(300);
    expect((await deploymentReplicas(c)).spec).toBe(1);
    await c.apply(
      JSON.stringify({
        apiVersion: "autoscaling/v2beta2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web", namespace: NS },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [
            {
              type: "Pods",
              pods: {
                metric: { name: "http_requests_qps" },
                target: { type: "AverageValue", averageValue: "50" },
              },
            },
          ],
          // No downscale stabilization (default 5 min), so the test sees the scale-down quickly.
          behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
        },
      }),
    );
    // 300 req/s over one pod is 6x the target of 50 per pod: the HPA goes to maxReplicas.
    await eventually(
      "Deployment scaled to 5 and all 5 pods available",
      async () => {
        const r = await deploymentReplicas(c);
        return r.spec === 5 && r.available === 5 ? r : undefined;
      },
      {
        timeoutMs: 120_000,
        detail: async () =>
          `${(await c.kubectl(["get", "--raw", HPA_V2BETA2_PATH])).stdout}\n${await c.log("kube-controller-manager", 30)}`,
      },
    );
    const hpa = await eventually(
      "HPA status with 5 replicas and a current metric",
      async () => {
        const h = await hpaV2beta2(c);
        return h.status.currentReplicas === 5 && h.status.currentMetrics?.[0]?.pods ? h : undefined;
      },
      {
        timeoutMs: 60_000,
        detail: async () =>
          `${(await c.kubectl(["get", "--raw", HPA_V2BETA2_PATH])).stdout}\n${await c.log("kube-controller-manager", 30)}\nadapter:\n${adapter?.output().slice(-3000)}`,
      },
    );
    const active = hpa.status.conditions?.find((x) => x.type === "ScalingActive");
    expect(active).toMatchObject({ status: "True", reason: "ValidMetricFound" });
    expect(hpa.status.currentMetrics?.[0]?.pods?.metric.name).toBe("http_requests_qps");
    // The load is spread over the pods: 300 / 5 = 60 per pod (above the target, capped at maxReplicas).
    expect(exporter.pods()).toHaveLength(5);

    // The load stops: the rate falls to 0 once the 30 s window has passed, and the HPA scales down.
    exporter.setTotalRate(0);
    await eventually(
      "Deployment scaled back to 1",
      async () => {
        const r = await deploymentReplicas(c);
        return r.spec === 1 ? r : undefined;
      },
      {
        timeoutMs: 180_000,
        detail: async () => (await c.kubectl(["get", "--raw", HPA_V2BETA2_PATH])).stdout,
      },
    );
    const after = await hpaV2beta2(c);
    expect(after.status.desiredReplicas).toBe(1);
    expect(after.status.conditions?.find((x) => x.type === "ScalingActive")?.reason).toBe("ValidMetricFound");
  });
});
