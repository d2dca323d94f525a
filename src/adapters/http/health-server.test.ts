import { afterEach, describe, expect, it } from "vitest";
import type { ToolkitError } from "../../core/errors.js";
import { type HealthServer, parseBindAddress, startHealthServer } from "./health-server.js";

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, method = "GET") {
  const r = await fetch(`http://127.0.0.1:${server!.port}${path}`, { method });
  return { status: r.status, body: await r.text() };
}

describe("startHealthServer", () => {
  it("answers /healthz always and /readyz from the checks of the moment", async () => {
    let synced = false;
    server = await startHealthServer("127.0.0.1", 0, {
      readiness: () => [{ name: "informers", ok: synced, detail: synced ? "" : "syncing" }],
      metrics: () => "x 1\n",
    });
    expect(await get("/healthz")).toEqual({ status: 200, body: "[+]ping ok\nhealthz check passed\n" });
    expect((await get("/livez")).status).toBe(200);
    expect(await get("/readyz")).toEqual({
      status: 503,
      body: "[-]informers failed: syncing\nreadyz check failed\n",
    });
    synced = true;
    expect((await get("/readyz?verbose")).status).toBe(200);
    expect(await get("/metrics")).toEqual({ status: 200, body: "x 1\n" });
    expect((await get("/other")).status).toBe(404);
    expect((await get("/healthz", "POST")).status).toBe(405);
  });
});

describe("parseBindAddress", () => {
  it.each([
    [":8081", { host: "0.0.0.0", port: 8081 }],
    ["127.0.0.1:0", { host: "127.0.0.1", port: 0 }],
    ["[::1]:9000", { host: "::1", port: 9000 }],
  ])("%s", (text, want) => {
    expect(parseBindAddress(text, "--health-probe-bind-address")).toEqual(want);
  });

  it.each(["8081", "host:99999", "a:b", ""])("refuses %j naming the flag", (text) => {
    try {
      parseBindAddress(text, "--health-probe-bind-address");
      expect.unreachable();
    } catch (e) {
      expect((e as ToolkitError).oneLine()).toMatch(/^--health-probe-bind-address: want HOST:PORT/);
    }
  });
});
