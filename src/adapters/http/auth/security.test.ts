import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CA,
  cleanupPki,
  makeCA,
  makeCert,
  type Pem,
  type ReviewServer,
  startReviewServer,
} from "../../../../test/support/pki.js";
import { ToolkitError } from "../../../core/errors.js";
import { buildSecurity, type Security, type SecurityFlags } from "./index.js";
import { servingTls } from "./tls.js";

interface Reply {
  status: number;
  body: Record<string, unknown>;
  peerCert?: string;
}

/** GET over real HTTPS, optionally with a client certificate and extra headers. */
function get(
  url: string,
  opts: { ca: string; client?: Pem; headers?: Record<string, string | string[]> },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        ca: opts.ca,
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const peer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate?.();
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
            ...(peer?.fingerprint256 ? { peerCert: peer.fingerprint256 } : {}),
          });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

interface Running {
  url: string;
  security: Security;
  close(): Promise<void>;
}

/** An HTTPS server that runs `security.gate` and echoes the user and the authorization attributes. */
async function serve(flags: SecurityFlags): Promise<Running> {
  const security = await buildSecurity(flags);
  const server = https.createServer(security.tls.options, (req, res) => {
    void security.gate(req).then(
      (g) => {
        res.writeHead(g.ok ? 200 : g.code, { "content-type": "application/json" });
        res.end(JSON.stringify(g.ok ? { user: g.user, attributes: g.attributes ?? null } : g.status));
      },
      (e: Error) => {
        res.writeHead(500);
        res.end(JSON.stringify({ message: e.message }));
      },
    );
  });
  security.attach(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    security,
    close: () =>
      new Promise<void>((r) => {
        security.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let apiserver: ReviewServer;
let frontProxyCA: CA;
let clientCA: CA;
let otherCA: CA;
let servingCA: CA;
let serving: Pem;
let frontProxy: Pem;
let strangerProxy: Pem;
let forgedProxy: Pem;
let alice: Pem;
const work = mkdtempSync(join(tmpdir(), "tidescale-security-"));

beforeAll(async () => {
  apiserver = await startReviewServer();
  frontProxyCA = makeCA("front-proxy-ca");
  clientCA = makeCA("client-ca");
  otherCA = makeCA("other-ca");
  servingCA = makeCA("serving-ca");
  serving = makeCert(servingCA, { cn: "adapter", sans: ["127.0.0.1", "localhost"], usage: "server" });
  frontProxy = makeCert(frontProxyCA, { cn: "front-proxy-client", usage: "client" });
  strangerProxy = makeCert(frontProxyCA, { cn: "somebody-else", usage: "client" });
  forgedProxy = makeCert(otherCA, { cn: "front-proxy-client", usage: "client" });
  alice = makeCert(clientCA, { cn: "alice", o: ["team-a", "viewers"], usage: "client" });
  apiserver.tokens.set("bob-token", {
    username: "bob",
    uid: "u-bob",
    groups: ["system:authenticated", "devs"],
  });
});

afterAll(async () => {
  await apiserver.close();
  cleanupPki();
  rmSync(work, { recursive: true, force: true });
});

function delegatedFlags(extra: Partial<SecurityFlags> = {}): SecurityFlags {
  return {
    tlsCertFile: serving.certFile,
    tlsPrivateKeyFile: serving.keyFile,
    requestheaderClientCaFile: frontProxyCA.certFile,
    requestheaderAllowedNames: "front-proxy-client",
    clientCaFile: clientCA.certFile,
    authenticationKubeconfig: apiserver.kubeconfig,
    authorizationKubeconfig: apiserver.kubeconfig,
    authenticationSkipLookup: true,
    ...extra,
  };
}

const METRIC_PATH = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/%2A/http_requests_qps";

describe("delegated authentication", () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await serve(delegatedFlags());
  });
  afterAll(() => srv.close());

  it("trusts X-Remote-* headers from a front proxy whose certificate has an allowed CN", async () => {
    const r = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      client: frontProxy,
      headers: {
        "X-Remote-User": "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
        "X-Remote-Group": ["system:serviceaccounts", "system:authenticated"],
        "X-Remote-Extra-Scopes%2Fview": "all",
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({
      name: "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
      groups: ["system:serviceaccounts", "system:authenticated"],
      extra: { "scopes/view": ["all"] },
    });
  });

  it("rejects a front-proxy certificate whose CN is not allowed", async () => {
    const r = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      client: strangerProxy,
      headers: { "X-Remote-User": "admin", "X-Remote-Group": "system:masters" },
    });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    expect(String(r.body.message)).toContain('CN "somebody-else" is not in the requestheader allowed names');
  });

  it("ignores a forged X-Remote-User without a front-proxy certificate (401)", async () => {
    const r = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      headers: { "X-Remote-User": "admin", "X-Remote-Group": "system:masters" },
    });
    expect(r.status).toBe(401);
    expect(String(r.body.message)).toContain("anonymous requests are not allowed");
    expect(apiserver.sars.some((s) => s.user === "admin")).toBe(false);
  });

  it("rejects a certificate from the wrong CA even with the allowed CN (401)", async () => {
    const r = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      client: forgedProxy,
      headers: { "X-Remote-User": "admin", "X-Remote-Group": "system:masters" },
    });
    expect(r.status).toBe(401);
    expect(String(r.body.message)).toContain("signed by an unknown authority");
  });

  it("takes the user from a client-CA certificate (CN = user, O = groups), not from headers", async () => {
    const r = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      client: alice,
      headers: { "X-Remote-User": "admin" },
    });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({ name: "alice", groups: ["team-a", "viewers", "system:authenticated"] });
  });

  it("adds system:authenticated to a front-proxy user and a TokenReview user that lack it", async () => {
    // kube-apiserver's OpenAPI aggregation fetches /openapi/v2 as system:aggregator without any group.
    const proxied = await get(`${srv.url}/openapi/v2`, {
      ca: servingCA.cert,
      client: frontProxy,
      headers: { "X-Remote-User": "system:aggregator" },
    });
    expect(proxied.status).toBe(200);
    expect(proxied.body.user).toEqual({ name: "system:aggregator", groups: ["system:authenticated"] });
    const sar = apiserver.sars.filter((s) => s.user === "system:aggregator").at(-1);
    expect(sar?.groups).toEqual(["system:authenticated"]);
    apiserver.tokens.set("dave-token", { username: "dave", groups: ["ops"] });
    const token = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      headers: { authorization: "Bearer dave-token" },
    });
    expect(token.body.user).toEqual({ name: "dave", groups: ["ops", "system:authenticated"] });
  });

  it("authenticates bearer tokens with TokenReview and caches the answer", async () => {
    const before = apiserver.tokenReviews;
    const a = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      headers: { authorization: "Bearer bob-token", "X-Remote-User": "admin" },
    });
    const b = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      headers: { authorization: "Bearer bob-token" },
    });
    expect(a.status).toBe(200);
    expect(a.body.user).toEqual({ name: "bob", uid: "u-bob", groups: ["system:authenticated", "devs"] });
    expect(b.body.user).toEqual(a.body.user);
    expect(apiserver.tokenReviews - before).toBe(1);
  });

  it("shares one TokenReview and one SubjectAccessReview among concurrent identical requests", async () => {
    apiserver.tokens.set("carol-token", { username: "carol", groups: ["system:authenticated"] });
    const reviews = apiserver.tokenReviews;
    const sars = apiserver.sars.filter((s) => s.user === "carol").length;
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        get(srv.url + METRIC_PATH, { ca: servingCA.cert, headers: { authorization: "Bearer carol-token" } }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(apiserver.tokenReviews - reviews).toBe(1);
    expect(apiserver.sars.filter((s) => s.user === "carol").length - sars).toBe(1);
  });

  it("rejects an unknown bearer token with the TokenReview error (401)", async () => {
    const r = await get(srv.url + METRIC_PATH, {
      ca: servingCA.cert,
      headers: { authorization: "Bearer nope" },
    });
    expect(r.status).toBe(401);
    expect(String(r.body.message)).toContain("bearer token rejected by TokenReview: token not found");
  });

  it("serves /healthz, /livez and /readyz without credentials and without a SubjectAccessReview", async () => {
    const before = apiserver.sars.length;
    for (const p of ["/healthz", "/livez", "/readyz"]) {
      expect((await get(srv.url + p, { ca: servingCA.cert })).status).toBe(200);
    }
    expect(apiserver.sars.length).toBe(before);
    expect((await get(`${srv.url}/metrics`, { ca: servingCA.cert })).status).toBe(401);
  });
});

describe("delegated authorization", () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await serve(delegatedFlags({ authorizationWebhookCacheUnauthorizedTtl: "0s" }));
  });
  afterAll(() => {
    apiserver.authorize = () => ({ allowed: true });
    return srv.close();
  });

  it("sends the custom-metrics resource attributes in the SubjectAccessReview", async () => {
    apiserver.authorize = () => ({ allowed: true });
    const r = await get(srv.url + METRIC_PATH, { ca: servingCA.cert, client: alice });
    expect(r.status).toBe(200);
    expect(apiserver.sars.at(-1)).toEqual({
      user: "alice",
      groups: ["team-a", "viewers", "system:authenticated"],
      resourceAttributes: {
        namespace: "shop",
        verb: "get",
        group: "custom.metrics.k8s.io",
        version: "v1beta2",
        resource: "pods",
        subresource: "http_requests_qps",
        name: "*",
      },
    });
  });

  it("answers 403 with the reviewer's reason when the SubjectAccessReview denies", async () => {
    apiserver.authorize = (spec) =>
      spec.resourceAttributes?.group === "external.metrics.k8s.io"
        ? { allowed: false, reason: "no RBAC policy matched" }
        : { allowed: true };
    const r = await get(`${srv.url}/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/queue_depth`, {
      ca: servingCA.cert,
      client: alice,
    });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ kind: "Status", reason: "Forbidden", code: 403 });
    expect(r.body.message).toBe(
      'queue_depth.external.metrics.k8s.io "" is forbidden: User "alice" cannot list resource "queue_depth" ' +
        'in API group "external.metrics.k8s.io" in the namespace "shop": no RBAC policy matched',
    );
  });

  it("uses non-resource attributes for discovery-level paths and always allows system:masters", async () => {
    apiserver.authorize = () => ({ allowed: false, reason: "denied" });
    const before = apiserver.sars.length;
    const master = await get(`${srv.url}/apis/custom.metrics.k8s.io/v1beta1`, {
      ca: servingCA.cert,
      client: frontProxy,
      headers: { "X-Remote-User": "system:kube-aggregator", "X-Remote-Group": "system:masters" },
    });
    expect(master.status).toBe(200);
    expect(apiserver.sars.length).toBe(before);
    const r = await get(`${srv.url}/apis/custom.metrics.k8s.io/v1beta1`, {
      ca: servingCA.cert,
      client: alice,
    });
    expect(r.status).toBe(403);
    expect(apiserver.sars.at(-1)?.nonResourceAttributes).toEqual({
      path: "/apis/custom.metrics.k8s.io/v1beta1",
      verb: "get",
    });
    expect(r.body.message).toBe(
      'forbidden: User "alice" cannot get path "/apis/custom.metrics.k8s.io/v1beta1": denied',
    );
  });
});

describe("extension-apiserver-authentication ConfigMap", () => {
  it("reads the requestheader CA, allowed names and headers when no flags are given", async () => {
    apiserver.objects.set("/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication", {
      kind: "ConfigMap",
      apiVersion: "v1",
      data: {
        "client-ca-file": clientCA.cert,
        "requestheader-client-ca-file": frontProxyCA.cert,
        "requestheader-allowed-names": JSON.stringify(["front-proxy-client"]),
        "requestheader-username-headers": JSON.stringify(["X-Remote-User"]),
        "requestheader-group-headers": JSON.stringify(["X-Remote-Group"]),
        "requestheader-extra-headers-prefix": JSON.stringify(["X-Remote-Extra-"]),
      },
    });
    const srv = await serve({
      tlsCertFile: serving.certFile,
      tlsPrivateKeyFile: serving.keyFile,
      kubeconfig: apiserver.kubeconfig,
    });
    try {
      const ok = await get(srv.url + METRIC_PATH, {
        ca: servingCA.cert,
        client: frontProxy,
        headers: { "X-Remote-User": "carol", "X-Remote-Group": "g1" },
      });
      expect(ok.body.user).toEqual({ name: "carol", groups: ["g1", "system:authenticated"] });
      const stranger = await get(srv.url + METRIC_PATH, {
        ca: servingCA.cert,
        client: strangerProxy,
        headers: { "X-Remote-User": "carol" },
      });
      expect(stranger.status).toBe(401);
      const a = await get(srv.url + METRIC_PATH, { ca: servingCA.cert, client: alice });
      expect(a.body.user).toEqual({ name: "alice", groups: ["team-a", "viewers", "system:authenticated"] });
    } finally {
      await srv.close();
    }
  });

  it("fails at startup with the RBAC hint when the ConfigMap cannot be read", async () => {
    apiserver.objects.delete("/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication");
    const err = await buildSecurity({
      tlsCertFile: serving.certFile,
      tlsPrivateKeyFile: serving.keyFile,
      kubeconfig: apiserver.kubeconfig,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolkitError);
    expect((err as ToolkitError).oneLine()).toContain(
      "kube-system/extension-apiserver-authentication: cannot read",
    );
  });

  it("starts without the ConfigMap with --authentication-tolerate-lookup-failure", async () => {
    const srv = await serve({
      tlsCertFile: serving.certFile,
      tlsPrivateKeyFile: serving.keyFile,
      kubeconfig: apiserver.kubeconfig,
      clientCaFile: clientCA.certFile,
      authenticationTolerateLookupFailure: true,
    });
    try {
      const a = await get(srv.url + METRIC_PATH, { ca: servingCA.cert, client: alice });
      expect(a.body.user).toEqual({ name: "alice", groups: ["team-a", "viewers", "system:authenticated"] });
      const proxied = await get(srv.url + METRIC_PATH, {
        ca: servingCA.cert,
        client: frontProxy,
        headers: { "X-Remote-User": "carol" },
      });
      expect(proxied.status).toBe(401);
    } finally {
      await srv.close();
    }
  });

  it("picks up a rotated requestheader CA file without a restart", async () => {
    const caFile = join(work, "rotating-ca.crt");
    writeFileSync(caFile, otherCA.cert);
    const srv = await serve(delegatedFlags({ requestheaderClientCaFile: caFile }));
    try {
      const req = () =>
        get(srv.url + METRIC_PATH, {
          ca: servingCA.cert,
          client: frontProxy,
          headers: { "X-Remote-User": "dave" },
        });
      expect((await req()).status).toBe(401);
      writeFileSync(caFile, `${otherCA.cert}\n${frontProxyCA.cert}`);
      let r = await req();
      for (let i = 0; i < 100 && r.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        r = await req();
      }
      expect(r.status).toBe(200);
      expect(r.body.user).toEqual({ name: "dave", groups: ["system:authenticated"] });
    } finally {
      await srv.close();
    }
  });

  it("refuses to start with no way to authenticate anyone", async () => {
    const err = await buildSecurity({
      tlsCertFile: serving.certFile,
      tlsPrivateKeyFile: serving.keyFile,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolkitError);
    expect((err as ToolkitError).code).toBe("INVALID_INPUT");
    expect((err as ToolkitError).where).toBe("--requestheader-client-ca-file");
  });
});

describe("serving certificate", () => {
  it("generates a self-signed pair in --cert-dir and reuses it on the next start", async () => {
    const certDir = join(work, "certs");
    const a = await serve({ insecureDev: true, certDir });
    const first = readFileSync(join(certDir, "apiserver.crt"), "utf8");
    const r = await get(`${a.url}/healthz`, { ca: first });
    expect(r.status).toBe(200);
    await a.close();
    const b = await serve({ insecureDev: true, certDir });
    try {
      expect(readFileSync(join(certDir, "apiserver.crt"), "utf8")).toBe(first);
      const x = new X509Certificate(first);
      expect(x.subjectAltName).toContain("IP Address:127.0.0.1");
      expect((await get(`${b.url}/apis`, { ca: first })).body.user).toMatchObject({
        name: "tidescale:insecure-dev",
      });
    } finally {
      await b.close();
    }
  });

  it("refuses at start a key that is not the certificate's, also where OpenSSL's own check passes it", () => {
    const dir = mkdtempSync(join(work, "mismatch-"));
    // An RSA key next to an EC certificate: OpenSSL keeps them in separate slots and reports no mismatch,
    // so before this check the adapter started and every handshake then failed.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const certFile = join(dir, "tls.crt");
    const keyFile = join(dir, "tls.key");
    writeFileSync(certFile, serving.cert);
    writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }));
    expect(() => servingTls({ certFile, keyFile, certDir: dir })).toThrow(
      expect.objectContaining({
        code: "INVALID_INPUT",
        where: "--tls-cert-file",
        message: expect.stringContaining("private key does not match public key"),
      }),
    );
  });

  it("serves a rewritten certificate without a restart", async () => {
    const dir = join(work, "reload");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    const certFile = join(dir, "tls.crt");
    const keyFile = join(dir, "tls.key");
    writeFileSync(certFile, serving.cert);
    writeFileSync(keyFile, serving.key);
    const srv = await serve({ insecureDev: true, tlsCertFile: certFile, tlsPrivateKeyFile: keyFile });
    try {
      const bothCAs = `${servingCA.cert}\n${otherCA.cert}`;
      const before = await get(`${srv.url}/healthz`, { ca: bothCAs });
      const next = makeCert(otherCA, { cn: "adapter-rotated", sans: ["127.0.0.1"], usage: "server" });
      // A broken pair (new cert, old key) is rejected and the old pair keeps serving.
      writeFileSync(certFile, next.cert);
      expect(srv.security.tls.reload()).toBe(false);
      expect((await get(`${srv.url}/healthz`, { ca: bothCAs })).peerCert).toBe(before.peerCert);
      writeFileSync(keyFile, next.key);
      // The file watch picks the new pair up; poll (bounded) until the new certificate is served.
      const want = new X509Certificate(next.cert).fingerprint256;
      let seen = before.peerCert;
      for (let i = 0; i < 100 && seen !== want; i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = (await get(`${srv.url}/healthz`, { ca: bothCAs })).peerCert;
      }
      expect(seen).toBe(want);
      // The new certificate is signed by otherCA only: a client trusting just the old CA now fails.
      await expect(get(`${srv.url}/healthz`, { ca: servingCA.cert })).rejects.toThrow();
    } finally {
      await srv.close();
    }
  });
});
