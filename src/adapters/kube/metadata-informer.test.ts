import { writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cleanupPki, makeCA, makeCert } from "../../../test/support/pki.js";
import { lookupResource } from "../../core/metrics/resources.js";
import { KubeConnection } from "./connection.js";
import { MetadataInformer } from "./metadata-informer.js";

// A scripted apiserver on loopback: what a real one does is covered by test/e2e/adapter-discovery.test.ts;
// this drives the cases a real one rarely shows on demand (410 Gone, paging, ERROR events).
interface Seen {
  path: string;
  accept: string;
  auth: string;
}
const seen: Seen[] = [];
let lists = 0;
let watches = 0;
let server: https.Server;
let conn: KubeConnection;
const meta = (name: string, rv: string, labels: Record<string, string> = {}) => ({
  metadata: { name, namespace: "n", resourceVersion: rv, labels },
});

beforeAll(async () => {
  const ca = makeCA("informer-test-ca");
  const cert = makeCert(ca, { cn: "apiserver", sans: ["127.0.0.1"], usage: "server" });
  server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://x");
    seen.push({
      path: req.url ?? "",
      accept: String(req.headers.accept),
      auth: String(req.headers.authorization),
    });
    res.setHeader("content-type", "application/json");
    if (url.searchParams.get("watch") !== "1") {
      lists++;
      // First list: two pages; second list (after 410): one page.
      if (lists === 1 && !url.searchParams.get("continue"))
        return res.end(JSON.stringify({ metadata: { continue: "page2" }, items: [meta("a", "9")] }));
      if (lists === 2 && url.searchParams.get("continue") === "page2")
        return res.end(JSON.stringify({ metadata: { resourceVersion: "10" }, items: [meta("b", "8")] }));
      return res.end(
        JSON.stringify({
          metadata: { resourceVersion: "20" },
          items: [meta("b", "8"), meta("c", "11"), meta("d", "19")],
        }),
      );
    }
    watches++;
    res.writeHead(200);
    if (watches === 1) {
      // ADDED, MODIFIED, DELETED, a BOOKMARK, then the resourceVersion is gone.
      res.write(`${JSON.stringify({ type: "ADDED", object: meta("c", "11", { app: "x" }) })}\n`);
      res.write(`${JSON.stringify({ type: "MODIFIED", object: meta("b", "12", { app: "x" }) })}\n`);
      res.write(`${JSON.stringify({ type: "DELETED", object: meta("a", "13") })}\n`);
      res.write(`${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } })}\n`);
      res.end(
        `${JSON.stringify({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } })}\n`,
      );
      return;
    }
    // Later watches stay open until the test ends.
    res.write(`${JSON.stringify({ type: "ADDED", object: meta("e", "21", { app: "x" }) })}\n`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const dir = join(ca.certFile, "..");
  const kubeconfig = join(dir, "informer.kubeconfig");
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "t", cluster: { server: `https://127.0.0.1:${port}`, "certificate-authority": ca.certFile } },
      ],
      users: [{ name: "t", user: { token: "secret-token" } }],
      contexts: [{ name: "t", context: { cluster: "t", user: "t" } }],
      "current-context": "t",
    }),
  );
  conn = KubeConnection.from(kubeconfig, "--kubeconfig")!;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cleanupPki();
});

describe("MetadataInformer", () => {
  it("lists metadata in pages, follows the watch, and relists after 410 Gone", async () => {
    const log = { info: () => {}, warn: () => {} };
    const inf = new MetadataInformer(conn, lookupResource("pods")!, {
      fieldSelector: "status.phase=Running",
      relistMs: 60_000,
      watchTimeoutSeconds: 300,
      log,
    });
    inf.start();
    await inf.synced;
    const deadline = Date.now() + 10_000;
    while (
      inf.store
        .list("n", "")
        .map((o) => o.name)
        .join(",") !== "b,c,d,e" &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 20));
    await inf.stop();
    expect(inf.store.list("n", "").map((o) => o.name)).toEqual(["b", "c", "d", "e"]);
    expect(inf.stats).toMatchObject({ lists: 2, watches: 2, gone: 1 });
    const listReqs = seen.filter((s) => !s.path.includes("watch=1"));
    const watchReqs = seen.filter((s) => s.path.includes("watch=1"));
    // Metadata only, with the kubeconfig's token, the field selector on every request.
    for (const s of listReqs)
      expect(s.accept).toMatch(/^application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/);
    for (const s of watchReqs)
      expect(s.accept).toMatch(/^application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
    for (const s of seen) {
      expect(s.auth).toBe("Bearer secret-token");
      expect(s.path).toContain("fieldSelector=status.phase%3DRunning");
      expect(s.path).toMatch(/^\/api\/v1\/pods\?/);
    }
    expect(listReqs.map((s) => new URL(s.path, "https://x").searchParams.get("continue"))).toEqual([
      null,
      "page2",
      null,
    ]);
    // Each watch starts from the resourceVersion of the list before it.
    expect(watchReqs.map((s) => new URL(s.path, "https://x").searchParams.get("resourceVersion"))).toEqual([
      "10",
      "20",
    ]);
    expect(watchReqs[0]?.path).toContain("allowWatchBookmarks=true");
  });
});
