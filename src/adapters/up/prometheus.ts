/**
 * Prometheus for `tidescale up`: the file_sd target file (rewritten atomically as pods come and go), the
 * Prometheus process `up` starts (Debian's `prometheus` on loopback, temporary storage), and the check
 * that a pod's final counters were scraped before it stops.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ToolkitError } from "../../core/errors.js";
import { type FileSdGroup, fileSdJson, prometheusConfig } from "../../core/up/prometheus-sd.js";
import { type Child, spawnChild, waitForChildReady } from "./children.js";

/** Writes the file_sd file through a temporary file and a rename, so Prometheus never reads half a file. */
export async function writeSdFile(file: string, groups: readonly FileSdGroup[]): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, fileSdJson(groups));
  await rename(tmp, file);
}

export interface LocalPrometheus {
  url: string;
  close(): Promise<void>;
}

export const PROMETHEUS_INSTALL_HINT =
  "install it (Debian/Ubuntu: sudo apt-get install prometheus; `npm start` does this when run as root) or give --prometheus-url of a Prometheus you run";

/** Starts `bin` on 127.0.0.1:`port` with storage in `dir`; resolves once /-/ready answers 200. */
export async function startLocalPrometheus(opts: {
  bin: string;
  dir: string;
  port: number;
  sdFile: string;
  scrapeInterval: string;
  timeoutMs: number;
}): Promise<LocalPrometheus> {
  await mkdir(join(opts.dir, "data"), { recursive: true });
  const config = join(opts.dir, "prometheus.yml");
  await writeFile(config, prometheusConfig(opts.sdFile, opts.scrapeInterval));
  const child: Child = spawnChild(opts.bin, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(opts.dir, "data")}`,
    `--web.listen-address=127.0.0.1:${opts.port}`,
    "--storage.tsdb.retention.time=1d",
    "--log.level=warn",
  ]);
  const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.proc.once("spawn", () => resolve(undefined));
    child.proc.once("error", (e) => resolve(e));
  });
  if (spawnError) {
    throw new ToolkitError(
      "UNAVAILABLE",
      "prometheus",
      spawnError.code === "ENOENT" ? `${opts.bin} not found: ${PROMETHEUS_INSTALL_HINT}` : spawnError.message,
    );
  }
  return waitForChildReady(child, "prometheus", `http://127.0.0.1:${opts.port}`, "/-/ready", opts.timeoutMs);
}

/**
 * Waits until Prometheus scraped `instance` (host:port) after `since` (Unix ms), read from its targets
 * API, or `timeoutMs` passed: a pod's last counter values then reach the TSDB before the pod stops.
 */
export async function waitForScrapeAfter(
  prometheusUrl: string,
  instance: string,
  since: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const scraped = await fetch(`${prometheusUrl}/api/v1/targets?state=active`, {
      signal: AbortSignal.timeout(2000),
    }).then(
      async (r) => {
        const body = (await r.json()) as {
          data?: {
            activeTargets?: { labels?: Record<string, string>; lastScrape?: string; health?: string }[];
          };
        };
        const t = body.data?.activeTargets?.find((a) => a.labels?.instance === instance);
        return t?.lastScrape !== undefined && t.health === "up" && Date.parse(t.lastScrape) > since;
      },
      () => false,
    );
    if (scraped) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
