import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { MetricSpec } from "../hpa/types.js";
import { compileConfig } from "../metrics/config.js";
import { adapterRuleQuery, adapterRuleResolver, indexRuleSeries } from "./rule-query.js";
import type { Ehpa } from "./types.js";

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

describe("adapterRuleQuery", () => {
  it("renders the adapter's Pods rule for the workload's pods, summed to one series", () => {
    const r = adapterRuleQuery({ namespace: "ns", target, metric: pods, adapter: ADAPTER });
    expect(r).toEqual({
      ok: true,
      value:
        'sum(sum(rate(http_requests_total{namespace="ns",pod=~"^web-[a-z0-9]+-[a-z0-9]{5}$"}[2m])) by ())',
    });
  });

  it("renders an externalRules entry with the metric selector and the namespace", () => {
    const ext = adapterRuleQuery({
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
    expect(ext).toEqual({
      ok: true,
      value: 'sum(sum(queue_messages_ready{queue="orders",namespace="ns"}) by ())',
    });
  });

  it("uses resourceRules for cpu and memory", () => {
    const c = adapterRuleQuery({
      namespace: "ns",
      target: { kind: "StatefulSet", name: "db" },
      metric: cpu,
      adapter: ADAPTER,
    });
    expect(c).toEqual({
      ok: true,
      value:
        'sum(sum(rate(container_cpu_usage_seconds_total{namespace="ns",pod=~"^db-[0-9]+$",container!=""}[2m])) by ())',
    });
  });

  it("has nothing for a metric no rule serves (core falls back to its templates)", () => {
    const other: MetricSpec = {
      type: "Pods",
      pods: { metric: { name: "latency_p99" }, target: { type: "AverageValue", averageValue: "1" } },
    };
    expect(adapterRuleQuery({ namespace: "ns", target, metric: other, adapter: ADAPTER })).toBeUndefined();
  });

  it("reports a selector PromQL cannot express instead of guessing", () => {
    const problems: string[] = [];
    const resolver = adapterRuleResolver(ADAPTER, (m) => problems.push(m));
    const ehpa = {
      metadata: { name: "e", namespace: "ns" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", ...target } },
    } as Ehpa;
    const bad: MetricSpec = {
      type: "External",
      external: {
        metric: {
          name: "queue_messages_ready",
          selector: { matchLabels: { "app.kubernetes.io/name": "x" } },
        },
        target: { type: "AverageValue", averageValue: "10" },
      },
    };
    expect(resolver(bad, "external.queue_messages_ready", ehpa)).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(resolver(pods, "pods.http_requests_qps", ehpa)).toContain("http_requests_total");
  });
});
