import { describe, expect, it } from "vitest";
import type { ToolkitError } from "../errors.js";
import {
  type AttackResult,
  addNs,
  decodeResultCsv,
  decodeResultJson,
  decodeResultLine,
  encodeResultCsv,
  encodeResultJson,
  formatRfc3339Nano,
  instantFromEpochMs,
  nsBetween,
  parseRfc3339,
} from "./result.js";

/** The one-line form (`where: what`) of the error `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as ToolkitError).oneLine();
  }
  return "(no error)";
}

const sample: AttackResult = {
  attack: 'big, "one"',
  seq: 7,
  code: 503,
  timestamp: { sec: 1_795_824_000, nsec: 123_450_000 },
  latency: 1_234_567,
  bytesOut: 10,
  bytesIn: 12,
  error: "503 Service Unavailable",
  body: "aGk=",
  method: "POST",
  url: "http://127.0.0.1:8080/a?b=c,d",
  headers: { "Content-Type": ["text/plain"], "X-A": ["1", "2"] },
  lateness: 250_000,
  dropped: false,
};

describe("instants", () => {
  it("formats RFC3339Nano like Go (UTC, trailing zeros trimmed)", () => {
    expect(formatRfc3339Nano(sample.timestamp)).toBe("2026-11-28T00:00:00.12345Z");
    expect(formatRfc3339Nano({ sec: 1_795_824_000, nsec: 0 })).toBe("2026-11-28T00:00:00Z");
    expect(formatRfc3339Nano({ sec: 1_795_824_000, nsec: 1 })).toBe("2026-11-28T00:00:00.000000001Z");
  });
  it("parses RFC 3339 with offsets and ns", () => {
    expect(parseRfc3339("2026-11-28T01:00:00.5+01:00")).toEqual({ sec: 1_795_824_000, nsec: 500_000_000 });
    expect(parseRfc3339("2026-11-28T00:00:00.000000001Z")).toEqual({ sec: 1_795_824_000, nsec: 1 });
    expect(parseRfc3339("yesterday")).toBeUndefined();
  });
  it("does exact arithmetic", () => {
    const t = { sec: 10, nsec: 999_999_999 };
    expect(addNs(t, 2)).toEqual({ sec: 11, nsec: 1 });
    expect(nsBetween(t, { sec: 12, nsec: 0 })).toBe(1_000_000_001);
    expect(instantFromEpochMs(1500.25)).toEqual({ sec: 1, nsec: 500_250_000 });
  });
});

describe("result encodings", () => {
  it("round-trips JSON", () => {
    const line = encodeResultJson(sample);
    expect(line.endsWith("\n")).toBe(true);
    expect(JSON.parse(line)).toMatchObject({
      timestamp: "2026-11-28T00:00:00.12345Z",
      bytes_in: 12,
      lateness: 250000,
    });
    expect(decodeResultJson(line, "f:1")).toEqual(sample);
  });
  it("round-trips CSV with vegeta's column order plus lateness and dropped", () => {
    const row = encodeResultCsv(sample);
    expect(row.startsWith("1795824000123450000,503,1234567,10,12,503 Service Unavailable,aGk=,")).toBe(true);
    expect(decodeResultCsv(row.trimEnd(), "f:1")).toEqual(sample);
    expect(decodeResultLine(row.trimEnd(), "f:1")).toEqual(sample);
  });
  it("marks closed-model results in JSON and CSV only when set", () => {
    const closed = { ...sample, closed: true };
    expect(encodeResultJson(sample)).not.toContain("closed");
    expect(encodeResultJson(closed).trimEnd().endsWith(',"dropped":false,"closed":true}')).toBe(true);
    expect(decodeResultJson(encodeResultJson(closed), "f:1")).toEqual(closed);
    expect(encodeResultCsv(closed).trimEnd().endsWith(",false,closed")).toBe(true);
    expect(decodeResultCsv(encodeResultCsv(closed).trimEnd(), "f:1")).toEqual(closed);
  });
  it("writes a dropped record's count (requests it stands for) only when more than 1", () => {
    const range: AttackResult = { ...sample, code: 0, latency: 0, dropped: true, count: 9_500_000 };
    expect(encodeResultJson(range).trimEnd().endsWith(',"dropped":true,"count":9500000}')).toBe(true);
    expect(decodeResultJson(encodeResultJson(range), "f:1")).toEqual(range);
    expect(encodeResultCsv(range).trimEnd().endsWith(",true,9500000")).toBe(true);
    expect(decodeResultCsv(encodeResultCsv(range).trimEnd(), "f:1")).toEqual(range);
    const one = { ...range, count: 1 };
    expect(encodeResultJson(one)).not.toContain("count");
    expect(
      thrown(() =>
        decodeResultJson(JSON.stringify({ ...JSON.parse(encodeResultJson(sample)), count: 2 }), "f:3"),
      ),
    ).toBe("f:3: count: only a dropped record has a count");
    expect(thrown(() => decodeResultJson(encodeResultJson(range).replace("9500000", "0"), "f:4"))).toBe(
      "f:4: count: must be a positive integer",
    );
  });

  it("reads vegeta JSON without our fields", () => {
    const r = decodeResultJson(
      '{"attack":"","seq":0,"code":200,"timestamp":"2026-11-28T01:00:00.5+01:00","latency":5,"bytes_out":0,"bytes_in":0,"error":"","body":null,"method":"GET","url":"http://x/","headers":null}',
      "f:1",
    );
    expect(r).toMatchObject({
      lateness: 0,
      dropped: false,
      timestamp: { sec: 1_795_824_000, nsec: 500_000_000 },
    });
  });
  it.each([
    ["not json", /f:3: malformed result/],
    ['{"code":200,"latency":1}', /f:3: timestamp: required/],
    ['{"code":200,"latency":1,"timestamp":"x"}', /f:3: timestamp: invalid RFC 3339 time "x"/],
    [
      '{"code":-1,"latency":1,"timestamp":"2026-11-28T00:00:00Z"}',
      /f:3: code: required non-negative integer/,
    ],
    ['{"code":200,"latency":1.5,"timestamp":"2026-11-28T00:00:00Z"}', /f:3: latency/],
  ])("rejects JSON %s naming the line", (line, message) => {
    expect(thrown(() => decodeResultJson(line, "f:3"))).toMatch(message);
  });
  it.each([
    ["a,b", /f:2: malformed CSV result: want 12 or 14 columns, got 2/],
    ["x,200,1,0,0,,,,0,GET,http://x/,", /f:2: column 1 \(timestamp\)/],
    [
      '1795824000123450000,200,1,0,0,"unterminated,,,0,GET,http://x/,',
      /f:2: malformed CSV result: unterminated quote/,
    ],
  ])("rejects CSV %s naming the line", (line, message) => {
    expect(thrown(() => decodeResultCsv(line, "f:2"))).toMatch(message);
  });
});
