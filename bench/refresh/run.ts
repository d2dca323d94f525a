/**
 * bench/refresh: how long the EHPA controller's forecast refresher (src/adapters/controller/
 * tsp-refresher.ts, the code `tidescale controller` runs) takes to refresh 1,000 TimeSeriesPredictions
 * against a real Prometheus holding their history and a real kube-apiserver holding the TSPs. Goal
 * (issue 9): all 1,000 refreshed within one refresh interval (default 5 min) on 2 cores.
 *
 * Per TSP: one metric, one series (`bench_requests{svc="sNNN"}`, a daily cycle with noise), the
 * multi-seasonal algorithm at sampleInterval 5m over historyLength 8d (2,305 points per fit; the e2e
 * test and the default use 60 s over 8-15 days: 11,521+ points, see REFRESH_BENCH_STEP), window 1 h.
 * History in Prometheus: 8 days + 1 h at the sample interval's resolution, backfilled with promtool.
 * 1,000 distinct series (2.3 M samples, 110 MB of OpenMetrics) did not backfill within promtool's 5-min
 * limit on the shared machine, so 100 distinct series are backfilled and TSP i queries series i mod 100:
 * every TSP still runs its own range query over 8 days of one series (Prometheus reads the same chunks
 * ten times, from its page cache), its own fit and its own status write. A refresh per TSP = the range
 * query, the fit and forecast, the accuracy update, the status write (PUT /status) to kube-apiserver.
 *
 * Runs: `enqueueDue()` with every TSP due, timed until the refresher reported all of them written; the
 * next run moves the refresher's clock 5 min on (the history extends 1 h past the real clock for that).
 * Prometheus' own `prometheus_http_requests_total` counts the queries. Medians of REFRESH_BENCH_RUNS (3).
 *
 * Needs the control-plane binaries (scripts/control-plane.sh build). `npm run bench refresh`. Knobs:
 * REFRESH_BENCH_TSPS (1000), REFRESH_BENCH_SERIES (distinct series, 100), REFRESH_BENCH_WORKERS (the controller's --refresh-workers, default 2),
 * REFRESH_BENCH_STEP (sample interval and scrape resolution, seconds, default 300), REFRESH_BENCH_RUNS.
 */
import { cpus } from "node:os";
import { TspRefresher } from "../../src/adapters/controller/tsp-refresher.js";
import { type KubeObject, loadKubeClients, TSP_GVR } from "../../src/adapters/kube/client.js";
import { startInformer } from "../../src/adapters/kube/informer.js";
import { createPrometheusClient } from "../../src/adapters/prometheus/client.js";
import { TSP_API_VERSION, type TspStatus } from "../../src/core/ehpa/types.js";
import { controlPlaneBinDir, startControlPlane } from "../../test/support/control-plane.js";
import { startPrometheus } from "../../test/support/prometheus.js";

const N = Number(process.env.REFRESH_BENCH_TSPS ?? 1000);
const SERIES = Math.min(N, Number(process.env.REFRESH_BENCH_SERIES ?? 100));
const WORKERS = Number(process.env.REFRESH_BENCH_WORKERS ?? 2);
const STEP = Number(process.env.REFRESH_BENCH_STEP ?? 300);
const RUNS = Number(process.env.REFRESH_BENCH_RUNS ?? 3);
const HISTORY_SEC = 8 * 86_400;
const AHEAD_SEC = 3600;
const REFRESH_SEC = 300;
const NS = "bench";
const svc = (i: number) => `s${String(i).padStart(4, "0")}`;
const tspName = (i: number) => `tsp-${String(i).padStart(4, "0")}`;

/** 8 days (+1 h ahead) of a noisy daily cycle per series, as OpenMetrics (series after series). */
function openMetrics(nowSec: number): string {
  const end = Math.floor((nowSec + AHEAD_SEC) / STEP) * STEP;
  const start = end - HISTORY_SEC - AHEAD_SEC;
  const parts: string[] = ["# TYPE bench_requests gauge\n"];
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let i = 0; i < SERIES; i++) {
    const lines: string[] = [];
    const base = 50 + (i % 50) * 4;
    const phase = (i % 24) * 3600;
    for (let t = start; t <= end; t += STEP) {
      const daily = Math.sin((2 * Math.PI * (t + phase)) / 86_400);
      const v = base * (1 + 0.6 * daily) * (0.95 + 0.1 * rnd());
      lines.push(`bench_requests{svc="${svc(i)}"} ${v.toFixed(3)} ${t}`);
    }
    parts.push(`${lines.join("\n")}\n`);
  }
  parts.push("# EOF\n");
  return parts.join("");
}

function tspManifest(i: number): Record<string, unknown> {
  return {
    apiVersion: TSP_API_VERSION,
    kind: "TimeSeriesPrediction",
    metadata: { name: tspName(i), namespace: NS },
    spec: {
      targetRef: { kind: "Deployment", name: tspName(i), namespace: NS },
      predictionWindowSeconds: 3600,
      predictionMetrics: [
        {
          resourceIdentifier: "external.bench_requests",
          type: "ExpressionQuery",
          expressionQuery: { expression: `sum(bench_requests{svc="${svc(i % SERIES)}"})` },
          algorithm: {
            algorithmType: "multi-seasonal",
            multiSeasonal: { sampleInterval: `${STEP}s`, historyLength: "8d" },
          },
        },
      ],
    },
  };
}

/** Prometheus' count of range and instant queries so far. */
async function queryCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    /^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/query(?:_range)?"[^}]*\} (\d+)/gm,
  ))
    n += Number(m[1]);
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!(await controlPlaneBinDir())) {
    console.log("bench/refresh: the control-plane binaries are not built (scripts/control-plane.sh build)");
    return;
  }
  const now0 = Math.floor(Date.now() / 1000);
  let t = performance.now();
  const om = openMetrics(now0);
  const prom = await startPrometheus({ backfillOpenMetrics: om, retention: "30d", timeoutMs: 120_000 });
  console.log(
    `history: ${SERIES} series x ${HISTORY_SEC / STEP + AHEAD_SEC / STEP + 1} samples (${(om.length / 1e6).toFixed(0)} MB OpenMetrics), backfilled and Prometheus ready in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const cp = await startControlPlane();
  try {
    await cp.kubectl(["apply", "-f", "deploy/crds/12-timeseriespredictions.yaml"]);
    await cp.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/timeseriespredictions.prediction.tidescale.dev",
    ]);
    await cp.kubectl(["create", "namespace", NS]);
    t = performance.now();
    for (let at = 0; at < N; at += 250) {
      const items = Array.from({ length: Math.min(250, N - at) }, (_, k) => tspManifest(at + k));
      await cp.kubectl(["create", "-f", "-"], {
        input: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
        timeoutMs: 300_000,
      });
    }
    console.log(`${N} TSPs created in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const clients = loadKubeClients(cp.kubeconfig, "kubeconfig");
    const tsps = await startInformer<KubeObject>(clients, TSP_GVR);
    const prometheus = createPrometheusClient({ url: prom.url });
    let nowMs = now0 * 1000;
    let written = 0;
    let failed = 0;
    const log = { debug: () => {}, info: () => {}, warn: (m: string) => console.error(`warn: ${m}`) };
    const refresher = new TspRefresher({
      clients,
      prometheus,
      prometheusUrl: prom.url,
      tsps,
      refreshSeconds: REFRESH_SEC,
      concurrency: WORKERS,
      canWrite: () => true,
      log,
      now: () => nowMs,
      onRefreshed: (_key, _ok, bad) => {
        written++;
        failed += bad;
      },
    });
    const seconds: number[] = [];
    const perTsp: number[] = [];
    console.log(
      `refresher: ${WORKERS} workers, sample interval ${STEP}s, history 8d; node ${process.version}, ${cpus().length} CPUs`,
    );
    console.log(
      "| run | TSPs written | metrics ready | failed queries | queries per TSP | duration s | ms per TSP |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (let run = 1; run <= RUNS; run++) {
      const iso = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
      // (the previous run's statuses are in the cache: see the wait at the end of the loop)
      written = 0;
      failed = 0;
      const q0 = await queryCount(prom.url);
      t = performance.now();
      refresher.enqueueDue();
      await refresher.idle();
      const s = (performance.now() - t) / 1000;
      const q = (await queryCount(prom.url)) - q0;
      seconds.push(s);
      perTsp.push((s * 1000) / N);
      nowMs += REFRESH_SEC * 1000;
      // Wait until the cache holds this run's statuses before the next one.
      const want = new Date(nowMs - REFRESH_SEC * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
      for (let k = 0; k < 600; k++) {
        const seen = tsps
          .list(NS)
          .filter(
            (x) => (x as { status?: TspStatus }).status?.predictionMetrics?.[0]?.lastRefreshTime === want,
          ).length;
        if (seen >= written) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const ready = tsps
        .list(NS)
        .filter((x) => (x as { status?: TspStatus }).status?.predictionMetrics?.[0]?.ready === true).length;
      console.log(
        `| ${run} (clock ${iso}) | ${written} | ${ready} | ${failed} | ${(q / N).toFixed(2)} | ${s.toFixed(1)} | ${((s * 1000) / N).toFixed(1)} |`,
      );
    }
    console.log(
      `median refresh of ${N} TSPs: ${median(seconds).toFixed(1)} s (${median(perTsp).toFixed(1)} ms per TSP); refresh interval ${REFRESH_SEC} s: ${median(seconds) <= REFRESH_SEC ? "within" : "NOT within"}`,
    );
    refresher.stop();
    await tsps.stop();
    await prometheus.close();
  } finally {
    await cp.stop();
    await prom.stop();
  }
}

await main();
