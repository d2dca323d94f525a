/**
 * `tidescale adapter`: the metrics API server (custom.metrics.k8s.io v1beta1+v1beta2,
 * external.metrics.k8s.io v1beta1, metrics.k8s.io v1beta1) backed by Prometheus, configured with
 * prometheus-adapter's rules file. Flags reuse prometheus-adapter's and the generic apiserver's names.
 */
import { Command } from "commander";
import { pino } from "pino";
import pretty from "pino-pretty";
import { AdapterMetrics } from "../../adapters/http/adapter-metrics.js";
import {
  addSecurityFlags,
  buildRemoteAdapter,
  buildSecurity,
  type SecurityFlags,
} from "../../adapters/http/auth/index.js";
import { createMetricsApiServer } from "../../adapters/http/metrics-api-server.js";
import { WatchObjectLister } from "../../adapters/http/object-lister.js";
import type { RemoteAdapter } from "../../adapters/http/security.js";
import { cachedResources } from "../../adapters/kube/cached-resources.js";
import { startClusterResources } from "../../adapters/kube/cluster-config.js";
import { KubeConnection } from "../../adapters/kube/connection.js";
import { createPrometheusClient } from "../../adapters/prometheus/client.js";
import { AdapterState, loadConfigFile } from "../../adapters/prometheus/discovery.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import { compileConfig } from "../../core/metrics/config.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusOptions } from "../prometheus-flags.js";

/** The values of the `adapter` flags, as commander parses them. */
interface AdapterFlags extends PrometheusFlags, SecurityFlags {
  config?: string;
  emptyConfig?: boolean;
  metricsRelistInterval: string;
  metricsMaxAge?: string;
  securePort: string;
  bindAddress: string;
  listerKubeconfig?: string;
  discoveryInterval: string;
  servePredictions?: boolean;
  logLevel: string;
}

export function register(program: Command): void {
  const cmd = new Command("adapter")
    .description(
      "Serve the Kubernetes metrics APIs from Prometheus: custom.metrics.k8s.io (v1beta1, v1beta2), " +
        "external.metrics.k8s.io (v1beta1) and metrics.k8s.io (v1beta1, for kubectl top), configured with " +
        "prometheus-adapter's rules file (rules, externalRules, resourceRules). The config file is watched: " +
        "a valid new config replaces the old one, a bad one is rejected and logged.",
    )
    .option("--config <file>", "rules file (prometheus-adapter format); required unless --empty-config")
    .option(
      "--empty-config",
      "serve every API empty, without a rules file (on purpose: e.g. a front for --remote-adapter only)",
    )
    .option("--metrics-relist-interval <duration>", "how often discovery re-reads the series", "1m")
    .option(
      "--metrics-max-age <duration>",
      "only series with samples this recent are discovered (default: the relist interval)",
    )
    .option("--secure-port <port>", "port to serve on (0 = any free port)", "6443")
    .option("--bind-address <ip>", "address to listen on (0.0.0.0 for all interfaces)", "127.0.0.1")
    .option(
      "--kubeconfig <file>",
      "kubeconfig for delegated auth and object listing (default: in-cluster when running in a pod)",
    )
    .option(
      "--lister-kubeconfig <file>",
      "kubeconfig used to list objects for wildcard requests (default: --kubeconfig); without a cluster, objects come from Prometheus series",
    )
    .option(
      "--discovery-interval <duration>",
      "how often the cluster's API discovery (resource names, groups, scopes) is re-read; also re-read, at most every 30s, when a request names an unknown resource",
      "10m",
    )
    .option(
      "--serve-predictions",
      "serve the EHPA metrics tidescale_prediction and tidescale_cron (external.metrics.k8s.io) from a watch cache of TimeSeriesPredictions and EHPAs; needs --kubeconfig or in-cluster config",
    )
    .option("--log-level <level>", "log level (debug, info, warn, error)", "info");
  addPrometheusFlags(cmd);
  addSecurityFlags(cmd);
  cmd.addHelpText(
    "after",
    "\nExample:\n" +
      "  tidescale adapter --config examples/rules.yaml --prometheus-url http://127.0.0.1:9090 --insecure-dev --secure-port 8443\n" +
      "  kubectl --server http://127.0.0.1:8443 get --raw '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/http_requests_qps'",
  );
  cmd.action(async (o: AdapterFlags) => {
    await runAdapter(o, cmd);
  });
  program.addCommand(cmd);
}

/**
 * The rules file, or undefined for an explicit `--empty-config`. A forgotten `--config` would otherwise
 * serve empty APIs and report ready, and the HPA would see every metric missing.
 */
function configFileOf(o: AdapterFlags): string | undefined {
  if (o.emptyConfig && o.config !== undefined)
    throw invalidInput("--empty-config", "cannot be combined with --config");
  if (o.emptyConfig) return undefined;
  if (o.config === undefined)
    throw invalidInput(
      "--config",
      "required: a rules file (prometheus-adapter format); give --empty-config to serve every API empty on purpose",
    );
  return o.config;
}

/** The EHPA/TSP watch cache (loaded only with --serve-predictions). */
async function startPredictionCache(
  kubeconfig: string | undefined,
  log: { info(o: object, m: string): void; warn(o: object, m: string): void },
) {
  const { loadKubeClients } = await import("../../adapters/kube/client.js");
  const { PredictionCache } = await import("../../adapters/kube/prediction-cache.js");
  const clients = loadKubeClients(kubeconfig, "--serve-predictions");
  const cache = await PredictionCache.start(clients, (m) => log.warn({}, m));
  log.info(
    { server: clients.server },
    "serving tidescale_prediction and tidescale_cron from the EHPA/TSP cache",
  );
  return cache;
}

async function runAdapter(o: AdapterFlags, cmd: Command): Promise<void> {
  const relistMs = parseDurationMs(o.metricsRelistInterval, "--metrics-relist-interval");
  if (relistMs < 1000) throw invalidInput("--metrics-relist-interval", "must be at least 1s");
  const maxAgeMs =
    o.metricsMaxAge === undefined ? relistMs : parseDurationMs(o.metricsMaxAge, "--metrics-max-age");
  if (maxAgeMs < relistMs)
    throw invalidInput(
      "--metrics-max-age",
      `must be at least --metrics-relist-interval (${o.metricsRelistInterval})`,
    );
  const portText = o.securePort;
  if (!/^\d+$/.test(portText) || Number(portText) > 65535)
    throw invalidInput("--secure-port", `want 0..65535, got "${portText}"`);
  const level = o.logLevel;
  if (!["debug", "info", "warn", "error"].includes(level))
    throw invalidInput("--log-level", `unknown level "${level}"`);
  const log = process.stderr.isTTY
    ? pino({ name: "adapter", level }, pretty({ destination: 2, sync: true }))
    : pino({ name: "adapter", level }, pino.destination({ fd: 2, sync: true }));

  const configFile = configFileOf(o);
  const config = configFile ? await loadConfigFile(configFile) : compileConfig({});
  const metrics = new AdapterMetrics();
  const prometheus = createPrometheusClient({
    ...prometheusOptions(o),
    onRequest: ({ path, seconds, outcome }) =>
      metrics.promSeconds.observe({ endpoint: path, outcome }, seconds),
  });

  const flags: SecurityFlags = o;
  const insecureDev = !!flags.insecureDev;
  const plainHttp = insecureDev && !flags.tlsCertFile && cmd.getOptionValueSource("certDir") !== "cli";
  let security: Awaited<ReturnType<typeof buildSecurity>> | undefined;
  let remote: (RemoteAdapter & { close(): void }) | undefined;
  if (plainHttp) {
    log.warn(
      {},
      "--insecure-dev: plain HTTP, no authentication or authorization; never use this in a cluster",
    );
    // H7: same remote-adapter construction as buildSecurity (resolves Service references too).
    remote = await buildRemoteAdapter(flags, log);
  } else {
    security = await buildSecurity(flags, log);
    remote = security.remote;
  }

  const listerKubeconfig = o.listerKubeconfig ?? flags.kubeconfig;
  const listerFlag = o.listerKubeconfig ? "--lister-kubeconfig" : "--kubeconfig";
  const listerConn = KubeConnection.from(listerKubeconfig, listerFlag);
  const lister = listerConn ? new WatchObjectLister(listerConn, { log }) : undefined;
  log.info(
    { lister: lister ? lister.source : "prometheus series (no Kubernetes API configured)" },
    "objects for wildcard requests",
  );
  // With a cluster, resources resolve through its API discovery; without one, the built-in table.
  const cluster = await startClusterResources({
    conn: listerConn,
    interval: o.discoveryInterval,
    config,
    configFile,
    log,
  });

  const state = new AdapterState({
    client: prometheus,
    configFile,
    config: cluster?.config ?? config,
    bind: cluster?.bind,
    relistIntervalMs: relistMs,
    maxAgeMs,
    log,
    onRelist: (r) => {
      lister?.ensure(cachedResources(r.registry, state.config));
      metrics.seriesDiscovered.set(r.registry.seriesCount);
      metrics.metricsDiscovered.set({ api: "custom" }, r.registry.custom.size);
      metrics.metricsDiscovered.set({ api: "external" }, r.registry.external.size);
      if (r.failures.size > 0) metrics.seriesQueryFailures.inc(r.failures.size);
    },
    onReload: (ok) => metrics.lastReloadSuccessful.set(ok ? 1 : 0),
  });
  log.info(
    {
      customMetrics: `${config.rules.length} rules`,
      externalMetrics: `${config.externalRules.length} externalRules`,
      resourceMetrics: config.resourceRules ? "resourceRules" : "none",
    },
    "serving custom.metrics.k8s.io v1beta1+v1beta2, external.metrics.k8s.io v1beta1, metrics.k8s.io v1beta1",
  );
  const predictions = o.servePredictions ? await startPredictionCache(flags.kubeconfig, log) : undefined;
  const server = createMetricsApiServer({
    state,
    prometheus,
    lister,
    remote,
    predictions,
    gate: security ? (req) => security.gate(req) : undefined,
    tls: security?.tls.options,
    attachTls: security ? (s) => security.attach(s) : undefined,
    metrics,
    log,
    onResourceMiss: cluster ? (name) => cluster.resources.miss(name) : undefined,
    notReady: lister ? () => lister.notReady() : undefined,
  });
  cluster?.follow(state);
  let port: number;
  try {
    port = await server.listen(Number(portText), o.bindAddress);
  } catch (e) {
    state.close();
    cluster?.resources.close();
    security?.close();
    remote?.close();
    await prometheus.close();
    throw new ToolkitError(
      "UNAVAILABLE",
      "--secure-port",
      `cannot listen on ${o.bindAddress}:${portText}: ${(e as Error).message}`,
    );
  }
  log.info(
    { url: `${security ? "https" : "http"}://${o.bindAddress}:${port}`, port },
    "metrics adapter listening",
  );
  // Discovery runs in the background: /readyz answers 503 until the first relist finished.
  state.start().catch((e: unknown) => log.error({ err: (e as Error).message }, "discovery failed to start"));

  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, "shutting down: draining in-flight requests");
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve();
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  state.close();
  cluster?.resources.close();
  await server.close();
  await lister?.close();
  security?.close();
  if (!security) remote?.close();
  await prometheus.close();
}
