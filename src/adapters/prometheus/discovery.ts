/**
 * The adapter's live state: the compiled config (reloaded when the file changes; a bad new config is
 * rejected and the old one keeps serving) and the discovery registry (relisted every
 * `--metrics-relist-interval` with series newer than `--metrics-max-age`; one failing seriesQuery keeps
 * the previous metrics of its rules and does not drop the others).
 */
import { unwatchFile, watchFile } from "node:fs";
import { ToolkitError } from "../../core/errors.js";
import { type CompiledConfig, compileConfig } from "../../core/metrics/config.js";
import {
  buildRegistry,
  distinctSeriesQueries,
  emptyRegistry,
  type Registry,
  type SeriesQueryOutcome,
} from "../../core/metrics/registry.js";
import { parseYamlText, readTextFile } from "../files/yaml-file.js";
import type { PrometheusClient } from "./client.js";

/** The log calls this module makes (pino's Logger satisfies it). */
export interface DiscoveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Reads and compiles a config file; errors are INVALID_INPUT naming `file: rules[i].field`. */
export async function loadConfigFile(path: string): Promise<CompiledConfig> {
  const text = await readTextFile(path);
  return compileConfig(parseYamlText(text, path), path);
}

export interface RelistResult {
  registry: Registry;
  /** seriesQuery -> error for the queries that failed. */
  failures: Map<string, string>;
  durationMs: number;
}

/** Runs every distinct seriesQuery (in parallel) and builds the registry. */
export async function relist(
  client: PrometheusClient,
  config: CompiledConfig,
  opts: { nowMs: number; maxAgeMs: number; previous?: Registry | undefined },
): Promise<RelistResult> {
  const t0 = performance.now();
  const queries = distinctSeriesQueries(config);
  const start = (opts.nowMs - opts.maxAgeMs) / 1000;
  const outcomes = new Map<string, SeriesQueryOutcome>();
  const failures = new Map<string, string>();
  await Promise.all(
    queries.map(async (q) => {
      try {
        outcomes.set(q, { ok: true, series: await client.series([q], start) });
      } catch (e) {
        const msg = e instanceof ToolkitError ? e.oneLine() : String((e as Error).message ?? e);
        outcomes.set(q, { ok: false, error: msg });
        failures.set(q, msg);
      }
    }),
  );
  const registry = buildRegistry(config, outcomes, opts.previous);
  return { registry, failures, durationMs: performance.now() - t0 };
}

export interface AdapterStateOptions {
  client: PrometheusClient;
  configFile?: string | undefined;
  /** The initial config (already loaded and validated). */
  config: CompiledConfig;
  relistIntervalMs: number;
  maxAgeMs: number;
  log: DiscoveryLog;
  /** Poll interval for the config file (default 1 s). */
  watchIntervalMs?: number;
  now?: () => number;
  onRelist?: (r: RelistResult) => void;
  onReload?: (ok: boolean) => void;
  /**
   * Applied to every reloaded config before it is accepted (binds resources to the cluster's
   * discovery); throwing rejects the reload like a bad file.
   */
  bind?: ((config: CompiledConfig) => CompiledConfig) | undefined;
}

/** Holds config + registry and keeps them fresh. */
export class AdapterState {
  config: CompiledConfig;
  registry: Registry = emptyRegistry();
  /** True once the first relist has finished (successfully or not). */
  relisted = false;
  lastRelistMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly onFileChange = () => {
    void this.reload();
  };

  constructor(private readonly opts: AdapterStateOptions) {
    this.config = opts.config;
    this.now = opts.now ?? Date.now;
  }

  /** First relist now, then every interval; watches the config file. */
  async start(): Promise<void> {
    for (const w of this.config.warnings) this.opts.log.warn({}, w);
    await this.relistNow();
    this.timer = setInterval(() => void this.relistNow(), this.opts.relistIntervalMs);
    this.timer.unref();
    if (this.opts.configFile)
      watchFile(
        this.opts.configFile,
        { interval: this.opts.watchIntervalMs ?? 1000, persistent: false },
        this.onFileChange,
      );
  }

  /** Relists (coalescing concurrent calls). */
  relistNow(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const r = await relist(this.opts.client, this.config, {
          nowMs: this.now(),
          maxAgeMs: this.opts.maxAgeMs,
          previous: this.registry,
        });
        if (this.closed) return;
        this.registry = r.registry;
        this.relisted = true;
        this.lastRelistMs = this.now();
        for (const [q, e] of r.failures)
          this.opts.log.error(
            {
              seriesQuery: q,
              rules: r.registry.diagnostics.filter((d) => d.seriesQuery === q).map((d) => d.id),
              err: e,
            },
            "series query failed; keeping the previous metrics of its rules",
          );
        this.opts.log.info(
          {
            series: r.registry.seriesCount,
            customMetrics: r.registry.custom.size,
            externalMetrics: r.registry.external.size,
            failedQueries: r.failures.size,
            ms: Math.round(r.durationMs),
          },
          "relisted metrics",
        );
        this.opts.onRelist?.(r);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Re-reads the config file; a bad config is rejected (logged) and the old one kept. */
  async reload(): Promise<boolean> {
    const file = this.opts.configFile;
    if (!file) return false;
    let next: CompiledConfig;
    try {
      next = await loadConfigFile(file);
      if (this.opts.bind) next = this.opts.bind(next);
    } catch (e) {
      const msg = e instanceof ToolkitError ? e.oneLine() : String((e as Error).message ?? e);
      this.opts.log.error(
        { file, err: msg },
        `config reload rejected, still serving the previous config: ${msg}`,
      );
      this.opts.onReload?.(false);
      return false;
    }
    this.config = next;
    this.opts.log.info(
      {
        file,
        rules: next.rules.length,
        externalRules: next.externalRules.length,
        resourceRules: !!next.resourceRules,
      },
      "config reloaded",
    );
    for (const w of next.warnings) this.opts.log.warn({}, w);
    this.opts.onReload?.(true);
    if (this.running) await this.running;
    await this.relistNow();
    return true;
  }

  /** Serves `next` (the same rules bound to newer cluster resources) and relists with it. */
  async replaceConfig(next: CompiledConfig): Promise<void> {
    this.config = next;
    if (this.running) await this.running;
    await this.relistNow();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.opts.configFile) unwatchFile(this.opts.configFile, this.onFileChange);
  }
}
