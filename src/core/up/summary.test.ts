import { describe, expect, it } from "vitest";
import type { UpRecord } from "./feed.js";
import { quantile, renderUpSummary, summarize } from "./summary.js";

const sample = (t: number, currentReplicas: number, errors: number): UpRecord => ({
  kind: "sample",
  t,
  offeredRps: 10,
  servedRps: 10 - errors,
  errors,
  desiredReplicas: currentReplicas,
  currentReplicas,
  readyReplicas: currentReplicas,
  target: 50,
  pods: [],
});

const rescale = (t: number, size: number): UpRecord => ({
  kind: "event",
  t,
  type: "Normal",
  reason: "SuccessfulRescale",
  object: "hpa/app",
  message: `New size: ${size}; reason: pods metric http_requests_qps above target`,
});

describe("quantile", () => {
  it("is the nearest rank of sorted values", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile([7], 0)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe("summarize", () => {
  it("adds pod time per tick, counts ticks with unserved requests and rescales up and down", () => {
    const records = [
      sample(0, 1, 0),
      rescale(500, 3),
      sample(1000, 1, 4),
      sample(2000, 3, 0),
      rescale(2500, 1),
      sample(3000, 1, 0),
    ];
    const s = summarize(records, { scheduled: 40, served: 36, unserved: 4 }, 1000);
    expect(s).toEqual({
      durationMs: 3000,
      podHours: 6 / 3600,
      underProvisionedSeconds: 1,
      totals: { scheduled: 40, served: 36, unserved: 4 },
      peakReplicas: 3,
      scaleUps: 1,
      scaleDowns: 1,
      podCrashes: 0,
    });
    expect(renderUpSummary(s)).toBe(
      "ran:               3s\n" +
        "pod-hours:         0.002\n" +
        "under-provisioned: 1s with requests not served\n" +
        "requests:          40 sent, 36 served (2xx), 4 unserved (10.00%)\n" +
        "peak replicas:     3\n" +
        "scale events:      2 (1 up, 1 down)\n",
    );
  });
});
