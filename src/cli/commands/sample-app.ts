/**
 * `tidescale sample-app`: the HTTP service that autoscaling demos put under load (see docs/sample-app.md).
 */
import type { Command } from "commander";
import { pino } from "pino";
import pretty from "pino-pretty";
import { startSampleApp } from "../../adapters/sample-app/server.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput, ToolkitError } from "../../core/errors.js";

function count(text: string, where: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw invalidInput(where, `want an integer >= ${min}, got "${text}"`);
  return Number(text);
}

export function register(program: Command): void {
  program
    .command("sample-app")
    .summary("Run the sample HTTP service (metrics, service time, capacity, queue, 503s, drain)")
    .description(
      "Run the sample HTTP service: Prometheus metrics on /metrics, /healthz and /readyz, a per-request\n" +
        "service time and CPU work, a concurrency capacity, a bounded queue beyond it, then 503.\n" +
        "One replica saturates at about capacity / (service time + cpu work) req/s.",
    )
    .option("--address <ip>", "address to listen on (0.0.0.0 for all interfaces)", "127.0.0.1")
    .option("--port <n>", "TCP port (0 = any free port)", "8080")
    .option("--service-time <duration>", "wall time per request (a timer; costs no CPU)", "10ms")
    .option("--cpu-work <duration>", "CPU time burned per request on the event loop", "0")
    .option("--capacity <n>", "requests served concurrently", "100")
    .option("--queue <n>", "requests queued beyond the capacity before 503s", "100")
    .option("--drain-timeout <duration>", "longest wait for in-flight requests on SIGTERM", "30s")
    .addHelpText(
      "after",
      "\nPod and namespace come from POD_NAME and POD_NAMESPACE (downward API) and label every series.\n" +
        "\nExample:\n  tidescale sample-app --port 8080 --service-time 20ms --capacity 10   # saturates near 500 req/s\n" +
        "  curl -s http://127.0.0.1:8080/metrics | grep http_requests_total",
    )
    .action(async (o) => {
      const serviceTimeMs = parseDurationMs(o.serviceTime, "--service-time");
      const cpuWorkMs = parseDurationMs(o.cpuWork, "--cpu-work");
      const drainTimeoutMs = parseDurationMs(o.drainTimeout, "--drain-timeout");
      const port = count(o.port, "--port", 0);
      if (port > 65535) throw invalidInput("--port", `want 0..65535, got ${port}`);
      const capacity = count(o.capacity, "--capacity", 1);
      const queue = count(o.queue, "--queue", 0);
      const logger = process.stderr.isTTY
        ? pino({ name: "sample-app" }, pretty({ destination: 2, sync: true }))
        : pino({ name: "sample-app" }, pino.destination({ fd: 2, sync: true }));
      const app = await startSampleApp({
        host: o.address,
        port,
        serviceTimeMs,
        cpuWorkMs,
        capacity,
        queue,
        drainTimeoutMs,
        pod: process.env.POD_NAME,
        namespace: process.env.POD_NAMESPACE,
        logger,
      }).catch((e: NodeJS.ErrnoException) => {
        const why = e.code === "EADDRINUSE" ? "address already in use" : e.message;
        throw new ToolkitError(
          "UNAVAILABLE",
          "--address/--port",
          `cannot listen on ${o.address}:${port}: ${why}`,
        );
      });
      const perRequestMs = serviceTimeMs + cpuWorkMs;
      const saturation = Math.min(
        perRequestMs > 0 ? (capacity * 1000) / perRequestMs : Number.POSITIVE_INFINITY,
        cpuWorkMs > 0 ? 1000 / cpuWorkMs : Number.POSITIVE_INFINITY,
      );
      logger.info(
        {
          url: app.url,
          serviceTimeMs,
          cpuWorkMs,
          capacity,
          queue,
          saturationRps: Number.isFinite(saturation) ? Math.round(saturation) : null,
          pod: process.env.POD_NAME ?? null,
          namespace: process.env.POD_NAMESPACE ?? null,
        },
        "listening",
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.off("SIGTERM", onTerm);
          process.off("SIGINT", onInt);
          logger.info({ signal }, "draining");
          app.drain().then(({ drained, inFlight }) => {
            if (drained) logger.info("drained, exiting");
            else logger.warn({ inFlight }, "drain timeout reached, exiting with requests still in flight");
            resolve();
          }, resolve);
        };
        const onTerm = () => stop("SIGTERM");
        const onInt = () => stop("SIGINT");
        process.on("SIGTERM", onTerm);
        process.on("SIGINT", onInt);
      });
    });
}
