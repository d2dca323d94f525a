import { writeFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CA,
  cleanupPki,
  makeCA,
  makeCert,
  type Pem,
  type ReviewServer,
  startReviewServer,
} from "../../../test/support/pki.js";
import { freePort } from "../../../test/support/process.js";
import { ToolkitError } from "../../core/errors.js";
import { DEFAULT_REQUEST_HEADERS, DelegatingAuthenticator } from "./auth/authentication.js";
import { parseCertBundle } from "./auth/client-cert.js";
import { buildRemoteAdapter } from "./auth/index.js";
import { kubeApiFromConfig } from "./auth/kube-client.js";
import {
  createRemoteAdapter,
  HOPS_HEADER,
  type HttpRemoteAdapter,
  mergeResources,
  parseRemoteTarget,
  type RemoteAdapterOptions,
} from "./remote-adapter.js";
import type { APIResource, UserInfo } from "./security.js";

const HPA: UserInfo = {
  name: "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
  uid: "hpa-uid",
  groups: ["system:serviceaccounts", "system:authenticated"],
  extra: { "authentication.kubernetes.io/pod-name": ["kcm-0"] },
};

const res = (name: string, namespaced = true): APIResource => ({
  name,
  singularName: "",
  namespaced,
  kind: "MetricValueList",
  verbs: ["get"],
});

let bCA: CA;
let proxyCA: CA;
let wrongCA: CA;
let bServing: Pem;
let proxyCert: Pem;
let apiserver: ReviewServer;
let bUrl: string;
let bPort: number;
let bServer: https.Server;
const bResources: APIResource[] = [res("pods/b_metric"), res("nodes/load", false)];
const seen: { user?: UserInfo; headers: IncomingMessage["headers"] }[] = [];

/** Adapter B: a real HTTPS server that authenticates front proxies signed by proxyCA. */
async function startB(): Promise<void> {
  const authn = new DelegatingAuthenticator({
    requestHeader: {
      ca: parseCertBundle(proxyCA.cert),
      allowedNames: ["tidescale-remote"],
      usernameHeaders: [...DEFAULT_REQUEST_HEADERS.usernameHeaders],
      groupHeaders: [...DEFAULT_REQUEST_HEADERS.groupHeaders],
      extraHeaderPrefixes: [...DEFAULT_REQUEST_HEADERS.extraHeaderPrefixes],
      uidHeaders: [...DEFAULT_REQUEST_HEADERS.uidHeaders],
    },
  });
  const send = (w: ServerResponse, code: number, body: unknown, type = "application/json") => {
    w.writeHead(code, { "content-type": type });
    w.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  bServer = https.createServer(
    { cert: bServing.cert, key: bServing.key, requestCert: true, rejectUnauthorized: false },
    (req, w) => {
      const headers = { ...req.headers };
      void authn.authenticate(req).then((a) => {
        seen.push({ ...(a.ok ? { user: a.user } : {}), headers });
        if (!a.ok)
          return send(w, 401, {
            kind: "Status",
            status: "Failure",
            message: a.reason,
            reason: "Unauthorized",
            code: 401,
          });
        const path = decodeURIComponent(req.url ?? "");
        if (
          path === "/apis/custom.metrics.k8s.io/v1beta1" ||
          path === "/apis/custom.metrics.k8s.io/v1beta2"
        ) {
          return send(w, 200, {
            kind: "APIResourceList",
            apiVersion: "v1",
            groupVersion: path.slice(6),
            resources: bResources,
          });
        }
        if (path.startsWith("/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/*/b_metric")) {
          return send(w, 200, {
            kind: "MetricValueList",
            items: [{ metricName: "b_metric", value: "7" }],
            user: a.user,
            url: req.url,
          });
        }
        if (path === "/apis/custom.metrics.k8s.io/v1beta1/nodes/*/load") {
          return send(w, 200, { kind: "MetricValueList", items: [{ value: "1" }, { value: "2" }] });
        }
        if (path === "/text-error") return send(w, 503, "service unavailable\n", "text/plain");
        send(w, 404, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "the server could not find the metric nope for pods",
          reason: "NotFound",
          code: 404,
        });
      });
    },
  );
  await new Promise<void>((r) => bServer.listen(bPort, "127.0.0.1", r));
}

interface Front {
  url: string;
  close(): Promise<void>;
}

/** Adapter A's side: a plain loopback server that forwards every request as HPA. */
async function front(remote: HttpRemoteAdapter, user: UserInfo = HPA): Promise<Front> {
  const srv = http.createServer((req, w) => void remote.forward(req, w, user));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const a = srv.address();
  return {
    url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`,
    close: () =>
      new Promise<void>((r) => {
        remote.close();
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers });
  return {
    status: r.status,
    type: r.headers.get("content-type"),
    body: (await r.json()) as Record<string, unknown>,
  };
}

function options(extra: Partial<RemoteAdapterOptions> = {}): RemoteAdapterOptions {
  return {
    target: parseRemoteTarget(bUrl),
    caFile: bCA.certFile,
    clientCertFile: proxyCert.certFile,
    clientKeyFile: proxyCert.keyFile,
    discoveryIntervalMs: 3_600_000,
    ...extra,
  };
}

beforeAll(async () => {
  bCA = makeCA("adapter-b-ca");
  proxyCA = makeCA("proxy-ca");
  wrongCA = makeCA("wrong-ca");
  bServing = makeCert(bCA, {
    cn: "adapter-b",
    sans: ["127.0.0.1", "localhost", "adapter-b.metrics.svc"],
    usage: "server",
  });
  proxyCert = makeCert(proxyCA, { cn: "tidescale-remote", usage: "client" });
  apiserver = await startReviewServer();
  bPort = await freePort();
  bUrl = `https://127.0.0.1:${bPort}`;
  await startB();
});

afterAll(async () => {
  bServer.closeAllConnections();
  await new Promise((r) => bServer.close(r));
  await apiserver.close();
  cleanupPki();
});

describe("remote adapter", () => {
  it("forwards as a front proxy with the caller's identity, never the caller's X-Remote-* headers", async () => {
    const remote = await createRemoteAdapter(options());
    const a = await front(remote);
    try {
      const r = await getJson(
        `${a.url}/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/b_metric?labelSelector=app%3Dweb`,
        {
          "X-Remote-User": "admin",
          "X-Remote-Group": "system:masters",
          authorization: "Bearer caller-secret",
        },
      );
      expect(r.status).toBe(200);
      expect(r.body.items).toEqual([{ metricName: "b_metric", value: "7" }]);
      expect(r.body.user).toEqual(HPA);
      expect(r.body.url).toBe(
        "/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/b_metric?labelSelector=app%3Dweb",
      );
      const last = seen.at(-1);
      expect(last?.headers["x-remote-group"]).toBe("system:serviceaccounts, system:authenticated");
      expect(last?.headers.authorization).toBeUndefined();
      expect(JSON.stringify(last?.headers)).not.toContain("admin");
    } finally {
      await a.close();
    }
  });

  it("merges the remote's discovery and refreshes it (Crane cached it forever)", async () => {
    const remote = await createRemoteAdapter(options());
    try {
      expect(remote.resources("custom.metrics.k8s.io/v1beta1")).toEqual(bResources);
      expect(remote.resources("custom.metrics.k8s.io/v1beta2")).toEqual(bResources);
      expect(remote.resources("external.metrics.k8s.io/v1beta1")).toEqual([]);
      expect(remote.serves("custom.metrics.k8s.io/v1beta1", "pods/b_metric")).toBe(true);
      expect(remote.serves("custom.metrics.k8s.io/v1beta1", "pods/other")).toBe(false);
      const merged = mergeResources(
        [res("pods/a_metric"), res("pods/b_metric")],
        remote.resources("custom.metrics.k8s.io/v1beta1"),
      );
      expect(merged.map((r) => r.name)).toEqual(["pods/a_metric", "pods/b_metric", "nodes/load"]);

      bResources.push(res("pods/late_metric"));
      expect(remote.serves("custom.metrics.k8s.io/v1beta1", "pods/late_metric")).toBe(false);
      await remote.refresh();
      expect(remote.serves("custom.metrics.k8s.io/v1beta1", "pods/late_metric")).toBe(true);
      expect(remote.lastError).toBeUndefined();
      expect(seen.at(-1)?.user).toEqual({
        name: "tidescale:remote-discovery",
        groups: ["system:authenticated"],
      });
    } finally {
      bResources.pop();
      remote.close();
    }
  });

  it("keeps the remote's 404 Status, passes multi-item root-scoped wildcards, and wraps text errors", async () => {
    const a = await front(await createRemoteAdapter(options()));
    try {
      const nf = await getJson(`${a.url}/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/nope`);
      expect(nf.status).toBe(404);
      expect(nf.body).toMatchObject({
        kind: "Status",
        reason: "NotFound",
        message: "the server could not find the metric nope for pods",
      });
      const nodes = await getJson(`${a.url}/apis/custom.metrics.k8s.io/v1beta1/nodes/%2A/load`);
      expect(nodes.status).toBe(200);
      expect(nodes.body.items).toHaveLength(2);
      const text = await getJson(`${a.url}/text-error`);
      expect(text.status).toBe(503);
      expect(text.type).toBe("application/json");
      expect(text.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503 });
      expect(String(text.body.message)).toContain("answered 503: service unavailable");
    } finally {
      await a.close();
    }
  });

  it("verifies the remote's certificate: a CA that did not sign it gives a 503 Status that says so", async () => {
    const remote = await createRemoteAdapter(options({ caFile: wrongCA.certFile }));
    const a = await front(remote);
    try {
      expect(remote.resources("custom.metrics.k8s.io/v1beta1")).toBeUndefined();
      expect(remote.lastError).toMatch(/custom\.metrics\.k8s\.io\/v1beta1: .*(certificate|self-signed)/);
      const r = await getJson(
        `${a.url}/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/b_metric`,
      );
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable" });
      expect(String(r.body.message)).toContain("TLS verification failed");
      expect(String(r.body.message)).toContain("--remote-adapter-ca-file");
    } finally {
      await a.close();
    }
  });

  it("without a front-proxy certificate the remote cannot trust the identity (401 passes through)", async () => {
    const a = await front(
      await createRemoteAdapter(options({ clientCertFile: undefined, clientKeyFile: undefined })),
    );
    try {
      const r = await getJson(
        `${a.url}/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/b_metric`,
      );
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ kind: "Status", reason: "Unauthorized" });
    } finally {
      await a.close();
    }
  });

  it("answers 503 with the reason when the remote is down, and stops forwarding loops", async () => {
    const port = await freePort();
    const a = await front(
      await createRemoteAdapter(options({ target: parseRemoteTarget(`https://127.0.0.1:${port}`) })),
    );
    try {
      const r = await getJson(
        `${a.url}/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/b_metric`,
      );
      expect(r.status).toBe(503);
      expect(String(r.body.message)).toMatch(
        /remote adapter https:\/\/127\.0\.0\.1:\d+\/ is unavailable: .*ECONNREFUSED/,
      );
      const loop = await getJson(`${a.url}/apis/custom.metrics.k8s.io/v1beta1`, { [HOPS_HEADER]: "4" });
      expect(loop.status).toBe(500);
      expect(String(loop.body.message)).toContain("loop");
    } finally {
      await a.close();
    }
  });

  it("resolves a Service reference through the apiserver and verifies <name>.<namespace>.svc", async () => {
    apiserver.objects.set("/api/v1/namespaces/metrics/services/adapter-b", {
      kind: "Service",
      apiVersion: "v1",
      spec: { type: "ExternalName", externalName: "localhost", ports: [{ port: bPort }] },
    });
    const remote = await createRemoteAdapter(
      options({
        target: parseRemoteTarget(`metrics/adapter-b:${bPort}`),
        kube: kubeApiFromConfig(apiserver.kubeconfig, "--kubeconfig"),
      }),
    );
    const a = await front(remote);
    try {
      expect(remote.lastError).toBeUndefined();
      const r = await getJson(
        `${a.url}/apis/custom.metrics.k8s.io/v1beta1/namespaces/shop/pods/%2A/b_metric`,
      );
      expect(r.status).toBe(200);
      expect(r.body.user).toEqual(HPA);
    } finally {
      await a.close();
    }
  });
});

describe("parseRemoteTarget and option checks", () => {
  it("accepts https URLs and namespace/name[:port] Service references", () => {
    expect(parseRemoteTarget("https://adapter.example:6443")).toMatchObject({ kind: "url" });
    expect(parseRemoteTarget("monitoring/prometheus-adapter")).toEqual({
      kind: "service",
      namespace: "monitoring",
      name: "prometheus-adapter",
      port: 443,
    });
    expect(parseRemoteTarget("monitoring/prometheus-adapter:6443")).toMatchObject({ port: 6443 });
  });

  it.each([
    ["http://adapter:80", "must be an https:// URL"],
    ["https://adapter/?x=1", "must not have a query"],
    ["Monitoring/Adapter", "expected https://host:port or a Service reference"],
    ["monitoring/adapter:70000", "out of range"],
  ])("rejects %s", (value, message) => {
    expect(() => parseRemoteTarget(value)).toThrow(message);
    try {
      parseRemoteTarget(value);
    } catch (e) {
      expect((e as ToolkitError).where).toBe("--remote-adapter");
    }
  });

  it("refuses insecure-skip-tls-verify together with a CA file, and a cert without a key", async () => {
    await expect(createRemoteAdapter(options({ insecureSkipTLSVerify: true }))).rejects.toThrow(ToolkitError);
    await expect(createRemoteAdapter(options({ clientKeyFile: undefined }))).rejects.toThrow("go together");
  });

  it("refuses at start a CA file without a certificate and a client key that does not match the certificate", async () => {
    // before: both started, then every discovery and every forwarded request failed the handshake
    await expect(createRemoteAdapter(options({ caFile: bCA.keyFile }))).rejects.toMatchObject({
      code: "INVALID_INPUT",
      where: "--remote-adapter-ca-file",
      message: `${bCA.keyFile} holds no PEM certificate`,
    });
    await expect(createRemoteAdapter(options({ clientKeyFile: bCA.keyFile }))).rejects.toMatchObject({
      code: "INVALID_INPUT",
      where: "--remote-adapter-client-key",
      message: expect.stringContaining("key values mismatch"),
    });
  });

  it("refuses a discovery interval under one second (a tight polling loop)", async () => {
    await expect(
      buildRemoteAdapter({ remoteAdapter: bUrl, remoteAdapterDiscoveryInterval: "0s" }),
    ).rejects.toMatchObject({
      where: "--remote-adapter-discovery-interval",
      message: "must be at least 1s, got 0ms",
    });
  });

  it("a kubeconfig that is not YAML is a one-line error naming the flag", () => {
    let caught: ToolkitError | undefined;
    const garbage = bCA.keyFile.replace(/[^/]+$/, "garbage.bin");
    writeFileSync(garbage, Buffer.from([0, 1, 2, 255, 58, 10, 45, 32, 91, 0]));
    try {
      kubeApiFromConfig(garbage, "--authentication-kubeconfig");
    } catch (e) {
      caught = e as ToolkitError;
    }
    expect(caught?.where).toBe("--authentication-kubeconfig");
    expect(caught?.message).toMatch(/^cannot load kubeconfig /);
    expect(caught?.message).not.toContain("\n");
  });
});
