/**
 * Fuzz test at the handler: hostile object names arrive the way an attacker can plant them, as label
 * values of Prometheus series (an exporter labels its series `pod="…"`), and go through discovery, the
 * wildcard request path, the real Prometheus client and HTTP to a recording Prometheus on 127.0.0.1.
 * Every recorded query must parse with Prometheus' grammar and hold exactly the namespace matcher and a
 * pod matcher that matches exactly the selected objects. Hostile names in the request path must be
 * refused with a 400 before any query is sent. Seeded: the same names on every run.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RE2JS } from "re2js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostileStrings, wellFormed } from "../../../test/support/hostile.js";
import { parsePromQL } from "../../../test/support/promql-tree.js";
import { compileConfig } from "../../core/metrics/config.js";
import { buildRegistry, type SeriesQueryOutcome } from "../../core/metrics/registry.js";
import { createPrometheusClient, type PrometheusClient } from "../prometheus/client.js";
import { handleApiRequest } from "./metrics-api-handler.js";

const cfg = compileConfig({
  rules: [
    {
      seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
      resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
      name: { matches: "^(.*)_total$", as: "${1}_qps" },
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
    },
  ],
});

let server: Server;
let prom: PrometheusClient;
const recorded: string[] = [];
/** The pod names the recording Prometheus answers with (one sample each). */
let answerPods: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const q = new URL(req.url ?? "/", "http://127.0.0.1").searchParams.get("query") ?? "";
    recorded.push(q);
    const result = answerPods.map((pod) => ({ metric: { pod }, value: [1700000000, "2"] }));
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  prom = createPrometheusClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
afterAll(async () => {
  await prom.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const SELECTORS: Array<[string, (app: string) => boolean]> = [
  ["", () => true],
  ["app=a", (a) => a === "a"],
  ["app in (a,b)", (a) => a === "a" || a === "b"],
  ["app!=c", (a) => a !== "c"],
];
const REGISTRIES = 60;

describe("hostile object names from Prometheus series, through the handler to a recording Prometheus", () => {
  it(`${REGISTRIES} registries x ${SELECTORS.length} labelSelectors: each query parses and selects exactly the objects`, async () => {
    const g = hostileStrings(7);
    let checked = 0;
    for (let r = 0; r < REGISTRIES; r++) {
      const names = g.distinct(1 + g.int(12));
      const apps = names.map(() => g.pick(["a", "b", "c"]));
      const series = names.map((pod, i) => ({
        __name__: "http_requests_total",
        namespace: "ns",
        pod,
        app: apps[i]!,
      }));
      const registry = buildRegistry(
        cfg,
        new Map<string, SeriesQueryOutcome>([[cfg.rules[0]!.seriesQuery, { ok: true, series }]]),
      );
      answerPods = names;
      for (const [selector, keep] of SELECTORS) {
        const want = names.filter((_, i) => keep(apps[i]!));
        const before = recorded.length;
        const path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/%2A/http_requests_qps";
        const res = await handleApiRequest(
          { method: "GET", path, query: new URLSearchParams({ labelSelector: selector }) },
          { config: cfg, registry, relisted: true, prometheus: prom, nowMs: Date.UTC(2026, 0, 1) },
        );
        if (res.kind !== "json") throw new Error("forwarded");
        if (want.length === 0) {
          expect(res.status).toBe(404);
          continue;
        }
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        // The answer names exactly the selected objects (Prometheus answered for all of them).
        const items = (res.body as { items: Array<{ describedObject: { name: string } }> }).items;
        expect(items.map((i) => i.describedObject.name).sort()).toEqual([...want].sort());
        expect(recorded.length).toBe(before + 1);
        const q = recorded[recorded.length - 1]!;
        const parsed = parsePromQL(q);
        expect(parsed.errors, q).toEqual([]);
        expect(parsed.badStrings, q).toEqual([]);
        expect(parsed.matchers.map((m) => `${m.label}${m.op}`)).toEqual([
          "namespace=",
          want.length === 1 ? "pod=" : "pod=~",
        ]);
        expect(parsed.matchers[0]!.value).toBe("ns");
        const pod = parsed.matchers[1]!;
        const wanted = want.map(wellFormed);
        if (want.length === 1) expect(pod.value).toBe(wanted[0]);
        else {
          const re = RE2JS.compile(`^(?:${pod.value})$`);
          for (const w of wanted) expect(re.matches(w), `${JSON.stringify(w)} in ${q}`).toBe(true);
          for (const n of names.map(wellFormed))
            if (!wanted.includes(n)) expect(re.matches(n), `${JSON.stringify(n)} in ${q}`).toBe(false);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(REGISTRIES * 2);
  });

  it("hostile names in the request path are a 400 and send no query", async () => {
    const g = hostileStrings(8);
    const registry = buildRegistry(cfg, new Map());
    const before = recorded.length;
    for (let i = 0; i < 300; i++) {
      const raw = wellFormed(g.value());
      if (/^[a-z0-9.-]+$/.test(raw)) continue; // a valid name: not what this case is about
      const evil = encodeURIComponent(raw);
      for (const path of [
        `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${evil}/pods/p/http_requests_qps`,
        `/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/${evil}/http_requests_qps`,
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${evil}/queue_depth`,
      ]) {
        const res = await handleApiRequest(
          { method: "GET", path, query: new URLSearchParams() },
          { config: cfg, registry, relisted: true, prometheus: prom, nowMs: 0 },
        );
        expect(res.kind === "json" && res.status, path).toBe(400);
      }
    }
    expect(recorded.length).toBe(before);
  });
});
