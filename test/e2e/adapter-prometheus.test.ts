/**
 * The adapter against a real Prometheus scraping a real exporter, read with a real kubectl:
 * custom metrics (v1beta1 and v1beta2, single object, wildcard with labelSelector and
 * metricLabelSelector, namespace metric), external metrics, resource metrics, discovery; faults
 * (malformed selectors, unknown resources, huge names, PromQL injection attempts, Prometheus down and
 * back, bad config reload, a failing seriesQuery) and `tidescale rules test`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQuantity } from "../../src/core/quantity/quantity.js";
import { type AdapterExporter, startAdapterExporter } from "../fixtures/adapter/exporter.js";
import { runCli, startCli } from "../support/cli.js";
import { freePort, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON read from the wire, checked field by field below
type Json = any;
const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL_BIN ?? "/usr/bin/kubectl";
const NS = "demo";
const PODS = ["web-0", "web-1", "web-2", "web-3"]; // rates 1, 2, 3, 4 req/s; app web, batch, web, batch

const config = (name: string, extraRule = "") => `
rules:
  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: { resource: namespace }
        pod: { resource: pod }
    name:
      matches: "^(.*)_total$"
      as: "${name}"
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[10s])) by (<<.GroupBy>>)'
${extraRule}
externalRules:
  - seriesQuery: 'queue_depth{queue!=""}'
    resources:
      namespaced: false
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)'
resourceRules:
  cpu:
    containerQuery: 'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,container!=""}[10s])) by (<<.GroupBy>>)'
    nodeQuery: 'sum(rate(node_cpu_usage_seconds_total{<<.LabelMatchers>>}[10s])) by (<<.GroupBy>>)'
    resources:
      overrides: { namespace: { resource: namespace }, pod: { resource: pod }, node: { resource: node } }
    containerLabel: container
  memory:
    containerQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>,container!=""}) by (<<.GroupBy>>)'
    nodeQuery: 'sum(node_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
    resources:
      overrides: { namespace: { resource: namespace }, pod: { resource: pod }, node: { resource: node } }
    containerLabel: container
  window: 10s
`;

let dir: string;
let exporter: AdapterExporter | undefined;
let prom: RunningPrometheus | undefined;
let adapter: Started | undefined;
let port = 0;
let kubeconfig: string;
let configFile: string;
let ca: string;

async function kubectl(path: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(KUBECTL, ["--kubeconfig", kubeconfig, "get", "--raw", path], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : 1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
  const r = await kubectl(path);
  if (r.code !== 0) throw new Error(`kubectl get --raw ${path} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A raw HTTPS GET (exact status and body, path sent as is). */
function raw(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, ca, headers, method: "GET", timeout: 30_000 },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}

const num = (q: string) => parseQuantity(q, "value").toNumber();
const C1 = "/apis/custom.metrics.k8s.io/v1beta1";
const C2 = "/apis/custom.metrics.k8s.io/v1beta2";
const E = "/apis/external.metrics.k8s.io/v1beta1";
const R = "/apis/metrics.k8s.io/v1beta1";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tidescale-adapter-e2e-"));
  exporter = await startAdapterExporter({
    namespace: NS,
    pods: PODS,
    queues: { q1: 12, q2: 7 },
    nodes: ["node-1"],
  });
  prom = await startPrometheus({ targets: [exporter.target] });
  // Wait until the 10s rate window is covered by samples: before that, rate() extrapolates from a
  // partial window and reads low. Pod web-i grows at i+1 req/s.
  await waitForQuery(prom.url, "rate(http_requests_total[10s])", {
    timeoutMs: 60_000,
    accept: (s) =>
      s.length === PODS.length &&
      s.every((x) => Math.abs(Number(x.value[1]) - (PODS.indexOf(x.metric.pod ?? "") + 1)) < 0.05),
  });
  configFile = join(dir, "rules.yaml");
  writeFileSync(configFile, config("${1}_qps"));
  port = await freePort();
  const certDir = join(dir, "certs");
  adapter = await startCli(
    [
      "adapter",
      "--config",
      configFile,
      "--prometheus-url",
      prom.url,
      "--insecure-dev",
      "--cert-dir",
      certDir,
      "--secure-port",
      String(port),
      "--metrics-relist-interval",
      "2s",
      "--metrics-max-age",
      "1m",
    ],
    {
      timeoutMs: 60_000,
      ready: async () => {
        try {
          ca = readFileSync(join(certDir, "apiserver.crt"), "utf8");
        } catch {
          return false;
        }
        return (await raw("/readyz")).status === 200;
      },
    },
  );
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: adapter\n  cluster:\n    server: https://127.0.0.1:${port}\n    certificate-authority: ${join(certDir, "apiserver.crt")}`,
      "users:\n- name: dev\n  user:\n    token: insecure-dev-ignores-this",
      "contexts:\n- name: adapter\n  context:\n    cluster: adapter\n    user: dev",
      "current-context: adapter",
      "",
    ].join("\n"),
  );
  // Discovery has found the pods metric.
  await until("discovery of http_requests_qps", async () => {
    const d = await getJson<{ resources: Array<{ name: string }> }>(C2);
    return d.resources.some((r) => r.name === "pods/http_requests_qps") ? true : undefined;
  });
}, 180_000);

afterAll(async () => {
  await adapter?.stop();
  await prom?.stop();
  await exporter?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("adapter + real Prometheus + kubectl", () => {
  it("serves discovery for every group and version", async () => {
    const apis = await getJson<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>(
      "/apis",
    );
    expect(apis.groups.map((g) => g.name)).toEqual([
      "custom.metrics.k8s.io",
      "external.metrics.k8s.io",
      "metrics.k8s.io",
    ]);
    for (const gv of [C1, C2]) {
      const d = await getJson<{ groupVersion: string; resources: Array<Record<string, unknown>> }>(gv);
      expect(d.groupVersion).toBe(gv.slice("/apis/".length));
      expect(d.resources).toContainEqual({
        name: "pods/http_requests_qps",
        singularName: "",
        namespaced: true,
        kind: "MetricValueList",
        verbs: ["get"],
      });
      expect(d.resources).toContainEqual(
        expect.objectContaining({ name: "namespaces/http_requests_qps", namespaced: false }),
      );
    }
    const ext = await getJson<{ resources: Array<Record<string, unknown>> }>(E);
    expect(ext.resources).toEqual([
      {
        name: "queue_depth",
        singularName: "",
        namespaced: true,
        kind: "ExternalMetricValueList",
        verbs: ["get"],
      },
    ]);
    const res = await getJson<{ resources: Array<{ name: string }> }>(R);
    expect(res.resources.map((r) => r.name)).toEqual(["nodes", "pods"]);
    const openapi = await raw("/openapi/v2", {
      accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    });
    expect(openapi.status).toBe(200);
    expect(openapi.body.swagger).toBe("2.0");
  });

  it("answers a v1beta1 single-object request with the exporter's rate", async () => {
    const l = await getJson<{ kind: string; apiVersion: string; items: Array<Record<string, Json>> }>(
      `${C1}/namespaces/${NS}/pods/web-1/http_requests_qps`,
    );
    expect(l.kind).toBe("MetricValueList");
    expect(l.apiVersion).toBe("custom.metrics.k8s.io/v1beta1");
    expect(l.items).toHaveLength(1);
    const it0 = l.items[0]!;
    expect(it0.describedObject).toEqual({ kind: "Pod", namespace: NS, name: "web-1", apiVersion: "/v1" });
    expect(it0.metricName).toBe("http_requests_qps");
    expect(it0.selector).toBeNull();
    expect(it0.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(num(it0.value)).toBeGreaterThan(1.8);
    expect(num(it0.value)).toBeLessThan(2.2);
  });

  it("answers a v1beta2 single-object request (protobuf Accept gets JSON)", async () => {
    const r = await raw(`${C2}/namespaces/${NS}/pods/web-3/http_requests_qps`, {
      accept: "application/vnd.kubernetes.protobuf, */*",
    });
    expect(r.status).toBe(200);
    const it0 = r.body.items[0];
    expect(it0.metric).toEqual({ name: "http_requests_qps", selector: null });
    expect(num(it0.value)).toBeGreaterThan(3.6);
    expect(num(it0.value)).toBeLessThan(4.4);
  });

  it("answers a wildcard with labelSelector (the HPA's Pods metric call)", async () => {
    const l = await getJson<{ items: Array<Record<string, Json>> }>(
      `${C2}/namespaces/${NS}/pods/*/http_requests_qps?labelSelector=${encodeURIComponent("app=web")}`,
    );
    expect(l.items.map((i) => i.describedObject.name)).toEqual(["web-0", "web-2"]);
    expect(num(l.items[0]!.value)).toBeCloseTo(1, 0);
    expect(num(l.items[1]!.value)).toBeCloseTo(3, 0);
    // `*` percent-encoded, as the aggregator forwards it.
    const enc = await raw(`${C2}/namespaces/${NS}/pods/%2A/http_requests_qps`);
    expect(enc.status).toBe(200);
    expect(enc.body.items.map((i: Json) => i.describedObject.name)).toEqual(PODS);
  });

  it("applies metricLabelSelector to the query and echoes it as a LabelSelector", async () => {
    const l = await getJson<{ items: Array<Record<string, Json>> }>(
      `${C2}/namespaces/${NS}/pods/*/http_requests_qps?metricLabelSelector=${encodeURIComponent("app in (batch)")}`,
    );
    expect(l.items.map((i) => i.describedObject.name)).toEqual(["web-1", "web-3"]);
    expect(l.items[0]!.metric.selector).toEqual({
      matchExpressions: [{ key: "app", operator: "In", values: ["batch"] }],
    });
    const v1 = await getJson<{ items: Array<Record<string, Json>> }>(
      `${C1}/namespaces/${NS}/pods/web-0/http_requests_qps?metricLabelSelector=${encodeURIComponent("app=web")}`,
    );
    expect(v1.items[0]!.selector).toEqual({ matchLabels: { app: "web" } });
  });

  it("serves the namespace's own metric", async () => {
    const l = await getJson<{ items: Array<Record<string, Json>> }>(
      `${C2}/namespaces/${NS}/metrics/http_requests_qps`,
    );
    expect(l.items[0]!.describedObject).toEqual({ kind: "Namespace", name: NS, apiVersion: "/v1" });
    expect(num(l.items[0]!.value)).toBeGreaterThan(9);
    expect(num(l.items[0]!.value)).toBeLessThan(11);
  });

  it("serves external metrics with and without a selector", async () => {
    const one = await getJson<{ kind: string; items: Array<Record<string, Json>> }>(
      `${E}/namespaces/default/queue_depth?labelSelector=${encodeURIComponent("queue=q1")}`,
    );
    expect(one.kind).toBe("ExternalMetricValueList");
    expect(one.items).toEqual([
      {
        metricName: "queue_depth",
        metricLabels: { queue: "q1" },
        timestamp: expect.any(String),
        value: "12",
      },
    ]);
    const all = await getJson<{ items: Array<Record<string, Json>> }>(`${E}/namespaces/${NS}/queue_depth`);
    expect(all.items.map((i) => [i.metricLabels.queue, i.value]).sort()).toEqual([
      ["q1", "12"],
      ["q2", "7"],
    ]);
  });

  it("serves resource metrics (pods and nodes) from resourceRules", async () => {
    const pods = await getJson<{ kind: string; items: Array<Record<string, Json>> }>(
      `${R}/namespaces/${NS}/pods`,
    );
    expect(pods.kind).toBe("PodMetricsList");
    expect(pods.items.map((p) => p.metadata.name)).toEqual(PODS);
    for (const p of pods.items) {
      expect(p.window).toBe("10s");
      expect(p.containers.map((c: Json) => c.name)).toEqual(["app", "sidecar"]);
      for (const c of p.containers) {
        expect(num(c.usage.cpu)).toBeGreaterThan(0.2);
        expect(num(c.usage.cpu)).toBeLessThan(0.3);
        expect(c.usage.memory).toBe("64Mi");
      }
    }
    const one = await getJson<Record<string, Json>>(`${R}/namespaces/${NS}/pods/web-2`);
    expect(one.kind).toBe("PodMetrics");
    expect(one.metadata.name).toBe("web-2");
    const nodes = await getJson<{ items: Array<Record<string, Json>> }>(`${R}/nodes`);
    expect(nodes.items.map((n) => n.metadata.name)).toEqual(["node-1"]);
    expect(num(nodes.items[0]!.usage.cpu)).toBeCloseTo(1.5, 0);
    expect(nodes.items[0]!.usage.memory).toBe("2Gi");
    const missing = await raw(`${R}/namespaces/${NS}/pods/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(`podmetrics.metrics.k8s.io "${NS}/nope" not found`);
  });

  it("makes `kubectl top pod` work (metrics.k8s.io discovery and PodMetricsList)", async () => {
    const r = await run(KUBECTL, ["--kubeconfig", kubeconfig, "top", "pod", "-n", NS, "--containers"], {
      timeout: 30_000,
    });
    const rows = r.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((x) => `${x[0]}/${x[1]}`)).toEqual(PODS.flatMap((p) => [`${p}/app`, `${p}/sidecar`]));
    for (const x of rows) {
      expect(num(x[2]!)).toBeGreaterThan(0.2);
      expect(num(x[2]!)).toBeLessThan(0.3);
      expect(x[3]).toBe("64Mi");
    }
  });

  it("rejects malformed selectors, unknown resources and huge names with a Status", async () => {
    const bad = await raw(
      `${C2}/namespaces/${NS}/pods/*/http_requests_qps?labelSelector=${encodeURIComponent("app in (web")}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest", code: 400 });
    expect(bad.body.message).toMatch(/^invalid labelSelector "app in \(web": position \d+: /);
    const k = await kubectl(
      `${C2}/namespaces/${NS}/pods/*/http_requests_qps?metricLabelSelector=${encodeURIComponent("x=")},,`,
    );
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain("BadRequest");
    const unknown = await raw(`${C2}/namespaces/${NS}/foos/x/http_requests_qps`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe(
      'the server could not find the metric http_requests_qps for foos: unknown resource "foos"',
    );
    const notMetric = await kubectl(`${C2}/namespaces/${NS}/pods/*/no_such_metric`);
    expect(notMetric.stderr).toContain("NotFound");
    expect(notMetric.stderr).toContain("the server could not find the metric no_such_metric for pods");
    const huge = await raw(`${C2}/namespaces/${NS}/pods/${"p".repeat(5000)}/http_requests_qps`);
    expect(huge.status).toBe(400);
    expect(huge.body.message).toBe("invalid request path: segment of 5000 characters (at most 253)");
    const path = await raw(`${C2}/namespaces/${NS}/pods`);
    expect(path.status).toBe(400);
    expect(path.body.message).toBe("invalid request path");
    const gt = await raw(
      `${C2}/namespaces/${NS}/pods/web-0/http_requests_qps?metricLabelSelector=${encodeURIComponent("x>1")}`,
    );
    expect(gt.status).toBe(400);
    expect(gt.body.message).toContain("not supported by Prometheus");
    const key = await raw(
      `${C2}/namespaces/${NS}/pods/web-0/http_requests_qps?metricLabelSelector=${encodeURIComponent("app.kubernetes.io/name=x")}`,
    );
    expect(key.status).toBe(400);
    expect(key.body.message).toContain("not a valid Prometheus label name");
  });

  it("refuses PromQL injection attempts in path names with a 400 naming them, before any query", async () => {
    // An object name that tries to close the matcher and add a series of its own.
    const evil = 'x"} or vector(1000) or {__name__="up';
    const r = await raw(`${C2}/namespaces/${NS}/pods/${encodeURIComponent(evil)}/http_requests_qps`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 });
    expect(r.body.message).toMatch(
      /^invalid pods name "x\\"} or vector\(1000\) or \{__name__=\\"up": a lowercase RFC 1123 subdomain/,
    );
    const nsEvil = 'demo"}[5m]) or vector(1) #';
    const n = await raw(`${C2}/namespaces/${encodeURIComponent(nsEvil)}/pods/web-0/http_requests_qps`);
    expect(n.status).toBe(400);
    expect(n.body.message).toMatch(
      /^invalid namespace "demo\\"}\[5m\]\) or vector\(1\) #": a lowercase RFC 1123 label/,
    );
    const k = await kubectl(`${E}/namespaces/${encodeURIComponent(nsEvil)}/queue_depth`);
    expect(k.stderr).toContain("BadRequest");
    // Label values cannot carry quotes at all (Kubernetes label value syntax).
    const v = await raw(
      `${C2}/namespaces/${NS}/pods/*/http_requests_qps?metricLabelSelector=${encodeURIComponent('app=a"b')}`,
    );
    expect(v.status).toBe(400);
    // A regex in a name is not a name.
    const star = await raw(`${C2}/namespaces/${NS}/pods/${encodeURIComponent("web-.*")}/http_requests_qps`);
    expect(star.status).toBe(400);
  });

  it("answers +Inf from Prometheus as a missing metric, never as a value", async () => {
    // Rules whose queries divide by zero: real Prometheus answers +Inf for every pod and queue.
    const perNothing = `  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources:
      overrides: { namespace: { resource: namespace }, pod: { resource: pod } }
    name: { matches: "^(.*)_total$", as: "\${1}_per_nothing" }
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[10s])) by (<<.GroupBy>>) / 0'`;
    const queuePerNothing = `  - seriesQuery: 'queue_depth{queue!=""}'
    resources: { namespaced: false }
    name: { matches: "^queue_depth$", as: "queue_depth_per_nothing" }
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (queue) / 0'
`;
    writeFileSync(
      configFile,
      config("${1}_qps", perNothing).replace("externalRules:\n", `externalRules:\n${queuePerNothing}`),
    );
    await until("discovery of the +Inf metrics", async () => {
      const c = await getJson<{ resources: Array<{ name: string }> }>(C2);
      const e = await getJson<{ resources: Array<{ name: string }> }>(E);
      return c.resources.some((r) => r.name === "pods/http_requests_per_nothing") &&
        e.resources.some((r) => r.name === "queue_depth_per_nothing")
        ? true
        : undefined;
    });
    const one = await raw(`${C2}/namespaces/${NS}/pods/web-0/http_requests_per_nothing`);
    expect(one.status).toBe(404);
    expect(one.body).toMatchObject({ kind: "Status", reason: "NotFound", code: 404 });
    expect(one.body.message).toContain('returned pod="web-0": value +Inf is not finite');
    // A Pods-metric list leaves every +Inf pod out (the HPA then has no value to scale down on).
    const list = await raw(`${C2}/namespaces/${NS}/pods/*/http_requests_per_nothing`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    expect(adapter!.output()).toContain("non-finite values left out (missing, not 0)");
    const ext = await kubectl(`${E}/namespaces/default/queue_depth_per_nothing`);
    expect(ext.code).not.toBe(0);
    expect(ext.stderr).toContain("NotFound");
    expect(ext.stderr).toContain("value +Inf is not finite");
    // The finite metrics of the same series are still served.
    const qps = await getJson<{ items: Array<Record<string, Json>> }>(
      `${C2}/namespaces/${NS}/pods/web-1/http_requests_qps`,
    );
    expect(Math.abs(num(qps.items[0]!.value) - 2)).toBeLessThan(0.2);
  });

  it("answers 503 while Prometheus is down and recovers when it returns", async () => {
    await prom!.kill();
    const down = await raw(`${C2}/namespaces/${NS}/pods/web-0/http_requests_qps`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503 });
    expect(down.body.message).toMatch(
      /^unable to fetch metrics: rules\[0\] query .* cannot reach Prometheus: ECONNREFUSED/,
    );
    const k = await kubectl(`${C2}/namespaces/${NS}/pods/web-0/http_requests_qps`);
    expect(k.stderr).toContain("ServiceUnavailable");
    // Discovery keeps serving the metrics found before (a failing seriesQuery keeps its rule's metrics).
    const d = await getJson<{ resources: Array<{ name: string }> }>(C2);
    expect(d.resources.map((x) => x.name)).toContain("pods/http_requests_qps");
    await prom!.restart();
    const back = await until("recovery after Prometheus restart", async () => {
      const r = await raw(`${C2}/namespaces/${NS}/pods/web-0/http_requests_qps`);
      return r.status === 200 ? r : undefined;
    });
    expect(back.body.items[0].metric).toEqual({ name: "http_requests_qps", selector: null });
    // The outage was answered and counted as 503s, not hidden.
    expect((await raw("/metrics")).text).toMatch(
      /tidescale_adapter_requests_total\{code="503",path="custom"\} [1-9]/,
    );
  });

  it("rejects a bad config on reload and keeps serving the old one; a good one replaces it", async () => {
    writeFileSync(
      configFile,
      config("${1}_qps").replace('matches: "^(.*)_total$"', 'matches: "^(.*_total$"'),
    );
    await until("reload rejection in the log", async () =>
      adapter!.output().includes("config reload rejected") ? true : undefined,
    );
    expect(adapter!.output()).toContain("rules[0].name.matches: invalid regex");
    const still = await raw(`${C2}/namespaces/${NS}/pods/web-0/http_requests_qps`);
    expect(still.status).toBe(200);
    const m = await raw("/metrics");
    expect(m.text).toContain("tidescale_adapter_config_last_reload_successful 0");
    expect(m.text).toMatch(/tidescale_adapter_requests_total\{code="200",path="custom"\} \d+/);

    // A good config with one broken seriesQuery: the other rule keeps working.
    const broken = `  - seriesQuery: 'bad{'
    resources: { template: "<<.Resource>>" }
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'`;
    writeFileSync(configFile, config("${1}_per_second", broken));
    const d = await until("new metric name in discovery", async () => {
      const doc = await getJson<{ resources: Array<{ name: string }> }>(C2);
      return doc.resources.some((r) => r.name === "pods/http_requests_per_second") ? doc : undefined;
    });
    expect(d.resources.map((r) => r.name)).not.toContain("pods/http_requests_qps");
    expect(adapter!.output()).toContain("series query failed");
    const v = await until("a full rate window after the restart", async () => {
      const l = await getJson<{ items: Array<Record<string, Json>> }>(
        `${C2}/namespaces/${NS}/pods/web-1/http_requests_per_second`,
      );
      return Math.abs(num(l.items[0]!.value) - 2) < 0.2 ? l : undefined;
    });
    // Served under the new config's name, by the new rule.
    expect(v.items[0]!.metric).toEqual({ name: "http_requests_per_second", selector: null });
  });
});

describe("adapter process", () => {
  it("drains and exits 0 on SIGTERM", async () => {
    const child = adapter!.child;
    await adapter!.stop();
    expect(child.exitCode).toBe(0);
    expect(adapter!.output()).toContain("shutting down: draining in-flight requests");
  });

  it("refuses to start on a bad config or bad flags, exit 2 with one line", async () => {
    const f = join(dir, "bad-adapter.yaml");
    writeFileSync(f, "rules:\n  - seriesQuery: x\n    metricsQuery: '<<.Serie>>'\n");
    const e = await runCli(["adapter", "--config", f, "--insecure-dev", "--secure-port", "0"]);
    expect(e.code).toBe(2);
    expect(e.err.trim()).toBe(`error: ${f}: rules[0].metricsQuery: template: can't evaluate field Serie`);
    const g = await runCli([
      "adapter",
      "--insecure-dev",
      "--metrics-relist-interval",
      "1m",
      "--metrics-max-age",
      "30s",
    ]);
    expect(g.code).toBe(2);
    expect(g.err.trim()).toBe("error: --metrics-max-age: must be at least --metrics-relist-interval (1m)");
  });
});

describe("tidescale rules test against real Prometheus", () => {
  const rulesFile = () => {
    const f = join(dir, "rules-test.yaml");
    writeFileSync(f, config("${1}_qps"));
    return f;
  };

  it("prints, per rule, the series, the metric names with resources and the sample PromQL (-o json)", async () => {
    const r = await runCli([
      "rules",
      "test",
      "--config",
      rulesFile(),
      "--prometheus-url",
      prom!.url,
      "-o",
      "json",
    ]);
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.rules[0]).toMatchObject({
      id: "rules[0]",
      kind: "custom",
      seriesReturned: 4,
      seriesPassedFilters: 4,
      seriesNames: { http_requests_total: 4 },
      metrics: [
        {
          apiName: "http_requests_qps",
          seriesName: "http_requests_total",
          resources: ["namespaces", "pods"],
        },
      ],
    });
    expect(rep.rules[0].sample.query).toMatch(
      /^sum\(rate\(http_requests_total\{namespace="demo",pod="web-\d"\}\[10s\]\)\) by \(pod\)$/,
    );
    expect(rep.rules[0].sample.result.samples).toHaveLength(1);
    expect(rep.rules[1]).toMatchObject({
      id: "externalRules[0]",
      kind: "external",
      metrics: [{ apiName: "queue_depth" }],
    });
    expect(rep.rules[1].sample.query).toBe("sum(queue_depth{}) by (queue)");
    expect(rep.resourceRules).toHaveLength(4);
  });

  it("prints a readable report by default", async () => {
    const r = await runCli(["rules", "test", "--config", rulesFile(), "--prometheus-url", prom!.url]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("rules[0] (custom.metrics.k8s.io)");
    expect(r.out).toContain("http_requests_qps <- http_requests_total on namespaces, pods");
    expect(r.out).toMatch(
      /PromQL: sum\(rate\(http_requests_total\{namespace="demo",pod="web-\d"\}\[10s\]\)\) by \(pod\)/,
    );
  });

  it("exits 2 naming the rule and field for a bad config", async () => {
    const f = join(dir, "bad.yaml");
    writeFileSync(
      f,
      "rules:\n  - seriesQuery: x\n    metricsQuery: y\n  - seriesQuery: x\n    name: { matches: '(' }\n    metricsQuery: y\n",
    );
    const e = await runCli(["rules", "test", "--config", f, "--prometheus-url", prom!.url]);
    expect(e.code).toBe(2);
    expect(e.err.trim()).toMatch(/^error: .*bad\.yaml: rules\[1\]\.name\.matches: invalid regex: /);
  });
});
