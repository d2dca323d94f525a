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

  // Names from the path, checked by Kubernetes' rules before anything else (400 naming the value).
  const E = "/apis/external.metrics.k8s.io/v1beta1";
  const M = "/apis/metrics.k8s.io/v1beta1";
  const inject = encodeURIComponent('x"} or vector(1) or {a="');
  it.each([
    [
      `${C}/namespaces/${inject}/pods/p/m`,
      'invalid namespace "x\\"} or vector(1) or {a=\\""',
      "RFC 1123 label",
    ],
    [`${C}/namespaces/Default/pods/p/m`, 'invalid namespace "Default"', "RFC 1123 label"],
    [`${C}/namespaces/a.b/pods/p/m`, 'invalid namespace "a.b"', "RFC 1123 label"],
    [`${C}/namespaces/ns/pods/${inject}/m`, "invalid pods name", "RFC 1123 subdomain"],
    [`${C}/namespaces/ns/pods/P/m`, 'invalid pods name "P"', "RFC 1123 subdomain"],
    [`${C}/namespaces/ns/services/1svc/m`, 'invalid services name "1svc"', "DNS-1035 label"],
    [`${C}/namespaces/ns/service.core/a.b/m`, 'invalid service.core name "a.b"', "DNS-1035 label"],
    [
      `${C}/namespaces/ns/deployments.apps/a_b/m`,
      'invalid deployments.apps name "a_b"',
      "RFC 1123 subdomain",
    ],
    [`${C}/namespaces/ns/queues.example.io/Q/m`, 'invalid queues.example.io name "Q"', "RFC 1123 subdomain"],
    [`${C}/namespaces/ns/${inject}/p/m`, "invalid resource", "RFC 1123 subdomain"],
    [`${C}/namespaces/ns/pods%20x/p/m`, 'invalid resource "pods x"', "RFC 1123 subdomain"],
    [`${C}/nodes/n_1/m`, 'invalid nodes name "n_1"', "RFC 1123 subdomain"],
    [`${C}/namespaces/a.b/metrics/m`, 'invalid namespace "a.b"', "RFC 1123 label"],
    [`${C}/namespaces/ns/pods/p/..`, 'invalid metric name ".."', "may not be '..'"],
    [`${C}/namespaces/ns/pods/p/a%25b`, 'invalid metric name "a%b"', "may not contain '%'"],
    [`${C}/namespaces/ns/pods/p/a%0Ab`, 'invalid metric name "a\\nb"', "control characters"],
    [`${E}/namespaces/NS/queue_depth`, 'invalid namespace "NS"', "RFC 1123 label"],
    [`${E}/namespaces/ns/a%20b`, 'invalid metric name "a b"', "whitespace"],
    [`${M}/nodes/${inject}`, "invalid node name", "RFC 1123 subdomain"],
    [`${M}/namespaces/${inject}/pods`, "invalid namespace", "RFC 1123 label"],
    [`${M}/namespaces/ns/pods/a%2Ab`, 'invalid pod name "a*b"', "RFC 1123 subdomain"],
  ])("%s -> 400", (path, named, rule) => {
    const r = route("GET", path);
    expect(r).toMatchObject({ t: "error", code: 400 });
    expect(r.t === "error" && r.message).toContain(named);
    expect(r.t === "error" && r.message).toContain(rule);
  });

  it.each([
    [`${C}/namespaces/ns/pods/web-7f9c.x/m`],
    [`${C}/namespaces/ns/pods/%2A/m`],
    [`${C}/namespaces/ns/Pods/p/m`],
    [`${C}/namespaces/ns/horizontalpodautoscalers.autoscaling/My_HPA/m`],
    [`${C}/namespaces/ns/services/web/m`],
    [`${C}/namespaces/ns/pods/p/namespace:http_requests:rate5m`],
    [`${C}/namespaces/kube-system/metrics/m`],
    [`${E}/namespaces/ns/Queue.Depth`],
    [`${M}/nodes/ip-10-0-0-1.ec2.internal`],
  ])("%s is valid", (path) => {
    expect(route("GET", path).t).not.toBe("error");
  });

  it("rejects writes", () => {
    expect(route("POST", C)).toMatchObject({ t: "error", code: 405 });
  });
});
