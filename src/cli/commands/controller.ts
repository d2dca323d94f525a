/**
 * `tidescale controller`: the EHPA controller. Watches EffectiveHorizontalPodAutoscalers and the HPAs,
 * TimeSeriesPredictions and Substitutes it manages, keeps each EHPA's managed HPA and TSP, refreshes the
 * forecasts from Prometheus, and copies the HPA's status back. With --leader-elect only the holder of
 * the Lease writes.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Command } from "commander";
import { pino } from "pino";
import { type Caches, EhpaController } from "../../adapters/controller/ehpa-controller.js";
import { recommendTarget } from "../../adapters/controller/recommend-target.js";
import { RecommendationController } from "../../adapters/controller/recommendation-controller.js";
import { RuleDiscovery } from "../../adapters/controller/rule-discovery.js";
import { TspRefresher } from "../../adapters/controller/tsp-refresher.js";
import { parseBindAddress, startHealthServer } from "../../adapters/http/health-server.js";
import { apiMessage, loadKubeClients, servedHpaVersion } from "../../adapters/kube/client.js";
import { createEventRecorder } from "../../adapters/kube/events.js";
import { type LeaderElector, startLeaderElection } from "../../adapters/kube/leader-election.js";
import { createPrometheusClient } from "../../adapters/prometheus/client.js";
import { loadConfigFile } from "../../adapters/prometheus/discovery.js";
import { parseDurationMs } from "../../core/duration.js";
import { adapterRuleResolver } from "../../core/ehpa/rule-query.js";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import {
  type ControllerHealthState,
  controllerHealthMetrics,
  controllerReadiness,
} from "../../core/health.js";
import { type ElectionTiming, timingProblem } from "../../core/lease/election.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusOptions } from "../prometheus-flags.js";

const COMPONENT = "tidescale-controller";
const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The values of the `controller` flags, as commander parses them. */
interface ControllerFlags extends PrometheusFlags {
  kubeconfig?: string;
  config?: string;
  refreshInterval: string;
  resyncPeriod: string;
  workers: string;
  refreshWorkers: string;
  leaderElect?: boolean;
  leaderElectLeaseName: string;
  leaderElectNamespace?: string;
  leaderElectLeaseDuration: string;
  leaderElectRenewDeadline: string;
  leaderElectRetryPeriod: string;
  identity?: string;
  healthProbeBindAddress: string;
  logLevel: string;
  recommendations?: boolean;
  recommendWorkers: string;
  recommendRetry: string;
}

export function register(program: Command): void {
  const cmd = new Command("controller")
    .description(
      "Run the EffectiveHorizontalPodAutoscaler controller: for each EHPA keep the managed HPA ehpa-<name> " +
        "(autoscaling/v2, or v2beta2 on servers before 1.23) and the TimeSeriesPrediction ehpa-<name>, " +
        "refresh forecasts from Prometheus, mirror the HPA status into the EHPA, emit Events. With " +
        "--recommendations also keep the Recommendation objects of every RecommendationRule.",
    )
    .option("--kubeconfig <file>", "kubeconfig (default: in-cluster when running in a pod)")
    .option(
      "--config <file>",
      "the metrics adapter's rules file: a Pods/External/cpu/memory metric's history query comes from its rule",
    )
    .option("--refresh-interval <duration>", "how often each forecast is refitted from Prometheus", "5m")
    .option("--resync-period <duration>", "how often every EHPA is reconciled even without a change", "30s")
    .option("--workers <n>", "EHPAs reconciled in parallel", "4")
    .option("--refresh-workers <n>", "forecasts refitted in parallel", "2")
    .option("--leader-elect", "elect a leader on a coordination.k8s.io Lease; only the leader writes")
    .option("--leader-elect-lease-name <name>", "name of the Lease", "tidescale-controller")
    .option(
      "--leader-elect-namespace <ns>",
      "namespace of the Lease (default: the pod's namespace in a cluster, else default)",
    )
    .option("--leader-elect-lease-duration <duration>", "how long a lease is valid without renewal", "15s")
    .option("--leader-elect-renew-deadline <duration>", "how long the leader keeps trying to renew", "10s")
    .option("--leader-elect-retry-period <duration>", "time between acquire/renew attempts", "2s")
    .option("--identity <id>", "this candidate's identity in the Lease (default: hostname_pid)")
    .option(
      "--health-probe-bind-address <addr>",
      "serve HTTP /healthz, /readyz (informers synced; leader state shown) and /metrics on HOST:PORT " +
        "(deploy/09 uses :8081); 0 = off",
      "0",
    )
    .option("--log-level <level>", "log level (debug, info, warn, error)", "info")
    .option(
      "--recommendations",
      "also run the RecommendationRule controller: keep the Recommendations of every rule " +
        "(needs the analysis.tidescale.dev CRDs; usage history from --prometheus-url)",
    )
    .option("--recommend-workers <n>", "workloads of one rule computed in parallel", "2")
    .option(
      "--recommend-retry <duration>",
      "retry after a rule's recommenders failed (at most its runInterval)",
      "1m",
    );
  addPrometheusFlags(cmd);
  cmd.addHelpText(
    "after",
    "\nExample:\n" +
      "  kubectl apply -f deploy/crds/\n" +
      "  tidescale controller --kubeconfig ~/.kube/config --prometheus-url http://127.0.0.1:9090 \\\n" +
      "    --config deploy/rules.yaml --refresh-interval 5m --leader-elect --leader-elect-namespace tidescale \\\n" +
      "    --recommendations",
  );
  cmd.action(async (o: ControllerFlags) => {
    await runController(o);
  });
  program.addCommand(cmd);
}

function positiveInt(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 256)
    throw invalidInput(flag, `want 1..256, got "${s}"`);
  return Number(s);
}

function durationSec(v: string, flag: string, minMs: number): number {
  const ms = parseDurationMs(v, flag);
  if (ms < minMs) throw invalidInput(flag, `must be at least ${minMs / 1000}s`);
  return ms / 1000;
}

function leaseNamespace(o: ControllerFlags): string {
  if (o.leaderElectNamespace !== undefined) return o.leaderElectNamespace;
  try {
    return readFileSync(SA_NAMESPACE_FILE, "utf8").trim() || "default";
  } catch {
    return "default";
  }
}

async function runController(o: ControllerFlags): Promise<void> {
  const level = o.logLevel;
  if (!["debug", "info", "warn", "error"].includes(level))
    throw invalidInput("--log-level", `unknown level "${level}"`);
  const refreshSeconds = durationSec(o.refreshInterval, "--refresh-interval", 1000);
  const resyncMs = durationSec(o.resyncPeriod, "--resync-period", 1000) * 1000;
  const workers = positiveInt(o.workers, "--workers");
  const refreshWorkers = positiveInt(o.refreshWorkers, "--refresh-workers");
  const recommendWorkers = positiveInt(o.recommendWorkers, "--recommend-workers");
  const recommendRetryMs = durationSec(o.recommendRetry, "--recommend-retry", 1000) * 1000;
  const timing: ElectionTiming = {
    leaseDurationSeconds: durationSec(o.leaderElectLeaseDuration, "--leader-elect-lease-duration", 1000),
    renewDeadlineSeconds: durationSec(o.leaderElectRenewDeadline, "--leader-elect-renew-deadline", 1000),
    retryPeriodSeconds: durationSec(o.leaderElectRetryPeriod, "--leader-elect-retry-period", 100),
  };
  const problem = timingProblem(timing);
  if (problem) throw invalidInput(problem.field, problem.message);
  const identity = o.identity ?? `${hostname()}_${process.pid}`;
  const probeAddr =
    o.healthProbeBindAddress === "0"
      ? undefined
      : parseBindAddress(o.healthProbeBindAddress, "--health-probe-bind-address");
  const pinoLog = pino({ name: "controller", level }, pino.destination({ fd: 2, sync: true }));
  const log = {
    debug: (m: string) => pinoLog.debug(m),
    info: (m: string) => pinoLog.info(m),
    warn: (m: string) => pinoLog.warn(m),
  };

  // Probes answer from the start: live at once, ready once every informer has listed.
  let caches: Caches | undefined;
  let recommendations: RecommendationController | undefined;
  let leaderHolder: string | undefined;
  let elector: LeaderElector | undefined;
  const healthState = (): ControllerHealthState => ({
    informers: caches && [
      ...Object.entries(caches).map(([resource, c]) => ({ resource, synced: c.synced() })),
      ...(o.recommendations
        ? (recommendations?.informers() ?? [{ resource: "recommendationrules", synced: false }])
        : []),
    ],
    ...(o.leaderElect
      ? { leaderElection: { identity, leading: elector?.isLeader() ?? false, holder: leaderHolder } }
      : {}),
  });
  const health = probeAddr
    ? await startHealthServer(probeAddr.host, probeAddr.port, {
        readiness: () => controllerReadiness(healthState()),
        metrics: () => controllerHealthMetrics(healthState(), "tidescale_controller"),
      }).catch((e: Error) => {
        throw new ToolkitError("UNAVAILABLE", "--health-probe-bind-address", `cannot listen: ${e.message}`);
      })
    : undefined;
  if (health && probeAddr) log.info(`health probes on http://${probeAddr.host}:${health.port}`);

  const clients = loadKubeClients(o.kubeconfig, "--kubeconfig");
  const config = o.config !== undefined ? await loadConfigFile(o.config) : undefined;
  const prometheusUrl = o.prometheusUrl;
  const prometheus = createPrometheusClient(prometheusOptions(o));
  let hpaVersion: Awaited<ReturnType<typeof servedHpaVersion>>;
  try {
    hpaVersion = await servedHpaVersion(clients);
  } catch (e) {
    if (e instanceof ToolkitError) throw e;
    throw new ToolkitError("UNAVAILABLE", `kubernetes ${clients.server}`, apiMessage(e));
  }
  log.info(`managing HPAs as autoscaling/${hpaVersion}; identity ${identity}`);

  const discovery = config ? new RuleDiscovery(config, prometheus, log) : undefined;
  await discovery?.start(refreshSeconds * 1000);
  const canWrite = () => (elector ? elector.isLeader() : true);
  const recorder = createEventRecorder(clients, COMPONENT, { instance: identity, log: log.warn });
  const controller = new EhpaController({
    clients,
    hpaVersion,
    recorder,
    log,
    canWrite,
    resyncMs,
    workers,
    ...(discovery
      ? { rules: () => adapterRuleResolver(discovery.rules(), (m) => log.warn(`adapter rule: ${m}`)) }
      : {}),
  });
  caches = await controller.start();
  recommendations = o.recommendations
    ? new RecommendationController({
        clients,
        hpaVersion,
        recorder,
        log,
        canWrite,
        recommend: recommendTarget(prometheus),
        concurrency: recommendWorkers,
        retryMs: recommendRetryMs,
      })
    : undefined;
  await recommendations?.start();
  const refresher = new TspRefresher({
    clients,
    prometheus,
    prometheusUrl,
    tsps: caches.tsps,
    refreshSeconds,
    concurrency: refreshWorkers,
    canWrite,
    log,
  });
  if (o.leaderElect) {
    elector = startLeaderElection({
      clients,
      namespace: leaseNamespace(o),
      name: o.leaderElectLeaseName,
      identity,
      timing,
      log: log.warn,
      onStartedLeading: () => {
        log.info(`became the leader (${identity})`);
        controller.resync();
        recommendations?.resync();
        refresher.enqueueDue();
      },
      onStoppedLeading: () => log.warn(`stopped leading (${identity})`),
      onNewLeader: (id) => {
        leaderHolder = id;
        if (id !== identity) log.info(`the leader is ${id}`);
      },
    });
  } else {
    controller.resync();
    recommendations?.resync();
  }
  refresher.start();
  log.info("controller started");

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  log.info("stopping");
  refresher.stop();
  discovery?.stop();
  await elector?.stop();
  await controller.stop();
  await recommendations?.stop();
  await prometheus.close();
  await health?.close();
}
