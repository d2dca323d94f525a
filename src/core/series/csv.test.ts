import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import { parseSeriesCsv, parseTimestampMs } from "./csv.js";

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ToolkitError) return `${e.code} ${e.oneLine()}`;
    throw e;
  }
  throw new Error("expected an error");
}

describe("parseTimestampMs", () => {
  it("reads Unix seconds and RFC 3339", () => {
    expect(parseTimestampMs("1713139200")).toBe(1713139200_000);
    expect(parseTimestampMs("1713139200.5")).toBe(1713139200_500);
    expect(parseTimestampMs("2024-04-15T00:00:00Z")).toBe(1713139200_000);
    expect(parseTimestampMs("2024-04-15T02:00:00+02:00")).toBe(1713139200_000);
    expect(parseTimestampMs("2024-04-15T00:00:00.250Z")).toBe(1713139200_250);
  });
  it("rejects other forms", () => {
    expect(parseTimestampMs("yesterday")).toBeUndefined();
    expect(parseTimestampMs("2024-04-15")).toBeUndefined();
    expect(parseTimestampMs("2024-13-45T00:00:00Z")).toBeUndefined();
    expect(parseTimestampMs("")).toBeUndefined();
  });
});

describe("parseSeriesCsv", () => {
  it("parses rows, CRLF, BOM, blank lines and comments", () => {
    const text = "\uFEFFtimestamp,value\r\n# comment\r\n60,1.5\r\n\r\n120, 2\r\n";
    expect(parseSeriesCsv(text)).toEqual([
      { t: 60_000, v: 1.5 },
      { t: 120_000, v: 2 },
    ]);
  });
  it("accepts the ts,value header of Crane's data", () => {
    expect(parseSeriesCsv("ts,value\n1628640000,39.72\n")).toEqual([{ t: 1628640000_000, v: 39.72 }]);
  });
  it("names the line of every defect", () => {
    expect(errorOf(() => parseSeriesCsv("", { name: "a.csv" }))).toMatch(
      /^INVALID_INPUT a\.csv: empty series/,
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\n", { name: "a.csv" }))).toBe(
      "INVALID_INPUT a.csv: no data rows after the header",
    );
    expect(errorOf(() => parseSeriesCsv("60,1\n", { name: "a.csv" }))).toBe(
      'INVALID_INPUT a.csv:1: expected the header "timestamp,value", got "60,1"',
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\n60,1\n60,2\n", { name: "a.csv" }))).toBe(
      "INVALID_INPUT a.csv:3: duplicate timestamp 60 (also on line 2)",
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\n120,1\n60,2\n", { name: "a.csv" }))).toBe(
      "INVALID_INPUT a.csv:3: timestamp 60 is earlier than line 2's; sort the rows",
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\n60,abc\n", { name: "a.csv" }))).toBe(
      'INVALID_INPUT a.csv:2: value "abc" is not a number',
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\n60,NaN\n", { name: "a.csv" }))).toBe(
      'INVALID_INPUT a.csv:2: value "NaN" is not a number',
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\nnoon,1\n", { name: "a.csv" }))).toBe(
      'INVALID_INPUT a.csv:2: timestamp "noon" is neither RFC 3339 nor Unix seconds',
    );
    expect(errorOf(() => parseSeriesCsv("timestamp,value\n60,1,2\n", { name: "a.csv" }))).toBe(
      'INVALID_INPUT a.csv:2: expected 2 fields "timestamp,value", got 3',
    );
    expect(
      errorOf(() => parseSeriesCsv("timestamp,value\n60,-1\n", { name: "a.csv", nonNegative: true })),
    ).toBe("INVALID_INPUT a.csv:2: value -1 must not be negative");
  });
  it("reads a file of the size of the 21-day development traces", () => {
    const rows = ["timestamp,value"];
    for (let i = 0; i < 30240; i++) rows.push(`${1713139200 + i * 60},${(i % 100) + 0.125}`);
    const pts = parseSeriesCsv(rows.join("\n"));
    expect(pts).toHaveLength(30240);
    expect(pts[30239]).toEqual({ t: (1713139200 + 30239 * 60) * 1000, v: 39.125 });
  });
});
