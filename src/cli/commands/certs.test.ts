import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { captureMain, REPO_ROOT } from "../../../test/support/cli.js";
import { servingTls } from "../../adapters/http/auth/tls.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidescale-certs-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One HTTPS GET to 127.0.0.1:`port` verifying the server as `servername` against `ca`. */
function get(port: number, ca: string, servername: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: "/healthz", ca, servername, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

type Doc = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

describe("tidescale certs", () => {
  const out = () => join(dir, "out");

  it("writes a CA, a serving pair for <svc>.<ns>.svc, the TLS Secret and the APIServices", async () => {
    const r = await captureMain([
      "certs",
      "--namespace",
      "monitoring",
      "--service",
      "metrics-api",
      "--out-dir",
      out(),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("next: kubectl apply -f");
    const ca = new X509Certificate(await readFile(join(out(), "ca.crt")));
    const leaf = new X509Certificate(await readFile(join(out(), "tls.crt")));
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost("metrics-api.monitoring.svc")).toBe("metrics-api.monitoring.svc");
    expect(leaf.checkHost("metrics-api.monitoring.svc.cluster.local")).toBeDefined();
    expect(leaf.checkHost("other.monitoring.svc")).toBeUndefined();

    const secret = parse(await readFile(join(out(), "serving-secret.yaml"), "utf8")) as {
      kind: string;
      type: string;
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(secret).toMatchObject({
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: "tidescale-adapter-tls", namespace: "monitoring" },
    });
    const b64 = (f: string) => readFile(join(out(), f)).then((b) => b.toString("base64"));
    expect(secret.data["tls.crt"]).toBe(await b64("tls.crt"));
    expect(secret.data["tls.key"]).toBe(await b64("tls.key"));

    const apiServices = parseAllDocuments(await readFile(join(out(), "apiservices.yaml"), "utf8")).map(
      (d) => d.toJS() as Doc,
    );
    expect(apiServices.map((a) => a.metadata.name)).toEqual([
      "v1beta1.custom.metrics.k8s.io",
      "v1beta2.custom.metrics.k8s.io",
      "v1beta1.external.metrics.k8s.io",
      "v1beta1.metrics.k8s.io",
    ]);
    for (const a of apiServices) {
      expect(a.spec?.service).toEqual({ name: "metrics-api", namespace: "monitoring", port: 443 });
      expect(a.spec?.caBundle).toBe(await b64("ca.crt"));
      expect(a.spec?.insecureSkipTLSVerify).toBeUndefined();
    }
  });

  it("the adapter's TLS loader serves the pair and a client verifying against the CA connects", async () => {
    const tls = servingTls({
      certFile: join(out(), "tls.crt"),
      keyFile: join(out(), "tls.key"),
      certDir: join(dir, "unused"),
    });
    const server = https.createServer(tls.options, (_req, res) => res.end("ok"));
    tls.attach(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const ca = await readFile(join(out(), "ca.crt"), "utf8");
      expect(await get(port, ca, "metrics-api.monitoring.svc")).toBe(200);
      // The name is checked: the aggregator would refuse a certificate for another Service.
      await expect(get(port, ca, "tidescale-adapter.tidescale.svc")).rejects.toThrow(/altnames|Hostname/i);
      // And the CA is checked: another CA does not vouch for it.
      const other = join(dir, "other");
      expect((await captureMain(["certs", "--out-dir", other])).code).toBe(0);
      await expect(
        get(port, await readFile(join(other, "ca.crt"), "utf8"), "metrics-api.monitoring.svc"),
      ).rejects.toThrow(/self[- ]signed|unable to verify|issuer/i);
    } finally {
      tls.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("renews under the same CA with --ca-cert/--ca-key, and refuses to overwrite without --force", async () => {
    const again = await captureMain([
      "certs",
      "--namespace",
      "monitoring",
      "--service",
      "metrics-api",
      "--out-dir",
      out(),
    ]);
    expect(again.code).toBe(2);
    expect(again.err.trimEnd()).toMatch(
      /^error: --out-dir: .*ca\.crt.* already exist\(s\); give --force to overwrite$/,
    );
    const renewed = join(dir, "renewed");
    const r = await captureMain([
      "certs",
      "--namespace",
      "monitoring",
      "--service",
      "metrics-api",
      "--ca-cert",
      join(out(), "ca.crt"),
      "--ca-key",
      join(out(), "ca.key"),
      "--out-dir",
      renewed,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(await readFile(join(renewed, "ca.crt"), "utf8")).toBe(
      await readFile(join(out(), "ca.crt"), "utf8"),
    );
    const leaf = new X509Certificate(await readFile(join(renewed, "tls.crt")));
    expect(leaf.verify(new X509Certificate(await readFile(join(out(), "ca.crt"))).publicKey)).toBe(true);
    expect(await readFile(join(renewed, "tls.crt"), "utf8")).not.toBe(
      await readFile(join(out(), "tls.crt"), "utf8"),
    );
  });

  it.each([
    [["--namespace", "Bad_NS"], /^error: --namespace: "Bad_NS": a lowercase RFC 1123 label/],
    [["--service", "9svc"], /^error: --service: "9svc": a DNS-1035 label/],
    [["--port", "70000"], /^error: --port: want an integer 1\.\.65535, got "70000"$/],
    [["--days", "0"], /^error: --days: want an integer 1\.\.3650, got "0"$/],
    [["--ca-cert", "x.crt"], /^error: --ca-key: --ca-cert and --ca-key go together$/],
  ])("bad input %j is one error line, exit 2", async (args, want) => {
    const r = await captureMain(["certs", ...args, "--out-dir", join(dir, "never")]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(r.err.trimEnd()).toMatch(want);
  });

  it("refuses a --ca-key that is not the --ca-cert's key", async () => {
    const other = join(dir, "other-ca");
    expect((await captureMain(["certs", "--out-dir", other])).code).toBe(0);
    const r = await captureMain([
      "certs",
      "--ca-cert",
      join(out(), "ca.crt"),
      "--ca-key",
      join(other, "ca.key"),
      "--out-dir",
      join(dir, "never"),
    ]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd()).toBe(
      `error: --ca-key: ${join(other, "ca.key")} is not the key of ${join(out(), "ca.crt")}`,
    );
    // A leaf certificate is not a CA.
    const leaf = await captureMain([
      "certs",
      "--ca-cert",
      join(out(), "tls.crt"),
      "--ca-key",
      join(out(), "tls.key"),
      "--out-dir",
      join(dir, "never"),
    ]);
    expect(leaf.code).toBe(2);
    expect(leaf.err).toContain("not a CA certificate");
  });

  it("writes the same APIServices as deploy/ ships, with caBundle instead of the cert-manager annotation", async () => {
    const r = await captureMain(["certs", "--out-dir", join(dir, "defaults")]);
    expect(r.code, r.err).toBe(0);
    const generated = parseAllDocuments(
      await readFile(join(dir, "defaults", "apiservices.yaml"), "utf8"),
    ).map((d) => d.toJS() as Doc);
    const shipped: Doc[] = [];
    for (const f of ["06-apiservices.yaml", "07-apiservice-resource-metrics.yaml"]) {
      for (const d of parseAllDocuments(await readFile(join(REPO_ROOT, "deploy", f), "utf8"))) {
        shipped.push(d.toJS() as Doc);
      }
    }
    expect(generated.map((g) => g.metadata.name)).toEqual(shipped.map((s) => s.metadata.name));
    for (const [i, g] of generated.entries()) {
      const { caBundle, ...spec } = g.spec ?? {};
      expect(caBundle).toBeTypeOf("string");
      expect(spec).toEqual(shipped[i]?.spec);
    }
  });
});
