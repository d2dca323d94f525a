import { describe, expect, it } from "vitest";
import {
  isPromMetricName,
  type LabelRequirement,
  promStringBody,
  quoteMeta,
  renderLabelMatchers,
  requirementMatcher,
  templateValues,
} from "./promql.js";

const r = (key: string, operator: LabelRequirement["operator"], ...values: string[]): LabelRequirement => ({
  key,
  operator,
  values,
});

describe("requirementMatcher (upstream selector -> PromQL table)", () => {
  it.each([
    [r("k", "=", "v"), 'k="v"'],
    [r("k", "==", "v"), 'k="v"'],
    [r("k", "!=", "v"), 'k!="v"'],
    [r("k", "in", "a"), 'k=~"a"'],
    [r("k", "in", "b", "a"), 'k=~"a|b"'],
    [r("k", "notin", "a", "b"), 'k!~"a|b"'],
    [r("k", "exists"), 'k!=""'],
    [r("k", "!"), 'k=""'],
    [r("k", "in", "a.b", "c*"), 'k=~"a\\\\.b|c\\\\*"'],
  ])("%j -> %s", (req, want) => {
    expect(requirementMatcher(req)).toEqual({ ok: true, value: want });
  });
  it("rejects gt/lt and non-Prometheus label names", () => {
    expect(requirementMatcher(r("k", "gt", "1"))).toEqual({
      ok: false,
      error: 'operator "gt" in requirement on "k" is not supported by Prometheus',
    });
    expect(requirementMatcher(r("app.kubernetes.io/name", "=", "x")).ok).toBe(false);
    expect(requirementMatcher(r('k"}', "=", "x")).ok).toBe(false);
  });
});

describe("renderLabelMatchers (order: selector sorted by key, namespace, resource)", () => {
  it("orders and joins without spaces", () => {
    const m = renderLabelMatchers({
      requirements: [r("z", "=", "1"), r("a", "in", "y", "x")],
      namespace: { label: "namespace", value: "ns" },
      resource: { label: "pod", names: ["p1", "p2"] },
    });
    expect(m).toEqual({
      ok: true,
      value: {
        matchers: 'a=~"x|y",z="1",namespace="ns",pod=~"p1|p2"',
        valuesByName: { a: "x|y", z: "1", namespace: "ns", pod: "p1|p2" },
      },
    });
  });
  it("uses = for a single name", () => {
    const m = renderLabelMatchers({ requirements: [], resource: { label: "pod", names: ["p-1"] } });
    expect(m.ok && m.value.matchers).toBe('pod="p-1"');
  });
  it("refuses zero names", () => {
    expect(renderLabelMatchers({ requirements: [], resource: { label: "pod", names: [] } }).ok).toBe(false);
  });

  // Every value that reaches PromQL is inside a quoted literal: try to break out of it.
  const attacks = [
    '"} or vector(1) or {a="',
    'x"}) + on() vector(1e9',
    "a\\",
    '\\"',
    "\n}",
    "`",
    "x'}",
    ".*",
    "a|b",
  ];
  it.each(attacks)("keeps %j inside one string literal in every position", (evil) => {
    const m = renderLabelMatchers({
      requirements: [r("a", "=", evil), r("b", "in", evil, "ok"), r("c", "!=", evil), r("d", "notin", evil)],
      namespace: { label: "namespace", value: evil },
      resource: { label: "pod", names: [evil, "p2"] },
    });
    expect(m.ok).toBe(true);
    const s = m.ok ? m.value.matchers : "";
    // Parse back: a sequence of name op "string" separated by commas, nothing else.
    const re = /^([a-zA-Z_]\w*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"(?:,|$)/;
    let rest = s;
    let count = 0;
    while (rest.length > 0) {
      const mm = re.exec(rest);
      expect(mm, `unparseable at: ${rest}`).not.toBeNull();
      rest = rest.slice(mm![0].length);
      count++;
    }
    expect(count).toBe(6);
    // Regex positions match the value literally: a regex-escaped `.*` is `\.\*`.
    if (evil === ".*") expect(s).toContain('pod=~"\\\\.\\\\*|p2"');
  });
});

describe("promStringBody (a .LabelValuesByName value: the inside of a string literal)", () => {
  it.each([
    ["web-1", "web-1"],
    ['x"} or vector(1) or {a="', "x\\x22} or vector(1) or {a=\\x22"],
    ["x'}", "x\\x27}"],
    ["a`b", "a\\x60b"],
    ["a\\", "a\\\\"],
    ["\n}", "\\n}"],
    ["\u0000", "\\x00"],
    ["é😀", "é😀"],
    ["\ud800x", "\\ufffdx"],
  ])("%j -> %s", (v, want) => {
    expect(promStringBody(v)).toBe(want);
  });
});

describe("templateValues (one value as is; several regex-escaped, joined by |)", () => {
  it.each([
    [["a.b"], "a.b"],
    [["a.b", "c"], "a\\\\.b|c"],
    [[".*", "x|y"], "\\\\.\\\\*|x\\\\|y"],
    [['"', "'"], "\\x22|\\x27"],
  ])("%j -> %s", (values, want) => {
    expect(templateValues(values)).toBe(want);
  });
});

describe("quoteMeta (Go regexp.QuoteMeta)", () => {
  it.each([
    ["a.b", "a\\.b"],
    ["\\.+*?()|[]{}^$", "\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$"],
    ["web-1", "web-1"],
  ])("%j -> %s", (v, want) => {
    expect(quoteMeta(v)).toBe(want);
  });
});

describe("isPromMetricName", () => {
  it.each(["http_requests_total", "namespace:http_requests:rate5m", "_x", ":a"])("accepts %s", (n) =>
    expect(isPromMetricName(n)).toBe(true),
  );
  it.each(["", "1a", "a-b", "a.b", 'a{b="c"}', "a b", "é"])("refuses %j", (n) =>
    expect(isPromMetricName(n)).toBe(false),
  );
});
