import { describe, expect, it } from "vitest";
import { formatMetricValue } from "../quantity/quantity.js";
import {
  apiGroup,
  apiGroupList,
  externalMetricValueList,
  metricValueList,
  metricValueListJson,
  metricValueText,
  nodeMetricsList,
  podMetrics,
  rfc3339,
  SERVED_GROUPS,
  status,
  toLabelSelector,
} from "./api-objects.js";
import { lookupResource } from "./resources.js";

const pods = lookupResource("pods")!;
const T = Date.UTC(2023, 1, 28, 19, 52, 1, 789);

describe("wire objects", () => {
  it("prints timestamps with second precision", () => {
    expect(rfc3339(T)).toBe("2023-02-28T19:52:01Z");
  });

  it("v1beta1 MetricValueList item: metricName, selector null, /v1 apiVersion", () => {
    const list = metricValueList("v1beta1", [
      {
        resource: pods,
        namespace: "default",
        name: "p-1",
        metricName: "http_requests",
        selector: null,
        timestampMs: T,
        value: 0.5,
      },
    ]);
    expect(JSON.stringify(list)).toBe(
      '{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta1","metadata":{},"items":[{"describedObject":{"kind":"Pod","namespace":"default","name":"p-1","apiVersion":"/v1"},"metricName":"http_requests","timestamp":"2023-02-28T19:52:01Z","value":"500m","selector":null}]}',
    );
  });

  it("v1beta2 MetricValueList item: metric.name/selector, windowSeconds", () => {
    const list = metricValueList("v1beta2", [
      {
        resource: lookupResource("deployments.apps")!,
        namespace: "ns",
        name: "web",
        metricName: "q",
        selector: { matchLabels: { param1: "value1" } },
        timestampMs: T,
        value: 1000,
        windowSeconds: 60,
      },
    ]) as { items: unknown[] };
    expect(list.items[0]).toEqual({
      describedObject: { kind: "Deployment", namespace: "ns", name: "web", apiVersion: "apps/v1" },
      metric: { name: "q", selector: { matchLabels: { param1: "value1" } } },
      timestamp: "2023-02-28T19:52:01Z",
      windowSeconds: 60,
      value: "1k",
    });
  });

  it.each([
    [0.2, "200m"],
    [2, "2"],
    [20.5, "20500m"],
    [1000, "1k"],
    [1.005, "1004m"],
    [-1.5, "-1500m"],
  ])("custom value %d -> %s on the wire", (v, want) => {
    const list = metricValueList("v1beta2", [
      {
        resource: pods,
        namespace: "n",
        name: "p",
        metricName: "m",
        selector: null,
        timestampMs: T,
        value: v,
      },
    ]) as { items: Array<{ value: string }> };
    expect(list.items[0]!.value).toBe(want);
  });

  // A non-finite value is never served, not even as 0: the handler leaves it out; here it is a bug.
  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    "refuses to serve %d in any value list",
    (v) => {
      const common = { resource: pods, namespace: "n", metricName: "m", selector: null, timestampMs: T };
      for (const version of ["v1beta1", "v1beta2"]) {
        expect(() => metricValueList(version, [{ ...common, name: "p", value: v }])).toThrow(RangeError);
        expect(() => metricValueListJson(version, common, [{ name: "p", value: v }])).toThrow(/non-finite/);
      }
      expect(() =>
        externalMetricValueList([{ metricName: "m", metricLabels: null, timestampMs: T, value: v }]),
      ).toThrow(RangeError);
      expect(() =>
        podMetrics(
          {
            namespace: "n",
            name: "p",
            timestampMs: T,
            windowMs: 60_000,
            containers: [{ name: "c", usage: { cpu: v, memory: 1 } }],
          },
          T,
        ),
      ).toThrow(RangeError);
    },
  );

  it("ExternalMetricValueList with labels and a scalar", () => {
    expect(
      externalMetricValueList([
        { metricName: "queue_depth", metricLabels: { name: "q1" }, timestampMs: T, value: 12 },
        { metricName: "queue_depth", metricLabels: null, timestampMs: T, value: 0.016 },
      ]),
    ).toEqual({
      kind: "ExternalMetricValueList",
      apiVersion: "external.metrics.k8s.io/v1beta1",
      metadata: {},
      items: [
        {
          metricName: "queue_depth",
          metricLabels: { name: "q1" },
          timestamp: "2023-02-28T19:52:01Z",
          value: "12",
        },
        { metricName: "queue_depth", metricLabels: null, timestamp: "2023-02-28T19:52:01Z", value: "16m" },
      ],
    });
  });

  it("NodeMetricsList and PodMetrics: CPU DecimalSI, memory BinarySI, window as Go duration", () => {
    expect(
      nodeMetricsList(
        [{ name: "n1", timestampMs: T, windowMs: 60_000, usage: { cpu: 1.1, memory: 1048576 } }],
        T,
      ),
    ).toEqual({
      kind: "NodeMetricsList",
      apiVersion: "metrics.k8s.io/v1beta1",
      metadata: {},
      items: [
        {
          metadata: { name: "n1", creationTimestamp: "2023-02-28T19:52:01Z" },
          timestamp: "2023-02-28T19:52:01Z",
          window: "1m0s",
          usage: { cpu: "1100m", memory: "1Mi" },
        },
      ],
    });
    expect(
      podMetrics(
        {
          namespace: "ns",
          name: "p",
          timestampMs: T,
          windowMs: 30_000,
          containers: [{ name: "c", usage: { cpu: -1, memory: 500 } }],
        },
        T,
      ),
    ).toMatchObject({
      kind: "PodMetrics",
      window: "30s",
      containers: [{ name: "c", usage: { cpu: "0", memory: "500" } }],
    });
  });

  it("metav1.Status", () => {
    expect(status(404, "the server could not find the metric m for pods")).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server could not find the metric m for pods",
      reason: "NotFound",
      code: 404,
    });
    expect(
      status(500, "Internal error occurred: unable to fetch metrics", {
        causes: ["unable to fetch metrics"],
      }),
    ).toMatchObject({
      reason: "InternalError",
      details: { causes: [{ message: "unable to fetch metrics" }] },
    });
  });

  it("group discovery prefers the first version", () => {
    expect(apiGroup("custom.metrics.k8s.io", ["v1beta1", "v1beta2"])).toMatchObject({
      preferredVersion: { groupVersion: "custom.metrics.k8s.io/v1beta1", version: "v1beta1" },
    });
    const l = apiGroupList(SERVED_GROUPS) as { groups: Array<{ name: string }> };
    expect(l.groups.map((g) => g.name)).toEqual([
      "custom.metrics.k8s.io",
      "external.metrics.k8s.io",
      "metrics.k8s.io",
    ]);
  });

  it("toLabelSelector splits equality terms from expressions", () => {
    expect(
      toLabelSelector([
        { key: "a", operator: "=", values: ["1"] },
        { key: "b", operator: "in", values: ["x", "y"] },
        { key: "c", operator: "exists", values: [] },
      ]),
    ).toEqual({
      matchLabels: { a: "1" },
      matchExpressions: [
        { key: "b", operator: "In", values: ["x", "y"] },
        { key: "c", operator: "Exists" },
      ],
    });
  });
});

describe("fast wire text (same bytes as the objects)", () => {
  // Deterministic spread of magnitudes, signs and fractions (a small LCG, no Math.random).
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const samples: number[] = [
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    2,
    1000,
    1e6,
    1e9,
    1e12,
    1.005,
    64.1,
    0.0001,
    -0.0009,
    999.9999,
    1e15,
    9.007e12,
    9.1e12,
    1e16,
    1e18,
    1e19,
    1e21,
    -1e21,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
    Number.MAX_SAFE_INTEGER,
    2 ** 63 / 1000,
    -(2 ** 63) / 1000,
    123456.789,
    1e-300,
  ];
  for (let i = 0; i < 4000; i++) {
    const mag = 10 ** Math.floor(next() * 24 - 6);
    const v = (next() - 0.3) * mag;
    samples.push(v, Math.round(v), Math.round(v) * 1000);
  }

  it("metricValueText prints exactly what formatMetricValue prints", () => {
    const differ = samples.filter((v) => metricValueText(v) !== formatMetricValue(v));
    expect(differ.map((v) => [v, metricValueText(v), formatMetricValue(v)])).toEqual([]);
  });

  it("metricValueListJson is JSON.stringify of metricValueList, for both versions and every option", () => {
    const variants = [
      { namespace: "default", selector: null, windowSeconds: undefined },
      { namespace: undefined, selector: null, windowSeconds: undefined },
      { namespace: "", selector: { matchLabels: { verb: "GET" } }, windowSeconds: 60 },
      {
        namespace: 'we"ird\\ns\u00e9\u2028',
        selector: { matchExpressions: [{ key: "k", operator: "In", values: ["a", "b"] }] },
        windowSeconds: 0.5,
      },
    ];
    const values = [
      { name: "p-1", value: 1.5 },
      { name: 'q"\\\n\u0001\u00fc\ud83d\ude00', value: 0 },
      { name: "r", value: 1e21 },
      { name: "s", value: -2000 },
    ];
    for (const version of ["v1beta1", "v1beta2"])
      for (const v of variants)
        for (const resource of [pods, lookupResource("deployments.apps")!, lookupResource("nodes")!]) {
          const common = { resource, metricName: 'm"x', timestampMs: T, ...v };
          const expected = JSON.stringify(
            metricValueList(
              version,
              values.map((x) => ({ ...common, ...x })),
            ),
          );
          expect(metricValueListJson(version, common, values)).toBe(expected);
          expect(metricValueListJson(version, common, [])).toBe(JSON.stringify(metricValueList(version, [])));
        }
  });
});
