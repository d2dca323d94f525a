import { describe, expect, it } from "vitest";
import { Quantity } from "../quantity/quantity.js";
import { formatGoLabelSelector, formatMilli, setCondition } from "./status.js";

describe("formatMilli (NewMilliQuantity(v, DecimalSI).String())", () => {
  it("matches the canonical quantity form", () => {
    const values = [
      0, 1, -1, 200, 999, 1000, 1500, 41200, 50000, 1_000_000, 1_500_000, 2_000_000_000, -3_000_000,
      104857600000, 123456789012345,
    ];
    for (const v of values) expect(formatMilli(v)).toBe(Quantity.fromMilli(v, "DecimalSI").toString());
    expect(formatMilli(41200)).toBe("41200m");
    expect(formatMilli(50000)).toBe("50");
    expect(formatMilli(2 ** 63)).toBe("9223372036854775807m");
  });

  it("prints unsafe integers exactly and saturates at the int64 bounds", () => {
    expect(formatMilli(9e18)).toBe("9P");
    expect(formatMilli(2 ** 60)).toBe(Quantity.fromMilli(2n ** 60n, "DecimalSI").toString());
    expect(formatMilli(-(2 ** 60))).toBe(Quantity.fromMilli(-(2n ** 60n), "DecimalSI").toString());
    expect(formatMilli(Number.POSITIVE_INFINITY)).toBe("9223372036854775807m");
    expect(formatMilli(-(2 ** 64))).toBe("-9223372036854775808m");
    expect(formatMilli(Number.NaN)).toBe("0");
  });
});

describe("formatGoLabelSelector (%+v of *metav1.LabelSelector)", () => {
  it("prints nil, empty and populated selectors like Go", () => {
    expect(formatGoLabelSelector(undefined)).toBe("nil");
    expect(
      formatGoLabelSelector({
        matchLabels: { b: "2", a: "1" },
        matchExpressions: [{ key: "k", operator: "In", values: ["x", "y"] }],
      }),
    ).toBe(
      "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}",
    );
  });
});

describe("setCondition (setConditionInList)", () => {
  it("appends new types in order and moves lastTransitionTime only on a status flip", () => {
    let list = setCondition([], "AbleToScale", "True", "SucceededGetScale", "m1", 1);
    list = setCondition(list, "ScalingActive", "True", "ValidMetricFound", "m2", 1);
    list = setCondition(list, "AbleToScale", "True", "ReadyForNewScale", "m3", 2);
    expect(list[0]).toEqual({
      type: "AbleToScale",
      status: "True",
      reason: "ReadyForNewScale",
      message: "m3",
      lastTransitionTime: 1,
    });
    list = setCondition(list, "ScalingActive", "False", "FailedGetPodsMetric", "m4", 3);
    expect(list[1]).toMatchObject({ status: "False", lastTransitionTime: 3 });
    expect(list.map((c) => c.type)).toEqual(["AbleToScale", "ScalingActive"]);
  });
});
