import { describe, expect, it } from "vitest";
import type { RuleDiagnostics } from "../metrics/registry.js";
import { checkDiscovery, checkReadiness } from "./adapter.js";
import type { ApiServiceSnapshot } from "./apiservices.js";
import { servedMetrics, servedSummary } from "./diagnose.js";
import { checkEhpa, checkTsp } from "./ehpa.js";
import { checkPrometheus, kubernetesPermission } from "./prometheus.js";
import { checkRules, requiredLabels, seriesNameOf } from "./rules.js";

const KUBE = "https://127.0.0.1:6443";

describe("checkPrometheus", () => {
  const target = (scrapeUrl: string, lastError: string, health = "down") => ({
    job: "pods",
    scrapeUrl,
    health,
    lastError,
  });

  it("decodes a Kubernetes API target refused (403) into the permission and the ClusterRole fix", () => {
    const [f, ...rest] = checkPrometheus(
      {
        url: "http://prom:9090",
        targets: [
          target(`${KUBE}/api/v1/pods`, "server returned HTTP status 403 Forbidden"),
          target("http://10.0.0.1:8080/metrics", "", "up"),
        ],
      },
      KUBE,
    );
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "error", id: "prometheus.target-forbidden" });
    expect(f?.seen).toBe(
      `job pods: 1 target down (${KUBE}/api/v1/pods): server returned HTTP status 403 Forbidden`,
    );
    expect(f?.why).toContain("it may not list pods (all namespaces)");
    expect(f?.fix).toContain("deploy/kube-prometheus/00-prometheus-k8s-rbac.yaml");
    expect(f?.fix).toContain("resources: [services, endpoints, pods], verbs: [get, list, watch]");
  });

  it("groups targets down with the same error into one finding; unknown (not yet scraped) is fine", () => {
    const found = checkPrometheus({
      url: "p",
      targets: [
        target("http://10.0.0.1:8080/metrics", "connection refused"),
        target("http://10.0.0.2:8080/metrics", "connection refused"),
        target("http://10.0.0.3:8080/metrics", "", "unknown"),
      ],
    });
    expect(found.map((f) => f.id)).toEqual(["prometheus.target-down"]);
    expect(found[0]?.seen).toContain("2 targets down");
  });

  it("reports failing Kubernetes discovery with the ClusterRole fix, and only unreachability when down", () => {
    const [sd] = checkPrometheus({
      url: "p",
      targets: [],
      sdFailures: { prometheus_sd_kubernetes_failures_total: 4 },
    });
    expect(sd).toMatchObject({
      id: "prometheus.discovery-failing",
      seen: "prometheus_sd_kubernetes_failures_total = 4",
    });
    expect(sd?.why).toContain("unknown (get pods)");
    expect(
      checkPrometheus({ url: "p", error: "GET /-/ready failed: ECONNREFUSED" }).map((f) => f.id),
    ).toEqual(["prometheus.unreachable"]);
  });

  it.each([
    [`${KUBE}/api/v1/pods`, "list pods (all namespaces)"],
    [`${KUBE}/api/v1/namespaces/shop/pods`, "list pods in namespace shop"],
    [`${KUBE}/api/v1/nodes/n1/proxy/metrics/cadvisor`, "get nodes/proxy"],
    [`${KUBE}/metrics`, "get /metrics (nonResourceURL)"],
    [`${KUBE}/something/else`, undefined],
  ])("kubernetesPermission(%s)", (url, want) => {
    expect(kubernetesPermission(url)).toBe(want);
  });
});

function diag(over: Partial<RuleDiagnostics>): RuleDiagnostics {
  return {
    id: "rules[0]",
    seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
    seriesReturned: 0,
    seriesPassedFilters: 0,
    seriesNames: {},
    metrics: [],
    seriesWithoutResource: 0,
    replaced: [],
    ...over,
  };
}

describe("checkRules", () => {
  it("parses the series name and the labels a seriesQuery requires", () => {
    expect(seriesNameOf('http_requests_total{namespace!="",pod!=""}')).toBe("http_requests_total");
    expect(seriesNameOf('{__name__="queue_depth",queue!=""}')).toBe("queue_depth");
    expect(seriesNameOf('{__name__=~"^container_.*"}')).toBeUndefined();
    expect(requiredLabels('x{namespace!="",pod=~".+",job="app",le!="1",a=""}')).toEqual([
      "namespace",
      "pod",
      "job",
    ]);
  });

  it("a seriesQuery that matches nothing: the nearest series names Prometheus has", () => {
    const [f, ...rest] = checkRules({
      source: "rules.yaml",
      window: "10m",
      diagnostics: [diag({ seriesQuery: 'http_request_total{namespace!="",pod!=""}' })],
      probes: {
        "rules[0]": { seriesName: "http_request_total", byName: [], nearest: ["http_requests_total"] },
      },
    });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: "error",
      id: "rules.matches-nothing",
      object: "rules rules.yaml rules[0]",
      seen: 'seriesQuery http_request_total{namespace!="",pod!=""} returned no series in the last 10m',
    });
    expect(f?.why).toContain("no series named http_request_total; nearest names it has: http_requests_total");
    expect(f?.fix).toContain("to http_requests_total");
  });

  it("series that exist without the namespace/pod labels the rule needs: the relabelling fix", () => {
    const [f] = checkRules({
      source: "s",
      window: "10m",
      diagnostics: [diag({})],
      probes: {
        "rules[0]": {
          seriesName: "http_requests_total",
          byName: [{ __name__: "http_requests_total", instance: "10.0.0.1:8080", job: "app" }],
          nearest: [],
        },
      },
    });
    expect(f).toMatchObject({ id: "rules.series-missing-labels" });
    expect(f?.seen).toContain("http_requests_total exists with labels instance, job");
    expect(f?.why).toContain("have no namespace, pod labels");
    expect(f?.fix).toContain("target_label: namespace");
  });

  it("failed queries, everything filtered out, series without a resource label; a working rule is fine", () => {
    const found = checkRules({
      source: "s",
      window: "10m",
      diagnostics: [
        diag({ id: "rules[0]", error: "bad_data: parse error" }),
        diag({ id: "rules[1]", seriesReturned: 3 }),
        diag({ id: "rules[2]", seriesReturned: 3, seriesPassedFilters: 3, seriesWithoutResource: 1 }),
        diag({ id: "rules[3]", seriesReturned: 3, seriesPassedFilters: 3, seriesWithoutResource: 3 }),
        diag({ id: "rules[4]", seriesReturned: 3, seriesPassedFilters: 3 }),
      ],
      probes: {},
    });
    expect(found.map((f) => [f.object, f.id, f.severity])).toEqual([
      ["rules s rules[0]", "rules.series-query-failed", "error"],
      ["rules s rules[1]", "rules.all-series-filtered", "error"],
      ["rules s rules[2]", "rules.series-without-resource", "info"],
      ["rules s rules[3]", "rules.series-without-resource", "error"],
    ]);
  });
});

const custom = (available: boolean): ApiServiceSnapshot => ({
  name: "v1beta1.custom.metrics.k8s.io",
  group: "custom.metrics.k8s.io",
  version: "v1beta1",
  service: { namespace: "tidescale", name: "tidescale-adapter", port: 443 },
  conditions: [{ type: "Available", status: available ? "True" : "False", reason: "x" }],
});

describe("adapter checks", () => {
  it("reports a discovery read failing behind an Available APIService only", () => {
    const read = {
      group: "custom.metrics.k8s.io",
      version: "v1beta1",
      status: 500,
      error: "boom",
      names: [],
    };
    const [f] = checkDiscovery([custom(true)], [read]);
    expect(f).toMatchObject({
      id: "adapter.discovery-failed",
      seen: "GET /apis/custom.metrics.k8s.io/v1beta1 answered 500: boom",
    });
    expect(checkDiscovery([custom(false)], [read])).toEqual([]);
  });

  it("reports /readyz answering 503 with its reason", () => {
    const [f] = checkReadiness([
      { service: "tidescale/tidescale-adapter", status: 503, body: "discovery: first relist not finished\n" },
      { service: "other/adapter", status: 200, body: "ok" },
    ]);
    expect(f).toMatchObject({
      id: "adapter.not-ready",
      object: "service/tidescale/tidescale-adapter",
      seen: "GET /readyz answered 503: discovery: first relist not finished",
    });
    expect(f?.fix).toContain("kubectl -n tidescale logs deploy/tidescale-adapter");
  });

  it("says who serves each group-version and what it lists", () => {
    expect(
      servedSummary({
        apiServices: [
          custom(true),
          { ...custom(false), name: "v1beta1.metrics.k8s.io", group: "metrics.k8s.io" },
        ],
        discovery: [
          { group: "custom.metrics.k8s.io", version: "v1beta1", status: 200, names: ["http_requests_qps"] },
          { group: "metrics.k8s.io", version: "v1beta1", status: 503, names: [] },
        ],
      }),
    ).toEqual([
      {
        apiService: "v1beta1.custom.metrics.k8s.io",
        service: "tidescale/tidescale-adapter",
        available: true,
        metrics: ["http_requests_qps"],
      },
      {
        apiService: "v1beta1.metrics.k8s.io",
        service: "tidescale/tidescale-adapter",
        available: false,
        metrics: undefined,
      },
    ]);
  });

  it("served names: [] without an APIService, undefined when registered but unreadable", () => {
    expect(servedMetrics({ apiServices: [], discovery: [] })).toEqual({
      custom: [],
      external: [],
      resource: undefined,
    });
    expect(
      servedMetrics({
        apiServices: [custom(true)],
        discovery: [{ group: "custom.metrics.k8s.io", version: "v1beta1", status: 200, names: ["b", "a"] }],
      }).custom,
    ).toEqual(["a", "b"]);
    expect(
      servedMetrics({
        apiServices: [custom(false)],
        discovery: [{ group: "custom.metrics.k8s.io", version: "v1beta1", status: 503, names: [] }],
      }).custom,
    ).toBeUndefined();
  });
});

describe("EHPA and TSP readiness", () => {
  const ehpa = (
    conditions: Array<{ type: string; status: string; reason?: string; message?: string }>,
    exists = true,
  ) => ({
    namespace: "shop",
    name: "web",
    conditions,
    managedHpa: { name: "ehpa-web", exists },
  });

  it.each([
    [ehpa([]), ["ehpa.not-reconciled"]],
    [
      ehpa([
        { type: "Ready", status: "False", reason: "InvalidSpec", message: "spec.maxReplicas: required" },
      ]),
      ["ehpa.not-ready"],
    ],
    [ehpa([{ type: "Ready", status: "True" }], false), ["ehpa.managed-hpa-missing"]],
    [
      ehpa([
        { type: "Ready", status: "True" },
        {
          type: "PredictionReady",
          status: "False",
          reason: "PredictFailed",
          message: "prometheus unreachable",
        },
      ]),
      ["ehpa.prediction-not-ready"],
    ],
    [
      ehpa([
        { type: "Ready", status: "True" },
        { type: "PredictionReady", status: "True" },
      ]),
      [],
    ],
  ])("%j", (e, ids) => {
    expect(checkEhpa(e).map((f) => f.id)).toEqual(ids);
  });

  it("a TSP of its own that is not Ready; an EHPA's TSP is left to the EHPA", () => {
    const c = [{ type: "Ready", status: "False", reason: "PredictFailed", message: "m" }];
    expect(
      checkTsp({ namespace: "a", name: "t", conditions: c, ownedByEhpa: false }).map((f) => f.id),
    ).toEqual(["tsp.not-ready"]);
    expect(checkTsp({ namespace: "a", name: "t", conditions: c, ownedByEhpa: true })).toEqual([]);
  });
});
