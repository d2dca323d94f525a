import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startSampleApp } from "./server.js";

const logger = pino({ level: "silent" });

describe("sample app", () => {
  it("serves up to the capacity, queues up to the queue length, then answers 503, and counts all of it", async () => {
    const app = await startSampleApp({
      host: "127.0.0.1",
      port: 0,
      serviceTimeMs: 500,
      cpuWorkMs: 1,
      capacity: 1,
      queue: 1,
      drainTimeoutMs: 5000,
      pod: "p-1",
      namespace: "ns",
      logger,
    });
    try {
      // Three at once against capacity 1 + queue 1: one served, one queued, the last to arrive rejected.
      const answers = await Promise.all(
        [1, 2, 3].map(() => fetch(`${app.url}/work?x=1`).then(async (r) => `${r.status} ${await r.text()}`)),
      );
      expect(answers.sort()).toEqual(["200 ok\n", "200 ok\n", "503 overloaded\n"]);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toContain(
        'http_requests_total{method="GET",path="/work",status="200",namespace="ns",pod="p-1"} 2',
      );
      expect(metrics).toContain(
        'http_requests_total{method="GET",path="/work",status="503",namespace="ns",pod="p-1"} 1',
      );
      const count = metrics
        .split("\n")
        .find((l) => l.startsWith("http_request_duration_seconds_count") && l.includes('status="200"'));
      expect(count).toMatch(/ 2$/);
      for (const label of ['method="GET"', 'path="/work"', 'namespace="ns"', 'pod="p-1"'])
        expect(count).toContain(label);
      expect(metrics).toMatch(/^http_requests_in_flight\{namespace="ns",pod="p-1"\} 0$/m);
      expect(metrics).toMatch(/^process_cpu_user_seconds_total\{namespace="ns",pod="p-1"\} /m);
      expect(metrics).not.toContain('path="/metrics"');
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    } finally {
      await app.drain();
    }
  });

  it("drains in-flight and queued requests before it reports drained", async () => {
    const app = await startSampleApp({
      host: "127.0.0.1",
      port: 0,
      serviceTimeMs: 200,
      cpuWorkMs: 0,
      capacity: 1,
      queue: 5,
      drainTimeoutMs: 5000,
      logger,
    });
    const inflight = [1, 2].map(() => fetch(`${app.url}/slow`).then((r) => r.status));
    await new Promise((r) => setTimeout(r, 50));
    const result = await app.drain();
    expect(result).toEqual({ drained: true, inFlight: 0 });
    expect(await Promise.all(inflight)).toEqual([200, 200]);
  });
});
