import { describe, expect, it } from "vitest";
import { compileGoRegex, compileName, countGroups, passesFilters } from "./naming.js";

describe("compileName (name.matches / name.as, Go ExpandString)", () => {
  it.each([
    // [matches, as, series, api name]
    ["^(.*)_total$", "${1}_per_second", "http_requests_total", "http_requests_per_second"],
    ["^(.*)_total$", "", "http_requests_total", "http_requests"],
    ["^(.*)_total$", undefined, "http_requests_total", "http_requests"],
    ["_total$", "", "http_requests_total", "_total"],
    [undefined, undefined, "anything", "anything"],
    ["^(?P<base>.*)_seconds_total$", "${base}_cpu", "process_cpu_seconds_total", "process_cpu_cpu"],
    ["^(?P<base>.*)_seconds_total$", "$base", "process_cpu_seconds_total", "process_cpu"],
    ["^http_(.*)", "$1", "my_http_requests", undefined],
    ["(?i)^HTTP_(.*)", "$1", "http_x", "x"],
    ["^(.*)$", "$$1", "x", "$1"],
    ["^(.*)_total$", "http_requests_qps", "http_requests_total", "http_requests_qps"],
    // RE2 syntax as Go has it: POSIX classes, \pL, \Q…\E, (?<name>…), \z.
    ["^([[:alpha:]]+)_[[:digit:]]+$", "$1", "http_200", "http"],
    ["^([[:alpha:]]+)$", "$1", "http_2", undefined],
    ["^(\\pL+)_total$", "$1", "données_total", "données"],
    ["^\\Qa.b\\E(.*)", "$1", "a.bc", "c"],
    ["^\\Qa.b\\E(.*)", "$1", "aXbc", undefined],
    ["^(?<base>.*)_total\\z", "${base}", "x_total", "x"],
    ["^(a)?(b)$", "[${1}]", "b", "[]"],
  ])("matches %s as %s: %s -> %s", (matches, as, series, want) => {
    expect(compileName({ matches, as }).apiName(series)).toBe(want);
  });

  it("rejects `$1_per_second` (a group named 1_per_second) with a hint", () => {
    expect(() => compileName({ matches: "^(.*)_total$", as: "$1_per_second" })).toThrow(
      'as: "$1_per_second" refers to group "1_per_second" that "matches" does not define (write ${1}_per_second to use group 1)',
    );
  });
  it("rejects two capture groups without `as`", () => {
    expect(() => compileName({ matches: "^(a)(b)$" })).toThrow("as: must be set when");
  });
  it("rejects an invalid regex naming the field", () => {
    expect(() => compileName({ matches: "^(unclosed" })).toThrow(/^matches: invalid regex: /);
  });
  it.each([
    ["(?=a)", "invalid or unsupported Perl syntax: `(?=`"],
    ["(?!a)", "invalid or unsupported Perl syntax: `(?!`"],
    ["(?<=a)b", "invalid named capture"],
    ["(a)\\1", "invalid escape sequence: `\\1`"],
    ["a{1001}", "invalid repeat count"],
    ["[[:alpah:]]", "invalid character class range"],
  ])("refuses %s as RE2 does (%s)", (re, why) => {
    expect(() => compileName({ matches: re })).toThrow(`matches: invalid regex: ${why}`);
  });
  it("matches in linear time: ^(a+)+$ on a long input answers at once", () => {
    const re = compileGoRegex("^(a+)+$");
    const t0 = performance.now();
    expect(re.test(`${"a".repeat(100_000)}!`)).toBe(false);
    expect(re.test("a".repeat(100_000))).toBe(true);
    // A backtracking engine needs 2^n steps here (18.8 s for 29 characters with JavaScript's RegExp).
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
  it("counts groups", () => {
    expect(countGroups(compileGoRegex("(a)(?:b)(?P<c>c)"))).toBe(2);
  });
});

describe("seriesFilters", () => {
  it("requires every filter to pass, unanchored, on the series name", () => {
    const f = [{ is: compileGoRegex("_total") }, { isNot: compileGoRegex("^go_") }];
    expect(passesFilters("http_requests_total", f)).toBe(true);
    expect(passesFilters("go_gc_total", f)).toBe(false);
    expect(passesFilters("http_requests", f)).toBe(false);
  });
});
