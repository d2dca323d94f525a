import { describe, expect, it } from "vitest";
import { route } from "./routes.js";

const C = "/apis/custom.metrics.k8s.io/v1beta2";
describe("route", () => {
  it.each([
    ["/apis", { t: "apis" }],
    ["/apis/", { t: "apis" }],
    ["/apis/custom.metrics.k8s.io", { t: "group", group: "custom.metrics.k8s.io" }],
    [C, { t: "discovery", group: "custom.metrics.k8s.io", version: "v1beta2" }],
    [
      "/apis/external.metrics.k8s.io/v1beta1",
      { t: "discovery", group: "external.metrics.k8s.io", version: "v1beta1" },
    ],
    [
      `${C}/namespaces/ns/pods/%2A/http_requests_qps`,
      {
        t: "custom",
        version: "v1beta2",
        namespace: "ns",
        resource: "pods",
        name: "*",
        metric: "http_requests_qps",
        namespaceMetric: false,
      },
    ],
    [
      `${C}/namespaces/ns/pods/p-1/m`,
      {
        t: "custom",
        version: "v1beta2",
        namespace: "ns",
        resource: "pods",
        name: "p-1",
        metric: "m",
        namespaceMetric: false,
      },
    ],
    [
      `${C}/nodes/n1/m`,
      { t: "custom", version: "v1beta2", resource: "nodes", name: "n1", metric: "m", namespaceMetric: false },
    ],
    [
      `${C}/namespaces/ns/metrics/m`,
      {
        t: "custom",
        version: "v1beta2",
        resource: "namespaces",
        name: "ns",
        metric: "m",
        namespaceMetric: true,
      },
    ],
    [
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth",
      { t: "external", namespace: "ns", metric: "queue_depth" },
    ],
    ["/apis/metrics.k8s.io/v1beta1/nodes", { t: "nodes" }],
    ["/apis/metrics.k8s.io/v1beta1/nodes/n1", { t: "nodes", name: "n1" }],
    ["/apis/metrics.k8s.io/v1beta1/pods", { t: "pods" }],
    ["/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods", { t: "pods", namespace: "ns" }],
    ["/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/p", { t: "pods", namespace: "ns", name: "p" }],
  ])("%s", (path, want) => {
    expect(route("GET", path)).toEqual(want);
  });

  it.each([
    [`${C}/namespaces/foo/bar`, 400, "invalid request path"],
    [`${C}/namespaces/*/metricname`, 400, "invalid request path"],
    [`${C}/nodes/foo`, 404, ""],
    [`${C}/namespaces/ns/pods/bar`, 404, ""],
    [`${C}/blah`, 404, ""],
    ["/apis/custom.metrics.k8s.io/v1", 404, ""],
    ["/apis/other.k8s.io", 404, ""],
    ["/api/v1", 404, ""],
    ["/apis/external.metrics.k8s.io/v1beta1/queue_depth", 404, ""],
    ["/apis/external.metrics.k8s.io/v1beta1/namespaces/ns", 404, ""],
    ["/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/a/b", 404, ""],
    [`${C}/namespaces/ns/pods/${"a".repeat(300)}/m`, 400, "segment of 300 characters"],
    [`${C}/namespaces/ns/pods/%E0%A4%A/m`, 400, "bad percent-encoding"],
    [`${C}/namespaces/ns/pods/a%2Fb/m`, 400, "encoded '/'"],
    [`${C}/namespaces//pods/a/m`, 400, "empty path segment"],
  ])("%s -> %i", (path, code, msg) => {
    const r = route("GET", path);
    expect(r.t).toBe("error");
    expect(r.t === "error" && r.code).toBe(code);
    if (msg) expect(r.t === "error" && r.message).toContain(msg);
  });

  it("rejects writes", () => {
    expect(route("POST", C)).toMatchObject({ t: "error", code: 405 });
  });
});
