import { describe, expect, it } from "vitest";
import { compileConfig } from "./config.js";
import { buildRegistry, type SeriesQueryOutcome } from "./registry.js";
import { formatRulesReport, planRulesReport } from "./rules-report.js";

const cfg = compileConfig({
  rules: [
    {
      seriesQuery: "http_requests_total",
      resources: { template: "<<.Resource>>" },
      name: { matches: "^(.*)_total$", as: "${1}_qps" },
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
    },
    { seriesQuery: "broken{", metricsQuery: "<<.Series>> by (<<.GroupBy>>)" },
  ],
});

describe("rules test report", () => {
  const reg = buildRegistry(
    cfg,
    new Map<string, SeriesQueryOutcome>([
      [
        "http_requests_total",
        { ok: true, series: [{ __name__: "http_requests_total", namespace: "ns", pod: "a", instance: "x" }] },
      ],
      ["broken{", { ok: false, error: "prometheus /api/v1/series: bad_data: parse error" }],
    ]),
  );
  const rep = planRulesReport(cfg, reg, "http://prom");

  it("plans a sample request on a namespaced resource with its exact PromQL", () => {
    expect(rep.rules[0]!.sample).toEqual({
      path: "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/http_requests_qps",
      query: 'sum(rate(http_requests_total{namespace="ns",pod="a"}[1m])) by (pod)',
    });
    expect(rep.rules[1]!.error).toBe("prometheus /api/v1/series: bad_data: parse error");
  });

  it("renders a readable report", () => {
    rep.rules[0]!.sample!.result = { samples: [{ labels: { pod: "a" }, value: "2" }] };
    const text = formatRulesReport(rep);
    expect(text).toContain("rules[0] (custom.metrics.k8s.io)\n  seriesQuery: http_requests_total\n");
    expect(text).toContain(
      "  series: 1 returned, 1 passed seriesFilters/name.matches: http_requests_total (1)\n",
    );
    expect(text).toContain("    http_requests_qps <- http_requests_total on namespaces, pods\n");
    expect(text).toContain(
      '    PromQL: sum(rate(http_requests_total{namespace="ns",pod="a"}[1m])) by (pod)\n',
    );
    expect(text).toContain('    prometheus: 1 sample(s)\n      {pod="a"} 2\n');
    expect(text).toContain(
      "rules[1] (custom.metrics.k8s.io)\n  seriesQuery: broken{\n  error: prometheus /api/v1/series: bad_data: parse error\n",
    );
  });
});

describe("rules test report: a rule without metricsQuery", () => {
  it("warns and shows why its sample cannot be queried", () => {
    const c = compileConfig({
      rules: [{ seriesQuery: "http_requests_total", resources: { template: "<<.Resource>>" } }],
    });
    const reg = buildRegistry(
      c,
      new Map<string, SeriesQueryOutcome>([
        [
          "http_requests_total",
          { ok: true, series: [{ __name__: "http_requests_total", namespace: "ns", pod: "a" }] },
        ],
      ]),
    );
    const rep = planRulesReport(c, reg, "http://prom");
    expect(rep.rules[0]!.sample).toEqual({
      path: "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/http_requests_total",
      error: "rules[0] has no metricsQuery: its metrics are discovered but cannot be queried",
    });
    expect(formatRulesReport(rep)).toContain(
      "warning: rules[0].metricsQuery: not set; the rule's metrics are discovered but every request for them answers 404 (NotFound) naming the rule",
    );
  });
});
