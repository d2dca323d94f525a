import { describe, expect, it } from "vitest";
import type { RequestAttributes } from "../security.js";
import { subjectAccessReview } from "./authorization.js";
import { requestAttributes } from "./request-info.js";

const user = { name: "u", groups: ["g"] };

function attrs(method: string, url: string): Omit<RequestAttributes, "user"> {
  const { user: _, ...rest } = requestAttributes(method, url, user);
  return rest;
}

describe("requestAttributes (k8s.io/apiserver RequestInfoFactory)", () => {
  it.each([
    [
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/%2A/http_requests_qps?labelSelector=app%3Dweb",
      { verb: "get", resource: "pods", name: "*", subresource: "http_requests_qps", namespace: "ns" },
    ],
    [
      "/apis/custom.metrics.k8s.io/v1beta1/namespaces/ns/deployments.apps/web/hits",
      { verb: "get", resource: "deployments.apps", name: "web", subresource: "hits", namespace: "ns" },
    ],
    [
      "/apis/custom.metrics.k8s.io/v1beta1/namespaces/ns/metrics/queue_length",
      { verb: "get", resource: "metrics", name: "queue_length", namespace: "ns" },
    ],
    [
      "/apis/custom.metrics.k8s.io/v1beta1/nodes/*/load",
      { verb: "get", resource: "nodes", name: "*", subresource: "load" },
    ],
    [
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue_depth?labelSelector=q%3Dx",
      { verb: "list", resource: "queue_depth", namespace: "ns" },
    ],
    ["/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods", { verb: "list", resource: "pods", namespace: "ns" }],
    ["/apis/metrics.k8s.io/v1beta1/nodes/n1", { verb: "get", resource: "nodes", name: "n1" }],
    ["/apis/metrics.k8s.io/v1beta1/nodes?watch=true", { verb: "watch", resource: "nodes" }],
    ["/api/v1/namespaces/ns", { verb: "get", resource: "namespaces", name: "ns", namespace: "ns" }],
  ])("GET %s is a resource request", (url, want) => {
    const a = attrs("GET", url);
    const group = url.startsWith("/api/") ? "" : url.split("/")[2];
    expect(a).toEqual({
      isResourceRequest: true,
      apiGroup: group,
      apiVersion: url.split("/")[url.startsWith("/api/") ? 2 : 3],
      path: decodeURIComponent(url.split("?")[0] ?? ""),
      ...want,
    });
  });

  it.each([
    "/apis",
    "/apis/custom.metrics.k8s.io",
    "/apis/custom.metrics.k8s.io/v1beta1",
    "/healthz",
    "/openapi/v2",
  ])("GET %s is a non-resource request", (url) => {
    expect(attrs("GET", url)).toEqual({ isResourceRequest: false, verb: "get", path: url });
  });

  it("maps other methods to create/update/delete verbs", () => {
    expect(attrs("POST", "/apis/g/v1/namespaces/ns/things").verb).toBe("create");
    expect(attrs("DELETE", "/apis/g/v1/namespaces/ns/things").verb).toBe("deletecollection");
    expect(attrs("DELETE", "/apis/g/v1/namespaces/ns/things/a").verb).toBe("delete");
    expect(attrs("PUT", "/apis/g/v1/things/a").verb).toBe("update");
  });
});

describe("subjectAccessReview", () => {
  it("sends resourceAttributes for resource requests and carries uid and extra", () => {
    const a = requestAttributes("GET", "/apis/custom.metrics.k8s.io/v1beta1/namespaces/ns/pods/p/m", {
      name: "alice",
      uid: "42",
      groups: ["g"],
      extra: { scopes: ["a"] },
    });
    expect(subjectAccessReview(a)).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: "alice",
        uid: "42",
        groups: ["g"],
        extra: { scopes: ["a"] },
        resourceAttributes: {
          verb: "get",
          namespace: "ns",
          group: "custom.metrics.k8s.io",
          version: "v1beta1",
          resource: "pods",
          subresource: "m",
          name: "p",
        },
      },
    });
  });
});
