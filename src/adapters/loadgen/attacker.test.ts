import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Rate } from "../../core/loadgen/rate.js";
import type { AttackResult } from "../../core/loadgen/result.js";
import { type AttackOptions, runAttack, STOP_GRACE_MS } from "./attacker.js";

let server: Server;
let base = "";
const seen: Array<{ url: string; headers: IncomingMessage["headers"]; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: req.headers, body });
      if (req.url === "/loop") {
        res.writeHead(307, { location: "/loop" });
        res.end("again");
      } else if (req.url === "/redirect") {
        res.writeHead(302, { location: "/ok" });
        res.end();
      } else if (req.url === "/slow") {
        setTimeout(() => res.end("late"), 2000).unref();
      } else if (req.url === "/teapot") {
        res.writeHead(418);
        res.end("short and stout");
      } else res.end("hello world\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function attack(
  over: Partial<AttackOptions> & { path?: string },
): Promise<{ results: AttackResult[]; summary: Awaited<ReturnType<typeof runAttack>> }> {
  const results: AttackResult[] = [];
  const rate: Rate = { freq: 100, perMs: 1000 };
  const summary = await runAttack({
    targets: [{ method: "GET", url: `${base}${over.path ?? "/ok"}`, headers: [], body: undefined }],
    rate,
    durationMs: 200,
    maxWorkers: Number.POSITIVE_INFINITY,
    maxConnections: 16,
    timeoutMs: 30_000,
    keepalive: true,
    http2: false,
    insecure: false,
    redirects: 10,
    name: "",
    maxBody: 0,
    onResult: (r) => results.push(r),
    ...over,
  });
  return { results, summary };
}

describe("runAttack on loopback", () => {
  it("sends rate x duration requests in sequence with results vegeta's fields", async () => {
    const { results, summary } = await attack({ name: "t1" });
    expect(summary).toEqual({ scheduled: 20, sent: 20, dropped: 0, interrupted: 0 });
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const r of results) {
      expect(r).toMatchObject({
        attack: "t1",
        code: 200,
        bytesIn: 12,
        error: "",
        method: "GET",
        url: `${base}/ok`,
        dropped: false,
      });
      expect(r.latency).toBeGreaterThan(0);
      expect(r.lateness).toBeGreaterThanOrEqual(0);
    }
    expect(seen.at(-1)!.headers["x-vegeta-attack"]).toBe("t1");
  });

  it("sends headers and bodies and keeps -max-body bytes of the response", async () => {
    const { results } = await attack({
      targets: [
        {
          method: "POST",
          url: `${base}/echo`,
          headers: [["X-Test", "yes"]],
          body: new TextEncoder().encode("payload"),
        },
      ],
      durationMs: 20,
      maxBody: 5,
    });
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({
      bytesOut: 7,
      bytesIn: 12,
      body: Buffer.from("hello").toString("base64"),
    });
    expect(seen.at(-1)).toMatchObject({ body: "payload", headers: { "x-test": "yes" } });
  });

  it("follows redirects, or with -redirects -1 counts the 3xx itself", async () => {
    const followed = await attack({ path: "/redirect", durationMs: 10 });
    expect(followed.results[0]).toMatchObject({ code: 200, error: "" });
    const kept = await attack({ path: "/redirect", durationMs: 10, redirects: -1 });
    expect(kept.results[0]).toMatchObject({ code: 302, error: "" });
  });

  it("records status errors, timeouts and refused connections as vegeta does", async () => {
    const teapot = await attack({ path: "/teapot", durationMs: 10 });
    expect(teapot.results[0]).toMatchObject({ code: 418, error: "418 I'm a Teapot" });
    const slow = await attack({ path: "/slow", durationMs: 10, timeoutMs: 100 });
    expect(slow.results[0]!.code).toBe(0);
    expect(slow.results[0]!.error).toMatch(new RegExp(`^GET ${base}/slow: timeout`));
    const refused = await attack({
      targets: [{ method: "GET", url: "http://127.0.0.1:9/", headers: [], body: undefined }],
      durationMs: 10,
    });
    expect(refused.results[0]).toMatchObject({ code: 0 });
    expect(refused.results[0]!.error).toMatch(/^GET http:\/\/127\.0\.0\.1:9\/: connect ECONNREFUSED/);
  });

  it("a refused connection is an error with its own time, not a wait in the client's pool", async () => {
    // 2000/s at a closed port through 4 connections: the requests beyond 4 wait in the scheduler (as
    // lateness), never in the pool, so each error's latency is its own connection attempt.
    const refused = await attack({
      targets: [{ method: "GET", url: "http://127.0.0.1:9/", headers: [], body: undefined }],
      rate: { freq: 2000, perMs: 1000 },
      durationMs: 500,
      maxConnections: 4,
    });
    const errors = refused.results.filter((r) => !r.dropped);
    expect(errors.length).toBeGreaterThan(4);
    expect(errors.every((r) => r.code === 0 && r.error.includes("ECONNREFUSED"))).toBe(true);
    const latencies = errors.map((r) => r.latency).sort((a, b) => a - b);
    // A connect to a closed loopback port fails in well under a millisecond; allow a loaded machine 100 ms.
    expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(100e6);
  });

  it("with an in-flight cap, late requests wait and the rest are dropped at the end, as one record", async () => {
    const { results, summary } = await attack({
      path: "/slow",
      maxWorkers: 2,
      timeoutMs: 150,
      durationMs: 300,
    });
    expect(summary.scheduled).toBe(30);
    expect(summary.dropped).toBeGreaterThan(0);
    expect(summary.sent + summary.dropped).toBe(30);
    const dropped = results.filter((r) => r.dropped);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ code: 0, latency: 0, seq: summary.sent });
    expect(dropped[0]!.count ?? 1).toBe(summary.dropped);
    expect(dropped[0]!.error).toMatch(/^dropped: due but not sent before the attack ended/);
  });

  it("never has more requests in flight to an origin than -max-connections", async () => {
    let open = 0;
    let most = 0;
    const slow = createServer((_q, s) => {
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        s.end("ok");
      }, 50).unref();
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
    try {
      const { summary } = await attack({
        targets: [{ method: "GET", url, headers: [], body: undefined }],
        rate: { freq: 400, perMs: 1000 },
        maxConnections: 3,
      });
      expect(summary.sent).toBeGreaterThan(3);
      expect(most).toBe(3);
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it("a stop ends scheduling; requests that finish within the grace are recorded as usual", async () => {
    const ac = new AbortController();
    const results: AttackResult[] = [];
    const { summary } = await attack({
      durationMs: 0,
      signal: ac.signal,
      onResult: (r) => {
        results.push(r);
        ac.abort();
      },
    });
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.interrupted).toBe(0);
    expect(results).toHaveLength(summary.sent + (summary.dropped > 0 ? 1 : 0));
    expect(results.filter((r) => !r.dropped).every((r) => r.code === 200)).toBe(true);
  });

  it("a stop during the warm-up ends the attack at once, with nothing sent to the target", async () => {
    const ac = new AbortController();
    const before = seen.length;
    let warmResults = 0;
    let stoppedAt = 0;
    const { summary, results } = await attack({
      durationMs: 0,
      signal: ac.signal,
      onWarmUpResult: () => {
        if (++warmResults === 10) {
          stoppedAt = performance.now();
          ac.abort();
        }
      },
    });
    expect(stoppedAt).toBeGreaterThan(0);
    expect(performance.now() - stoppedAt).toBeLessThan(1000);
    expect(warmResults).toBeLessThan(2000);
    expect(summary).toEqual({ scheduled: 0, sent: 0, dropped: 0, interrupted: 0 });
    expect(results).toEqual([]);
    expect(seen.length).toBe(before);
  });

  it("a stop aborts what is still in flight after the grace, recorded as interrupted", async () => {
    const ac = new AbortController();
    let stoppedAt = 0;
    const sent = { sent: 0 };
    const poll = setInterval(() => {
      if (sent.sent >= 3 && stoppedAt === 0) {
        stoppedAt = performance.now();
        ac.abort();
      }
    }, 5);
    try {
      const { summary, results } = await attack({
        path: "/slow",
        durationMs: 0,
        signal: ac.signal,
        counters: sent,
      });
      const tookMs = performance.now() - stoppedAt;
      expect(tookMs).toBeGreaterThanOrEqual(STOP_GRACE_MS - 5);
      expect(tookMs).toBeLessThan(1000);
      expect(summary.interrupted).toBe(summary.sent);
      const done = results.filter((r) => !r.dropped);
      expect(done).toHaveLength(summary.sent);
      for (const r of done) {
        expect(r.code).toBe(0);
        expect(r.error).toBe(
          `GET ${base}/slow: interrupted: no response ${STOP_GRACE_MS} ms after the attack was stopped`,
        );
      }
    } finally {
      clearInterval(poll);
    }
  });

  it("rate 0 runs max-workers closed loops with zero lateness until the duration ends", async () => {
    const { summary, results } = await attack({
      rate: { freq: 0, perMs: 1000 },
      maxWorkers: 3,
      durationMs: 100,
    });
    expect(summary.sent).toBeGreaterThan(3);
    expect(results.every((r) => r.lateness === 0 && r.code === 200 && r.closed === true)).toBe(true);
    const open = await attack({ durationMs: 20 });
    expect(open.results.every((r) => r.closed === undefined)).toBe(true);
  });
});

describe("redirect limits", () => {
  it("stops after -redirects hops with vegeta's error", async () => {
    const { results } = await attack({ path: "/redirect", durationMs: 10, redirects: 1 });
    expect(results[0]).toMatchObject({ code: 200, error: "" });
    const loop = await attack({ path: "/loop", durationMs: 10, redirects: 2 });
    expect(loop.results[0]).toMatchObject({ code: 0, error: `GET ${base}/loop: stopped after 2 redirects` });
  });
});

describe("TLS: -insecure and -http2", () => {
  it("verifies certificates unless insecure, and negotiates HTTP/2 only when asked", async () => {
    const { makeCA, makeCert } = await import("../../../test/support/pki.js");
    const { createSecureServer } = await import("node:http2");
    const ca = makeCA("loadgen-ca");
    const leaf = makeCert(ca, { cn: "127.0.0.1", sans: ["127.0.0.1"], usage: "server" });
    const versions: string[] = [];
    const tls = createSecureServer({ cert: leaf.cert, key: leaf.key, allowHTTP1: true }, (req, res) => {
      versions.push(req.httpVersion);
      res.end("secure");
    });
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
    const target = [{ method: "GET", url, headers: [] as Array<[string, string]>, body: undefined }];
    try {
      const strict = await attack({ targets: target, durationMs: 10, http2: false });
      expect(strict.results[0]!.code).toBe(0);
      expect(strict.results[0]!.error).toMatch(new RegExp(`^GET ${url}: .*(self-signed|certificate)`));
      const h1 = await attack({ targets: target, durationMs: 10, http2: false, insecure: true });
      expect(h1.results[0]).toMatchObject({ code: 200, bytesIn: 6, error: "" });
      const h2 = await attack({ targets: target, durationMs: 10, http2: true, insecure: true });
      expect(h2.results[0]).toMatchObject({ code: 200, bytesIn: 6, error: "" });
      expect(versions).toEqual(["1.1", "2.0"]);
    } finally {
      await new Promise((r) => tls.close(r));
    }
  });
});
