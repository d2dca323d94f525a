import { describe, expect, it } from "vitest";
import type { LocalPod } from "./pods.js";
import { endpoints, pickEndpoint } from "./service.js";

const pod = (ordinal: number, phase: LocalPod["phase"]): LocalPod => ({
  name: `app-${ordinal}`,
  ordinal,
  ip: `127.0.1.${ordinal}`,
  phase,
  createdAt: 0,
  restarts: 0,
});

describe("the local Service", () => {
  it("has only Ready pods as endpoints, in ordinal order", () => {
    const e = endpoints([pod(3, "Ready"), pod(1, "Starting"), pod(2, "Draining"), pod(4, "Ready")]);
    expect(e.map((p) => p.name)).toEqual(["app-3", "app-4"]);
  });

  it("rotates round-robin by ordinal, so pods joining or leaving do not restart the rotation", () => {
    const ready = [pod(1, "Ready"), pod(3, "Ready"), pod(5, "Ready")];
    const seen: string[] = [];
    let last = 0;
    for (let i = 0; i < 4; i++) {
      const p = pickEndpoint(ready, last)!;
      seen.push(p.name);
      last = p.ordinal;
    }
    expect(seen).toEqual(["app-1", "app-3", "app-5", "app-1"]);
    expect(pickEndpoint([pod(1, "Ready"), pod(5, "Ready")], 3)?.name).toBe("app-5");
    expect(pickEndpoint([], 0)).toBeUndefined();
  });
});
