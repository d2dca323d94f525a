/**
 * `tidescale up`: the whole autoscaling path live on this machine (see docs/up.md): sample-app pods on
 * 127.0.1.N behind a local Service, a real Prometheus scraping them, the tidescale adapter serving
 * http_requests_qps, the project's HPA engine as a controller every 15 s, and the seed's load.
 */
import { Command } from "commander";
import type { PreparedTarget } from "../../adapters/loadgen/attacker.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput } from "../../core/errors.js";
import { parseRate, ratePerSecond } from "../../core/loadgen/rate.js";

interface UpFlags {
  rate: string;
  duration: string;
  servicePort: string;
  dashboardPort: string;
  podPort: string;
  adapterPort: string;
  prometheusPort: string;
  prometheusUrl?: string;
  prometheusBin: string;
  sdFile?: string;
  scrapeInterval: string;
  readinessDelay: string;
  podServiceTime: string;
  podCapacity: string;
  podQueue: string;
  syncPeriod: string;
  scaleDownWindow: string;
  exit?: boolean;
  export?: string;
  targets?: string;
}

function port(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw invalidInput(flag, `want a port 0..65535, got "${text}"`);
  return Number(text);
}

function count(text: string, flag: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw invalidInput(flag, `want an integer >= ${min}, got "${text}"`);
  return Number(text);
}

function scrapeInterval(text: string): string {
  const ms = parseDurationMs(text, "--scrape-interval");
  if (ms < 1000 || ms % 1000 !== 0)
    throw invalidInput("--scrape-interval", `want whole seconds >= 1s, got "${text}"`);
  return `${ms / 1000}s`;
}

export function register(program: Command): void {
  const cmd = new Command("up")
    .summary("Run the whole autoscaling path live on this machine")
    .description(
      "Run the whole autoscaling path live on loopback: sample-app pods (127.0.1.N) behind a local Service,\n" +
        "a real Prometheus scraping them, the tidescale adapter serving http_requests_qps, the project's HPA\n" +
        "engine as a controller every 15 s scaling the pods, and the seed's load (a short warm-up at 5 req/s,\n" +
        "then 240 req/s for 60 s, then 5 req/s until the HPA is back at 1). Replicas go 1 -> 2 -> 4 -> 5 -> 1\n" +
        "in about three minutes. It prints kubectl-style HPA rows and events, then a summary, and keeps\n" +
        "running until Ctrl-C (--exit: stop when the scenario ends). Ctrl-C at any moment stops everything.",
    )
    .option("--rate <rate>", "the burst's rate (N/s)", "240/s")
    .option("--duration <duration>", "the burst's length", "60s")
    .option(
      "--targets <file>",
      "send these requests in every phase instead of GET / (tidescale attack's http targets format; URLs on the Service)",
    )
    .option("--service-port <port>", "port of the local Service on 127.0.0.1", "8080")
    .option("--dashboard-port <port>", "port of the dashboard (web page) on 127.0.0.1", "8000")
    .option("--pod-port <port>", "port every pod listens on (each on its own 127.0.1.N)", "8080")
    .option("--adapter-port <port>", "port of the adapter (plain HTTP on 127.0.0.1)", "6443")
    .option("--prometheus-port <port>", "port of the Prometheus that up starts", "9090")
    .option(
      "--prometheus-url <url>",
      "use this Prometheus instead of starting one; it must scrape the pods listed in --sd-file (see docs/up.md)",
    )
    .option("--prometheus-bin <path>", "the Prometheus binary to start", "prometheus")
    .option("--sd-file <file>", "where the file_sd list of pods is written (default: a temporary directory)")
    .option("--scrape-interval <duration>", "Prometheus scrape interval for the pods", "2s")
    .option("--readiness-delay <duration>", "a pod's wait before its first readiness probe", "3s")
    .option("--pod-service-time <duration>", "each request's service time in a pod", "100ms")
    .option("--pod-capacity <n>", "requests a pod serves at once (with 100ms: 100 req/s per pod)", "10")
    .option("--pod-queue <n>", "requests a pod queues beyond its capacity before answering 503", "100")
    .option("--sync-period <duration>", "the controller's sync period", "15s")
    .option("--scale-down-window <duration>", "the HPA's scale-down stabilization window", "60s")
    .option("--exit", "exit when the scenario ends instead of waiting for Ctrl-C")
    .option("--export <file>", "write the run's record (JSON, tidescale.dev/up/v1) when it stops")
    .addHelpText(
      "after",
      "\nNeeds Debian's prometheus (sudo apt-get install prometheus) unless --prometheus-url is given.\n" +
        "\nExample:\n  tidescale up                       # the default story, about 3 minutes, then Ctrl-C\n" +
        "  tidescale up --rate 150/s --duration 30s --exit --export run.json",
    )
    .action(async (o: UpFlags) => {
      await runUpCommand(o);
    });
  program.addCommand(cmd);
}

/** The `--targets` file as attack's prepared targets, each checked to go to the local Service. */
async function readTargets(file: string, servicePort: number): Promise<PreparedTarget[]> {
  const { readFile } = await import("node:fs/promises");
  const { readFileError } = await import("../../adapters/files/file-error.js");
  const { parseHttpTargets } = await import("../../core/loadgen/targets.js");
  const { checkServiceTargets } = await import("../../core/up/scenario.js");
  const read = (path: string, where: string) =>
    readFile(path).catch((e: unknown) => {
      throw readFileError(e, where, path);
    });
  const parsed = parseHttpTargets((await read(file, "--targets")).toString("utf8"), file);
  checkServiceTargets(
    parsed.map((t) => t.url),
    `http://127.0.0.1:${servicePort}`,
    file,
  );
  const targets: PreparedTarget[] = [];
  for (const t of parsed) {
    const body = t.bodyFile ? new Uint8Array(await read(t.bodyFile, `${file}: @${t.bodyFile}`)) : undefined;
    targets.push({ method: t.method, url: t.url, headers: t.headers, body });
  }
  return targets;
}

async function runUpCommand(o: UpFlags): Promise<void> {
  const rate = parseRate(o.rate, "--rate");
  const rps = ratePerSecond(rate);
  if (!Number.isFinite(rps) || rps <= 0)
    throw invalidInput("--rate", `want a positive rate such as 240/s, got "${o.rate}"`);
  const burstMs = parseDurationMs(o.duration, "--duration");
  if (burstMs <= 0) throw invalidInput("--duration", "must be greater than 0");
  const scaleDownMs = parseDurationMs(o.scaleDownWindow, "--scale-down-window");
  if (scaleDownMs % 1000 !== 0 || scaleDownMs > 3_600_000)
    throw invalidInput("--scale-down-window", "want whole seconds up to 1h");
  const syncPeriodMs = parseDurationMs(o.syncPeriod, "--sync-period");
  if (syncPeriodMs < 1000) throw invalidInput("--sync-period", "must be at least 1s");
  if (o.prometheusUrl !== undefined && !/^https?:\/\/./.test(o.prometheusUrl))
    throw invalidInput("--prometheus-url", `want an http(s) URL, got "${o.prometheusUrl}"`);
  const flags = {
    servicePort: port(o.servicePort, "--service-port"),
    podPort: port(o.podPort, "--pod-port"),
    adapterPort: port(o.adapterPort, "--adapter-port"),
    prometheusPort: port(o.prometheusPort, "--prometheus-port"),
    scrapeInterval: scrapeInterval(o.scrapeInterval),
    readinessDelayMs: parseDurationMs(o.readinessDelay, "--readiness-delay"),
    serviceTime: `${parseDurationMs(o.podServiceTime, "--pod-service-time")}ms`,
    capacity: count(o.podCapacity, "--pod-capacity", 1),
    queue: count(o.podQueue, "--pod-queue", 0),
  };
  if (flags.podPort === 0) throw invalidInput("--pod-port", "must be a fixed port (every pod listens on it)");
  if (o.targets !== undefined && flags.servicePort === 0)
    throw invalidInput("--service-port", "must be a fixed port with --targets (the file's URLs name it)");
  const targets = o.targets !== undefined ? await readTargets(o.targets, flags.servicePort) : undefined;

  // The run's I/O loads only when it runs (not for --help).
  const [{ runUp }, { defaultHpa, loadPhases }] = await Promise.all([
    import("../../adapters/up/run.js"),
    import("../../core/up/scenario.js"),
  ]);
  const { killAllChildren } = await import("../../adapters/up/children.js");
  const app = "sample-app";
  const hpa = defaultHpa(
    { name: app, namespace: "default", app, metric: "http_requests_qps" },
    scaleDownMs / 1000,
  );
  const dashboardPort = port(o.dashboardPort, "--dashboard-port");
  const { startDashboard } = await import("../../adapters/up/dashboard.js");
  const abort = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      process.stderr.write("stopping: draining nothing new, stopping pods, adapter and Prometheus...\n");
      abort.abort();
    } else {
      killAllChildren();
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  try {
    const result = await runUp({
      hpa,
      app,
      phases: loadPhases(rps, burstMs),
      targets,
      ...flags,
      prometheusUrl: o.prometheusUrl,
      prometheusBin: o.prometheusBin,
      sdFile: o.sdFile,
      syncPeriodMs,
      keep: !o.exit,
      dashboard: (feed) =>
        startDashboard(feed, { host: "127.0.0.1", port: dashboardPort, flag: "--dashboard-port" }),
      extraPorts: [[dashboardPort, "--dashboard-port"]],
      print: (line) => process.stdout.write(`${line}\n`),
      signal: abort.signal,
    }).catch((e: unknown) => {
      if (abort.signal.aborted) return undefined;
      throw e;
    });
    if (o.export && result) {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(o.export, `${JSON.stringify(result.feed.export())}\n`);
    }
    if (abort.signal.aborted) process.stderr.write("stopped\n");
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
  }
}
