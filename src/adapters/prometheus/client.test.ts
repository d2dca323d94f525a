import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ToolkitError } from "../../core/errors.js";
import { createPrometheusClient } from "./client.js";

// A real HTTP server on loopback that answers like the Prometheus API does, so that the client's
// retries, timeouts, auth headers and error mapping run over real sockets.
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => handler(req, res, body));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
}

const json = (res: ServerResponse, code: number, v: unknown) => {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(v));
};

const noSleep = async () => {};

describe("createPrometheusClient", () => {
  it("sends an instant query with time and bearer token and returns the vector", async () => {
    let seen: { url?: string | undefined; auth?: string | undefined } = {};
    const url = await serve((req, res) => {
      seen = { url: req.url, auth: req.headers.authorization };
      json(res, 200, {
        status: "success",
        data: { resultType: "vector", result: [{ metric: { pod: "a" }, value: [1, "2.5"] }] },
      });
    });
    const c = createPrometheusClient({ url, bearerToken: "tok" });
    const r = await c.query('sum(x{pod="a"})', 1700000000.5);
    expect(r).toEqual({ resultType: "vector", result: [{ metric: { pod: "a" }, value: [1, "2.5"] }] });
    const u = new URL(seen.url!, url);
    expect(u.pathname).toBe("/api/v1/query");
    expect(u.searchParams.get("query")).toBe('sum(x{pod="a"})');
    expect(u.searchParams.get("time")).toBe("1700000000.500");
    expect(seen.auth).toBe("Bearer tok");
    await c.close();
  });

  it("keeps a path prefix, uses basic auth, and POSTs form parameters for series", async () => {
    let seen: Record<string, string | undefined> = {};
    const url = await serve((req, res, body) => {
      seen = { url: req.url, auth: req.headers.authorization, body, method: req.method };
      json(res, 200, { status: "success", data: [{ __name__: "x", pod: "a" }] });
    });
    const c = createPrometheusClient({
      url: `${url}/prom/`,
      basicAuth: { username: "u", password: "p" },
      method: "POST",
    });
    const r = await c.series(['{__name__=~"x"}', "y"], 10);
    expect(r).toEqual([{ __name__: "x", pod: "a" }]);
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/prom/api/v1/series");
    expect(seen.auth).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    const form = new URLSearchParams(seen.body);
    expect(form.getAll("match[]")).toEqual(['{__name__=~"x"}', "y"]);
    expect(form.get("start")).toBe("10.000");
    await c.close();
  });

  it("maps a Prometheus 400 to INVALID_INPUT carrying errorType and error, without retrying", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 400, { status: "error", errorType: "bad_data", error: "parse error at char 3" });
    });
    const c = createPrometheusClient({ url, sleep: noSleep });
    const e = await c.query("x{").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ToolkitError);
    expect((e as ToolkitError).code).toBe("INVALID_INPUT");
    expect((e as ToolkitError).message).toBe("bad_data: parse error at char 3");
    expect((e as ToolkitError).where).toBe("prometheus /api/v1/query");
    expect(calls).toBe(1);
    await c.close();
  });

  it("retries 5xx with backoff and succeeds", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      if (calls < 3) json(res, 503, { status: "error", errorType: "unavailable", error: "busy" });
      else json(res, 200, { status: "success", data: { resultType: "scalar", result: [1, "1"] } });
    });
    const delays: number[] = [];
    const c = createPrometheusClient({
      url,
      retries: 2,
      backoffMs: 50,
      sleep: async (ms) => void delays.push(ms),
    });
    expect(await c.query("1")).toEqual({ resultType: "scalar", result: [1, "1"] });
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
    await c.close();
  });

  it("gives UNAVAILABLE after retries when nothing listens", async () => {
    const url = await serve((_req, res) => json(res, 200, {}));
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const c = createPrometheusClient({ url, retries: 1, sleep: noSleep });
    const e = (await c.series(["x"]).catch((x: unknown) => x)) as ToolkitError;
    expect(e.code).toBe("UNAVAILABLE");
    expect(e.message).toMatch(/cannot reach Prometheus: ECONNREFUSED/);
    await c.close();
  });

  it("gives TIMEOUT when Prometheus does not answer in time", async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const c = createPrometheusClient({ url, timeoutMs: 100, retries: 0 });
    const e = (await c.query("1").catch((x: unknown) => x)) as ToolkitError;
    expect(e.code).toBe("TIMEOUT");
    expect(e.message).toBe("no answer within 100 ms");
    await c.close();
    server?.closeAllConnections();
  });

  it("explains a non-API answer (wrong URL path)", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<html>not found</html>");
    });
    const c = createPrometheusClient({ url });
    const e = (await c.query("1").catch((x: unknown) => x)) as ToolkitError;
    expect(e.code).toBe("UNAVAILABLE");
    expect(e.message).toContain("HTTP 404: <html>not found</html>");
    expect(e.message).toContain("--prometheus-url");
    await c.close();
  });

  it("rejects a URL that is not http(s)", () => {
    expect(() => createPrometheusClient({ url: "ftp://x" })).toThrow(/must be http/);
    expect(() => createPrometheusClient({ url: "::" })).toThrow(/not a URL/);
  });
});
