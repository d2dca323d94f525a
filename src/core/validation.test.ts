import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ToolkitError } from "./errors.js";
import { editDistance, formatPath, parseWith, suggest } from "./validation.js";

const schema = z.strictObject({
  spec: z.strictObject({
    minReplicas: z.number().int().min(1).optional(),
    metrics: z.array(z.strictObject({ type: z.enum(["Pods", "Resource"]) })),
  }),
});

function failure(value: unknown): ToolkitError {
  try {
    parseWith(schema, value, "hpa.yaml");
  } catch (e) {
    return e as ToolkitError;
  }
  throw new Error("expected a failure");
}

describe("validation", () => {
  it("formats paths like kubectl field paths", () => {
    expect(formatPath(["spec", "metrics", 1, "pods"])).toBe("spec.metrics[1].pods");
  });
  it("computes edit distances and suggestions", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(suggest("minReplica", ["minReplicas", "maxReplicas"])).toBe("minReplicas");
    expect(suggest("zzz", ["minReplicas"])).toBeUndefined();
  });
  it("names the field path of a bad value", () => {
    const e = failure({ spec: { metrics: [{ type: "Pods" }, { type: "Nope" }] } });
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.where).toBe("hpa.yaml: spec.metrics[1].type");
  });
  it("reports missing required fields", () => {
    expect(failure({ spec: {} }).oneLine()).toBe("hpa.yaml: spec.metrics: required field is missing");
  });
  it("suggests the closest known field for an unknown key", () => {
    const e = failure({ spec: { minReplica: 1, metrics: [] } });
    expect(e.oneLine()).toBe(
      'hpa.yaml: spec.minReplica: unknown field "minReplica" (did you mean "minReplicas"?)',
    );
  });
});
