/**
 * Fuzz test of query building: thousands of hostile namespaces, object names, selector values, selector
 * keys and series names go through every templated field (`.Series`, `.LabelMatchers`,
 * `.LabelValuesByName` in double- and single-quoted strings and through `index`, `.GroupBy`,
 * `.GroupBySlice` with `range` and `join`) of custom, external and resource rules. Each query is parsed
 * with Prometheus' own grammar and must
 *   - parse without errors, every string literal valid as Prometheus decodes it;
 *   - have the same tree as the query built from harmless values in the same places (no selector,
 *     operator or function added or lost);
 *   - hold exactly the intended matchers: an equality matcher decodes to the value itself, a regex
 *     matcher built from several values matches exactly those values (checked with RE2, Prometheus'
 *     regex engine).
 * A key or series name that cannot be written in PromQL must be refused, with no query.
 * The generator is seeded, so every run sends the same strings.
 */
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { hostileStrings, wellFormed } from "../../../test/support/hostile.js";
import { type ParsedMatcher, parsePromQL } from "../../../test/support/promql-tree.js";
import { compileConfig } from "./config.js";
import type { LabelRequirement, SelectorOperator } from "./promql.js";
import {
  buildCustomQuery,
  buildExternalQuery,
  buildNodeResourceQuery,
  buildPodResourceQuery,
} from "./queries.js";
import { lookupResource } from "./resources.js";

const NS_POD = { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } };
const cfg = compileConfig({
  rules: [
    "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)",
    'sum(<<.Series>>{namespace="<<.LabelValuesByName.namespace>>",pod=~"<<.LabelValuesByName.pod>>"}) by (<<range $i, $l := .GroupBySlice>><<if $i>>,<<end>><<$l>><<end>>)',
    "max(<<.Series>>{namespace='<<.LabelValuesByName.namespace>>',pod=~'<<.LabelValuesByName.pod>>'}) by (<<.GroupBySlice | join \",\">>)",
    '<<.Series>>{<<.LabelMatchers>>} / on(<<.GroupBy>>) group_left() kube_pod_info{namespace="<<index .LabelValuesByName "namespace">>"}',
  ].map((metricsQuery) => ({ seriesQuery: "x", resources: NS_POD, metricsQuery })),
  externalRules: [
    "sum(<<.Series>>{<<.LabelMatchers>>}) by (queue)",
    'sum(<<.Series>>{namespace="<<.LabelValuesByName.namespace>>"<<with .LabelValuesByName.queue>>,queue=~"<<.>>"<<end>>})',
  ].map((metricsQuery) => ({
    seriesQuery: "x",
    resources: { overrides: { namespace: { resource: "namespace" } } },
    metricsQuery,
  })),
  resourceRules: {
    cpu: {
      containerQuery:
        'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,container!=""}[1m])) by (<<.GroupBy>>)',
      nodeQuery: 'sum(rate(node_cpu_seconds_total{<<.LabelMatchers>>,mode!="idle"}[1m])) by (<<.GroupBy>>)',
      resources: { overrides: { ...NS_POD.overrides, node: { resource: "node" } } },
    },
    memory: {
      containerQuery:
        'sum(container_memory_working_set_bytes{namespace="<<.LabelValuesByName.namespace>>",pod=~"<<.LabelValuesByName.pod>>",container!=""}) by (<<.GroupBy>>)',
      nodeQuery:
        'sum(node_memory_MemTotal_bytes{node=~"<<.LabelValuesByName.node>>"} - node_memory_MemAvailable_bytes{node=~"<<.LabelValuesByName.node>>"}) by (<<.GroupBy>>)',
      resources: { overrides: { ...NS_POD.overrides, node: { resource: "node" } } },
    },
  },
});
const PODS = lookupResource("pods")!;

/**
 * Every hostile string used in a case gets a harmless stand-in token `b<i>z`; the same inputs built
 * from the tokens give the reference query.
 */
class Case {
  readonly raw: string[] = [];
  token(v: string): string {
    let i = this.raw.indexOf(v);
    if (i < 0) i = this.raw.push(v) - 1;
    return `b${i}z`;
  }
  /** The hostile values a reference value stands for (`b1z` or `b1z|b4z`), or undefined for a literal. */
  decode(benign: string): string[] | undefined {
    if (!/^b\d+z(\|b\d+z)*$/.test(benign)) return undefined;
    return benign.split("|").map((t) => wellFormed(this.raw[Number(t.slice(1, -1))]!));
  }
}

/** Throws (failing the test) with `msg` unless `ok`; plain checks keep thousands of cases fast. */
function must(ok: boolean, msg: () => string): void {
  if (!ok) throw new Error(msg());
}
const j = JSON.stringify;

/** Checks that `hostile` is `benign` with only the string contents changed, and each matcher intended. */
function checkQuery(c: Case, hostile: string, benign: string, pool: readonly string[]): number {
  const h = parsePromQL(hostile);
  const b = parsePromQL(benign);
  must(b.errors.length === 0, () => `reference query does not parse: ${benign}`);
  must(h.errors.length === 0, () => `does not parse (at ${h.errors}): ${hostile}`);
  must(h.badStrings.length === 0, () => `bad string literal ${h.badStrings[0]}: ${hostile}`);
  must(h.shape.join("\u0001") === b.shape.join("\u0001"), () => `tree differs from ${benign}: ${hostile}`);
  must(h.matchers.length === b.matchers.length, () => `matcher count differs: ${hostile}`);
  h.matchers.forEach((m, i) => {
    checkMatcher(c, m, b.matchers[i]!, pool, hostile);
  });
  return h.matchers.length;
}

function checkMatcher(
  c: Case,
  m: ParsedMatcher,
  ref: ParsedMatcher,
  pool: readonly string[],
  q: string,
): void {
  must(m.label === ref.label && m.op === ref.op, () => `matcher ${m.label}${m.op} differs: ${q}`);
  const values = c.decode(ref.value);
  const same = (want: string) =>
    must(m.value === want, () => `${m.label} is ${j(m.value)}, not ${j(want)}: ${q}`);
  if (values === undefined) {
    same(ref.value);
    return;
  }
  if (m.op === "=" || m.op === "!=") {
    same(values.join("|"));
    return;
  }
  // One value through `.LabelValuesByName` stays as it is (string-escaped only, as upstream).
  if (values.length === 1 && m.value === values[0]) return;
  // A regex built from values: anchored as Prometheus anchors it, it matches exactly those values.
  const re = RE2JS.compile(`^(?:${m.value})$`);
  for (const v of values) must(re.matches(v), () => `${j(v)} does not match ${m.label}: ${q}`);
  const others = [...pool, ...values.flatMap((v) => [`${v}x`, `x${v}`, v.slice(1), ""])];
  for (const o of others)
    if (!values.includes(o)) must(!re.matches(o), () => `${j(o)} must not match ${m.label}: ${q}`);
}

const SELECTOR_OPS: SelectorOperator[] = ["=", "==", "!=", "in", "notin", "exists", "!"];
const KEYS = ["app", "tier", "version_x", "queue"];

function fuzzSelector(
  g: ReturnType<typeof hostileStrings>,
  c: Case,
): { hostile: LabelRequirement[]; benign: LabelRequirement[] } {
  const keys = [...KEYS].sort(() => g.rand() - 0.5).slice(0, g.int(4));
  const hostile: LabelRequirement[] = [];
  const benign: LabelRequirement[] = [];
  for (const key of keys) {
    const operator = g.pick(SELECTOR_OPS);
    const n =
      operator === "in" || operator === "notin"
        ? 1 + g.int(3)
        : operator === "exists" || operator === "!"
          ? 0
          : 1;
    const values = g.distinct(n);
    hostile.push({ key, operator, values });
    benign.push({ key, operator, values: values.map((v) => c.token(v)) });
  }
  return { hostile, benign };
}

const SEED = 20261207;
const ROUNDS = 1500;

describe("hostile values through every templated field parse as the intended query", () => {
  it(`custom rules (${ROUNDS} cases x ${cfg.rules.length} templates)`, () => {
    const g = hostileStrings(SEED);
    const pool = g.distinct(12);
    let queries = 0;
    let matchers = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const c = new Case();
      const ns = g.value();
      const names = g.distinct(1 + g.int(4));
      const sel = fuzzSelector(g, c);
      for (const rule of cfg.rules) {
        const base = { rule, seriesName: "http_requests_total", resource: PODS };
        const hostile = buildCustomQuery({ ...base, namespace: ns, names, metricSelector: sel.hostile });
        const benign = buildCustomQuery({
          ...base,
          namespace: c.token(ns),
          names: names.map((n) => c.token(n)),
          metricSelector: sel.benign,
        });
        if (!hostile.ok || !benign.ok)
          throw new Error(`${hostile.ok ? "" : hostile.error} ${benign.ok ? "" : benign.error}`);
        matchers += checkQuery(c, hostile.value.query, benign.value.query, pool);
        queries++;
      }
    }
    expect(queries).toBe(ROUNDS * cfg.rules.length);
    expect(matchers).toBeGreaterThan(queries * 2);
  });

  it(`external rules (${ROUNDS} cases x ${cfg.externalRules.length} templates)`, () => {
    const g = hostileStrings(SEED + 1);
    const pool = g.distinct(12);
    for (let i = 0; i < ROUNDS; i++) {
      const c = new Case();
      const ns = g.value();
      const sel = fuzzSelector(g, c);
      for (const rule of cfg.externalRules) {
        const hostile = buildExternalQuery({
          rule,
          seriesName: "queue_depth",
          namespace: ns,
          selector: sel.hostile,
        });
        const benign = buildExternalQuery({
          rule,
          seriesName: "queue_depth",
          namespace: c.token(ns),
          selector: sel.benign,
        });
        if (!hostile.ok || !benign.ok) throw new Error("external query refused");
        checkQuery(c, hostile.value, benign.value, pool);
      }
    }
  });

  it(`resource rules: pods and nodes (${ROUNDS} cases each, cpu and memory)`, () => {
    const g = hostileStrings(SEED + 2);
    const pool = g.distinct(12);
    const rr = cfg.resourceRules!;
    for (let i = 0; i < ROUNDS; i++) {
      const c = new Case();
      const ns = g.value();
      const names = g.distinct(1 + g.int(4));
      const tokens = names.map((n) => c.token(n));
      for (const which of ["cpu", "memory"] as const) {
        const hp = buildPodResourceQuery(rr[which], which, ns, names);
        const bp = buildPodResourceQuery(rr[which], which, c.token(ns), tokens);
        const hn = buildNodeResourceQuery(rr[which], which, names);
        const bn = buildNodeResourceQuery(rr[which], which, tokens);
        if (!hp.ok || !bp.ok || !hn.ok || !bn.ok) throw new Error("resource query refused");
        checkQuery(c, hp.value.query, bp.value.query, pool);
        checkQuery(c, hn.value.query, bn.value.query, pool);
      }
    }
  });

  it("refuses a selector key or a series name that PromQL cannot hold, for every hostile one", () => {
    const g = hostileStrings(SEED + 3);
    for (let i = 0; i < 500; i++) {
      const evil = g.value();
      if (/^[\w:]*$/.test(evil)) continue;
      for (const rule of cfg.rules) {
        const base = { rule, resource: PODS, namespace: "ns", names: ["p"] };
        const badKey = buildCustomQuery({
          ...base,
          seriesName: "m",
          metricSelector: [{ key: `a${evil}`, operator: "=", values: ["v"] }],
        });
        expect(badKey.ok).toBe(false);
        expect(!badKey.ok && badKey.error.code).toBe("INVALID_INPUT");
        expect(!badKey.ok && badKey.error.message).toContain("not a valid Prometheus label name");
        const badSeries = buildCustomQuery({ ...base, seriesName: `m${evil}`, metricSelector: [] });
        expect(badSeries.ok).toBe(false);
        expect(!badSeries.ok && badSeries.error.code).toBe("INTERNAL");
        expect(!badSeries.ok && badSeries.error.message).toContain("not a valid Prometheus metric name");
      }
      const ext = buildExternalQuery({
        rule: cfg.externalRules[0]!,
        seriesName: `q${evil}`,
        namespace: "ns",
        selector: [],
      });
      expect(!ext.ok && ext.error.message).toContain("not a valid Prometheus metric name");
    }
  });
});
