import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ToolkitError } from "../../core/errors.js";
import { createPrometheusClient } from "./client.js";
import { TokenFile } from "./token-file.js";

const dir = mkdtempSync(join(tmpdir(), "tidescale-token-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A loopback server that answers like Prometheus for one expected bearer token and 401 otherwise.
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serveWithToken(expected: { token: string }, seen: string[]): Promise<string> {
  server = createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    seen.push(auth);
    const ok = auth === `Bearer ${expected.token}`;
    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
    res.end(
      ok
        ? JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } })
        : "Unauthorized\n",
    );
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
}

describe("TokenFile", () => {
  it("reads the trimmed token; a missing file is an error naming the flag", () => {
    const f = join(dir, "a");
    writeFileSync(f, "tok-1\n");
    const t = new TokenFile(f, "--prometheus-token-file", 60_000);
    try {
      expect(t.current()).toBe("tok-1");
    } finally {
      t.close();
    }
    const missing = join(dir, "missing");
    expect(() => new TokenFile(missing, "--prometheus-token-file")).toThrow(
      new ToolkitError("INVALID_INPUT", "--prometheus-token-file", `cannot read ${missing}: ENOENT`),
    );
  });

  it("reload() takes the new token, keeps the old one for an empty or vanished file", () => {
    const f = join(dir, "b");
    writeFileSync(f, "old");
    const t = new TokenFile(f, "--prometheus-token-file", 60_000);
    try {
      writeFileSync(f, "new\n");
      expect(t.reload()).toBe("new");
      writeFileSync(f, "");
      expect(t.reload()).toBe("new");
      rmSync(f);
      expect(t.reload()).toBe("new");
      expect(t.current()).toBe("new");
    } finally {
      t.close();
    }
  });

  it("picks up a rewritten file by itself (watched)", async () => {
    const f = join(dir, "c");
    writeFileSync(f, "first");
    const t = new TokenFile(f, "--prometheus-token-file", 50);
    try {
      writeFileSync(f, "second");
      const deadline = Date.now() + 5000;
      while (t.current() !== "second" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(t.current()).toBe("second");
    } finally {
      t.close();
    }
  });
});

describe("Prometheus client with a token file", () => {
  it("on a 401 re-reads the file and sends the request once more with the new token", async () => {
    const f = join(dir, "d");
    writeFileSync(f, "v1");
    const expected = { token: "v1" };
    const seen: string[] = [];
    const url = await serveWithToken(expected, seen);
    // A long poll interval: only the 401 path can notice the rotation here.
    const c = createPrometheusClient({
      url,
      bearerToken: new TokenFile(f, "--prometheus-token-file", 60_000),
    });
    try {
      await c.query("up");
      expect(seen).toEqual(["Bearer v1"]);
      writeFileSync(f, "v2");
      expected.token = "v2";
      await c.query("up");
      expect(seen).toEqual(["Bearer v1", "Bearer v1", "Bearer v2"]);
      await c.query("up");
      expect(seen.at(-1)).toBe("Bearer v2");
      expect(seen).toHaveLength(4);
    } finally {
      await c.close();
    }
  });

  it("does not resend when the file still holds the rejected token: one 401, no retry loop", async () => {
    const f = join(dir, "e");
    writeFileSync(f, "stale");
    const seen: string[] = [];
    const url = await serveWithToken({ token: "other" }, seen);
    const c = createPrometheusClient({
      url,
      bearerToken: new TokenFile(f, "--prometheus-token-file", 60_000),
      sleep: async () => {},
    });
    try {
      await expect(c.query("up")).rejects.toThrow(/HTTP 401.*check the Prometheus credentials/);
      expect(seen).toEqual(["Bearer stale"]);
    } finally {
      await c.close();
    }
  });

  it("re-reads only once per request: a second 401 after the new token is the answer", async () => {
    const f = join(dir, "g");
    writeFileSync(f, "a");
    const seen: string[] = [];
    const url = await serveWithToken({ token: "never" }, seen);
    const c = createPrometheusClient({
      url,
      bearerToken: new TokenFile(f, "--prometheus-token-file", 60_000),
      sleep: async () => {},
    });
    try {
      writeFileSync(f, "b");
      await expect(c.query("up")).rejects.toThrow(/HTTP 401/);
      expect(seen).toEqual(["Bearer a", "Bearer b"]);
    } finally {
      await c.close();
    }
  });
});
