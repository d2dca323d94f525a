import { describe, expect, it } from "vitest";
import { compileConfig } from "./config.js";
import {
  assembleNodes,
  assemblePods,
  associateByLabel,
  buildCustomQuery,
  buildExternalQuery,
  buildNodeResourceQuery,
  buildPodResourceQuery,
  parseSampleValue,
} from "./queries.js";
import { lookupResource } from "./resources.js";

const cfg = compileConfig({
  rules: [
    {
      seriesQuery: "http_requests_total",
      resources: {
        overrides: {
          kubernetes_namespace: { resource: "namespace" },
          kubernetes_pod_name: { resource: "pod" },
        },
      },
      name: { matches: "^(.*)_total$", as: "${1}_qps" },
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)",
    },
  ],
  externalRules: [
    {
      seriesQuery: "queue_depth",
      resources: { overrides: { namespace: { resource: "namespace" } } },
      metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
    },
    { seriesQuery: "queue_depth", metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>})" },
    {
      seriesQuery: "queue_depth",
      resources: { namespaced: false },
      metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>})",
    },
  ],
  resourceRules: {
    cpu: {
      containerQuery: 'sum(rate(cpu{<<.LabelMatchers>>,container!="POD"}[1m])) by (<<.GroupBy>>)',
      nodeQuery: "sum(rate(ncpu{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
      resources: {
        overrides: {
          namespace: { resource: "namespace" },
          pod: { resource: "pod" },
          node: { resource: "node" },
        },
      },
    },
    memory: {
      containerQuery: "sum(mem{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
      nodeQuery: "sum(nmem{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
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
const rule = cfg.rules[0]!;
const pods = lookupResource("pods")!;

describe("buildCustomQuery", () => {
  it("renders selector, namespace, then names; GroupBy = resource label", () => {
    const q = buildCustomQuery({
      rule,
      seriesName: "http_requests_total",
      resource: pods,
      namespace: "ns",
      names: ["p1", "p2"],
      metricSelector: [{ key: "verb", operator: "=", values: ["GET"] }],
    });
    expect(q).toEqual({
      ok: true,
      value: {
        query:
          'sum(rate(http_requests_total{verb="GET",kubernetes_namespace="ns",kubernetes_pod_name=~"p1|p2"}[2m])) by (kubernetes_pod_name)',
        resourceLabel: "kubernetes_pod_name",
      },
    });
  });
  it('uses label!="" when no names are known', () => {
    const q = buildCustomQuery({
      rule,
      seriesName: "s",
      resource: pods,
      namespace: "ns",
      metricSelector: [],
    });
    expect(q.ok && q.value.query).toBe(
      'sum(rate(s{kubernetes_pod_name!="",kubernetes_namespace="ns"}[2m])) by (kubernetes_pod_name)',
    );
  });
  it("explains an unmapped resource", () => {
    const q = buildCustomQuery({
      rule,
      seriesName: "s",
      resource: lookupResource("services")!,
      namespace: "ns",
      names: ["a"],
      metricSelector: [],
    });
    expect(q).toEqual({
      ok: false,
      error: {
        code: "INTERNAL",
        message: 'rules[0]: no label maps to resource "services" (resources.overrides/template)',
      },
    });
  });
  it("escapes an injection attempt in the namespace and names", () => {
    const q = buildCustomQuery({
      rule,
      seriesName: "s",
      resource: pods,
      namespace: 'x"} or vector(1) #',
      names: ['a"}'],
      metricSelector: [],
    });
    expect(q.ok && q.value.query).toBe(
      'sum(rate(s{kubernetes_namespace="x\\"} or vector(1) #",kubernetes_pod_name="a\\"}"}[2m])) by (kubernetes_pod_name)',
    );
  });
});

describe("buildExternalQuery", () => {
  const sel = [{ key: "queue", operator: "=" as const, values: ["q1"] }];
  it("adds the namespace matcher after the selector and leaves GroupBy empty", () => {
    expect(
      buildExternalQuery({
        rule: cfg.externalRules[0]!,
        seriesName: "queue_depth",
        namespace: "ns",
        selector: sel,
      }),
    ).toEqual({
      ok: true,
      value: 'sum(queue_depth{queue="q1",namespace="ns"}) by ()',
    });
  });
  it("explains a rule without a namespace label", () => {
    const r = buildExternalQuery({
      rule: cfg.externalRules[1]!,
      seriesName: "queue_depth",
      namespace: "ns",
      selector: sel,
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe("INTERNAL");
    expect(!r.ok && r.error.message).toMatch(/externalRules\[1\]: no label maps to namespaces/);
  });
  it("codes a selector operator PromQL cannot express as the request's fault (INVALID_INPUT)", () => {
    const r = buildExternalQuery({
      rule: cfg.externalRules[0]!,
      seriesName: "queue_depth",
      namespace: "ns",
      selector: [{ key: "n", operator: "gt", values: ["1"] }],
    });
    expect(r).toEqual({
      ok: false,
      error: {
        code: "INVALID_INPUT",
        message: 'operator "gt" in requirement on "n" is not supported by Prometheus',
      },
    });
  });
  it("skips the namespace when namespaced: false", () => {
    expect(
      buildExternalQuery({
        rule: cfg.externalRules[2]!,
        seriesName: "queue_depth",
        namespace: "ns",
        selector: sel,
      }),
    ).toEqual({
      ok: true,
      value: 'sum(queue_depth{queue="q1"})',
    });
  });
});

describe("resource metrics", () => {
  const rr = cfg.resourceRules!;
  it("pod query: namespace then pods, grouped by pod,container", () => {
    const q = buildPodResourceQuery(rr.cpu, "cpu", "ns", ["a", "b"]);
    expect(q.ok && q.value.query).toBe(
      'sum(rate(cpu{namespace="ns",pod=~"a|b",container!="POD"}[1m])) by (pod,container)',
    );
  });
  it("all-namespace pod query groups by namespace too", () => {
    const q = buildPodResourceQuery(rr.memory, "memory", undefined, undefined);
    expect(q.ok && q.value.query).toBe('sum(mem{pod!=""}) by (namespace,pod,container)');
  });
  it("node query", () => {
    expect(buildNodeResourceQuery(rr.cpu, "cpu", ["n1"])).toEqual({
      ok: true,
      value: { query: 'sum(rate(ncpu{node="n1"}[1m])) by (node)', nodeLabel: "node" },
    });
  });
  it("assembles pods: needs cpu and memory, earliest timestamp, missing half is 0", () => {
    const r = assemblePods(
      [
        { metric: { pod: "a", container: "c1" }, value: [100, "0.5"] },
        { metric: { pod: "a", container: "c2" }, value: [99, "-0.1"] },
        { metric: { pod: "b", container: "c" }, value: [100, "1"] },
      ],
      [{ metric: { pod: "a", container: "c1" }, value: [101, "1048576"] }],
      { pod: "pod", container: "container", namespace: undefined, defaultNamespace: "ns" },
    );
    expect(r.pods).toEqual([
      {
        namespace: "ns",
        name: "a",
        timestampMs: 99_000,
        containers: [
          { name: "c1", cpu: 0.5, memory: 1048576 },
          { name: "c2", cpu: 0, memory: 0 },
        ],
      },
    ]);
    expect(r.skipped).toEqual(["ns/b: missing memory"]);
  });
  it.each([
    ["+Inf", "CPU", 'ns/a: CPU of container "c2": value +Inf is not finite'],
    ["-Inf", "CPU", 'ns/a: CPU of container "c2": value -Inf is not finite'],
    ["NaN", "memory", 'ns/a: memory of container "c2": value NaN is not a number'],
  ])("a pod with a %s %s value is skipped with the reason, never 0", (text, which, reason) => {
    const bad = { metric: { pod: "a", container: "c2" }, value: [99, text] as [number, string] };
    const good = (pod: string, c: string) => ({
      metric: { pod, container: c },
      value: [100, "1"] as [number, string],
    });
    const cpu = [good("a", "c1"), which === "CPU" ? bad : good("a", "c2"), good("b", "c")];
    const mem = [good("a", "c1"), which === "memory" ? bad : good("a", "c2"), good("b", "c")];
    const r = assemblePods(cpu, mem, {
      pod: "pod",
      container: "container",
      namespace: undefined,
      defaultNamespace: "ns",
    });
    expect(r.pods.map((p) => p.name)).toEqual(["b"]);
    expect(r.skipped).toEqual([reason]);
  });
  it("a node with a non-finite value is skipped with the reason", () => {
    const r = assembleNodes(
      [
        { metric: { node: "n1" }, value: [10, "+Inf"] },
        { metric: { node: "n2" }, value: [10, "2"] },
      ],
      [
        { metric: { node: "n1" }, value: [9, "100"] },
        { metric: { node: "n2" }, value: [9, "NaN"] },
      ],
      "node",
    );
    expect(r).toEqual({
      nodes: [],
      skipped: ["n1: CPU value +Inf is not finite", "n2: memory value NaN is not a number"],
    });
  });
  it("assembles nodes and skips incomplete ones", () => {
    const r = assembleNodes(
      [{ metric: { node: "n1" }, value: [10, "2"] }],
      [
        { metric: { node: "n1" }, value: [9, "100"] },
        { metric: { node: "n2" }, value: [9, "100"] },
      ],
      "node",
    );
    expect(r).toEqual({
      nodes: [{ name: "n1", timestampMs: 9000, cpu: 2, memory: 100 }],
      skipped: ["n2: missing CPU"],
    });
  });
});

describe("parseSampleValue (Prometheus value text)", () => {
  it.each([
    ["1.5", 1.5],
    ["0", 0],
    ["-2", -2],
    ["1e+06", 1e6],
    ["1.7976931348623157e+308", 1.7976931348623157e308],
  ])("%s -> %d", (text, want) => {
    expect(parseSampleValue(text)).toEqual({ ok: true, value: want });
  });
  it.each([
    ["+Inf", "value +Inf is not finite"],
    ["Inf", "value +Inf is not finite"],
    ["-Inf", "value -Inf is not finite"],
    ["NaN", "value NaN is not a number"],
    ["", 'value "" is not a number'],
    ["1,5", 'value "1,5" is not a number'],
  ])("%j is missing: %s", (text, reason) => {
    expect(parseSampleValue(text)).toEqual({ ok: false, error: reason });
  });
});

describe("associateByLabel", () => {
  const samples = [
    { metric: { pod: "b" }, value: [1, "2"] as [number, string] },
    { metric: { pod: "a" }, value: [1, "1"] as [number, string] },
    { metric: { pod: "a" }, value: [2, "3"] as [number, string] },
    { metric: {}, value: [1, "9"] as [number, string] },
  ];
  it("keeps the requested order, omits names without data, last sample wins", () => {
    expect(associateByLabel(samples, "pod", ["a", "c", "b"]).map((x) => [x.name, x.value])).toEqual([
      ["a", 3],
      ["b", 2],
    ]);
  });
  it("leaves out non-finite values", () => {
    const s = [
      { metric: { pod: "a" }, value: [1, "+Inf"] as [number, string] },
      { metric: { pod: "b" }, value: [1, "NaN"] as [number, string] },
      { metric: { pod: "c" }, value: [1, "4"] as [number, string] },
    ];
    expect(associateByLabel(s, "pod", ["a", "b", "c"]).map((x) => [x.name, x.value])).toEqual([["c", 4]]);
  });
  it("without names returns every labelled sample sorted by name", () => {
    expect(associateByLabel(samples, "pod", undefined).map((x) => x.name)).toEqual(["a", "b"]);
  });
});
