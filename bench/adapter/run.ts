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
 *    With the control-plane binaries built (scripts/control-plane.sh build), each scenario starts a real
 *    kube-apiserver, creates its pods there and runs the adapter with `--kubeconfig`: the wildcard's
 *    objects then come from the adapter's metadata watch cache (BENCH_NO_CLUSTER=1: from series).
 *    Reports the p99 ratio too (goal < 1.2).
 * 2. Discovery with 100k series: a real Prometheus scrapes 100k series; we time the `/api/v1/series`
 *    fetch, the registry build (pure) and the relist as the adapter runs it, and the registry's memory.
 *    Goal: < 2 s.
 *
 * 3. `rss`: memory of the watch cache with BENCH_RSS_PODS (10k) pods created in the real apiserver: the
 *    informer's heap per pod fed by a real watch, and the adapter's RSS before and after.
 *
 * Every loop is bounded in count. The machine is shared: quote medians of the repeats.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Agent, request } from "undici";
import { parse as parseYaml } from "yaml";
import { KubeConnection } from "../../src/adapters/kube/connection.js";
import { MetadataInformer } from "../../src/adapters/kube/metadata-informer.js";
import { createPrometheusClient } from "../../src/adapters/prometheus/client.js";
import { relist } from "../../src/adapters/prometheus/discovery.js";
import { scanVectorByLabel } from "../../src/adapters/prometheus/vector-scan.js";
import { compileConfig } from "../../src/core/metrics/config.js";
import { buildCustomQuery } from "../../src/core/metrics/queries.js";
import { buildRegistry, type SeriesQueryOutcome } from "../../src/core/metrics/registry.js";
import { lookupResource } from "../../src/core/metrics/resources.js";
import { parseQuantity } from "../../src/core/quantity/quantity.js";
import { startAdapterExporter } from "../../test/fixtures/adapter/exporter.js";
import type { ControlPlane } from "../../test/support/control-plane.js";
import { freePort, startProcess } from "../../test/support/process.js";
import { startPrometheus, waitForQuery } from "../../test/support/prometheus.js";
import { createPods, maybeControlPlane } from "./kube-pods.js";

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
const PHASES = new Set((process.env.BENCH_PHASES ?? "latency,discovery,rss").split(","));
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

/** Starts `tidescale adapter --insecure-dev` (plus `--kubeconfig` of `cp` when given) and waits for /readyz. */
async function startAdapter(
  cfgFile: string,
  promUrl: string,
  port: number,
  cp: ControlPlane | undefined,
): Promise<Awaited<ReturnType<typeof startProcess>>> {
  // BENCH_ADAPTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the adapter process.
  const nodeArgs = (process.env.BENCH_ADAPTER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  return startProcess(
    process.execPath,
    [
      ...nodeArgs,
      ...ADAPTER_MAIN,
      "adapter",
      "--config",
      cfgFile,
      "--prometheus-url",
      promUrl,
      "--insecure-dev",
      ...(cp ? ["--kubeconfig", cp.kubeconfig] : []),
      "--secure-port",
      String(port),
      "--log-level",
      "warn",
    ],
    {
      timeoutMs: 300_000,
      ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      cwd: REPO,
    },
  );
}

/** The built CLI (`npm run build`) when it is newer than every source file, else the sources through tsx. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}
const DIST_MAIN = join(REPO, "dist/cli/main.js");
const DIST_FRESH = existsSync(DIST_MAIN) && statSync(DIST_MAIN).mtimeMs >= newestMtime(join(REPO, "src"));
const ADAPTER_MAIN = DIST_FRESH ? [DIST_MAIN] : ["--import", "tsx", join(REPO, "src/cli/main.ts")];
const ADAPTER_RUNS = DIST_FRESH
  ? "node dist/cli/main.js (npm run build)"
  : "node --import tsx src/cli/main.ts";

/** Resident set size of a process (Linux /proc), in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

async function latencyPhase(sc: Scenario, cp: ControlPlane | undefined): Promise<string[]> {
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
    // The objects for the wildcard: Pods in a real kube-apiserver, selected from the adapter's watch cache.
    let cached = 0;
    if (cp) {
      await createPods(cp, NS, PODS);
      cached += PODS.length;
      for (let n = 1; n <= sc.otherNamespaces; n++) {
        await createPods(
          cp,
          `other-${n}`,
          PODS.map((p) => `other-${n}-${p}`),
        );
        cached += PODS.length;
      }
    }
    const port = await freePort();
    adapter = await startAdapter(cfgFile, prom.url, port, cp);
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
    if (!q.ok) throw new Error(q.error.message);
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
      cp
        ? `objects for the wildcard: the adapter's metadata watch cache of a real kube-apiserver 1.20 (scripts/control-plane.sh), holding ${cached} pods of ${sc.otherNamespaces + 1} namespaces`
        : "objects for the wildcard: the pods seen in Prometheus series (no control plane built: run `scripts/control-plane.sh build` for the watch-cache run)",
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
      `adapter/direct p99 ratio: ${(m("ap99") / m("dp99")).toFixed(2)} (per repeat: ${rows.map((x) => (x.ap99 / x.dp99).toFixed(2)).join(", ")}; goal < 1.2)`,
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
  for (const sc of SCENARIOS) {
    if (!SCENARIO_NAMES.has(sc.name)) continue;
    // One control plane per scenario, so each watch cache holds that scenario's pods only.
    const cp = await maybeControlPlane();
    try {
      all.push(...(await latencyPhase(sc, cp)), "");
    } finally {
      await cp?.stop();
    }
  }
  return all;
}

/**
 * Memory of the watch cache with BENCH_RSS_PODS (10k) pods: (1) in this process, the adapter's
 * MetadataInformer fed by a real watch while the pods are created (heap after gc(), per pod); (2) the
 * adapter's RSS started before the pods exist, after they streamed in, and a fresh adapter whose first
 * list holds them all.
 */
async function rssPhase(): Promise<string[]> {
  const cp = await maybeControlPlane();
  if (!cp)
    return ["### watch cache memory: skipped (no control plane built: `scripts/control-plane.sh build`)", ""];
  const COUNT = Number(process.env.BENCH_RSS_PODS ?? 10_000);
  const NAMESPACES = 10;
  const dir = mkdtempSync(join(tmpdir(), "tidescale-bench-rss-"));
  const exporter = await startAdapterExporter({ namespace: NS, pods: PODS });
  const prom = await startPrometheus({ targets: [exporter.target], scrapeInterval: "1s", timeoutMs: 60_000 });
  const adapters: Array<Awaited<ReturnType<typeof startProcess>>> = [];
  const log = {
    info: () => {},
    warn: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
  };
  const conn = KubeConnection.from(cp.kubeconfig, "--kubeconfig")!;
  const informer = new MetadataInformer(conn, lookupResource("pods")!, {
    relistMs: 3_600_000,
    watchTimeoutSeconds: 300,
    log,
  });
  try {
    await waitForQuery(prom.url, `http_requests_total{namespace="${NS}"}`, { timeoutMs: 60_000 });
    const cfgFile = join(dir, "rules.yaml");
    writeFileSync(cfgFile, rulesYaml("10s"));
    const before = await startAdapter(cfgFile, prom.url, await freePort(), cp);
    adapters.push(before);
    informer.start();
    await informer.synced;
    await new Promise((r) => setTimeout(r, 5_000));
    const rssEmpty = rssMiB(before.child.pid!);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const per = Math.ceil(COUNT / NAMESPACES);
    for (let n = 0; n < NAMESPACES; n++) {
      const names = Array.from(
        { length: Math.min(per, COUNT - n * per) },
        (_, i) => `w-${n}-${String(i).padStart(5, "0")}`,
      );
      await createPods(cp, `rss-${n}`, names, (i) => `app-${i % 10}`);
    }
    const createS = (performance.now() - t0) / 1000;
    for (let i = 0; i < 1200 && informer.store.size < COUNT; i++)
      await new Promise((r) => setTimeout(r, 250));
    if (informer.store.size < COUNT)
      throw new Error(`watch delivered ${informer.store.size} of ${COUNT} pods`);
    gc();
    const heapPerPod = (process.memoryUsage().heapUsed - heap0) / informer.store.size;
    await new Promise((r) => setTimeout(r, 10_000));
    const rssStreamed = rssMiB(before.child.pid!);
    const fresh = await startAdapter(cfgFile, prom.url, await freePort(), cp);
    adapters.push(fresh);
    await new Promise((r) => setTimeout(r, 10_000));
    const rssFresh = rssMiB(fresh.child.pid!);
    return [
      `### watch cache memory with ${COUNT} pods (${NAMESPACES} namespaces, labels app=…; a real kube-apiserver 1.20 watch)`,
      "",
      "| measure | value |",
      "|---|---|",
      `| informer heap per pod (this process, after gc; fed by the watch while the pods were created) | ${heapPerPod.toFixed(0)} bytes (${((heapPerPod * COUNT) / 1048576).toFixed(1)} MiB for ${COUNT}) |`,
      `| adapter RSS, cache empty (started before the pods) | ${rssEmpty.toFixed(0)} MiB |`,
      `| same adapter after the ${COUNT} pods streamed in through its watch | ${rssStreamed.toFixed(0)} MiB |`,
      `| a fresh adapter whose first list held the ${COUNT} pods | ${rssFresh.toFixed(0)} MiB |`,
      "",
      `creating the pods with kubectl create in batches of 500 took ${createS.toFixed(0)} s`,
      "",
    ];
  } finally {
    await informer.stop();
    for (const a of adapters) await a.stop();
    await prom.stop();
    await exporter.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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
const rss = PHASES.has("rss") ? await rssPhase() : [];
const lines = [
  `date: ${new Date().toISOString().slice(0, 10)}; node ${process.version}; ${execFileSync("nproc").toString().trim()} cores (shared with concurrent work); adapter runs as ${ADAPTER_RUNS}`,
  "",
  ...latency,
  ...discovery,
  ...rss,
];
process.stdout.write(`${lines.join("\n")}\n`);
