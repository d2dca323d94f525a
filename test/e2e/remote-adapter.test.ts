/**
 * Two real `tidescale adapter` processes share one API surface: adapter A serves http_requests_qps and
 * forwards everything else (`--remote-adapter`) to adapter B, which serves jobs_processed_qps. Both read
 * one real Prometheus that scrapes two test exporters. A real `kubectl get --raw` against A, as the
 * x509 user alice, sees B's metric and the merged discovery list; B authenticates A as a front proxy
 * and authorizes alice herself (its SubjectAccessReview server sees alice, not A).
 *
 * Both adapters use full delegated security (TLS, client CA / requestheader CA, SubjectAccessReview).
 * The SubjectAccessReview endpoint is a loopback HTTPS double (test/support/pki.ts); the real
 * kube-apiserver path is covered by control-plane.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli } from "../support/cli.js";
import { KUBECTL_BIN, kubectl } from "../support/control-plane.js";
import { type RequestsExporter, startRequestsExporter } from "../support/exporter.js";
import {
  type CA,
  cleanupPki,
  makeCA,
  makeCert,
  type Pem,
  type ReviewServer,
  startReviewServer,
} from "../support/pki.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";

const NS = "shop";
const work = mkdtempSync(join(tmpdir(), "tidescale-remote-e2e-"));

let prom: RunningPrometheus | undefined;
let webExporter: RequestsExporter | undefined;
let jobsExporter: RequestsExporter | undefined;
let reviewA: ReviewServer | undefined;
let reviewB: ReviewServer | undefined;
let adapterA: Started | undefined;
let adapterB: Started | undefined;
let servingCA: CA;
let proxyCA: CA;
let clientCA: CA;
let alice: Pem;
let portA = 0;
let portB = 0;
let kubeconfigA = "";

function rules(counter: string): string {
  return [
    "rules:",
    `  - seriesQuery: '${counter}{namespace!="",pod!=""}'`,
    "    resources:",
    "      overrides:",
    "        namespace: { resource: namespace }",
    "        pod: { resource: pod }",
    "    name:",
    '      matches: "^(.*)_total$"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: prometheus-adapter's ${1}, not a JS template
    '      as: "${1}_qps"',
    '    metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[15s])) by (<<.GroupBy>>)"',
    "",
  ].join("\n");
}

function httpsGet(
  url: string,
  opts: { ca: string; client?: Pem; headers?: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        ca: opts.ca,
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
        headers: opts.headers ?? {},
        agent: false,
        timeout: 5000,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function startAdapter(name: string, args: string[], port: number): Promise<Started> {
  return startCli(["adapter", ...args, "--secure-port", String(port)], {
    timeoutMs: 60_000,
    ready: async () =>
      (await httpsGet(`https://127.0.0.1:${port}/readyz`, { ca: servingCA.cert })).status === 200,
  }).catch((e: Error) => {
    throw new Error(`adapter ${name}: ${e.message}`);
  });
}

/** Polls `fn` every 500 ms, at most `tries` times, until it returns a value. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, tries = 120): Promise<T> {
  let last = "";
  for (let i = 0; i < tries; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not happen; last error: ${last}`);
}

/** Parses the Quantity strings the adapter emits (`20`, `19966m`, `1500k`). */
function quantity(s: string): number {
  const m = /^(-?[0-9.]+)(m|k|M)?$/.exec(s);
  if (!m) throw new Error(`not a quantity: ${s}`);
  const scale = m[2] === "m" ? 1e-3 : m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1;
  return Number(m[1]) * scale;
}

beforeAll(async () => {
  servingCA = makeCA("adapters-serving-ca");
  proxyCA = makeCA("remote-proxy-ca");
  clientCA = makeCA("users-ca");
  const servingA = makeCert(servingCA, {
    cn: "adapter-a",
    sans: ["127.0.0.1", "localhost"],
    usage: "server",
  });
  const servingB = makeCert(servingCA, {
    cn: "adapter-b",
    sans: ["127.0.0.1", "localhost"],
    usage: "server",
  });
  const proxyClient = makeCert(proxyCA, { cn: "tidescale-remote", usage: "client" });
  alice = makeCert(clientCA, { cn: "alice", o: ["metrics-viewers"], usage: "client" });

  webExporter = await startRequestsExporter({ namespace: NS });
  jobsExporter = await startRequestsExporter({ namespace: NS, metric: "jobs_processed_total" });
  webExporter.setPods(["web-1", "web-2"]);
  webExporter.setTotalRate(100);
  jobsExporter.setPods(["worker-1", "worker-2"]);
  jobsExporter.setTotalRate(40);
  prom = await startPrometheus({ jobs: { web: [webExporter.target], jobs: [jobsExporter.target] } });
  // Two scrapes of each series so that rate() has data.
  await waitForQuery(prom.url, `rate(jobs_processed_total{namespace="${NS}"}[15s]) > 0`, {
    timeoutMs: 60_000,
  });
  await waitForQuery(prom.url, `rate(http_requests_total{namespace="${NS}"}[15s]) > 0`, {
    timeoutMs: 60_000,
  });

  reviewA = await startReviewServer();
  reviewB = await startReviewServer();
  writeFileSync(join(work, "a.yaml"), rules("http_requests_total"));
  writeFileSync(join(work, "b.yaml"), rules("jobs_processed_total"));
  portA = await freePort();
  portB = await freePort();
  const common = ["--prometheus-url", prom.url, "--metrics-relist-interval", "2s", "--log-level", "warn"];

  // B trusts A's client certificate as a front proxy, and authorizes the forwarded user itself.
  adapterB = await startAdapter(
    "B",
    [
      ...common,
      "--config",
      join(work, "b.yaml"),
      "--tls-cert-file",
      servingB.certFile,
      "--tls-private-key-file",
      servingB.keyFile,
      "--requestheader-client-ca-file",
      proxyCA.certFile,
      "--requestheader-allowed-names",
      "tidescale-remote",
      "--authorization-kubeconfig",
      reviewB.kubeconfig,
    ],
    portB,
  );
  adapterA = await startAdapter(
    "A",
    [
      ...common,
      "--config",
      join(work, "a.yaml"),
      "--tls-cert-file",
      servingA.certFile,
      "--tls-private-key-file",
      servingA.keyFile,
      "--client-ca-file",
      clientCA.certFile,
      "--authorization-kubeconfig",
      reviewA.kubeconfig,
      "--remote-adapter",
      `https://127.0.0.1:${portB}`,
      "--remote-adapter-ca-file",
      servingCA.certFile,
      "--remote-adapter-client-cert",
      proxyClient.certFile,
      "--remote-adapter-client-key",
      proxyClient.keyFile,
      "--remote-adapter-discovery-interval",
      "2s",
    ],
    portA,
  );

  // kubectl as alice (x509 client certificate) against adapter A.
  kubeconfigA = join(work, "kubeconfig-a");
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  writeFileSync(
    kubeconfigA,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: a",
      "  cluster:",
      `    server: https://127.0.0.1:${portA}`,
      `    certificate-authority-data: ${b64(servingCA.cert)}`,
      "users:",
      "- name: alice",
      "  user:",
      `    client-certificate-data: ${b64(alice.cert)}`,
      `    client-key-data: ${b64(alice.key)}`,
      "contexts:",
      "- name: a",
      "  context: {cluster: a, user: alice}",
      "current-context: a",
      "",
    ].join("\n"),
  );
}, 240_000);

afterAll(async () => {
  await adapterA?.stop();
  await adapterB?.stop();
  await prom?.stop();
  await webExporter?.stop();
  await jobsExporter?.stop();
  await reviewA?.close();
  await reviewB?.close();
  cleanupPki();
  rmSync(work, { recursive: true, force: true });
});

interface ResourceList {
  resources: { name: string }[];
}
interface MetricList {
  items: { describedObject: { name: string }; metric: { name: string }; value: string }[];
}

describe("tidescale adapter --remote-adapter (two real adapters, one Prometheus, kubectl)", () => {
  it("lists both adapters' metrics in A's discovery", async () => {
    expect(KUBECTL_BIN).toBeTruthy();
    const names = await eventually("merged discovery", async () => {
      const r = await kubectl(kubeconfigA, ["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2"]);
      const list = JSON.parse(r.stdout) as ResourceList;
      const n = list.resources.map((x) => x.name);
      return n.includes("pods/jobs_processed_qps") && n.includes("pods/http_requests_qps") ? n : undefined;
    });
    // The poll saw both names; what it did not check: the merge lists each resource once.
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n === "pods/jobs_processed_qps")).toHaveLength(1);
  });

  it("answers B's metric through A, as alice, with the values Prometheus has", async () => {
    const list = await eventually("B's metric through A", async () => {
      const r = await kubectl(
        kubeconfigA,
        ["get", "--raw", `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/jobs_processed_qps`],
        { allowFail: true },
      );
      if (r.code !== 0) throw new Error(r.stderr.trim());
      const l = JSON.parse(r.stdout) as MetricList;
      // rate() under-reads until the series is older than its 15 s window; wait for the steady value.
      const steady = l.items.every((i) => quantity(i.value) > 14 && quantity(i.value) < 26);
      return l.items.length === 2 && steady ? l : undefined;
    });
    expect(list.items.map((i) => i.describedObject.name).sort()).toEqual(["worker-1", "worker-2"]);
    for (const item of list.items) {
      expect(item.metric.name).toBe("jobs_processed_qps");
      // 40 req/s split over two pods; rate() over a 15 s window of 1 s scrapes.
      expect(quantity(item.value)).toBeGreaterThan(14);
      expect(quantity(item.value)).toBeLessThan(26);
    }
    // A's own metric is still served locally.
    const own = JSON.parse(
      (
        await kubectl(kubeconfigA, [
          "get",
          "--raw",
          `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/http_requests_qps`,
        ])
      ).stdout,
    ) as MetricList;
    expect(own.items.map((i) => i.describedObject.name).sort()).toEqual(["web-1", "web-2"]);

    // B authorized alice herself: the identity crossed the hop.
    const atB = reviewB?.sars.filter((s) => s.resourceAttributes?.subresource === "jobs_processed_qps") ?? [];
    expect(atB.length).toBeGreaterThan(0);
    expect(atB.at(-1)).toMatchObject({
      user: "alice",
      // A added system:authenticated (as every Kubernetes apiserver does) and forwarded it.
      groups: ["metrics-viewers", "system:authenticated"],
      resourceAttributes: {
        group: "custom.metrics.k8s.io",
        namespace: NS,
        resource: "pods",
        name: "*",
        verb: "get",
      },
    });
    expect(reviewB?.sars.some((s) => s.user === "tidescale-remote")).toBe(false);
  });

  it("B's denial for alice comes back through A as B's 403", async () => {
    if (!reviewB) throw new Error("no review server");
    reviewB.authorize = (spec) =>
      spec.resourceAttributes?.subresource === "jobs_processed_qps" && spec.user === "alice"
        ? { allowed: false, reason: "alice may not read jobs" }
        : { allowed: true };
    try {
      const r = await kubectl(
        kubeconfigA,
        [
          "get",
          "--raw",
          `/apis/custom.metrics.k8s.io/v1beta1/namespaces/${NS}/pods/worker-1/jobs_processed_qps`,
        ],
        { allowFail: true },
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("Forbidden");
      expect(r.stderr).toContain(
        'pods.custom.metrics.k8s.io "worker-1" is forbidden: User "alice" cannot get resource "pods/jobs_processed_qps"',
      );
      expect(r.stderr).toContain("alice may not read jobs");
    } finally {
      reviewB.authorize = () => ({ allowed: true });
    }
  });

  it("ignores a forged X-Remote-User without a front-proxy certificate (401 at A and at B)", async () => {
    const path = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/jobs_processed_qps`;
    const forged = { "X-Remote-User": "admin", "X-Remote-Group": "system:masters" };
    for (const port of [portA, portB]) {
      const r = await httpsGet(`https://127.0.0.1:${port}${path}`, { ca: servingCA.cert, headers: forged });
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    }
    // alice's own certificate is not a front-proxy certificate for B either.
    const r = await httpsGet(`https://127.0.0.1:${portB}${path}`, {
      ca: servingCA.cert,
      client: alice,
      headers: forged,
    });
    expect(r.status).toBe(401);
  });

  it("answers a clear 503 Status through A when B is down", async () => {
    await adapterB?.stop();
    adapterB = undefined;
    const r = await kubectl(
      kubeconfigA,
      ["get", "--raw", `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/jobs_processed_qps`],
      { allowFail: true },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ServiceUnavailable");
    expect(r.stderr).toContain(`remote adapter https://127.0.0.1:${portB}/ is unavailable`);
    // Discovery keeps the last known list while B is away.
    const list = JSON.parse(
      (await kubectl(kubeconfigA, ["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2"])).stdout,
    ) as ResourceList;
    expect(list.resources.map((x) => x.name)).toContain("pods/jobs_processed_qps");
  });
});
