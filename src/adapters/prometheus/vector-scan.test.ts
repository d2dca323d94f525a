import { describe, expect, it } from "vitest";
import { scanVectorByLabel } from "./vector-scan.js";

/** What the handler derives from JSON.parse for the same text: sample count and last value per label. */
function viaJsonParse(text: string, label: string) {
  const body = JSON.parse(text) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  const byLabel = new Map<string, string>();
  for (const s of body.data.result) {
    const n = s.metric[label];
    if (n !== undefined) byLabel.set(n, s.value[1]);
  }
  return { resultType: "vector", samples: body.data.result.length, byLabel };
}

const answer = (result: unknown, data: Record<string, unknown> = {}) =>
  JSON.stringify({ status: "success", data: { resultType: "vector", result, ...data } });

describe("scanVectorByLabel", () => {
  it("reads a Prometheus vector answer like JSON.parse does (last sample wins, unlabelled ones counted)", () => {
    const texts = [
      answer([]),
      answer([{ metric: {}, value: [1700000000, "1"] }]),
      answer([
        { metric: { pod: "a", namespace: "ns" }, value: [1700000000.123, "1.5"] },
        { metric: { namespace: "ns" }, value: [1700000000.123, "7"] },
        { metric: { namespace: "ns", pod: "b", podx: "zz", xpod: "yy" }, value: [1700000000.123, "NaN"] },
        { metric: { pod: "a" }, value: [1700000001, "+Inf"] },
        { metric: { pod: "ü-ñ 😀", p: "pod" }, value: [1e9, "-2.5e-7"] },
        { metric: { po: "x", pods: "y" }, value: [0, "3"] },
      ]),
    ];
    for (const t of texts)
      for (const label of ["pod", "namespace", "p", "missing"])
        expect(scanVectorByLabel(t, label)).toEqual(viaJsonParse(t, label));
  });

  it("a label repeated inside one sample keeps the last value, as JSON.parse does", () => {
    const t =
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a","pod":"b"},"value":[1,"2"]}]}}';
    expect(scanVectorByLabel(t, "pod")).toEqual(viaJsonParse(t, "pod"));
  });

  it("leaves everything else to JSON.parse", () => {
    const others = [
      JSON.stringify({ status: "success", data: { resultType: "scalar", result: [1, "2"] } }),
      JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }),
      JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" }),
      answer([{ metric: { pod: 'a"b' }, value: [1, "2"] }]), // escaped quote
      answer([{ metric: { pod: "a\\b" }, value: [1, "2"] }]), // escaped backslash
      answer([{ metric: { pod: "a\nb" }, value: [1, "2"] }]), // escaped control character
      `${answer([{ metric: { pod: "a" }, value: [1, "2"] }]).slice(0, -2)},"warnings":["w"]}}`,
      answer([{ metric: { pod: "a" }, value: [1, "2"] }]).replace(":[", ": ["), // whitespace
      answer([{ value: [1, "2"], metric: { pod: "a" } }]), // other key order
      answer([{ metric: { pod: "a" }, value: [1, "2"] }]).slice(0, -1), // truncated
      `${answer([])} `,
      answer([{ metric: { pod: "a" }, value: ["1", "2"] }]), // timestamp not a number
      answer([{ metric: { pod: "a" }, value: [1, 2] }]), // value not a string
      answer([{ metric: { pod: 1 }, value: [1, "2"] }]),
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[01,"2"]}]}}',
      "",
      "not json",
    ];
    for (const t of others) expect(scanVectorByLabel(t, "pod")).toBeUndefined();
  });
});
