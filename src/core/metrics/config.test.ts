import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import { compileConfig } from "./config.js";

const rule = (over: Record<string, unknown> = {}) => ({
  seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
  resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
  name: { matches: "^(.*)_total$", as: "${1}_qps" },
  metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
  ...over,
});

function failure(doc: unknown, prefix = ""): string {
  try {
    compileConfig(doc, prefix);
  } catch (e) {
    expect(e).toBeInstanceOf(ToolkitError);
    expect((e as ToolkitError).code).toBe("INVALID_INPUT");
    return (e as ToolkitError).oneLine();
  }
  throw new Error("config was accepted");
}

describe("compileConfig", () => {
  it("compiles a full config", () => {
    const c = compileConfig({
      rules: [rule()],
      externalRules: [
        { seriesQuery: "queue_depth", resources: { namespaced: false }, metricsQuery: "sum(<<.Series>>)" },
      ],
      resourceRules: {
        cpu: { containerQuery: "a{<<.LabelMatchers>>}", nodeQuery: "b{<<.LabelMatchers>>}" },
        memory: { containerQuery: "c{<<.LabelMatchers>>}", nodeQuery: "d{<<.LabelMatchers>>}" },
        window: "2m",
      },
    });
    expect(c.rules[0]!.id).toBe("rules[0]");
    expect(c.externalRules[0]!.namespaced).toBe(false);
    expect(c.resourceRules!.windowMs).toBe(120_000);
    expect(c.resourceRules!.cpu.containerLabel).toBe("container");
    expect(c.warnings).toEqual([]);
  });

  it("accepts an empty document and warns for every API", () => {
    const c = compileConfig(null);
    expect(c.rules).toEqual([]);
    expect(c.warnings).toHaveLength(3);
    expect(c.warnings[0]).toMatch(/no rules: custom.metrics.k8s.io is served with an empty resource list/);
  });

  it("loads a rule without metricsQuery, with a warning (its metrics answer 404, as upstream)", () => {
    const c = compileConfig({
      rules: [rule(), { seriesQuery: "x" }],
      externalRules: [{ seriesQuery: "queue_depth" }],
    });
    expect(c.rules[1]!.metricsQuery).toBeUndefined();
    expect(c.externalRules[0]!.metricsQuery).toBeUndefined();
    expect(c.warnings.slice(0, 2)).toEqual([
      "rules[1].metricsQuery: not set; the rule's metrics are discovered but every request for them answers 404 (NotFound) naming the rule",
      "externalRules[0].metricsQuery: not set; the rule's metrics are discovered but every request for them answers 404 (NotFound) naming the rule",
    ]);
  });

  it("warns when a custom rule does not group by <<.GroupBy>>", () => {
    const c = compileConfig({ rules: [rule({ metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>})" })] });
    expect(c.warnings[0]).toMatch(/^rules\[0\].metricsQuery: does not group by/);
  });

  it.each([
    [
      { rules: [rule(), rule(), rule({ name: { matches: "^(" } })] },
      /^rules\[2\]\.name\.matches: invalid regex: /,
    ],
    [
      { rules: [rule({ name: { matches: "^(.*)_total$", as: "$1_qps" } })] },
      /^rules\[0\]\.name\.as: "\$1_qps" refers to group/,
    ],
    [
      { rules: [rule({ metricQuery: "x" })] },
      /^rules\[0\]\.metricQuery: unknown field "metricQuery" \(did you mean "metricsQuery"\?\)/,
    ],
    [
      { rules: [rule({ seriesFilter: [] })] },
      /^rules\[0\]\.seriesFilter: unknown field "seriesFilter" \(did you mean "seriesFilters"\?\)/,
    ],
    [{ rules: [{ seriesQuery: "x", metricsQuery: "" }] }, /^rules\[0\]\.metricsQuery: must not be empty/],
    [
      { rules: [rule({ metricsQuery: "<<.Serie>>" })] },
      /^rules\[0\]\.metricsQuery: template: can't evaluate field Serie/,
    ],
    [
      { rules: [rule({ metricsQuery: "<<if .Series>>" })] },
      /^rules\[0\]\.metricsQuery: template: unexpected EOF/,
    ],
    [
      { rules: [rule({ seriesFilters: [{ is: "a", isNot: "b" }] })] },
      /^rules\[0\]\.seriesFilters\[0\]: set exactly one of "is" and "isNot"/,
    ],
    [{ rules: [rule({ seriesFilters: [{}] })] }, /^rules\[0\]\.seriesFilters\[0\]: set exactly one/],
    [
      { rules: [rule({ seriesFilters: [{ isNot: "(" }] })] },
      /^rules\[0\]\.seriesFilters\[0\]\.isNot: invalid regex/,
    ],
    [
      { rules: [rule(), rule(), rule({ name: { matches: "^(?!go_)(.*)_total$" } })] },
      /^rules\[2\]\.name\.matches: invalid regex: invalid or unsupported Perl syntax: `\(\?!`/,
    ],
    [
      { externalRules: [rule({ seriesFilters: [{ is: "_total$" }, { isNot: "(?<=go)_x" }] })] },
      /^externalRules\[0\]\.seriesFilters\[1\]\.isNot: invalid regex: invalid named capture/,
    ],
    [
      { rules: [rule({ resources: { overrides: { pod: { resource: "podz" } } } })] },
      /^rules\[0\]\.resources\.overrides\.pod\.resource: unknown resource "podz"/,
    ],
    [
      { rules: [rule({ resources: { template: "<<.Group>>" } })] },
      /^rules\[0\]\.resources\.template: must contain/,
    ],
    [
      { externalRules: [rule(), rule({ seriesQuery: "" })] },
      /^externalRules\[1\]\.seriesQuery: must not be empty/,
    ],
    [
      { rules: [rule({ resources: { overrides: { "app.kubernetes.io/name": { resource: "pod" } } } })] },
      /^rules\[0\]\.resources\.overrides\.app\.kubernetes\.io\/name: "app\.kubernetes\.io\/name" is not a valid Prometheus label name/,
    ],
    [
      {
        resourceRules: {
          cpu: { containerQuery: "a", nodeQuery: "b", containerLabel: 'c"}' },
          memory: { containerQuery: "c", nodeQuery: "d" },
        },
      },
      /^resourceRules\.cpu\.containerLabel: "c"}" is not a valid Prometheus label name/,
    ],
    [{ rules: "x" }, /^rules: /],
    [
      { resourceRules: { cpu: {}, memory: {} } },
      /^resourceRules\.cpu\.containerQuery: required field is missing/,
    ],
    [
      {
        resourceRules: {
          cpu: { containerQuery: "a", nodeQuery: "b" },
          memory: { containerQuery: "c", nodeQuery: "d" },
          window: "5 minutes",
        },
      },
      /^resourceRules\.window: invalid duration/,
    ],
  ])("rejects %j", (doc, msg) => {
    expect(failure(doc)).toMatch(msg);
  });

  it("runs seriesFilters and name.matches as RE2 ([[:alpha:]] as in Go)", () => {
    const c = compileConfig({
      rules: [
        rule({ seriesFilters: [{ is: "^[[:alpha:]_]+$" }], name: { matches: "^([[:alpha:]]+)_total$" } }),
      ],
    });
    const r = c.rules[0]!;
    expect(r.filters.every((f) => ("is" in f ? f.is.test("requests_total") : true))).toBe(true);
    expect(r.filters.some((f) => "is" in f && !f.is.test("http2_total"))).toBe(true);
    expect(r.name.apiName("requests_total")).toBe("requests");
  });

  it("prefixes errors with the file name", () => {
    expect(failure({ rules: [rule({ name: { matches: "[" } })] }, "rules.yaml")).toMatch(
      /^rules\.yaml: rules\[0\]\.name\.matches: invalid regex/,
    );
  });
});
