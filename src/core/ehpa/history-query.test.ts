import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { MetricSpec } from "../hpa/types.js";
import { compileConfig } from "../metrics/config.js";
import { indexRuleSeries, metricIdentifier, podNameRegex, resolveHistoryQuery } from "./history-query.js";

const RULES = compileConfig(
  parseYaml(`
rules:
  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
    name: {matches: "^(.*)_total$", as: "\${1}_qps"}
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)'
externalRules:
  - seriesQuery: '{__name__="queue_messages_ready",namespace!=""}'
    resources: {overrides: {namespace: {resource: namespace}}}
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
resourceRules:
  cpu:
    containerQuery: 'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,container!=""}[2m])) by (<<.GroupBy>>)'
    nodeQuery: 'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,id="/"}[2m])) by (<<.GroupBy>>)'
    resources: {overrides: {node: {resource: node}, namespace: {resource: namespace}, pod: {resource: pod}}}
  memory:
    containerQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
    nodeQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>,id="/"}) by (<<.GroupBy>>)'
    resources: {overrides: {node: {resource: node}, namespace: {resource: namespace}, pod: {resource: pod}}}
`),
);
const ADAPTER = indexRuleSeries(
  RULES,
  new Map([
    [RULES.rules[0]!, ["http_requests_total"]],
    [RULES.externalRules[0]!, ["queue_messages_ready"]],
  ]),
);

const pods: MetricSpec = {
  type: "Pods",
  pods: { metric: { name: "http_requests_qps" }, target: { type: "AverageValue", averageValue: "50" } },
};
const cpu: MetricSpec = {
  type: "Resource",
  resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
};
const target = { kind: "Deployment", name: "web" };

describe("resolveHistoryQuery", () => {
  it("prefers the annotation on the EHPA (tidescale's, then Crane's)", () => {
    const r = resolveHistoryQuery({
      namespace: "ns",
      target,
      metric: pods,
      adapter: ADAPTER,
      annotations: { "metric-query.autoscaling.crane.io/pods.http_requests_qps": "sum(rate(x[1m]))" },
    });
    expect(r).toEqual({
      ok: true,
      value: { identifier: "pods.http_requests_qps", query: "sum(rate(x[1m]))", source: "annotation" },
    });
  });

  it("renders the adapter's own rule for the workload's pods, summed to one series", () => {
    const r = resolveHistoryQuery({ namespace: "ns", target, metric: pods, adapter: ADAPTER });
    expect(r).toEqual({
      ok: true,
      value: {
        identifier: "pods.http_requests_qps",
        source: "adapter-rule",
        query:
          'sum(sum(rate(http_requests_total{namespace="ns",pod=~"web-[a-z0-9]+-[a-z0-9]{5}"}[2m])) by ())',
      },
    });
    const ext = resolveHistoryQuery({
      namespace: "ns",
      target,
      metric: {
        type: "External",
        external: {
          metric: { name: "queue_messages_ready", selector: { matchLabels: { queue: "orders" } } },
          target: { type: "AverageValue", averageValue: "10" },
        },
      },
      adapter: ADAPTER,
    });
    expect(ext.ok && ext.value.query).toBe(
      'sum(sum(queue_messages_ready{queue="orders",namespace="ns"}) by ())',
    );
    const c = resolveHistoryQuery({ namespace: "ns", target, metric: cpu, adapter: ADAPTER });
    expect(c.ok && c.value).toMatchObject({ source: "adapter-rule" });
    expect(c.ok && c.value.query).toContain('namespace="ns",pod=~"web-[a-z0-9]+-[a-z0-9]{5}"');
  });

  it("falls back to the built-in templates", () => {
    const c = resolveHistoryQuery({
      namespace: "ns",
      target: { kind: "StatefulSet", name: "db" },
      metric: cpu,
    });
    expect(c).toEqual({
      ok: true,
      value: {
        identifier: "resource.cpu",
        source: "template",
        query:
          'sum(irate(container_cpu_usage_seconds_total{namespace="ns",pod=~"db-[0-9]+",container!=""}[3m]))',
      },
    });
    const p = resolveHistoryQuery({ namespace: "ns", target, metric: pods });
    expect(p.ok && p.value.query).toBe(
      'sum(http_requests_qps{namespace="ns",pod=~"web-[a-z0-9]+-[a-z0-9]{5}"})',
    );
  });

  it("refuses what it cannot query, naming the annotation to set", () => {
    const r = resolveHistoryQuery({
      namespace: "ns",
      target,
      metric: {
        type: "Resource",
        resource: { name: "ephemeral-storage", target: { type: "Utilization", averageUtilization: 50 } },
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("metric-query.autoscaling.tidescale.dev/resource.ephemeral-storage");
    const bad = resolveHistoryQuery({
      namespace: "ns",
      target,
      metric: {
        type: "External",
        external: { metric: { name: "a-b" }, target: { type: "Value", value: "1" } },
      },
    });
    expect(bad.ok).toBe(false);
  });
});

describe("identifiers and pod names", () => {
  it("uses Crane's identifiers and escapes the workload name", () => {
    expect(metricIdentifier(cpu)).toBe("resource.cpu");
    expect(metricIdentifier(pods)).toBe("pods.http_requests_qps");
    expect(podNameRegex("Deployment", "a.b")).toBe("a\\.b-[a-z0-9]+-[a-z0-9]{5}");
    expect(podNameRegex("DaemonSet", "x")).toBe("x-[a-z0-9]{5}");
  });
});
