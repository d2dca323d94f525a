import { describe, expect, it } from "vitest";
import { metricSamples } from "./metric-list.js";

describe("metricSamples", () => {
  it("reads a MetricValueList like the HPA controller: milli-values, timestamps, windows (default 60s)", () => {
    const body = {
      kind: "MetricValueList",
      items: [
        {
          describedObject: { kind: "Pod", namespace: "default", name: "app-1" },
          metricName: "http_requests_qps",
          timestamp: "2026-12-08T01:00:00Z",
          windowSeconds: 30,
          value: "55386m",
        },
        { describedObject: { name: "app-2" }, timestamp: "2026-12-08T01:00:00Z", value: "2" },
      ],
    };
    const t = Date.UTC(2026, 11, 8, 1);
    expect(metricSamples(body)).toEqual({
      samples: [
        { pod: "app-1", value: 55386, timestamp: t, windowMs: 30_000 },
        { pod: "app-2", value: 2000, timestamp: t, windowMs: 60_000 },
      ],
    });
  });

  it("names what is wrong with a malformed answer", () => {
    expect(metricSamples({})).toEqual({ error: "metric list: no items array" });
    expect(metricSamples({ items: [{ describedObject: {} }] })).toEqual({
      error: "metric list: items[0].describedObject.name is missing",
    });
    expect(metricSamples({ items: [{ describedObject: { name: "a" }, value: "lots" }] })).toEqual({
      error: "metric list: items[0].value is not a quantity",
    });
    expect(
      metricSamples({ items: [{ describedObject: { name: "a" }, value: "1", timestamp: "yesterday" }] }),
    ).toEqual({ error: "metric list: items[0].timestamp is not RFC 3339" });
  });
});
