/**
 * bench/up: how long `tidescale up` takes to show the path working, as a user runs it (the built
 * `dist/cli/main.js`, Prometheus installed): from the spawn to
 *   - Prometheus ready (`/-/ready`), the adapter answering (`/healthz`),
 *   - the first value of http_requests_qps served by the adapter (the wildcard pods request the
 *     controller makes),
 * next to the peer in the same round: Debian's `prometheus` started alone on the same kind of config
 * (its own start-up is the floor of the first two). Each round stops `up` with SIGINT right after the
 * first metric and checks the process exits. Goal: first metric < 10 s on 2 cores.
 * Usage: npm run bench up  (env ROUNDS=5; builds dist first)
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MAIN = join(ROOT, "dist/cli/main.js");
const METRIC_PATH =
  "/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/*/http_requests_qps?labelSelector=app%3Dsample-app";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function ok(url: string, accept: (body: string) => boolean = () => true): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const body = await res.text();
    return res.ok && accept(body);
  } catch {
    return false;
  }
}

/** Polls every 50 ms; the ms since `t0` when `check` first held. */
async function until(t0: number, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not reached within ${timeoutMs} ms`);
}

async function roundUp(): Promise<{ prometheus: number; adapter: number; metric: number }> {
  const [service, adapter, prometheus, pod] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "up",
      "--exit",
      ...[
        "--service-port",
        service,
        "--adapter-port",
        adapter,
        "--prometheus-port",
        prometheus,
        "--pod-port",
        pod,
      ].map(String),
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const stop = async () => {
    child.kill("SIGINT");
    return await exited;
  };
  let times: { prometheus: number; adapter: number; metric: number };
  try {
    const p = until(t0, () => ok(`http://127.0.0.1:${prometheus}/-/ready`), 60_000);
    const a = until(t0, () => ok(`http://127.0.0.1:${adapter}/healthz`), 60_000);
    const m = until(
      t0,
      () =>
        ok(
          `http://127.0.0.1:${adapter}${METRIC_PATH}`,
          (b) => (JSON.parse(b) as { items: unknown[] }).items.length > 0,
        ),
      60_000,
    );
    times = { prometheus: await p, adapter: await a, metric: await m };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}: ${err.slice(-2000)}`);
  }
  const code = await stop();
  if (code !== 0) throw new Error(`tidescale up exited ${code} after SIGINT: ${err.slice(-2000)}`);
  return times;
}

/** The peer: Prometheus alone, from spawn to /-/ready. */
async function roundPrometheus(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "tidescale-bench-up-"));
  const port = await freePort();
  writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 2s\n");
  const t0 = performance.now();
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  try {
    return await until(t0, () => ok(`http://127.0.0.1:${port}/-/ready`), 60_000);
  } finally {
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, stdio: "inherit" });
const rows: { prometheusAlone: number; prometheus: number; adapter: number; metric: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const prometheusAlone = await roundPrometheus();
  const up = await roundUp();
  rows.push({ prometheusAlone, ...up });
  console.log(
    `round ${i + 1}: prometheus alone ${prometheusAlone.toFixed(0)} ms; up: prometheus ready ${up.prometheus.toFixed(0)} ms, adapter ${up.adapter.toFixed(0)} ms, first metric ${up.metric.toFixed(0)} ms`,
  );
}
const col = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
console.log(
  `\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`medians over ${ROUNDS} rounds:`);
console.log(`  prometheus alone to ready:        ${col("prometheusAlone").toFixed(0)} ms`);
console.log(`  up -> prometheus ready:           ${col("prometheus").toFixed(0)} ms`);
console.log(`  up -> adapter answering:          ${col("adapter").toFixed(0)} ms`);
console.log(`  up -> first http_requests_qps:    ${col("metric").toFixed(0)} ms (goal < 10000)`);
console.log(`  first metric / prometheus alone:  ${(col("metric") / col("prometheusAlone")).toFixed(1)}x`);
