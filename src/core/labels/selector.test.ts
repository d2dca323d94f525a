import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import {
  everything,
  formatSelector,
  isEmpty,
  matches,
  newRequirement,
  nothing,
  parseSelector,
  type Requirement,
  requiresExactMatch,
  type Selector,
  selectorFromLabelSelector,
  toLabelSelector,
  tryParseSelector,
  trySelectorFromLabelSelector,
  validateLabelKey,
  validateLabelValue,
} from "./selector.js";

const parse = (text: string): Selector => parseSelector(text, "test");

describe("tryParseSelector: good strings and their canonical form (upstream labels.Parse + String)", () => {
  it.each([
    ["", ""],
    ["x=a,y=b,z=c", "x=a,y=b,z=c"],
    ["z=c,y=b,x=a", "x=a,y=b,z=c"],
    ["x!=a,y=b", "x!=a,y=b"],
    ["x==a", "x==a"],
    ["x=", "x="],
    ["x= ", "x="],
    ["x=,z= ", "x=,z="],
    ["x= ,z= ", "x=,z="],
    ["!x", "!x"],
    ["x", "x"],
    ["x>1", "x>1"],
    ["x>1,z<5", "x>1,z<5"],
    ["x in (a)", "x in (a)"],
    ["x in (b,a,b)", "x in (a,b)"],
    ["x notin (a,b)", "x notin (a,b)"],
    ["x in ()", "x in ()"],
    ["x in (,a)", "x in (,a)"],
    ["x in (a,)", "x in (,a)"],
    ["x in (a,,b)", "x in (,a,b)"],
    ["  x  =  a  ,\ty\n!=\rb ", "x=a,y!=b"],
    ["x=a,x!=b", "x=a,x!=b"],
    ["x!=b,x=a", "x!=b,x=a"],
    ["a in (in,notin)", "a in (in,notin)"],
    ["a=in", "a=in"],
    ["example.com/app=web,app.kubernetes.io/name=api", "app.kubernetes.io/name=api,example.com/app=web"],
    ["env notin (prod),!canary,tier", "!canary,env notin (prod),tier"],
    ["A_b.c-D=Z_y.x-9", "A_b.c-D=Z_y.x-9"],
  ])("%j → %j", (input, canonical) => {
    const s = parse(input);
    expect(formatSelector(s)).toBe(canonical);
    // The canonical form parses back to an equal selector.
    expect(parse(canonical)).toEqual(s);
  });

  it("exposes the requirement AST, sorted by key", () => {
    const s = parse("tier in (web, api), app=shop, !canary, version>2, env");
    const expected: Requirement[] = [
      { key: "app", operator: "=", values: ["shop"] },
      { key: "canary", operator: "!", values: [] },
      { key: "env", operator: "exists", values: [] },
      { key: "tier", operator: "in", values: ["api", "web"] },
      { key: "version", operator: "gt", values: ["2"] },
    ];
    expect(s.requirements).toEqual(expected);
    expect(s.matchesNothing).toBe(false);
  });
});

describe("tryParseSelector: errors carry the position of the offending token", () => {
  it.each([
    ["x=a||y=b", 2, "invalid label value"],
    ["x==a==b", 4, "found '==', expected: ',' or end of string"],
    ["!x=a", 2, "found '=', expected: ',' or end of string"],
    ["x<a", 2, "the value must be an integer"],
    ["x>1.5", 2, "the value must be an integer"],
    ["x<-5", 2, 'invalid label value "-5"'],
    ["x>99999999999999999999", 2, "the value must be an integer"],
    ["x in (a", 7, "found end of string, expected: ',' or ')'"],
    ["x in a", 5, "found 'a', expected: '('"],
    ["x in (a b)", 8, "found 'b', expected: ',' or ')'"],
    ["x in (=)", 6, "found '=', expected: ',', ')' or identifier"],
    ["x in (a,=)", 8, "found '=', expected: ',' or identifier"],
    ["x notin", 7, "found end of string, expected: '('"],
    ["a=b,", 4, "found end of string, expected: identifier after ','"],
    ["a=b,,c=d", 4, "found ',', expected: identifier after ','"],
    [",a=b", 0, "found ',', expected: !, identifier, or end of string"],
    ["=b", 0, "found '=', expected: !, identifier, or end of string"],
    ["a=b c=d", 4, "found 'c=d'".slice(0, 8)],
    ["a b", 2, "found 'b', expected: in, notin, =, ==, !=, >, <"],
    ["a=(b)", 2, "found '(', expected: identifier"],
    ["!", 1, "found end of string, expected: identifier"],
    ["!!a", 1, "found '!', expected: identifier"],
    ["a==", 3, ""],
    ["app=web,tier=fr$nt", 13, 'invalid label value "fr$nt"'],
    ["app=web,Tier/x=1", 8, 'invalid label key "Tier/x": prefix part must be a lowercase RFC 1123 subdomain'],
    ["a/b/c=1", 0, "a qualified name must consist of"],
    ["/a=1", 0, "prefix part must be non-empty"],
    ["a/=1", 0, "name part must be non-empty"],
    ["-a=1", 0, "name part must consist of"],
    ["a-=1", 0, "name part must consist of"],
    ["é=1", 0, "name part must consist of"],
    ["a=é", 2, "invalid label value"],
    ["a in (ok,b@d)", 9, 'invalid label value "b@d"'],
    ["a=b\0,c=d", 3, "unexpected NUL character"],
  ])("%j fails at %d: %s", (input, position, fragment) => {
    const r = tryParseSelector(input);
    if (fragment === "") {
      // `a==` is valid upstream: an empty value.
      expect(r.ok).toBe(true);
      return;
    }
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.position).toBe(position);
      expect(r.error.message).toContain(fragment);
    }
  });

  it("validates name length (63) and prefix length (253)", () => {
    const name63 = "a".repeat(63);
    expect(tryParseSelector(`${name63}=${name63}`).ok).toBe(true);
    const long = tryParseSelector(`${"a".repeat(64)}=x`);
    expect(long.ok ? undefined : long.error).toEqual({
      position: 0,
      message: `invalid label key "${"a".repeat(64)}": name part must be no more than 63 characters`,
    });
    const longValue = tryParseSelector(`a=${"v".repeat(64)}`);
    expect(longValue.ok ? undefined : longValue.error.message).toContain(
      "must be no more than 63 characters",
    );
    expect(longValue.ok ? undefined : longValue.error.position).toBe(2);
    const prefix253 = `${"p".repeat(63)}.${"p".repeat(63)}.${"p".repeat(63)}.${"p".repeat(61)}`;
    expect(prefix253.length).toBe(253);
    expect(tryParseSelector(`${prefix253}/n=v`).ok).toBe(true);
    const prefix254 = tryParseSelector(`x${prefix253}/n=v`);
    expect(prefix254.ok ? undefined : prefix254.error.message).toContain("no more than 253 characters");
  });

  it("handles a huge input without blowing up", () => {
    const text = Array.from({ length: 2000 }, (_, i) => `k${i}=v${i}`).join(",");
    const s = parse(text);
    expect(s.requirements).toHaveLength(2000);
    expect(matches(s, Object.fromEntries(s.requirements.map((r) => [r.key, r.values[0]!])))).toBe(true);
    const bad = tryParseSelector(`${text},x=${"y".repeat(10_000)}`);
    expect(bad.ok).toBe(false);
  });

  it("parseSelector throws INVALID_INPUT with the position", () => {
    let caught: unknown;
    try {
      parseSelector("app in (web", "--selector");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ToolkitError);
    expect((caught as ToolkitError).code).toBe("INVALID_INPUT");
    expect((caught as ToolkitError).oneLine()).toBe(
      `--selector: invalid label selector "app in (web": position 11: found end of string, expected: ',' or ')'`,
    );
  });
});

describe("injection-looking values are rejected by label value validation", () => {
  it.each([
    'a="}or vector(1)',
    'a="} or vector(1) #',
    "a=x\"}or{__name__=~'.+'",
    "a=b\\",
    "a=`x`",
    "a='x'",
    "a=x}",
    "a=x{",
    "a=.*",
    "a=~x",
    'a in (x, y"})',
    'a!="',
    "a=x|y",
    "a=x\\ny",
    "a=x;y",
    "a=$(id)",
  ])("%j", (input) => {
    const r = tryParseSelector(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/invalid label (value|key)|expected/);
  });

  it("splits on whitespace, so spaces cannot hide inside a value", () => {
    // `a="}or vector(1)` lexes as a, =, `"}or`, `vector`, `(`...: the value `"}or` fails validation first.
    const r = tryParseSelector('a="}or vector(1)');
    expect(r.ok ? undefined : r.error).toEqual({
      position: 2,
      message:
        "invalid label value \"\\\"}or\": a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')",
    });
  });

  it("every accepted value contains only [A-Za-z0-9._-]", () => {
    const s = parse("a in (x.y, x-y, x_y, 1), b=Z9");
    for (const r of s.requirements) for (const v of r.values) expect(v).toMatch(/^[A-Za-z0-9._-]*$/);
  });
});

describe("matches (upstream Requirement.Matches)", () => {
  const pod = { app: "web", tier: "frontend", version: "3", empty: "" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=api", false],
    ["missing=x", false],
    ["app!=api", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["app in (api,web)", true],
    ["app in (api)", false],
    ["missing in (x)", false],
    ["app notin (api)", true],
    ["app notin (web)", false],
    ["missing notin (x)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["version>2", true],
    ["version>3", false],
    ["version<4", true],
    ["version<3", false],
    ["app>1", false],
    ["missing<1", false],
    ["empty=", true],
    ["empty", true],
    ["empty in ()", true],
    ["app in ()", false],
    ["app=web,tier=frontend", true],
    ["app=web,tier=backend", false],
  ])("%j → %s", (selector, expected) => {
    expect(matches(parse(selector), pod)).toBe(expected);
  });

  it("does not see inherited object properties as labels", () => {
    expect(matches(parse("constructor"), {})).toBe(false);
    expect(matches(parse("toString=x"), {})).toBe(false);
  });

  it("Everything matches all; Nothing matches none", () => {
    expect(matches(everything, {})).toBe(true);
    expect(matches(nothing, { a: "b" })).toBe(false);
    expect(isEmpty(everything)).toBe(true);
    expect(isEmpty(nothing)).toBe(false);
    expect(isEmpty(parse(""))).toBe(true);
    expect(isEmpty(parse("a"))).toBe(false);
    expect(formatSelector(everything)).toBe("");
  });
});

describe("selectorFromLabelSelector (upstream metav1.LabelSelectorAsSelector)", () => {
  it("null gives Nothing, empty gives Everything", () => {
    expect(selectorFromLabelSelector(null, "spec.selector")).toBe(nothing);
    expect(selectorFromLabelSelector(undefined, "spec.selector")).toBe(nothing);
    expect(selectorFromLabelSelector({}, "spec.selector")).toBe(everything);
    expect(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }, "x")).toBe(everything);
  });

  it("combines matchLabels and matchExpressions, sorted by key", () => {
    const s = selectorFromLabelSelector(
      {
        matchLabels: { tier: "web", app: "shop" },
        matchExpressions: [
          { key: "env", operator: "NotIn", values: ["dev", "ci"] },
          { key: "canary", operator: "DoesNotExist" },
          { key: "zone", operator: "Exists", values: [] },
          { key: "app", operator: "In", values: ["shop", "store"] },
        ],
      },
      "spec.selector",
    );
    expect(formatSelector(s)).toBe("app=shop,app in (shop,store),!canary,env notin (ci,dev),tier=web,zone");
    // Upstream keeps expression values as given and sorts only when printing.
    expect(s.requirements.find((r) => r.operator === "notin")?.values).toEqual(["dev", "ci"]);
    expect(matches(s, { app: "shop", tier: "web", env: "prod", zone: "a" })).toBe(true);
    expect(matches(s, { app: "shop", tier: "web", env: "dev", zone: "a" })).toBe(false);
    expect(matches(s, { app: "shop", tier: "web", zone: "a", canary: "1" })).toBe(false);
    expect(formatSelector(parse(formatSelector(s)))).toBe(formatSelector(s));
  });

  it.each([
    [{ matchLabels: { "bad key": "x" } }, 'matchLabels["bad key"]', "invalid label key"],
    [{ matchLabels: { app: "a b" } }, "matchLabels.app", "invalid label value"],
    [
      { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] },
      "matchExpressions[0].operator",
      '"Gt" is not a valid label selector operator',
    ],
    [
      { matchExpressions: [{ key: "a", operator: "in", values: ["1"] }] },
      "matchExpressions[0].operator",
      "not a valid",
    ],
    [
      { matchExpressions: [{ key: "a", operator: "In", values: [] }] },
      "matchExpressions[0].values",
      "values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: "a", operator: "NotIn" }] },
      "matchExpressions[0].values",
      "values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] },
      "matchExpressions[0].values",
      "must be empty",
    ],
    [
      {
        matchExpressions: [
          { key: "ok", operator: "Exists" },
          { key: "a", operator: "In", values: ["x", '"}'] },
        ],
      },
      "matchExpressions[1].values[1]",
      "invalid label value",
    ],
    [
      { matchExpressions: [{ key: "-a", operator: "Exists" }] },
      "matchExpressions[0].key",
      "invalid label key",
    ],
  ])("%j fails at %s", (ls, field, fragment) => {
    const r = trySelectorFromLabelSelector(ls);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.field).toBe(field);
      expect(r.error.message).toContain(fragment);
    }
    let caught: unknown;
    try {
      selectorFromLabelSelector(ls, "spec.metrics[0].external.metric.selector");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ToolkitError);
    expect((caught as ToolkitError).where).toBe(`spec.metrics[0].external.metric.selector.${field}`);
  });
});

describe("validation helpers and newRequirement", () => {
  it.each([
    ["app", true],
    ["app.kubernetes.io/name", true],
    ["a", true],
    ["1", true],
    ["a_b", true],
    ["_a", false],
    ["", false],
    ["A.com/x", false],
    ["a..b.com/x", false],
    ["a/b/c", false],
  ])("key %j valid=%s", (key, valid) => {
    expect(validateLabelKey(key) === undefined).toBe(valid);
  });
  it.each([
    ["", true],
    ["v1.2-rc_3", true],
    ["-v", false],
    ["v-", false],
    ["a b", false],
    ["a/b", false],
  ])("value %j valid=%s", (value, valid) => {
    expect(validateLabelValue(value) === undefined).toBe(valid);
  });
  it("newRequirement checks value counts", () => {
    expect(newRequirement("a", "=", []).ok).toBe(false);
    expect(newRequirement("a", "=", ["x", "y"]).ok).toBe(false);
    expect(newRequirement("a", "gt", ["x"]).ok).toBe(false);
    // Upstream also validates gt/lt values as label values, so negative numbers are rejected.
    expect(newRequirement("a", "lt", ["-3"]).ok).toBe(false);
    expect(newRequirement("a", "lt", ["3"]).ok).toBe(true);
    expect(newRequirement("a", "in", ["x", "y"]).ok).toBe(true);
  });
});

describe("toLabelSelector (upstream metav1.ParseToLabelSelector)", () => {
  it("puts equality in matchLabels and the rest in matchExpressions", () => {
    const r = toLabelSelector(parse("tier in (web,api),app=shop,!canary,zone,env notin (dev),v==2"));
    expect(r).toEqual({
      ok: true,
      value: {
        matchLabels: { app: "shop", v: "2" },
        matchExpressions: [
          { key: "canary", operator: "DoesNotExist", values: [] },
          { key: "env", operator: "NotIn", values: ["dev"] },
          { key: "tier", operator: "In", values: ["api", "web"] },
          { key: "zone", operator: "Exists", values: [] },
        ],
      },
    });
    if (r.ok) {
      // Converting back gives a selector that matches the same label sets.
      const back = selectorFromLabelSelector(r.value, "x");
      expect(formatSelector(back)).toBe("app=shop,!canary,env notin (dev),tier in (api,web),v=2,zone");
    }
  });
  it("rejects operators a LabelSelector cannot express", () => {
    expect(toLabelSelector(parse("a!=b"))).toEqual({
      ok: false,
      error: '"!=" is not a valid label selector operator',
    });
    expect(toLabelSelector(parse("a>1"))).toEqual({
      ok: false,
      error: '"gt" isn\'t supported in label selectors',
    });
    expect(toLabelSelector(everything)).toEqual({
      ok: true,
      value: { matchLabels: {}, matchExpressions: [] },
    });
  });
});

describe("requiresExactMatch (upstream Selector.RequiresExactMatch)", () => {
  it.each([
    ["namespace=prod", "prod"],
    ["namespace==prod,app=x", "prod"],
    ["namespace in (prod)", "prod"],
    ["namespace in (prod,dev)", undefined],
    ["namespace!=prod", undefined],
    ["namespace", undefined],
    ["app=x", undefined],
  ])("%j → %s", (selector, value) => {
    expect(requiresExactMatch(parse(selector), "namespace")).toBe(value);
  });
});
