/**
 * Adapter benchmark (`npm run bench adapter`):
 *
 * 1. Latency and throughput of a wildcard pods request over 100 pods through the adapter, against the
 *    very same PromQL sent directly to Prometheus in the same run (same Prometheus, same data,
 *    interleaved), and through a bare Node proxy (one hop, no logic). Reports p50/p99 and the ratios; the
 *    goal is adapter overhead < 20% of the query time. Two data shapes (BENCH_SCENARIOS picks):
 *    - `production`: the deploy/ ConfigMap's rule (`rate(...[2m])`) over what a cluster's Prometheus
 *      holds: every pod's http_requests_total split by method x path x status (24 series per pod), 15 s
 *      scrapes, a full 2m window, and 20 more namespaces of 100 pods each. The goal is judged here.
 *    - `minimal`: one series per pod, 1 s scrapes, `rate(...[10s])`: the cheapest query Prometheus can
 *      answer for this request, where the fixed cost of an HTTP hop is largest relative to the query.
 * 2. Discovery with 100k series: a real Prometheus scrapes 100k series; we time the `/api/v1/series`
 *    fetch, the registry build (pure) and the relist as the adapter runs it, and the registry's memory.
 *    Goal: < 2 s.
 *
 * Every loop is bounded in count. The machine is shared: quote medians of the repeats.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Agent, request } from "undici";
import { parse as parseYaml } from "yaml";
import { createPrometheusClient } from "../../src/adapters/prometheus/client.js";
import { relist } from "../../src/adapters/prometheus/discovery.js";
import { scanVectorByLabel } from "../../src/adapters/prometheus/vector-scan.js";
import { compileConfig } from "../../src/core/metrics/config.js";
import { buildCustomQuery } from "../../src/core/metrics/queries.js";
import { buildRegistry, type SeriesQueryOutcome } from "../../src/core/metrics/registry.js";
import { lookupResource } from "../../src/core/metrics/resources.js";
import { parseQuantity } from "../../src/core/quantity/quantity.js";
import { startAdapterExporter } from "../../test/fixtures/adapter/exporter.js";
import { freePort, startProcess } from "../../test/support/process.js";
import { startPrometheus, waitForQuery } from "../../test/support/prometheus.js";

const REPO = join(import.meta.dirname, "../..");
const NS = "bench";
const PODS = Array.from({ length: 100 }, (_, i) => `pod-${String(i).padStart(3, "0")}`);
const rulesYaml = (window: string) => `
rules:
  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: { resource: namespace }
        pod: { resource: pod }
    name:
      matches: "^(.*)_total$"
      as: "\${1}_qps"
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[${window}])) by (<<.GroupBy>>)'
`;

interface Scenario {
  name: string;
  title: string;
  /** Label sets splitting each pod's counter (see the exporter's `split`). */
  split?: string[];
  otherNamespaces: number;
  scrapeInterval: string;
  /** The rule's rate() window. */
  window: string;
  /** Ready when every target series has at least this many samples in the window. */
  samplesInWindow: number;
  waitMs: number;
}
const SPLIT: string[] = [];
for (const method of ["GET", "POST"])
  for (const path of ["/", "/api/items", "/api/orders", "/healthz"])
    for (const code of ["200", "404", "500"])
      SPLIT.push(`method="${method}",path="${path}",status="${code}"`);
const SCENARIOS: Scenario[] = [
  {
    name: "production",
    title: `production-shaped data: ${SPLIT.length} series per pod (method x path x status), 15 s scrapes, rate over a full [2m] window, 20 more namespaces of 100 pods in the same Prometheus`,
    split: SPLIT,
    otherNamespaces: 20,
    scrapeInterval: "15s",
    window: "2m",
    samplesInWindow: 8,
    waitMs: 240_000,
  },
  {
    name: "minimal",
    title: "minimal data: 1 series per pod, 1 s scrapes, rate over [10s]",
    otherNamespaces: 0,
    scrapeInterval: "1s",
    window: "10s",
    samplesInWindow: 10,
    waitMs: 60_000,
  },
];
// A real gc() for the memory figure, without needing node --expose-gc.
setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const CONCURRENCY = 8;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PHASES = new Set((process.env.BENCH_PHASES ?? "latency,discovery").split(","));
const SCENARIO_NAMES = new Set((process.env.BENCH_SCENARIOS ?? "production,minimal").split(","));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const median = (xs: number[]) => pct(xs, 50);
const ms = (x: number) => `${x.toFixed(2)} ms`;

// The client: undici.request over keep-alive connections, as light as a Go client, and without
// `accept-encoding`, so no path gets a compressed answer (fetch() asks for gzip, which Prometheus honours
// and the adapter does not, so the direct path used to pay gzip + gunzip that the adapter path did not).
// BENCH_CLIENT=fetch restores the earlier client (fetch, gzip accepted) for comparison.
const FETCH_CLIENT = process.env.BENCH_CLIENT === "fetch";
const client = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
/** A URL whose query string gets `&time=<now>` per request, exactly as the adapter asks Prometheus. */
const withTime = (url: string) => `${url}&time=${(Date.now() / 1000).toFixed(3)}`;

async function timed(url: string | (() => string)): Promise<number> {
  const t0 = performance.now();
  const u = typeof url === "string" ? url : url();
  if (FETCH_CLIENT) {
    const f = await fetch(u);
    const text = await f.text();
    if (f.status !== 200) throw new Error(`${u}: HTTP ${f.status}: ${text.slice(0, 200)}`);
    return performance.now() - t0;
  }
  const r = await request(u, { dispatcher: client, headers: { accept: "application/json" } });
  const body = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`${u}: HTTP ${r.statusCode}: ${body.slice(0, 200)}`);
  return performance.now() - t0;
}
type Target = string | (() => string);

/**
 * `count` rounds of one sequential request per target, the order rotating every round (so no target is
 * always first after an idle gap); returns the latency list of each target.
 */
async function sequential(targets: Target[], count: number): Promise<number[][]> {
  const out = targets.map(() => [] as number[]);
  for (let i = 0; i < count; i++)
    for (let k = 0; k < targets.length; k++) {
      const j = (i + k) % targets.length;
      out[j]!.push(await timed(targets[j]!));
    }
  return out;
}

/** `count` requests with `CONCURRENCY` in flight; returns requests per second. */
async function throughput(url: Target, count: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next++;
        await timed(url);
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

async function latencyPhase(sc: Scenario): Promise<string[]> {
  const out: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "tidescale-bench-adapter-"));
  const exporter = await startAdapterExporter({
    namespace: NS,
    pods: PODS,
    otherNamespaces: sc.otherNamespaces,
    // Steady state: the counters have been counting for an hour (see the exporter's uptimeSeconds).
    uptimeSeconds: 3600,
    ...(sc.split ? { split: sc.split } : {}),
  });
  const prom = await startPrometheus({
    targets: [exporter.target],
    scrapeInterval: sc.scrapeInterval,
    timeoutMs: 60_000,
  });
  let adapter: Awaited<ReturnType<typeof startProcess>> | undefined;
  let bare: Awaited<ReturnType<typeof startProcess>> | undefined;
  try {
    // Every target series has a full window of samples (so the query reads what it would in a cluster).
    const seriesPerPod = sc.split?.length ?? 1;
    await waitForQuery(
      prom.url,
      `count(count_over_time(http_requests_total{namespace="${NS}"}[${sc.window}]) >= ${sc.samplesInWindow})`,
      { timeoutMs: sc.waitMs, accept: (s) => Number(s[0]?.value[1]) === PODS.length * seriesPerPod },
    );
    const cfgFile = join(dir, "rules.yaml");
    const rules = rulesYaml(sc.window);
    writeFileSync(cfgFile, rules);
    const port = await freePort();
    // BENCH_ADAPTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the adapter process.
    const nodeArgs = (process.env.BENCH_ADAPTER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    adapter = await startProcess(
      process.execPath,
      [
        ...nodeArgs,
        "--import",
        "tsx",
        join(REPO, "src/cli/main.ts"),
        "adapter",
        "--config",
        cfgFile,
        "--prometheus-url",
        prom.url,
        "--insecure-dev",
        "--secure-port",
        String(port),
        "--log-level",
        "warn",
      ],
      {
        timeoutMs: 60_000,
        ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        cwd: REPO,
      },
    );
    const adapterUrl = `http://127.0.0.1:${port}/apis/custom.metrics.k8s.io/v1beta2/namespaces/${NS}/pods/*/http_requests_qps`;
    // The exact PromQL the adapter sends for this request (from the very rules file it runs with).
    const rule = compileConfig(parseYaml(rules)).rules[0]!;
    const q = buildCustomQuery({
      rule,
      seriesName: "http_requests_total",
      resource: lookupResource("pods")!,
      namespace: NS,
      names: [...PODS].sort(),
      metricSelector: [],
    });
    if (!q.ok) throw new Error(q.error);
    // The very request the adapter sends: same encoding, `time` = now per request.
    const directBase = `${prom.url}/api/v1/query?${new URLSearchParams([["query", q.value.query]])}`;
    const directUrl = () => withTime(directBase);
    // Peer 2: a bare Node proxy hop for the same query (no adapter logic).
    const proxyPort = await freePort();
    bare = await startProcess(
      join(REPO, "node_modules/.bin/tsx"),
      [join(REPO, "bench/adapter/bare-proxy.ts"), String(proxyPort), directBase],
      { timeoutMs: 60_000, ready: async () => (await fetch(`http://127.0.0.1:${proxyPort}/`)).ok },
    );
    const bareUrl = `http://127.0.0.1:${proxyPort}/`;
    // The adapter's answer is the load the exporter generates: pod i at i + 1 req/s.
    const check = (await (await fetch(adapterUrl)).json()) as {
      items: Array<{ describedObject: { name: string }; value: string }>;
    };
    if (check.items.length !== PODS.length) throw new Error(`adapter returned ${check.items.length} items`);
    for (const it of check.items) {
      const want = PODS.indexOf(it.describedObject.name) + 1;
      const got = parseQuantity(it.value, "value").milliValue() / 1000;
      if (Math.abs(got - want) > 0.05 * want)
        throw new Error(`${it.describedObject.name}: ${got} req/s, want ${want}`);
    }
    // The adapter reads this answer with its fast vector scan (not the JSON.parse fallback).
    const answer = await (await request(directUrl(), { dispatcher: client })).body.text();
    const scanned = scanVectorByLabel(answer, "pod")?.byLabel.size;
    if (scanned !== PODS.length) throw new Error(`fast vector scan read ${scanned} pods of ${PODS.length}`);
    // Warm up every path, sequentially and with requests in flight.
    const targets: Target[] = [adapterUrl, directUrl, bareUrl];
    // (The adapter's ratio kept falling over the first repeats with a short warm-up: JIT still settling.)
    await sequential(targets, 400);
    for (const t of targets) await throughput(t, 400);
    const rows: Array<
      Record<"ap50" | "ap99" | "dp50" | "dp99" | "at" | "dt" | "bp50" | "bp99" | "bt" | "ratio", number>
    > = [];
    for (let r = 0; r < REPEATS; r++) {
      const [la, ld, lb] = (await sequential(targets, REQUESTS)) as [number[], number[], number[]];
      // Throughput one path at a time (they would compete for the 2 cores otherwise), order rotating.
      const tp = [0, 0, 0];
      for (let k = 0; k < 3; k++) {
        const j = (r + k) % 3;
        tp[j] = await throughput(targets[j]!, REQUESTS);
      }
      rows.push({
        ap50: pct(la, 50),
        ap99: pct(la, 99),
        dp50: pct(ld, 50),
        dp99: pct(ld, 99),
        at: tp[0]!,
        dt: tp[1]!,
        bp50: pct(lb, 50),
        bp99: pct(lb, 99),
        bt: tp[2]!,
        ratio: pct(la, 50) / pct(ld, 50),
      });
    }
    const m = (k: keyof (typeof rows)[number]) => median(rows.map((x) => x[k]));
    const ap50 = m("ap50");
    const dp50 = m("dp50");
    out.push(
      `### ${sc.name}: ${sc.title}`,
      "",
      `wildcard pods request over ${PODS.length} pods (${REQUESTS} sequential requests per path, interleaved round by round; throughput with ${CONCURRENCY} in flight; median of ${REPEATS} repeats)`,
      "",
      "| path | p50 | p99 | throughput |",
      "|---|---|---|---|",
      `| adapter (kubectl-style GET, plain HTTP) | ${ms(ap50)} | ${ms(m("ap99"))} | ${m("at").toFixed(0)} req/s |`,
      `| same PromQL direct to Prometheus | ${ms(dp50)} | ${ms(m("dp99"))} | ${m("dt").toFixed(0)} req/s |`,
      `| same PromQL through a bare Node proxy (one hop, no logic) | ${ms(m("bp50"))} | ${ms(m("bp99"))} | ${m("bt").toFixed(0)} req/s |`,
      "",
      `per-repeat adapter/direct p50 ratios: ${rows.map((x) => x.ratio.toFixed(2)).join(", ")}`,
      `adapter/direct p50 ratio: ${(ap50 / dp50).toFixed(2)} (overhead ${ms(ap50 - dp50)} = ${(((ap50 - dp50) / dp50) * 100).toFixed(0)}% of the query time); ` +
        `throughput ratio ${(m("at") / m("dt")).toFixed(2)}; ` +
        `a bare Node hop alone adds ${ms(m("bp50") - dp50)}, so the adapter's own work is ${ms(ap50 - m("bp50"))}`,
    );
  } finally {
    await adapter?.stop();
    await bare?.stop();
    await prom.stop();
    await exporter.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function latencyPhases(): Promise<string[]> {
  const all: string[] = [];
  for (const sc of SCENARIOS) if (SCENARIO_NAMES.has(sc.name)) all.push(...(await latencyPhase(sc)), "");
  return all;
}

async function discoveryPhase(): Promise<string[]> {
  const out: string[] = [];
  const SERIES = Number(process.env.BENCH_SERIES ?? 100_000);
  const exporter = await startAdapterExporter({ namespace: NS, pods: PODS, extra: SERIES });
  const prom = await startPrometheus({ targets: [exporter.target], scrapeInterval: "5s", timeoutMs: 60_000 });
  try {
    await waitForQuery(prom.url, "count(filler_series_total)", {
      timeoutMs: 120_000,
      accept: (s) => Number(s[0]?.value[1]) === SERIES,
    });
    const cfg = compileConfig({
      rules: [
        {
          seriesQuery: 'filler_series_total{namespace!=""}',
          resources: { template: "<<.Resource>>" },
          metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
        },
      ],
    });
    const client = createPrometheusClient({ url: prom.url, timeoutMs: 60_000 });
    const fetchMs: number[] = [];
    const buildMs: number[] = [];
    const relistMs: number[] = [];
    const heapMb: number[] = [];
    const seriesMb: number[] = [];
    let count = 0;
    for (let r = 0; r < REPEATS; r++) {
      gc();
      const base = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      let series: Array<Record<string, string>> | undefined = await client.series(
        ['filler_series_total{namespace!=""}'],
        (Date.now() - 600_000) / 1000,
      );
      fetchMs.push(performance.now() - t0);
      count = series.length;
      gc();
      const withSeries = process.memoryUsage().heapUsed;
      seriesMb.push((withSeries - base) / 2 ** 20);
      const t1 = performance.now();
      let reg: ReturnType<typeof buildRegistry> | undefined = buildRegistry(
        cfg,
        new Map<string, SeriesQueryOutcome>([[cfg.rules[0]!.seriesQuery, { ok: true, series }]]),
      );
      buildMs.push(performance.now() - t1);
      series = undefined;
      if (reg.custom.size === 0) throw new Error("nothing registered");
      gc();
      const withRegistry = process.memoryUsage().heapUsed;
      reg = undefined;
      gc();
      // What the registry itself holds: heap with it alive minus heap once it is dropped.
      heapMb.push((withRegistry - process.memoryUsage().heapUsed) / 2 ** 20);
      const t2 = performance.now();
      await relist(client, cfg, { nowMs: Date.now(), maxAgeMs: 600_000 });
      relistMs.push(performance.now() - t2);
    }
    await client.close();
    out.push(
      `discovery of ${count} series (one seriesQuery, template <<.Resource>>: each series registers on pods and namespaces; median of ${REPEATS})`,
      "",
      "| step | time |",
      "|---|---|",
      `| /api/v1/series fetch + JSON parse (Prometheus side included) | ${ms(median(fetchMs))} |`,
      `| registry build (pure, in process) | ${ms(median(buildMs))} |`,
      `| full relist as the adapter runs it (fetch + build) | ${ms(median(relistMs))} |`,
      "",
      `memory (heap after gc): the fetched series list ${median(seriesMb).toFixed(1)} MiB while a relist runs; ` +
        `the registry itself ${median(heapMb).toFixed(2)} MiB (one entry per metric and resource, objects de-duplicated)`,
    );
  } finally {
    await prom.stop();
    await exporter.stop();
  }
  return out;
}

// BENCH_PHASES=latency or =discovery runs one phase only.
const latency = PHASES.has("latency") ? await latencyPhases() : [];
await client.close();
const discovery = PHASES.has("discovery") ? await discoveryPhase() : [];
const lines = [
  `date: ${new Date().toISOString().slice(0, 10)}; node ${process.version}; ${execFileSync("nproc").toString().trim()} cores (shared with concurrent work)`,
  "",
  ...latency,
  ...discovery,
];
process.stdout.write(`${lines.join("\n")}\n`);
