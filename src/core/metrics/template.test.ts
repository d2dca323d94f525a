import { describe, expect, it } from "vitest";
import { queryTemplateData } from "./config.js";
import { compileTemplate, goQuote, STRUCT } from "./template.js";

const data = queryTemplateData({
  series: "http_requests_total",
  labelMatchers: 'namespace="ns",pod=~"a|b"',
  labelValuesByName: { namespace: "ns", pod: "a|b" },
  groupBy: ["pod", "container"],
});

describe("compileTemplate (Go text/template subset with << >>)", () => {
  it.each([
    [
      "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)",
      'sum(rate(http_requests_total{namespace="ns",pod=~"a|b"}[2m])) by (pod,container)',
    ],
    ["<<.GroupBySlice>>", "[pod container]"],
    ["<<.LabelValuesByName>>", "map[namespace:ns pod:a|b]"],
    ['<<index .LabelValuesByName "pod">>', "a|b"],
    ["<<.LabelValuesByName.namespace>>", "ns"],
    ["<<.LabelValuesByName.missing>>", "<no value>"],
    ['<<join .GroupBySlice ",">>', "pod,container"],
    ['<<join "," .GroupBySlice>>', "pod,container"],
    ['<<.GroupBySlice | join "_">>', "pod_container"],
    ["<<range $i, $v := .GroupBySlice>><<if $i>>,<<end>><<$v>><<end>>", "pod,container"],
    ["<<range .GroupBySlice>>[<<.>>]<<end>>", "[pod][container]"],
    ["<<range $k, $v := .LabelValuesByName>><<$k>>=<<$v>>;<<end>>", "namespace=ns;pod=a|b;"],
    ["<<range .LabelValuesByName.nothing>>x<<else>>empty<<end>>", "empty"],
    ['<<if eq .Series "x">>a<<else if eq .Series "http_requests_total">>b<<else>>c<<end>>', "b"],
    ["<<if not .GroupBy>>none<<else>>some<<end>>", "some"],
    ["<<with .LabelMatchers>>{<<.>>}<<end>>", '{namespace="ns",pod=~"a|b"}'],
    ['<<printf "%s_%q" .Series "x">>', 'http_requests_total_"x"'],
    ["<<len .GroupBySlice>>", "2"],
    ["a  <<- .Series ->>  b", "ahttp_requests_totalb"],
    ["<</* comment */>>x", "x"],
    ['<<"a>>b">>', "a>>b"],
    ["<<(.Series)>>", "http_requests_total"],
  ])("%s", (src, want) => {
    expect(compileTemplate(src).render(data)).toBe(want);
  });

  it.each([
    ["<<.Serie>>", "can't evaluate field Serie"],
    ["<<.LabelMatchersByName>>", "can't evaluate field LabelMatchersByName"],
    ["<<if .Series>>x", "missing <<end>>"],
    ["<<end>>", "unexpected <<end>>"],
    ["<<.Series", "unclosed action"],
    ["<<sprig .Series>>", 'function "sprig" not defined'],
    ['<<join .Series ",">>', "one argument must be a list"],
    ["<<$x>>", 'undefined variable "$x"'],
    ['<<define "x">><<end>>', "not supported"],
    ["<<>>", "missing value"],
  ])("rejects %s", (src, msg) => {
    expect(() => compileTemplate(src).render(data)).toThrow(msg);
  });

  it("uses custom delimiters", () => {
    expect(compileTemplate("{{.Resource}}", "{{", "}}").render({ [STRUCT]: true, Resource: "pod" })).toBe(
      "pod",
    );
  });
});

describe("goQuote (Go %q, also a PromQL string literal)", () => {
  it.each([
    ["plain", '"plain"'],
    ['a"b', '"a\\"b"'],
    ["a\\b", '"a\\\\b"'],
    ["line\nbreak\ttab\r", '"line\\nbreak\\ttab\\r"'],
    ["\u0000\u001b\u007f", '"\\x00\\x1b\\x7f"'],
    ["é€😀", '"é€😀"'],
    ["\u2028", '"\\u2028"'],
    ["\ud800", '"\\ufffd"'],
    ['"}[5m]) or vector(1) #', '"\\"}[5m]) or vector(1) #"'],
  ])("%j -> %s", (v, want) => {
    expect(goQuote(v)).toBe(want);
  });
});
