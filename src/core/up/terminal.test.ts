import { describe, expect, it } from "vitest";
import { eventLine, hpaHeader, hpaLine, hpaRowChanged } from "./terminal.js";

describe("kubectl-style lines", () => {
  const row = {
    name: "sample-app",
    reference: "Deployment/sample-app",
    targets: "55386m/50",
    minPods: 1,
    maxPods: 5,
    replicas: 2,
    ageMs: 54_000,
  };

  it("prints HPA rows aligned under their header", () => {
    const header = hpaHeader(row.name, row.reference);
    const line = hpaLine(row);
    expect(header).toBe(
      "NAME         REFERENCE               TARGETS               MINPODS   MAXPODS   REPLICAS   AGE",
    );
    expect(line).toBe(
      "sample-app   Deployment/sample-app   55386m/50             1         5         2          54s",
    );
    expect(line.indexOf("55386m")).toBe(header.indexOf("TARGETS"));
  });

  it("prints a new row only when a column other than AGE changed", () => {
    expect(hpaRowChanged(undefined, row)).toBe(true);
    expect(hpaRowChanged(row, { ...row, ageMs: 69_000 })).toBe(false);
    expect(hpaRowChanged(row, { ...row, replicas: 3 })).toBe(true);
  });

  it("prints events indented under the rows", () => {
    expect(
      eventLine({
        kind: "event",
        t: 0,
        type: "Normal",
        reason: "PodReady",
        object: "pod/sample-app-2",
        message: "ready",
      }),
    ).toBe("  Normal   PodReady                      pod/sample-app-2      ready");
  });
});
