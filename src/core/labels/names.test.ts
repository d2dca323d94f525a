import { describe, expect, it } from "vitest";
import {
  validateDns1035Label,
  validateDns1123Label,
  validateDns1123Subdomain,
  validatePathSegmentName,
} from "./names.js";

// Tables from apimachinery's validation tests (IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label,
// IsValidPathSegmentName), plus the hostile values a URL can carry.
const HOSTILE = [
  "",
  'x"} or vector(1) or {a="',
  "x\\",
  "a b",
  "a\nb",
  "a\u0000b",
  "UPPER",
  "-a",
  "a-",
  "a_b",
  "ünicode",
  "a..b",
  ".a",
];

describe("validateDns1123Label", () => {
  it.each([
    "a",
    "ab",
    "abc",
    "a1",
    "a-1",
    "a--1--2--b",
    "0",
    "01",
    "012",
    "1a",
    "1-a",
    "1--a--b--2",
    "a".repeat(63),
  ])("accepts %j", (v) => expect(validateDns1123Label(v)).toBeUndefined());
  it.each([...HOSTILE, "a.b", "a".repeat(64)])("refuses %j", (v) => {
    expect(validateDns1123Label(v)).toMatch(/RFC 1123 label|no more than 63/);
  });
});

describe("validateDns1123Subdomain", () => {
  it.each([
    "a",
    "a.b",
    "a.b.c",
    "1.2.3",
    "11.22.33",
    "a-1.b-2",
    "a--1.b--2",
    `${"a".repeat(63)}.b`,
    "web-7f9c-x2x4z",
  ])("accepts %j", (v) => expect(validateDns1123Subdomain(v)).toBeUndefined());
  it.each([...HOSTILE, "a.", "a.-b", "*", "a".repeat(254)])("refuses %j", (v) => {
    expect(validateDns1123Subdomain(v)).toMatch(/RFC 1123 subdomain|no more than 253/);
  });
});

describe("validateDns1035Label", () => {
  it.each(["a", "ab", "a-1", "a--1--2--b", "a".repeat(63)])("accepts %j", (v) =>
    expect(validateDns1035Label(v)).toBeUndefined(),
  );
  it.each([...HOSTILE, "0", "1a", "a.b", "a".repeat(64)])("refuses %j", (v) => {
    expect(validateDns1035Label(v)).toMatch(/DNS-1035 label|no more than 63/);
  });
});

describe("validatePathSegmentName", () => {
  it.each(["a", "http_requests_per_second", "namespace:http_requests:rate5m", "Queue.Depth-1", "a.b"])(
    "accepts %j",
    (v) => expect(validatePathSegmentName(v)).toBeUndefined(),
  );
  it.each([
    ["", "must not be empty"],
    [".", "may not be '.'"],
    ["..", "may not be '..'"],
    ["a/b", "may not contain '/'"],
    ["a%2F", "may not contain '%'"],
    ["a b", "whitespace or control"],
    ["a\nb", "whitespace or control"],
    ["a\u0085b", "whitespace or control"],
    ["a".repeat(254), "no more than 253"],
  ])("refuses %j (%s)", (v, msg) => {
    expect(validatePathSegmentName(v)).toContain(msg);
  });
});
