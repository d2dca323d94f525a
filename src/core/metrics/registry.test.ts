import { describe, expect, it } from "vitest";
import { compileConfig } from "./config.js";
import { buildRegistry, customKey, distinctSeriesQueries, type SeriesQueryOutcome } from "./registry.js";

const cfg = compileConfig({
  rules: [
    {
      seriesQuery: '{__name__=~"^http_.*_total$",namespace!=""}',
      resources: { template: "<<.Resource>>" },
      name: { matches: "^(.*)_total$", as: "${1}_qps" },
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
    },
    {
      seriesQuery: "queue_depth",
      seriesFilters: [{ isNot: "^ignored" }],
      resources: {
        overrides: {
          namespace: { resource: "namespace" },
          deployment: { group: "apps", resource: "deployments" },
        },
      },
      metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
    },
  ],
  externalRules: [
    {
      seriesQuery: "queue_depth",
      resources: { namespaced: false },
      metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>})",
    },
  ],
});

const http = [
  { __name__: "http_requests_total", namespace: "ns", pod: "p1", job: "web", instance: "x:1" },
  { __name__: "http_requests_total", namespace: "ns", pod: "p2", job: "web", instance: "x:2", app: "web" },
];
const queue = [{ __name__: "queue_depth", namespace: "ns", deployment: "worker", queue: "q1" }];

describe("buildRegistry", () => {
  it("queries each distinct seriesQuery once", () => {
    expect(distinctSeriesQueries(cfg)).toEqual([
      '{__name__=~"^http_.*_total$",namespace!=""}',
      "queue_depth",
    ]);
  });

  it("registers one entry per resource label with the right scope, and keeps the objects", () => {
    const outcomes = new Map<string, SeriesQueryOutcome>([
      [cfg.rules[0]!.seriesQuery, { ok: true, series: http }],
      ["queue_depth", { ok: true, series: queue }],
    ]);
    const reg = buildRegistry(cfg, outcomes);
    expect([...reg.custom.keys()].map((k) => k.split("\u0000").join(" ")).sort()).toEqual([
      "deployments.apps ns queue_depth",
      "jobs.batch ns http_requests_qps",
      "namespaces root http_requests_qps",
      "namespaces root queue_depth",
      "pods ns http_requests_qps",
    ]);
    const pods = reg.custom.get(customKey("pods", true, "http_requests_qps"))!;
    expect(pods.seriesName).toBe("http_requests_total");
    expect(pods.ruleId).toBe("rules[0]");
    expect([...pods.objects.keys()]).toEqual(["ns/p1", "ns/p2"]);
    expect(pods.objects.get("ns/p2")!.labels.app).toBe("web");
    const nsEntry = reg.custom.get(customKey("namespaces", false, "http_requests_qps"))!;
    expect([...nsEntry.objects.keys()]).toEqual(["/ns"]);
    expect(reg.external.get("queue_depth")).toMatchObject({
      seriesName: "queue_depth",
      ruleId: "externalRules[0]",
    });
    expect(reg.diagnostics[0]).toMatchObject({
      id: "rules[0]",
      seriesReturned: 2,
      seriesPassedFilters: 2,
      seriesNames: { http_requests_total: 2 },
      metrics: [
        {
          apiName: "http_requests_qps",
          seriesName: "http_requests_total",
          resources: ["jobs.batch", "namespaces", "pods"],
        },
      ],
    });
    expect(reg.seriesCount).toBe(3);
  });

  it("keeps the previous entries of a rule whose seriesQuery failed, and still updates the others", () => {
    const first = buildRegistry(
      cfg,
      new Map<string, SeriesQueryOutcome>([
        [cfg.rules[0]!.seriesQuery, { ok: true, series: http }],
        ["queue_depth", { ok: true, series: queue }],
      ]),
    );
    const second = buildRegistry(
      cfg,
      new Map<string, SeriesQueryOutcome>([
        [cfg.rules[0]!.seriesQuery, { ok: false, error: "bad_data: boom" }],
        ["queue_depth", { ok: true, series: [] }],
      ]),
      first,
    );
    expect(second.custom.get(customKey("pods", true, "http_requests_qps"))?.stale).toBe(true);
    expect(second.custom.has(customKey("deployments.apps", true, "queue_depth"))).toBe(false);
    expect(second.diagnostics[0]!.error).toBe("bad_data: boom");
    expect(second.diagnostics[0]!.metrics[0]!.apiName).toBe("http_requests_qps");
  });

  it("records collisions (a later rule replaces an earlier one, as upstream)", () => {
    const c = compileConfig({
      rules: [
        {
          seriesQuery: "a_total",
          resources: { template: "<<.Resource>>" },
          name: { as: "same" },
          metricsQuery: "<<.Series>> by (<<.GroupBy>>)",
        },
        {
          seriesQuery: "b_total",
          resources: { template: "<<.Resource>>" },
          name: { as: "same" },
          metricsQuery: "<<.Series>> by (<<.GroupBy>>)",
        },
      ],
    });
    const reg = buildRegistry(
      c,
      new Map<string, SeriesQueryOutcome>([
        ["a_total", { ok: true, series: [{ __name__: "a_total", pod: "p", namespace: "n" }] }],
        ["b_total", { ok: true, series: [{ __name__: "b_total", pod: "p", namespace: "n" }] }],
      ]),
    );
    expect(reg.custom.get(customKey("pods", true, "same"))!.seriesName).toBe("b_total");
    expect(reg.diagnostics[1]!.replaced).toContain("pods/same (from rules[0])");
  });

  it("counts series without any resource label", () => {
    const reg = buildRegistry(
      cfg,
      new Map([
        [cfg.rules[0]!.seriesQuery, { ok: true as const, series: [{ __name__: "http_x_total", foo: "1" }] }],
      ]),
    );
    expect(reg.diagnostics[0]!.seriesWithoutResource).toBe(1);
    expect(reg.custom.size).toBe(0);
  });
});
