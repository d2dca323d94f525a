/**
 * `tidescale up` in local mode: pods, Service, Prometheus, adapter, HPA controller and load on loopback,
 * started and stopped by one call. Publishes one sample per second and every event into an UpFeed, and
 * prints `kubectl get hpa -w`-style rows and events. Everything it started is stopped when the scenario
 * ends (unless it waits for Ctrl-C to keep the dashboard up) or when `signal` aborts, at any moment.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HpaObject } from "../../core/hpa/index.js";
import { type UpEvent, UpFeed, type UpPod } from "../../core/up/feed.js";
import { activePods } from "../../core/up/pods.js";
import { fileSdGroups, podScrapeJob } from "../../core/up/prometheus-sd.js";
import { type LoadPhase, podsTarget } from "../../core/up/scenario.js";
import { renderUpSummary, summarize, type UpSummary } from "../../core/up/summary.js";
import { eventLine, type HpaRow, hpaHeader, hpaLine, hpaRowChanged } from "../../core/up/terminal.js";
import type { PreparedTarget } from "../loadgen/attacker.js";
import { startLocalAdapter } from "./adapter-child.js";
import { selfCommand, stopAllChildren } from "./children.js";
import { type ControllerStatus, HpaController, readPodsMetric } from "./controller.js";
import { LoadMeter, runLoad } from "./load.js";
import { PodRunner } from "./pod-runner.js";
import { checkPortFree, freePort } from "./ports.js";
import { startLocalPrometheus, waitForScrapeAfter, writeSdFile } from "./prometheus.js";
import { startServiceProxy } from "./service-proxy.js";

/** The seed's adapter rule: the counter http_requests_total served as the per-second rate http_requests_qps. */
export const SEED_RULES = `rules:
  - seriesQuery: 'http_requests_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: { resource: namespace }
        pod: { resource: pod }
    name:
      matches: "^(.*)_total$"
      as: "\${1}_qps"
    metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)"
`;

export interface UpOptions {
  hpa: HpaObject;
  /** The Deployment name: pods are `<app>-<n>` with label app=<app>. */
  app: string;
  phases: LoadPhase[];
  /** The requests each phase sends (default: GET / on the Service). */
  targets?: PreparedTarget[] | undefined;
  servicePort: number;
  adapterPort: number;
  prometheusPort: number;
  podPort: number;
  /** A Prometheus the user runs (it must scrape `sdFile`); undefined: start one. */
  prometheusUrl?: string | undefined;
  prometheusBin: string;
  /** Where the file_sd target list is written (default: in the run's temporary directory). */
  sdFile?: string | undefined;
  scrapeInterval: string;
  readinessDelayMs: number;
  serviceTime: string;
  capacity: number;
  queue: number;
  syncPeriodMs: number;
  /** Keep running after the scenario ended until `signal` aborts. */
  keep: boolean;
  /** Starts the dashboard on the feed (undefined: none); returns its URL and how to close it. */
  dashboard?: ((feed: UpFeed) => Promise<{ url: string; close(): Promise<void> }>) | undefined;
  /** Checked before anything starts: [port, flag] pairs of in-process servers (the dashboard). */
  extraPorts?: [number, string][];
  /** Writes one line to the terminal. */
  print: (line: string) => void;
  signal: AbortSignal;
}

export interface UpResult {
  summary: UpSummary | undefined;
  feed: UpFeed;
}

const TICK_MS = 1000;

/** Rejects when `signal` aborts, so a start-up step never outlives a Ctrl-C. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("stopped"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("stopped"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

export async function runUp(o: UpOptions): Promise<UpResult> {
  const { hpa, signal } = o;
  const ns = hpa.metadata.namespace;
  const metric = hpa.spec.metrics[0]?.type === "Pods" ? hpa.spec.metrics[0].pods.metric.name : "";
  const podLabels = { app: o.app };
  const selector = `app=${o.app}`;
  await checkPortFree("127.0.0.1", o.servicePort, "--service-port");
  await checkPortFree("127.0.0.1", o.adapterPort, "--adapter-port");
  if (o.prometheusUrl === undefined) await checkPortFree("127.0.0.1", o.prometheusPort, "--prometheus-port");
  await checkPortFree("127.0.1.1", o.podPort, "--pod-port");
  for (const [port, flag] of o.extraPorts ?? []) await checkPortFree("127.0.0.1", port, flag);

  const dir = await mkdtemp(join(tmpdir(), "tidescale-up-"));
  const sdFile = o.sdFile ?? join(dir, "targets.json");
  const rulesFile = join(dir, "rules.yaml");
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const cli = selfCommand();
  const startedAt = Date.now();
  let feed: UpFeed | undefined;
  let summary: UpSummary | undefined;
  try {
    await writeFile(rulesFile, SEED_RULES);
    await writeSdFile(sdFile, []);
    const adapterPort = o.adapterPort === 0 ? await freePort() : o.adapterPort;
    const prometheusPort = o.prometheusPort === 0 ? await freePort() : o.prometheusPort;
    const prometheusUrl = o.prometheusUrl ?? `http://127.0.0.1:${prometheusPort}`;
    feed = new UpFeed({
      mode: "local",
      namespace: ns,
      hpaName: hpa.metadata.name,
      metricName: metric,
      minReplicas: hpa.spec.minReplicas,
      maxReplicas: hpa.spec.maxReplicas,
      prometheusUrl,
      adapterUrl: `http://127.0.0.1:${adapterPort}`,
      startedAt,
    });
    const f = feed;
    let lastT = startedAt;
    const stamp = () => {
      lastT = Math.max(lastT, Date.now());
      return lastT;
    };
    const publishEvent = (e: Omit<UpEvent, "kind" | "t">) => f.publish({ kind: "event", t: stamp(), ...e });
    f.subscribe((r) => {
      if (r.kind === "event") o.print(eventLine(r));
    });

    // Service and pods first (the pod processes take the longest to start), Prometheus alongside.
    const proxy = await startServiceProxy("127.0.0.1", o.servicePort, o.podPort);
    cleanups.push(() => proxy.close());
    let sdWrite = Promise.resolve();
    const runner: PodRunner = new PodRunner({
      cli,
      baseName: o.app,
      namespace: ns,
      port: o.podPort,
      readinessDelayMs: o.readinessDelayMs,
      serviceTime: o.serviceTime,
      capacity: o.capacity,
      queue: o.queue,
      now: Date.now,
      onEvent: publishEvent,
      onChange: () => {
        const pods = runner.pods();
        proxy.update(pods);
        const groups = fileSdGroups(pods, o.podPort, ns, podLabels);
        sdWrite = sdWrite.then(() => writeSdFile(sdFile, groups)).catch(() => {});
      },
      waitIdle: (pod) => proxy.idle(pod.name),
      beforeStop: async (pod) => {
        await waitForScrapeAfter(prometheusUrl, `${pod.ip}:${o.podPort}`, Date.now(), 15_000);
      },
    });
    cleanups.push(() => runner.stopAll(false));
    const dashboard = o.dashboard ? await abortable(o.dashboard(f), signal) : undefined;
    if (dashboard) {
      cleanups.push(() => dashboard.close());
      o.print(`dashboard: ${dashboard.url}`);
    }
    runner.scaleTo(hpa.spec.minReplicas);
    if (o.prometheusUrl === undefined) {
      const prom = await abortable(
        startLocalPrometheus({
          bin: o.prometheusBin,
          dir: join(dir, "prometheus"),
          port: prometheusPort,
          sdFile,
          scrapeInterval: o.scrapeInterval,
          timeoutMs: 120_000,
        }),
        signal,
      );
      cleanups.push(() => prom.close());
    } else {
      o.print(
        `prometheus: ${prometheusUrl} must scrape the pods listed in ${sdFile}; its scrape job:\n${podScrapeJob(sdFile, o.scrapeInterval)}`,
      );
    }
    const adapter = await abortable(
      startLocalAdapter({ cli, rulesFile, prometheusUrl, port: adapterPort, timeoutMs: 120_000 }),
      signal,
    );
    cleanups.push(() => adapter.close());
    o.print(`service: ${proxy.url}  prometheus: ${prometheusUrl}  adapter: ${adapter.url}`);

    // The HPA watch rows and the controller.
    const reference = `${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}`;
    let row: HpaRow | undefined;
    let status: ControllerStatus | undefined;
    const printRow = (targets: string, replicas: number) => {
      const next: HpaRow = {
        name: hpa.metadata.name,
        reference,
        targets,
        minPods: hpa.spec.minReplicas,
        maxPods: hpa.spec.maxReplicas,
        replicas,
        ageMs: Date.now() - startedAt,
      };
      if (hpaRowChanged(row, next)) o.print(hpaLine(next));
      row = next;
    };
    o.print(hpaHeader(hpa.metadata.name, reference));
    printRow("<unknown>/50", 0);
    const controller = new HpaController(
      {
        hpa,
        adapterUrl: adapter.url,
        podLabels,
        selector,
        syncPeriodMs: o.syncPeriodMs,
        now: Date.now,
        pods: () => runner.pods(),
        scaleTo: (n) => runner.scaleTo(n),
        onEvent: (e) => publishEvent({ ...e, object: `hpa/${hpa.metadata.name}` }),
        onStatus: (s) => {
          status = s;
          printRow(s.targets, s.currentReplicas);
        },
      },
      hpa.spec.minReplicas,
    );
    controller.start();
    cleanups.push(() => controller.stop());

    // One sample per tick.
    const meter = new LoadMeter();
    const target = podsTarget(hpa);
    let podMetrics = new Map<string, number>();
    let reading = false;
    const ticker = setInterval(() => {
      if (!reading) {
        reading = true;
        void readPodsMetric(adapter.url, hpa, selector)
          .then((r) => {
            if ("samples" in r)
              podMetrics = new Map(r.samples.map((s) => [s.pod ?? "", (s.value ?? 0) / 1000]));
          })
          .finally(() => {
            reading = false;
          });
      }
      const pods = runner.pods();
      const load = meter.take();
      const upPods: UpPod[] = pods.map((p) => {
        const pod: UpPod = { name: p.name, ip: p.ip, phase: p.phase };
        const m = podMetrics.get(p.name);
        if (m !== undefined) pod.metric = m;
        return pod;
      });
      f.publish({
        kind: "sample",
        t: stamp(),
        offeredRps: load.offered,
        servedRps: load.served,
        errors: load.errors,
        ...(load.latencyP50Ms !== undefined ? { latencyP50Ms: load.latencyP50Ms } : {}),
        ...(load.latencyP99Ms !== undefined ? { latencyP99Ms: load.latencyP99Ms } : {}),
        desiredReplicas: status?.desiredReplicas ?? controller.desired(),
        currentReplicas: activePods(pods).length,
        readyReplicas: pods.filter((p) => p.phase === "Ready").length,
        target,
        pods: upPods,
      });
    }, TICK_MS);
    cleanups.push(async () => clearInterval(ticker));

    // Load starts once the first pod is Ready.
    await abortable(
      new Promise<void>((resolve) => {
        const check = () => {
          if (runner.pods().some((p) => p.phase === "Ready")) resolve();
          else if (!signal.aborted) setTimeout(check, 100);
        };
        check();
      }),
      signal,
    );
    // Settled: the HPA wants its minimum, has seen it (status.currentReplicas), and no pod is draining.
    const settled = () =>
      controller.desired() === hpa.spec.minReplicas &&
      status?.currentReplicas === hpa.spec.minReplicas &&
      runner.pods().length === hpa.spec.minReplicas &&
      runner.pods().every((p) => p.phase === "Ready");
    await runLoad({
      targets: o.targets ?? [{ method: "GET", url: `${proxy.url}/`, headers: [], body: undefined }],
      phases: o.phases,
      meter,
      signal,
      settled,
      onPhase: (p) =>
        publishEvent({
          type: "Normal",
          reason: "ScenarioPhase",
          object: "scenario",
          message: `${p.name}: ${p.rps} req/s${p.untilMinReplicas ? " until the HPA is back at its minimum" : ` for ${p.durationMs / 1000}s`}`,
        }),
    });
    if (signal.aborted) return { summary: undefined, feed: f };
    // The last tick's counts belong to the run.
    await new Promise((r) => setTimeout(r, TICK_MS + 100));
    summary = summarize(f.history(), meter.totals, TICK_MS);
    publishEvent({
      type: "Normal",
      reason: "ScenarioFinished",
      object: "scenario",
      message: "the load ended and the HPA is back at its minimum",
    });
    o.print(`\nscenario finished\n${renderUpSummary(summary)}`);
    if (o.keep) {
      o.print(
        dashboard
          ? `still serving the dashboard at ${dashboard.url}; Ctrl-C to stop`
          : "still running; Ctrl-C to stop",
      );
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    return { summary, feed: f };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await stopAllChildren(5000);
  }
}
