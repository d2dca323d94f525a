import { describe, expect, it } from "vitest";
import { type UpEvent, UpFeed, type UpRunInfo, type UpSample } from "./feed.js";

const info: UpRunInfo = {
  mode: "local",
  namespace: "default",
  hpaName: "sample-app",
  metricName: "http_requests_qps",
  minReplicas: 1,
  maxReplicas: 5,
  prometheusUrl: "http://127.0.0.1:9090",
  adapterUrl: "http://127.0.0.1:6443",
  startedAt: 1000,
};

function sample(t: number, desiredReplicas: number): UpSample {
  return {
    kind: "sample",
    t,
    offeredRps: 240,
    servedRps: 239,
    errors: 0,
    desiredReplicas,
    currentReplicas: 1,
    readyReplicas: 1,
    target: 50,
    pods: [{ name: "sample-app-1", ip: "127.0.1.1", phase: "Ready", metric: 239 }],
  };
}

const rescale: UpEvent = {
  kind: "event",
  t: 2500,
  type: "Normal",
  reason: "SuccessfulRescale",
  object: "hpa/sample-app",
  message: "New size: 2; reason: pods metric http_requests_qps above target",
};

describe("UpFeed", () => {
  it("keeps records in order, replays them, and hands new ones to subscribers until they unsubscribe", () => {
    const feed = new UpFeed(info);
    feed.publish(sample(1000, 1));
    const seen: number[] = [];
    const unsubscribe = feed.subscribe((r) => seen.push(r.t));
    feed.publish(sample(2000, 2));
    feed.publish(rescale);
    unsubscribe();
    feed.publish(sample(3000, 2));
    expect(seen).toEqual([2000, 2500]);
    expect(feed.history().map((r) => r.t)).toEqual([1000, 2000, 2500, 3000]);
    expect(feed.latestSample()?.t).toBe(3000);
  });

  it("refuses a record older than the last one", () => {
    const feed = new UpFeed(info);
    feed.publish(sample(2000, 1));
    expect(() => feed.publish(sample(1999, 1))).toThrow(/older than the last one/);
  });

  it("exports the run info and a copy of the records", () => {
    const feed = new UpFeed(info);
    feed.publish(rescale);
    const exported = feed.export();
    expect(exported.apiVersion).toBe("tidescale.dev/up/v1");
    expect(exported.info).toEqual(info);
    exported.records.pop();
    expect(feed.history()).toHaveLength(1);
  });
});
