/**
 * `tidescale forecast --prometheus-url`: a real exporter serves a known series (10 + seconds since start),
 * a real Prometheus scrapes it every second, and the CLI forecasts from a range query.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";

let server: Server | undefined;
let prom: RunningPrometheus | undefined;
let port = 0;
const t0 = Date.now();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    const v = 10 + (Date.now() - t0) / 1000;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(`# TYPE tidescale_test_series gauge\ntidescale_test_series ${v}\n`);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  port = typeof addr === "object" && addr ? addr.port : 0;
  prom = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
  await waitForQuery(prom.url, "count_over_time(tidescale_test_series[1m]) >= 12", { timeoutMs: 60_000 });
});

afterAll(async () => {
  await prom?.stop();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

/** `tidescale forecast` of the exporter's series from the Prometheus above, with `flags` added. */
const forecastTestSeries = (flags: string[]) =>
  runCli(["forecast", "--prometheus-url", prom!.url, "--query", "tidescale_test_series", ...flags]);

describe("forecast from a real Prometheus", () => {
  it("forecasts the known linear series from a range query", async () => {
    const end = Math.floor(Date.now() / 1000) - 1;
    const r = await forecastTestSeries([
      "--range",
      "10s",
      "--step",
      "1s",
      "--end",
      String(end),
      "--horizon",
      "5s",
      "--model",
      "linear-trend",
      "-o",
      "json",
    ]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.model).toBe("linear-trend");
    expect(doc.points).toHaveLength(5);
    const expected = 10 + (end + 1 - t0 / 1000);
    expect(Math.abs(doc.points[0].p50 - expected)).toBeLessThan(3);
    expect(doc.points[4].p50 - doc.points[0].p50).toBeGreaterThan(2);
    expect(doc.points[4].p50 - doc.points[0].p50).toBeLessThan(6);
  });

  it("splits long ranges into queries under Prometheus' 11,000-point limit", async () => {
    const end = Math.floor(Date.now() / 1000) - 1;
    // 12 s at 1 ms steps = 12,001 points: one query would be refused by Prometheus.
    const r = await forecastTestSeries([
      "--range",
      "12s",
      "--step",
      "1ms",
      "--end",
      String(end),
      "--horizon",
      "5ms",
      "--model",
      "recent-level",
      "-o",
      "json",
    ]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.points).toHaveLength(5);
    expect(doc.step).toBe(0.001);
  });

  it("a query returning several series is bad input (exit 2), an unreachable Prometheus exit 1", async () => {
    const many = await runCli([
      "forecast",
      "--prometheus-url",
      prom!.url,
      "--query",
      '{job="test"}',
      "--range",
      "10s",
      "--step",
      "1s",
    ]);
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/error: --query: the query returned \d+ series/);
    const down = await runCli([
      "forecast",
      "--prometheus-url",
      "http://127.0.0.1:1",
      "--query",
      "up",
      "--range",
      "10s",
      "--step",
      "1s",
    ]);
    expect(down.code).toBe(1);
    expect(down.err.split("\n")[0]).toMatch(/^error: /);
  });
});
