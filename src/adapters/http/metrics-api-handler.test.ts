import { describe, expect, it } from "vitest";
import { type ErrorCode, httpStatusFor, ToolkitError } from "../../core/errors.js";
import { compileConfig } from "../../core/metrics/config.js";
import { buildRegistry, type SeriesQueryOutcome } from "../../core/metrics/registry.js";
import type { InstantResult, PrometheusClient } from "../prometheus/client.js";
import {
  type ApiResponse,
  errorResponse,
  type HandlerContext,
  handleApiRequest,
} from "./metrics-api-handler.js";
import type { APIResource, RemoteAdapter } from "./security.js";

// Unit tests of the handler's logic with an in-memory Prometheus (the e2e test uses the real one).
const cfg = compileConfig({
  rules: [
    {
      seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
      resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
      name: { matches: "^(.*)_total$", as: "${1}_qps" },
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
    },
  ],
  externalRules: [
    {
      seriesQuery: "queue_depth",
      resources: { namespaced: false },
      metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)",
    },
  ],
});
const series = [
  { __name__: "http_requests_total", namespace: "ns", pod: "a", app: "web" },
  { __name__: "http_requests_total", namespace: "ns", pod: "b", app: "batch" },
  { __name__: "http_requests_total", namespace: "other", pod: "c", app: "web" },
];
const registry = buildRegistry(
  cfg,
  new Map<string, SeriesQueryOutcome>([
    [cfg.rules[0]!.seriesQuery, { ok: true, series }],
    ["queue_depth", { ok: true, series: [{ __name__: "queue_depth", queue: "q1" }] }],
  ]),
);

class FakeProm implements PrometheusClient {
  queries: string[] = [];
  constructor(private readonly answer: (q: string) => InstantResult | Error) {}
  async query(expr: string): Promise<InstantResult> {
    this.queries.push(expr);
    const a = this.answer(expr);
    if (a instanceof Error) throw a;
    return a;
  }
  async queryRange(): Promise<never> {
    throw new Error("unused");
  }
  async series(): Promise<never> {
    throw new Error("unused");
  }
  async close() {}
}

const vec = (...s: Array<[Record<string, string>, string]>): InstantResult => ({
  resultType: "vector",
  result: s.map(([metric, v]) => ({ metric, value: [1700000000, v] })),
});

const NOW = Date.UTC(2024, 0, 1);
function ctx(prom: PrometheusClient, over: Partial<HandlerContext> = {}): HandlerContext {
  return { config: cfg, registry, relisted: true, prometheus: prom, nowMs: NOW, ...over };
}
async function get(path: string, c: HandlerContext): Promise<ApiResponse & { kind: "json" }> {
  const u = new URL(path, "http://x");
  const r = await handleApiRequest({ method: "GET", path: u.pathname, query: u.searchParams }, c);
  if (r.kind !== "json") throw new Error(`forwarded: ${r.reason}`);
  return r;
}
const body = (r: ApiResponse & { kind: "json" }) => r.body as Record<string, any>;

const C2 = "/apis/custom.metrics.k8s.io/v1beta2";

describe("handleApiRequest", () => {
  it("discovery lists registered metrics sorted, with scope", async () => {
    const r = await get("/apis/custom.metrics.k8s.io/v1beta1", ctx(new FakeProm(() => vec())));
    expect(r.status).toBe(200);
    expect(body(r).resources.map((x: APIResource) => `${x.name}:${x.namespaced}`)).toEqual([
      "namespaces/http_requests_qps:false",
      "pods/http_requests_qps:true",
    ]);
  });

  it("an empty config still serves every group (empty resource lists, never 404)", async () => {
    const empty = compileConfig({});
    const c = ctx(new FakeProm(() => vec()), { config: empty, registry: buildRegistry(empty, new Map()) });
    for (const gv of [
      "/apis/custom.metrics.k8s.io/v1beta1",
      "/apis/custom.metrics.k8s.io/v1beta2",
      "/apis/external.metrics.k8s.io/v1beta1",
      "/apis/metrics.k8s.io/v1beta1",
    ]) {
      const r = await get(gv, c);
      expect(r.status).toBe(200);
      expect(body(r).resources).toEqual([]);
    }
  });

  it("wildcard without a lister: objects from the series, labelSelector on their labels, one query", async () => {
    const prom = new FakeProm(() => vec([{ pod: "a" }, "1.5"], [{ pod: "zzz" }, "9"]));
    const r = await get(`${C2}/namespaces/ns/pods/*/http_requests_qps?labelSelector=app%3Dweb`, ctx(prom));
    expect(prom.queries).toEqual(['sum(rate(http_requests_total{namespace="ns",pod="a"}[1m])) by (pod)']);
    expect(body(r).items).toEqual([
      {
        describedObject: { kind: "Pod", namespace: "ns", name: "a", apiVersion: "/v1" },
        metric: { name: "http_requests_qps", selector: null },
        timestamp: "2024-01-01T00:00:00Z",
        value: "1500m",
      },
    ]);
  });

  it.each(["+Inf", "-Inf", "NaN"])("a %s sample is a missing value with the reason, never 0", async (bad) => {
    const warned: Array<{ obj: object; msg: string }> = [];
    const warn = (obj: object, msg: string) => warned.push({ obj, msg });
    const lister = {
      source: "test",
      async list() {
        return [
          { namespace: "ns", name: "a", labels: {} },
          { namespace: "ns", name: "b", labels: {} },
        ];
      },
    };
    const prom = new FakeProm(() => vec([{ pod: "a" }, bad], [{ pod: "b" }, "2"]));
    // Wildcard: the pod is left out of the list (the HPA treats it as missing), and the log says why.
    const list = await get(`${C2}/namespaces/ns/pods/*/http_requests_qps`, ctx(prom, { lister, warn }));
    expect(list.status).toBe(200);
    expect(body(list).items.map((i: any) => [i.describedObject.name, i.value])).toEqual([["b", "2"]]);
    expect(warned).toEqual([
      {
        obj: expect.objectContaining({
          rule: "rules[0]",
          left_out: [
            `pod="a": ${bad === "NaN" ? "value NaN is not a number" : `value ${bad} is not finite`}`,
          ],
        }),
        msg: "non-finite values left out (missing, not 0)",
      },
    ]);
    // One object: 404 naming the value, the rule and the query.
    const one = await get(`${C2}/namespaces/ns/pods/a/http_requests_qps`, ctx(prom, { warn }));
    expect(one.status).toBe(404);
    expect(body(one).message).toContain(
      `the server could not find the metric http_requests_qps for pods a: rules[0] query`,
    );
    expect(body(one).message).toContain(`returned pod="a": value ${bad}`);
    // External: one non-finite item makes the whole metric missing (the HPA adds the items up).
    const ext = await get(
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth",
      ctx(new FakeProm(() => vec([{ queue: "q1" }, "1"], [{ queue: "q2" }, bad])), { warn }),
    );
    expect(ext.status).toBe(404);
    expect(body(ext).message).toContain(
      `externalRules[0] query sum(queue_depth{}) by (queue) returned value ${bad}`,
    );
    expect(body(ext).message).toContain('for {"queue":"q2"}');
    const scalar = await get(
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth",
      ctx(new FakeProm(() => ({ resultType: "scalar", result: [1700000000, bad] }))),
    );
    expect(scalar.status).toBe(404);
    expect(body(scalar).message).toContain("for scalar");
  });

  it("a rule without metricsQuery: its metrics are listed, and answer 404 naming the rule", async () => {
    const noQuery = compileConfig({
      rules: [
        {
          seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
          resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
          name: { matches: "^(.*)_total$", as: "${1}_qps" },
        },
      ],
      externalRules: [{ seriesQuery: "queue_depth" }],
    });
    const reg = buildRegistry(
      noQuery,
      new Map<string, SeriesQueryOutcome>([
        [noQuery.rules[0]!.seriesQuery, { ok: true, series }],
        ["queue_depth", { ok: true, series: [{ __name__: "queue_depth", queue: "q1" }] }],
      ]),
    );
    const prom = new FakeProm(() => vec());
    const c = ctx(prom, { config: noQuery, registry: reg });
    const disc = await get(C2, c);
    expect(body(disc).resources.map((r: any) => r.name)).toContain("pods/http_requests_qps");
    for (const path of [
      `${C2}/namespaces/ns/pods/a/http_requests_qps`,
      `${C2}/namespaces/ns/pods/*/http_requests_qps`,
    ]) {
      const r = await get(path, c);
      expect(r.status).toBe(404);
      expect(body(r).message).toBe(
        "the server could not find the metric http_requests_qps for pods: rules[0] has no metricsQuery: its metrics are discovered but cannot be queried",
      );
    }
    const ext = await get("/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth", c);
    expect(ext.status).toBe(404);
    expect(body(ext).message).toContain("externalRules[0] has no metricsQuery");
    expect(prom.queries).toEqual([]);
  });

  it("metrics.k8s.io: a pod or node with a non-finite usage is left out, and a single one is a 404 saying why", async () => {
    const rrCfg = compileConfig({
      resourceRules: {
        cpu: {
          containerQuery: "cpu{<<.LabelMatchers>>}",
          nodeQuery: "ncpu{<<.LabelMatchers>>}",
          resources: {
            overrides: {
              namespace: { resource: "namespace" },
              pod: { resource: "pod" },
              node: { resource: "node" },
            },
          },
        },
        memory: {
          containerQuery: "mem{<<.LabelMatchers>>}",
          nodeQuery: "nmem{<<.LabelMatchers>>}",
          resources: {
            overrides: {
              namespace: { resource: "namespace" },
              pod: { resource: "pod" },
              node: { resource: "node" },
            },
          },
        },
      },
    });
    const prom = new FakeProm((q) =>
      q.startsWith("cpu")
        ? vec([{ pod: "a", container: "c" }, "+Inf"], [{ pod: "b", container: "c" }, "0.5"])
        : q.startsWith("mem")
          ? vec([{ pod: "a", container: "c" }, "10"], [{ pod: "b", container: "c" }, "20"])
          : q.startsWith("ncpu")
            ? vec([{ node: "n1" }, "1"])
            : vec([{ node: "n1" }, "NaN"]),
    );
    const c = ctx(prom, { config: rrCfg });
    const list = await get("/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods", c);
    expect(body(list).items.map((p: any) => p.metadata.name)).toEqual(["b"]);
    const pod = await get("/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/a", c);
    expect(pod.status).toBe(404);
    expect(body(pod).message).toBe(
      'podmetrics.metrics.k8s.io "ns/a" not found: CPU of container "c": value +Inf is not finite',
    );
    const node = await get("/apis/metrics.k8s.io/v1beta1/nodes/n1", c);
    expect(node.status).toBe(404);
    expect(body(node).message).toBe(
      'nodemetrics.metrics.k8s.io "n1" not found: memory value NaN is not a number',
    );
  });

  it("wildcard with a lister uses the listed names in order", async () => {
    const prom = new FakeProm(() => vec([{ pod: "b" }, "2"], [{ pod: "a" }, "1"]));
    const lister = {
      source: "test",
      seen: [] as string[],
      async list(_r: unknown, ns: string | undefined, sel: string) {
        this.seen.push(`${ns}|${sel}`);
        return [
          { namespace: "ns", name: "b", labels: {} },
          { namespace: "ns", name: "a", labels: {} },
        ];
      },
    };
    const r = await get(
      `${C2}/namespaces/ns/pods/*/http_requests_qps?labelSelector=app%3Dweb`,
      ctx(prom, { lister }),
    );
    expect(lister.seen).toEqual(["ns|app=web"]);
    expect(prom.queries[0]).toContain('pod=~"b|a"');
    expect(body(r).items.map((i: any) => i.describedObject.name)).toEqual(["b", "a"]);
  });

  it("404 for an unknown metric says why; for a wrong scope says which scope", async () => {
    const c = ctx(new FakeProm(() => vec()));
    const r = await get(`${C2}/namespaces/ns/pods/a/nope`, c);
    expect(r.status).toBe(404);
    expect(body(r).message).toBe(
      "the server could not find the metric nope for pods: no rule discovered it (see `tidescale rules test`)",
    );
    const s = await get(`${C2}/pods/a/http_requests_qps`, c);
    expect(body(s).message).toBe(
      "the server could not find the metric http_requests_qps for pods: pods metrics are namespaced: use /namespaces/{ns}/",
    );
    const d = await get(`${C2}/namespaces/ns/services/a/http_requests_qps`, c);
    expect(body(d).message).toBe(
      "the server could not find the metric http_requests_qps for services: it is discovered for namespaces (cluster-scoped), pods only",
    );
    const early = await get(`${C2}/namespaces/ns/pods/a/nope`, { ...c, relisted: false });
    expect(body(early).message).toContain("discovery has not finished its first relist yet");
  });

  it("404 for a single object without data names the rule, the query and the answer", async () => {
    const r = await get(
      `${C2}/namespaces/ns/pods/a/http_requests_qps`,
      ctx(new FakeProm(() => vec([{ pod: "b" }, "1"]))),
    );
    expect(r.status).toBe(404);
    expect(body(r).message).toBe(
      'the server could not find the metric http_requests_qps for pods a: rules[0] query sum(rate(http_requests_total{namespace="ns",pod="a"}[1m])) by (pod) returned 1 sample(s), none with pod="a"',
    );
  });

  it("Prometheus down -> 503; Prometheus rejecting the query -> 500 with what it said", async () => {
    const down = await get(
      `${C2}/namespaces/ns/pods/a/http_requests_qps`,
      ctx(
        new FakeProm(
          () =>
            new ToolkitError(
              "UNAVAILABLE",
              "prometheus /api/v1/query",
              "cannot reach Prometheus: ECONNREFUSED",
            ),
        ),
      ),
    );
    expect(down.status).toBe(503);
    expect(body(down)).toMatchObject({ reason: "ServiceUnavailable", code: 503 });
    expect(body(down).message).toContain("cannot reach Prometheus: ECONNREFUSED");
    const rejected = await get(
      `${C2}/namespaces/ns/pods/a/http_requests_qps`,
      ctx(
        new FakeProm(
          () => new ToolkitError("INVALID_INPUT", "prometheus /api/v1/query", "bad_data: parse error"),
        ),
      ),
    );
    expect(rejected.status).toBe(500);
    expect(body(rejected)).toMatchObject({
      reason: "InternalError",
      details: { causes: [{ message: expect.stringContaining("bad_data: parse error") }] },
    });
    const matrix = await get(
      `${C2}/namespaces/ns/pods/a/http_requests_qps`,
      ctx(new FakeProm(() => ({ resultType: "matrix", result: [] }))),
    );
    expect(matrix.status).toBe(500);
  });

  it("a path name that breaks its Kubernetes rule is a 400 Status naming it, and no query is sent", async () => {
    const prom = new FakeProm(() => vec([{ namespace: "x", pod: "a" }, "1"]));
    const hostile = encodeURIComponent('x"} or vector(1) or {a="');
    for (const path of [
      `${C2}/namespaces/${hostile}/pods/a/http_requests_qps`,
      `${C2}/namespaces/ns/pods/${hostile}/http_requests_qps`,
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/${hostile}/queue_depth`,
      `/apis/metrics.k8s.io/v1beta1/namespaces/${hostile}/pods`,
    ]) {
      const r = await get(path, ctx(prom));
      expect(r.status).toBe(400);
      expect(body(r)).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest", code: 400 });
      expect(body(r).message).toContain('"x\\"} or vector(1) or {a=\\""');
    }
    expect(prom.queries).toEqual([]);
  });

  it("400 for a bad selector with its position", async () => {
    const r = await get(
      `${C2}/namespaces/ns/pods/*/http_requests_qps?metricLabelSelector=a%20in%20(`,
      ctx(new FakeProm(() => vec())),
    );
    expect(r.status).toBe(400);
    expect(body(r).message).toMatch(/^invalid metricLabelSelector "a in \(": position \d+: /);
  });

  it("external metrics: vector items carry all labels; scalar gives null labels; unknown -> 404", async () => {
    const r = await get(
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth?labelSelector=queue%3Dq1",
      ctx(new FakeProm(() => vec([{ queue: "q1" }, "0.25"]))),
    );
    expect(body(r).items).toEqual([
      {
        metricName: "queue_depth",
        metricLabels: { queue: "q1" },
        timestamp: "2023-11-14T22:13:20Z",
        value: "250m",
      },
    ]);
    const s = await get(
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth",
      ctx(new FakeProm(() => ({ resultType: "scalar", result: [1700000000, "3"] }))),
    );
    expect(body(s).items[0].metricLabels).toBeNull();
    const n = await get(
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/nope",
      ctx(new FakeProm(() => vec())),
    );
    expect(n.status).toBe(404);
    expect(body(n).message).toBe(
      "the server could not find the metric nope for namespaces: no external rule discovered it (see `tidescale rules test`)",
    );
  });

  it("resource metrics without resourceRules: 404 that says so", async () => {
    const r = await get("/apis/metrics.k8s.io/v1beta1/nodes", ctx(new FakeProm(() => vec())));
    expect(r.status).toBe(404);
    expect(body(r).message).toBe("resource metrics are not configured (the config has no resourceRules)");
  });

  it("forwards metrics it does not serve to the remote adapter and merges discovery", async () => {
    const remote: RemoteAdapter = {
      resources: (gv) =>
        gv === "custom.metrics.k8s.io/v1beta2"
          ? [
              {
                name: "pods/remote_metric",
                singularName: "",
                namespaced: true,
                kind: "MetricValueList",
                verbs: ["get"],
              },
            ]
          : [],
      serves: (gv, res) => gv === "custom.metrics.k8s.io/v1beta2" && res === "pods/remote_metric",
      forward: async () => {},
      close: () => {},
    };
    const c = ctx(new FakeProm(() => vec()), { remote });
    const u = new URL(`${C2}/namespaces/ns/pods/*/remote_metric`, "http://x");
    expect(await handleApiRequest({ method: "GET", path: u.pathname, query: u.searchParams }, c)).toEqual({
      kind: "forward",
      reason: "metric not served locally",
    });
    const notRemote = await get(`${C2}/namespaces/ns/pods/*/other`, c);
    expect(notRemote.status).toBe(404);
    const d = await get(C2, c);
    expect(body(d).resources.map((x: APIResource) => x.name)).toEqual([
      "namespaces/http_requests_qps",
      "pods/http_requests_qps",
      "pods/remote_metric",
    ]);
  });
});

describe("errorResponse", () => {
  const status = (r: ApiResponse) => {
    expect(r.kind).toBe("json");
    return body(r as ApiResponse & { kind: "json" });
  };
  const codes: ErrorCode[] = [
    "INVALID_INPUT",
    "NOT_FOUND",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "UNAVAILABLE",
    "TIMEOUT",
    "CONFLICT",
    "INTERNAL",
  ];
  it.each(codes)("%s: the HTTP status is the shared mapping's, in the Status body too", (code) => {
    const r = errorResponse(new ToolkitError(code, "prometheus /api/v1/query", "it broke"), "unable to X");
    expect(r).toMatchObject({ kind: "json", status: httpStatusFor(code) });
    expect(status(r).code).toBe(httpStatusFor(code));
  });

  it("a client error says what is wrong; a server error names its context; an internal one lists a cause", () => {
    const e = (code: ErrorCode) => new ToolkitError(code, "q", "it broke");
    expect(status(errorResponse(e("INVALID_INPUT"), "unable to X")).message).toBe("q: it broke");
    expect(status(errorResponse(e("UNAVAILABLE"), "unable to X")).message).toBe("unable to X: q: it broke");
    expect(status(errorResponse(e("INTERNAL"), "unable to X"))).toMatchObject({
      reason: "InternalError",
      message: "Internal error occurred: unable to X: q: it broke",
      details: { causes: [{ message: "unable to X: q: it broke" }] },
    });
    expect(errorResponse(new Error("boom"))).toMatchObject({ status: 500 });
  });
});
