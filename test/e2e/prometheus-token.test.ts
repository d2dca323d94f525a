/**
 * Token rotation end to end: real Prometheus behind a loopback proxy that admits one bearer token (read
 * from a file the test rewrites), and `tidescale adapter --prometheus-token-file`. When the token is
 * rotated (the adapter's token file and the proxy's expected token both rewritten), the adapter keeps
 * answering without a restart: it re-reads its file when it changes and when Prometheus says 401.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BearerProxy, startBearerProxy } from "../support/bearer-proxy.js";
import { startCli } from "../support/cli.js";
import { type RequestsExporter, startRequestsExporter } from "../support/exporter.js";
import { freePort, httpOk, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";

const NS = "tok";
const RULES = `rules:
  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: {resource: namespace}
        pod: {resource: pod}
    name: {matches: "^(.*)_total$", as: "\${1}_qps"}
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[15s])) by (<<.GroupBy>>)'
`;

let dir = "";
let exporter: RequestsExporter | undefined;
let prom: RunningPrometheus | undefined;
let proxy: BearerProxy | undefined;
let adapter: Started | undefined;
let adapterUrl = "";
let adapterTokenFile = "";
let proxyTokenFile = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidescale-token-e2e-"));
  exporter = await startRequestsExporter({ namespace: NS });
  exporter.setPods(["web-1"]);
  exporter.setTotalRate(20);
  prom = await startPrometheus({ targets: [exporter.target] });
  proxyTokenFile = join(dir, "proxy-expects");
  adapterTokenFile = join(dir, "adapter-token");
  await writeFile(proxyTokenFile, "token-1\n");
  await writeFile(adapterTokenFile, "token-1\n");
  proxy = await startBearerProxy({ target: prom.url, tokenFile: proxyTokenFile });
  await waitForQuery(prom.url, `http_requests_total{namespace="${NS}"}`, { timeoutMs: 30_000 });
  const rulesFile = join(dir, "rules.yaml");
  await writeFile(rulesFile, RULES);
  const port = await freePort();
  adapterUrl = `http://127.0.0.1:${port}`;
  adapter = await startCli(
    [
      "adapter",
      "--config",
      rulesFile,
      "--prometheus-url",
      proxy.url,
      "--prometheus-token-file",
      adapterTokenFile,
      "--insecure-dev",
      "--secure-port",
      String(port),
      "--metrics-relist-interval",
      "2s",
      "--log-level",
      "warn",
    ],
    { timeoutMs: 60_000, ready: () => httpOk(`${adapterUrl}/readyz`) },
  );
}, 120_000);

afterAll(async () => {
  await adapter?.stop();
  await proxy?.stop();
  await prom?.stop();
  await exporter?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const METRIC = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/http_requests_qps`;

async function metric(): Promise<{
  status: number;
  body: { items?: { describedObject: { name: string } }[] };
}> {
  const r = await fetch(adapterUrl + METRIC, { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: (await r.json()) as { items?: { describedObject: { name: string } }[] } };
}

/** Polls until `check` returns a value (not undefined), every 250 ms, for at most `timeoutMs`. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms ${last}\n${adapter?.output().slice(-3000)}`);
}

const served = async () => {
  const r = await metric();
  return r.status === 200 && r.body.items?.length === 1 ? r : undefined;
};

describe("tidescale adapter --prometheus-token-file with a rotating token", () => {
  it("answers through the token-checking proxy with the first token", async () => {
    const r = await eventually("metric served", served);
    expect(r.body.items?.[0]?.describedObject.name).toBe("web-1");
    expect(proxy?.seen.some((s) => s.token === "token-1" && s.admitted)).toBe(true);
  });

  it("keeps answering right after both sides rotate to a new token, without a restart", async () => {
    if (!proxy) throw new Error("not started");
    const before = proxy.seen.length;
    // The adapter's file first (as a Secret update reaches the pod), then the gateway switches.
    await writeFile(adapterTokenFile, "token-2\n");
    await writeFile(proxyTokenFile, "token-2\n");
    // The very next request is answered: the token file's change or the 401 re-read gives token-2.
    const r = await metric();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items?.map((i) => i.describedObject.name)).toEqual(["web-1"]);
    const after = proxy.seen.slice(before);
    expect(after.some((s) => s.token === "token-2" && s.admitted)).toBe(true);
    // Once the rotation is seen, the old token is not sent again.
    const firstNew = after.findIndex((s) => s.token === "token-2");
    expect(after.slice(firstNew).every((s) => s.token === "token-2")).toBe(true);
  });

  it("fails while its token is wrong and recovers when the file is fixed, still without a restart", async () => {
    if (!proxy) throw new Error("not started");
    await writeFile(proxyTokenFile, "token-3\n");
    const failing = await eventually("401 from Prometheus surfaces as an error Status", async () => {
      const r = await metric();
      return r.status >= 500 ? r : undefined;
    });
    expect(JSON.stringify(failing.body)).toContain("401");
    await writeFile(adapterTokenFile, "token-3\n");
    const before = proxy.seen.length;
    await eventually("metric served again after the file was fixed", served);
    // Served because the adapter re-read its file: the proxy admitted the new token.
    expect(proxy.seen.slice(before).some((s) => s.token === "token-3" && s.admitted)).toBe(true);
    expect(adapter?.child.exitCode).toBeNull();
  });
});
