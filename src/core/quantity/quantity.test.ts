import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import {
  formatMetricValue,
  metricValueQuantity,
  parseQuantity,
  parseQuantityValue,
  Quantity,
  type QuantityFormat,
  tryParseQuantity,
} from "./quantity.js";

const q = (text: string) => parseQuantity(text, "test");

describe("parseQuantity: printing and MilliValue (upstream ParseQuantity + String + MilliValue)", () => {
  // [input, String(), MilliValue(), Format]
  const cases: Array<[string, string, number, QuantityFormat]> = [
    ["0", "0", 0, "DecimalSI"],
    ["0n", "0", 0, "DecimalSI"],
    ["0u", "0", 0, "DecimalSI"],
    ["0m", "0", 0, "DecimalSI"],
    ["0k", "0", 0, "DecimalSI"],
    ["0Ki", "0", 0, "BinarySI"],
    ["0Mi", "0", 0, "BinarySI"],
    ["0E", "0", 0, "DecimalSI"],
    ["0Ei", "0", 0, "BinarySI"],
    ["0e3", "0", 0, "DecimalExponent"],
    ["-0", "0", 0, "DecimalSI"],
    ["00", "0", 0, "DecimalSI"],
    ["0.0", "0", 0, "DecimalSI"],
    ["1", "1", 1000, "DecimalSI"],
    ["1000m", "1", 1000, "DecimalSI"],
    ["200m", "200m", 200, "DecimalSI"],
    ["1.5", "1500m", 1500, "DecimalSI"],
    ["15.0", "15", 15000, "DecimalSI"],
    [".5", "500m", 500, "DecimalSI"],
    ["0.5", "500m", 500, "DecimalSI"],
    ["0.0001", "100u", 1, "DecimalSI"],
    ["1n", "1n", 1, "DecimalSI"],
    ["1u", "1u", 1, "DecimalSI"],
    ["1001u", "1001u", 2, "DecimalSI"],
    ["999999n", "999999n", 1, "DecimalSI"],
    ["1000000n", "1m", 1, "DecimalSI"],
    ["1k", "1k", 1_000_000, "DecimalSI"],
    ["1000", "1k", 1_000_000, "DecimalSI"],
    ["1500", "1500", 1_500_000, "DecimalSI"],
    ["10000", "10k", 10_000_000, "DecimalSI"],
    ["1M", "1M", 1e9, "DecimalSI"],
    ["1G", "1G", 1e12, "DecimalSI"],
    ["2T", "2T", 2e15, "DecimalSI"],
    ["1.5k", "1500", 1_500_000, "DecimalSI"],
    ["0.5M", "500k", 500_000_000, "DecimalSI"],
    ["123456789m", "123456789m", 123456789, "DecimalSI"],
    ["1Ki", "1Ki", 1_024_000, "BinarySI"],
    ["1Mi", "1Mi", 1_048_576_000, "BinarySI"],
    ["100Mi", "100Mi", 104_857_600_000, "BinarySI"],
    ["1536Mi", "1536Mi", 1_610_612_736_000, "BinarySI"],
    ["1024Mi", "1Gi", 1_073_741_824_000, "BinarySI"],
    ["1024Ki", "1Mi", 1_048_576_000, "BinarySI"],
    ["1.5Gi", "1536Mi", 1_610_612_736_000, "BinarySI"],
    ["0.5Ki", "512", 512_000, "BinarySI"],
    ["0.5Mi", "512Ki", 524_288_000, "BinarySI"],
    ["1.1Ki", "1126400m", 1_126_400, "BinarySI"],
    ["1e3", "1e3", 1_000_000, "DecimalExponent"],
    ["12e-3", "12e-3", 12, "DecimalExponent"],
    ["1e-3", "1e-3", 1, "DecimalExponent"],
    ["1.5e3", "1500", 1_500_000, "DecimalExponent"],
    ["10e3", "10e3", 10_000_000, "DecimalExponent"],
    ["1e1", "10", 10_000, "DecimalExponent"],
    ["1e2", "100", 100_000, "DecimalExponent"],
    ["1e-1", "100e-3", 100, "DecimalExponent"],
    ["-1", "-1", -1000, "DecimalSI"],
    ["-1.5", "-1500m", -1500, "DecimalSI"],
    ["-100m", "-100m", -100, "DecimalSI"],
    ["-1Ki", "-1Ki", -1_024_000, "BinarySI"],
    ["-1500u", "-1500u", -2, "DecimalSI"],
    ["-0.0001", "-100u", -1, "DecimalSI"],
  ];
  it.each(cases)("%s prints %s, MilliValue %d", (input, printed, milli, format) => {
    const v = q(input);
    expect(v.toString()).toBe(printed);
    expect(v.milliValue()).toBe(milli);
    expect(v.format).toBe(format);
    // The printed form parses back to the same value (round trip).
    expect(q(printed).equals(v)).toBe(true);
  });
});

describe("values finer than nano (upstream rounds up to Nano on parse)", () => {
  it.each([
    ["1.5n", "2n", 2n],
    ["0.1n", "1n", 1n],
    ["1e-12", "1e-9", 1n],
    ["1e-1000", "1e-9", 1n],
    ["-1e-12", "-1e-9", -1n],
    ["1.5e-10", "1e-9", 1n],
    ["0.1e-8", "1e-9", 1n],
    ["10000000000000000000000n", "10T", 10n ** 22n],
    ["1.0000000001", "1000000001n", 1_000_000_001n],
    ["0.0000000001", "1n", 1n],
  ])("%s → %s", (input, printed, nanos) => {
    const v = q(input);
    expect(v.toString()).toBe(printed);
    expect(v.nanoValue()).toBe(nanos);
  });
});

describe("texts kept verbatim (upstream caches text that is already canonical)", () => {
  it.each([
    ["100m", "100m"],
    ["+1", "1"],
    ["007", "7"],
    ["1.500", "1500m"],
    ["1025Ki", "1025Ki"],
    ["5.", "5"],
    ["1E3", "1e3"],
    ["1e+3", "1e3"],
    ["1e0", "1"],
  ])("%s is printed as given; canonical form %s", (input, canonical) => {
    const v = q(input);
    expect(v.toString()).toBe(input);
    expect(v.canonical()).toBe(canonical);
  });
});

describe("large values", () => {
  it("keeps 19+ digit values exact up to int64 max and caps beyond (slow path)", () => {
    expect(q("9223372036854775807").toString()).toBe("9223372036854775807");
    expect(q("99999999999999999999").toString()).toBe("9223372036854775807");
    expect(q("-99999999999999999999").toString()).toBe("-9223372036854775807");
  });
  it("keeps exponents exactly and uses E as the largest DecimalSI suffix", () => {
    expect(q("1e30").toString()).toBe("1e30");
    expect(q("9E").toString()).toBe("9E");
    expect(q("1000E").canonical()).toBe("1000E");
    expect(q("8Ei").valueBig()).toBe(INT64_MAX);
    expect(q("1Ei").valueBig()).toBe(1n << 60n);
  });
  it("MilliValue of 100Gi is exact", () => {
    expect(q("100Gi").milliValueBig()).toBe(107_374_182_400_000n);
  });
});
const INT64_MAX = (1n << 63n) - 1n;

describe("invalid quantities", () => {
  it.each([
    ["", "empty"],
    ["1.2.3", "format"],
    ["5mi", "suffix"],
    ["--1", "format"],
    ["1e", "suffix"],
    ["Ki", "format"],
    ["-", "format"],
    ["+", "format"],
    [".", "format"],
    ["1.1.M", "format"],
    ["1+1.0M", "format"],
    ["0.1mi", "suffix"],
    ["0.1am", "format"],
    ["aoeu", "format"],
    [".5i", "suffix"],
    ["1i", "suffix"],
    ["-3.01i", "suffix"],
    ["-3.01e-", "suffix"],
    [" 1", "format"],
    ["1 ", "format"],
    ["1KiB", "format"],
    ["1ki", "suffix"],
    ["1K", "suffix"],
    ["1e1001", "numeric"],
    ["1e99999999999", "suffix"],
    ["0x10", "format"],
    ["1_000", "format"],
    ["NaN", "format"],
    ["Infinity", "format"],
  ])("%j is rejected (%s)", (input, reason) => {
    const r = tryParseQuantity(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe(reason);
      expect(r.error.message).toContain("invalid quantity");
    }
  });

  it("parseQuantity throws INVALID_INPUT naming where", () => {
    let caught: unknown;
    try {
      parseQuantity("5mi", "spec.metrics[0].pods.target.averageValue");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ToolkitError);
    const e = caught as ToolkitError;
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.oneLine()).toBe(
      'spec.metrics[0].pods.target.averageValue: invalid quantity "5mi": unknown suffix "mi" (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)',
    );
  });
});

describe("Value() rounds up", () => {
  it.each([
    ["1500m", 2],
    ["1", 1],
    ["1n", 1],
    ["1Ki", 1024],
    ["-1500m", -2],
    ["0", 0],
  ])("%s → %d", (input, value) => {
    expect(q(input).value()).toBe(value);
  });
});

describe("arithmetic and comparison", () => {
  it("adds and subtracts exactly, keeping the receiver's format", () => {
    expect(q("100m").add(q("200m")).toString()).toBe("300m");
    expect(q("0.1").add(q("0.2")).toString()).toBe("300m");
    expect(q("1Gi").sub(q("512Mi")).toString()).toBe("512Mi");
    expect(q("1").sub(q("1500m")).toString()).toBe("-500m");
    expect(Quantity.zero.add(q("1Ki")).toString()).toBe("1Ki");
    expect(q("1n").add(q("1E")).nanoValue()).toBe(10n ** 27n + 1n);
  });
  it("compares by value, not by text", () => {
    expect(q("1000m").cmp(q("1"))).toBe(0);
    expect(q("1Ki").cmp(q("1k"))).toBe(1);
    expect(q("-1").cmp(q("0"))).toBe(-1);
    expect(q("1e3").equals(q("1k"))).toBe(true);
    expect(q("2").sign()).toBe(1);
    expect(q("-2m").sign()).toBe(-1);
    expect(Quantity.zero.isZero()).toBe(true);
    expect(q("-2m").neg().toString()).toBe("2m");
  });
  it("converts to float", () => {
    expect(q("1500m").toNumber()).toBe(1.5);
    expect(q("-1n").toNumber()).toBe(-1e-9);
    expect(q("100Mi").toNumber()).toBe(104857600);
    expect(q("12e-3").toNumber()).toBe(0.012);
  });
  it("rounds up to a scale (upstream RoundUp)", () => {
    const m = q("1001u").roundUp(-3);
    expect(m.quantity.toString()).toBe("2m");
    expect(m.exact).toBe(false);
    const r = q("1500m").roundUp(0);
    expect(r.quantity.toString()).toBe("2");
    expect(r.exact).toBe(false);
    expect(q("-1500m").roundUp(0).quantity.toString()).toBe("-2");
    expect(q("3").roundUp(-3).exact).toBe(true);
  });
  it("changes format without changing value", () => {
    expect(q("1024").withFormat("BinarySI").toString()).toBe("1Ki");
    expect(q("1Ki").withFormat("DecimalSI").toString()).toBe("1024");
    expect(q("1k").withFormat("DecimalExponent").toString()).toBe("1e3");
  });
  it("serialises to JSON as a string", () => {
    expect(JSON.stringify({ v: q("1.5") })).toBe('{"v":"1500m"}');
  });
});

describe("factories", () => {
  it("fromMilli mirrors NewMilliQuantity", () => {
    expect(Quantity.fromMilli(200).toString()).toBe("200m");
    expect(Quantity.fromMilli(1000).toString()).toBe("1");
    expect(Quantity.fromMilli(1_048_576, "BinarySI").toString()).toBe("1048576m");
    expect(Quantity.fromMilli(1_048_576_000, "BinarySI").toString()).toBe("1Mi");
    expect(Quantity.fromMilli(-1500n).milliValue()).toBe(-1500);
    expect(() => Quantity.fromMilli(1.5)).toThrow(ToolkitError);
  });
  it("fromValue mirrors NewQuantity", () => {
    expect(Quantity.fromValue(3).toString()).toBe("3");
    expect(Quantity.fromValue(2048, "BinarySI").toString()).toBe("2Ki");
  });
  it("fromScaled mirrors NewScaledQuantity", () => {
    expect(Quantity.fromScaled(5, -3).toString()).toBe("5m");
    expect(Quantity.fromScaled(5, 3).toString()).toBe("5k");
    expect(Quantity.fromScaled(5, -12).toString()).toBe("1n");
  });
  it("fromNumber reads the float's shortest decimal text, rounding to nano", () => {
    expect(Quantity.fromNumber(0.5).toString()).toBe("500m");
    expect(Quantity.fromNumber(64.1).toString()).toBe("64100m");
    expect(Quantity.fromNumber(1e-7).toString()).toBe("100n");
    expect(Quantity.fromNumber(1e-12).toString()).toBe("1n");
    expect(Quantity.fromNumber(1.5e21).toString()).toBe("1500E");
    expect(Quantity.fromNumber(1048576, "BinarySI").toString()).toBe("1Mi");
    expect(Quantity.fromNumber(0.5, "BinarySI").format).toBe("DecimalSI");
    expect(Quantity.fromNumber(-2.25).toString()).toBe("-2250m");
    expect(() => Quantity.fromNumber(Number.NaN)).toThrow(ToolkitError);
    expect(() => Quantity.fromNumber(Number.POSITIVE_INFINITY)).toThrow(ToolkitError);
  });
});

describe("formatMetricValue (prometheus-adapter: NewMilliQuantity(int64(v*1000)))", () => {
  it.each([
    [0.2, "200m"],
    [2, "2"],
    [1.5, "1500m"],
    [0.016, "16m"],
    [20.5, "20500m"],
    [41.2, "41200m"],
    [50, "50"],
    [12345678, "12345678"],
    [1000, "1k"],
    [1500, "1500"],
    [10000, "10k"],
    [1e9, "1G"],
    [123456.789, "123456789m"],
    [0.0005, "0"],
    [0.0009, "0"],
    [-1.5, "-1500m"],
    [-0.0005, "0"],
    [Number.NaN, "0"],
    [1.005, "1004m"],
    [64.1, "64099m"],
    [0, "0"],
  ])("DecimalSI %d → %s", (value, wire) => {
    expect(formatMetricValue(value)).toBe(wire);
  });

  it.each([
    [500, "500"],
    [1000, "1k"],
    [123.5, "123500m"],
    [1024, "1Ki"],
    [1048576, "1Mi"],
    [2048000, "2000Ki"],
    [3100, "3100"],
    [1048.576, "1048576m"],
  ])("BinarySI %d → %s", (value, wire) => {
    expect(formatMetricValue(value, "BinarySI")).toBe(wire);
  });

  it("int64 overflow behaves as Go on amd64 (minimum int64)", () => {
    expect(metricValueQuantity(Number.POSITIVE_INFINITY).milliValueBig()).toBe(-(1n << 63n));
    expect(metricValueQuantity(1e300).milliValueBig()).toBe(-(1n << 63n));
  });

  it("every wire text parses back to the truncated milli value", () => {
    for (const v of [0.2, 1.005, 64.1, 123456.789, 1e9, -1.5, 7.77777]) {
      expect(q(formatMetricValue(v)).milliValue()).toBe(Math.trunc(v * 1000));
    }
  });
});

describe("parseQuantityValue (upstream Quantity.UnmarshalJSON)", () => {
  it("accepts strings (trimmed) and numbers", () => {
    expect(parseQuantityValue(" 500m ", "f").toString()).toBe("500m");
    expect(parseQuantityValue(100, "f").toString()).toBe("100");
    expect(parseQuantityValue(0.5, "f").toString()).toBe("500m");
    expect(parseQuantityValue(1e21, "f").canonical()).toBe("1e21");
    expect(parseQuantityValue(-2, "f").milliValue()).toBe(-2000);
  });
  it.each([null, undefined, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY, "", "   ", "1 Gi"])(
    "rejects %j naming the field",
    (value) => {
      let caught: unknown;
      try {
        parseQuantityValue(value, "spec.metrics[0].pods.target.averageValue");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ToolkitError);
      expect((caught as ToolkitError).code).toBe("INVALID_INPUT");
      expect((caught as ToolkitError).where).toBe("spec.metrics[0].pods.target.averageValue");
    },
  );
});
