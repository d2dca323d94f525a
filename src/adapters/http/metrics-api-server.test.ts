import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { compileConfig } from "../../core/metrics/config.js";
import { emptyRegistry } from "../../core/metrics/registry.js";
import type { PrometheusClient } from "../prometheus/client.js";
import { AdapterMetrics } from "./adapter-metrics.js";
import { createMetricsApiServer, type MetricsApiServer, pathGroupOf } from "./metrics-api-server.js";
import type { Authenticator, Authorizer, RemoteAdapter, UserInfo } from "./security.js";

// The server over a real loopback socket; Prometheus is not reached by these requests.
const prom: PrometheusClient = {
  query: async () => ({ resultType: "vector", result: [] }),
  queryRange: async () => [],
  series: async () => [],
  close: async () => {},
};
const silent = { info() {}, warn() {}, error() {} };

let srv: MetricsApiServer | undefined;
afterEach(async () => {
  await srv?.close(100);
  srv = undefined;
});

async function start(over: Partial<Parameters<typeof createMetricsApiServer>[0]> = {}) {
  srv = createMetricsApiServer({
    state: { config: compileConfig({}), registry: emptyRegistry(), relisted: true },
    prometheus: prom,
    metrics: new AdapterMetrics(),
    log: silent,
    ...over,
  });
  const port = await srv.listen(0, "127.0.0.1");
  return (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}${path}`, init);
}

describe("metrics API server", () => {
  it("serves health without auth, discovery as JSON whatever Accept says, and its own metrics", async () => {
    const denyAll: Authenticator = { authenticate: async () => ({ ok: false, reason: "no credentials" }) };
    const get = await start({ authenticator: denyAll });
    for (const p of ["/healthz", "/livez", "/readyz"]) expect((await get(p)).status).toBe(200);
    expect((await get("/apis")).status).toBe(401);
    srv && (await srv.close(100));
    const get2 = await start();
    const r = await get2("/apis/custom.metrics.k8s.io/v1beta2", {
      headers: { accept: "application/vnd.kubernetes.protobuf, */*" },
    });
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(await r.json()).toEqual({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "custom.metrics.k8s.io/v1beta2",
      resources: [],
    });
    const o = await get2("/openapi/v2");
    expect(((await o.json()) as { swagger: string }).swagger).toBe("2.0");
    const m = await (await get2("/metrics")).text();
    expect(m).toContain('tidescale_adapter_requests_total{code="200",path="discovery"} 1');
    expect(m).toContain("tidescale_adapter_request_duration_seconds_bucket");
    const head = await get2("/apis", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("401 from the authenticator, 403 from the authorizer, as Status objects", async () => {
    const user: UserInfo = { name: "alice", groups: [] };
    const authenticator: Authenticator = {
      authenticate: async (req) =>
        req.headers.authorization ? { ok: true, user } : { ok: false, reason: "no credentials" },
    };
    const authorizer: Authorizer = {
      authorize: async (a) =>
        a.resource === "pods"
          ? { allowed: true }
          : { allowed: false, reason: `no access to ${a.resource ?? a.path}` },
    };
    const get = await start({ authenticator, authorizer });
    const r401 = await get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/m");
    expect(r401.status).toBe(401);
    expect(await r401.json()).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    const r403 = await get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/services/a/m", {
      headers: { authorization: "Bearer x" },
    });
    expect(r403.status).toBe(403);
    expect(await r403.json()).toMatchObject({ reason: "Forbidden", code: 403 });
    const ok = await get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/m", {
      headers: { authorization: "Bearer x" },
    });
    expect(ok.status).toBe(404);
  });

  it("counts rejected requests under the API they asked for, not as discovery", async () => {
    const metrics = new AdapterMetrics();
    const authenticator: Authenticator = {
      authenticate: async (req) =>
        req.headers.authorization
          ? { ok: true, user: { name: "bob", groups: [] } }
          : { ok: false, reason: "no credentials" },
    };
    const authorizer: Authorizer = {
      authorize: async () => ({ allowed: false, reason: "no" }),
    };
    const get = await start({ authenticator, authorizer, metrics });
    const bearer = { headers: { authorization: "Bearer x" } };
    expect((await get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/a/m")).status).toBe(401);
    expect((await get("/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/q", bearer)).status).toBe(403);
    expect((await get("/apis/metrics.k8s.io/v1beta1/nodes", bearer)).status).toBe(403);
    expect((await get("/apis/custom.metrics.k8s.io/v1beta2", bearer)).status).toBe(403);
    expect((await get("/openapi/v2")).status).toBe(401);
    expect((await get("/metrics", bearer)).status).toBe(403);
    const text = await metrics.registry.metrics();
    for (const line of [
      'tidescale_adapter_requests_total{code="401",path="custom"} 1',
      'tidescale_adapter_requests_total{code="403",path="external"} 1',
      'tidescale_adapter_requests_total{code="403",path="resource"} 1',
      'tidescale_adapter_requests_total{code="403",path="discovery"} 1',
      'tidescale_adapter_requests_total{code="401",path="openapi"} 1',
      'tidescale_adapter_requests_total{code="403",path="metrics"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it.each([
    ["/healthz", "health"],
    ["/readyz", "health"],
    ["/metrics", "metrics"],
    ["/openapi/v2", "openapi"],
    ["/version", "openapi"],
    ["/apis", "discovery"],
    ["/apis/custom.metrics.k8s.io", "discovery"],
    ["/apis/custom.metrics.k8s.io/v1beta1", "discovery"],
    ["/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/*/m", "custom"],
    ["/apis/custom.metrics.k8s.io/v1beta1/nodes/n1/m", "custom"],
    ["/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/q", "external"],
    ["/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods", "resource"],
    ["/apis/apps/v1/deployments", "other"],
    ["/api/v1/pods", "other"],
    ["/", "other"],
  ])("path group of %s is %s", (path, group) => {
    expect(pathGroupOf(path)).toBe(group);
  });

  it("readyz is 503 until the first relist", async () => {
    const get = await start({
      state: { config: compileConfig({}), registry: emptyRegistry(), relisted: false },
    });
    expect((await get("/readyz")).status).toBe(503);
    expect((await get("/healthz")).status).toBe(200);
  });

  it("hands forwarded requests to the remote adapter with the caller's identity", async () => {
    const seen: string[] = [];
    const remote: RemoteAdapter = {
      resources: () => undefined,
      serves: () => true,
      async forward(req: IncomingMessage, res: ServerResponse, user: UserInfo) {
        seen.push(`${req.url} as ${user.name}`);
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"remote":true}');
      },
      close() {},
    };
    const get = await start({ remote });
    const r = await get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/%2A/remote_metric");
    expect(await r.json()).toEqual({ remote: true });
    expect(seen).toEqual([
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/%2A/remote_metric as tidescale:insecure-dev",
    ]);
  });

  it("404 Status for paths outside the API", async () => {
    const get = await start();
    const r = await get("/api/v1/pods");
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ kind: "Status", reason: "NotFound" });
  });
});
