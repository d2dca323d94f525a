import { describe, expect, it } from "vitest";
import { checkServiceTargets, defaultHpa, loadPhases, podsTarget } from "./scenario.js";

describe("the default scenario of tidescale up", () => {
  it("is a warm-up at 5 req/s, the burst, then 5 req/s until the HPA is back at min", () => {
    expect(loadPhases(240, 60_000).map((p) => [p.name, p.rps, p.untilMinReplicas])).toEqual([
      ["warm-up", 5, false],
      ["burst", 240, false],
      ["cool-down", 5, true],
    ]);
  });

  it("uses the seed's HPA with the given scale-down window", () => {
    const hpa = defaultHpa({ name: "web", namespace: "demo", app: "web", metric: "http_requests_qps" }, 60);
    expect(hpa.metadata).toEqual({ name: "web", namespace: "demo" });
    expect(hpa.spec.minReplicas).toBe(1);
    expect(hpa.spec.maxReplicas).toBe(5);
    expect(hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(60);
    expect(hpa.spec.behavior?.scaleUp?.policies).toEqual([
      { type: "Pods", value: 4, periodSeconds: 15 },
      { type: "Percent", value: 100, periodSeconds: 15 },
    ]);
    expect(podsTarget(hpa)).toBe(50);
  });
});

describe("checkServiceTargets", () => {
  it("accepts targets on the local Service and names the first one that is not", () => {
    expect(() =>
      checkServiceTargets(
        ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b?x=1"],
        "http://127.0.0.1:8080",
        "t.txt",
      ),
    ).not.toThrow();
    expect(() =>
      checkServiceTargets(
        ["http://127.0.0.1:8080/", "http://127.0.0.1:9090/"],
        "http://127.0.0.1:8080",
        "t.txt",
      ),
    ).toThrow(
      expect.objectContaining({
        where: "t.txt: target 2",
        message: expect.stringContaining(
          "http://127.0.0.1:9090/ does not go to the local Service http://127.0.0.1:8080",
        ),
      }),
    );
  });
});
