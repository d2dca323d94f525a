/**
 * Starts the real Prometheus (`/usr/bin/prometheus`) on a free loopback port with a temporary config and
 * storage directory, scraping the given targets every second. Reuse this in every test that needs
 * Prometheus; do not copy it.
 *
 *   const prom = await startPrometheus({ targets: ["127.0.0.1:8123"] });
 *   await waitForQuery(prom.url, 'up{job="test"} == 1');
 *   ...
 *   await prom.stop(); // kills the process and removes the temp directory
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Started, startProcess } from "./process.js";

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";

export interface PrometheusOptions {
  /** `host:port` targets to scrape (job `test` unless `jobs` is given). */
  targets?: string[];
  /** Several jobs: job name -> targets. */
  jobs?: Record<string, string[]>;
  /** Scrape and evaluation interval (default `1s`). */
  scrapeInterval?: string;
  /** Extra YAML appended to the generated config (e.g. `rule_files`). */
  extraConfig?: string;
  /** Extra command-line flags. */
  args?: string[];
  /** Readiness timeout (default 30 s). */
  timeoutMs?: number;
  /** `--storage.tsdb.retention.time` (default `1d`; backfilled history older than this is dropped). */
  retention?: string;
  /**
   * History to load before Prometheus starts, as OpenMetrics text ending in `# EOF` (timestamps in
   * seconds), written into the storage with `promtool tsdb create-blocks-from openmetrics`.
   */
  backfillOpenMetrics?: string;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The temp directory holding `prometheus.yml` and `data/`. */
  dir: string;
  /** Process output so far (for failure messages). */
  output(): string;
  /** Stops the process but keeps the storage, so `restart()` can bring it back on the same port. */
  kill(): Promise<void>;
  /** Starts Prometheus again on the same port and storage; resolves when ready. */
  restart(): Promise<void>;
  /** Stops the process (if running) and removes the temp directory. Safe to call twice. */
  stop(): Promise<void>;
}

function configYaml(opts: PrometheusOptions): string {
  const interval = opts.scrapeInterval ?? "1s";
  const jobs = { ...(opts.jobs ?? {}) };
  if (opts.targets && opts.targets.length > 0) jobs.test = [...(jobs.test ?? []), ...opts.targets];
  let y = `global:\n  scrape_interval: ${interval}\n  scrape_timeout: ${interval}\n  evaluation_interval: ${interval}\n`;
  const names = Object.keys(jobs);
  if (names.length > 0) {
    y += "scrape_configs:\n";
    for (const name of names) {
      y += `  - job_name: ${JSON.stringify(name)}\n    static_configs:\n      - targets: ${JSON.stringify(jobs[name])}\n`;
    }
  }
  if (opts.extraConfig) y += `${opts.extraConfig}\n`;
  return y;
}

/** Starts Prometheus and waits until `/-/ready` answers 200. */
export async function startPrometheus(opts: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "tidescale-prom-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, configYaml(opts));
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.retention.time=${opts.retention ?? "1d"}`,
    "--log.level=warn",
    ...(opts.args ?? []),
  ];
  const launch = () =>
    startProcess(PROMETHEUS_BIN, args, {
      timeoutMs: opts.timeoutMs ?? 30_000,
      ready: async () => {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return res.ok;
      },
    });
  let proc: Started | undefined;
  try {
    if (opts.backfillOpenMetrics !== undefined) await backfill(dir, opts.backfillOpenMetrics);
    proc = await launch();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let removed = false;
  return {
    url,
    port,
    dir,
    output: () => proc?.output() ?? "",
    async kill() {
      await proc?.stop();
    },
    async restart() {
      await proc?.stop();
      proc = await launch();
    },
    async stop() {
      await proc?.stop();
      if (!removed) {
        removed = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Writes `text` (OpenMetrics) as TSDB blocks into `<dir>/data` with promtool. */
async function backfill(dir: string, text: string): Promise<void> {
  const file = join(dir, "backfill.om");
  await writeFile(file, text);
  await new Promise<void>((resolve, reject) => {
    execFile(
      PROMTOOL_BIN,
      ["tsdb", "create-blocks-from", "openmetrics", file, join(dir, "data")],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) =>
        err ? reject(new Error(`promtool backfill: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
  await rm(file, { force: true });
}

/** One sample of an instant-query vector. */
export interface QuerySample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * Polls an instant query every 250 ms until it returns at least one sample (and `accept(samples)` holds,
 * when given). Returns the samples; throws after `timeoutMs` (default 30 s) with the last answer.
 */
export async function waitForQuery(
  promUrl: string,
  expr: string,
  opts: { timeoutMs?: number; accept?: (samples: QuerySample[]) => boolean } = {},
): Promise<QuerySample[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, {
        signal: AbortSignal.timeout(2000),
      });
      const text = await res.text();
      last = text.slice(0, 500);
      const body = JSON.parse(text) as { status: string; data?: { resultType: string; result: unknown } };
      if (body.status === "success" && body.data?.resultType === "vector") {
        const samples = body.data.result as QuerySample[];
        if (samples.length > 0 && (!opts.accept || opts.accept(samples))) return samples;
      }
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `query ${expr} returned no acceptable data within ${opts.timeoutMs ?? 30_000} ms; last: ${last}`,
  );
}
