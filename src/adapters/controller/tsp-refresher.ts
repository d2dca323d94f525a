/**
 * Keeps TimeSeriesPrediction forecasts fresh: every tick it finds the TSP metrics whose refit is due
 * (`refitDue`: once per refresh interval, or never fitted yet), queries each one's history from
 * Prometheus (range = the algorithm's historyLength at its sampleInterval, ending at the last whole step),
 * refits and scores it in core (`refreshMetricStatus`) and writes the TSP status. A failed query gives
 * the metric reason QueryFailed with Prometheus' error, so the EHPA's PredictionReady condition names the
 * outage while the HPA keeps its reactive metrics. One TSP at a time per worker; `concurrency` workers.
 */
import { resolveAlgorithm } from "../../core/ehpa/algorithm.js";
import {
  failedMetricStatus,
  refitDue,
  refreshMetricStatus,
  tspReadyCondition,
} from "../../core/ehpa/tsp-status.js";
import {
  TSP_API_VERSION,
  type TspMetricStatus,
  type TspPredictionMetric,
  type TspSpec,
  type TspStatus,
} from "../../core/ehpa/types.js";
import { ToolkitError } from "../../core/errors.js";
import { loadPrometheusSeries } from "../forecast/series-source.js";
import {
  apiMessage,
  apiStatus,
  type KubeClients,
  type KubeObject,
  replaceStatus,
  TSP_GVR,
} from "../kube/client.js";
import type { WatchCache } from "../kube/informer.js";
import type { PrometheusClient } from "../prometheus/client.js";
import type { ControllerLog } from "./ehpa-controller.js";
import { WorkQueue } from "./work-queue.js";

export interface TspRefresherOptions {
  clients: KubeClients;
  prometheus: PrometheusClient;
  prometheusUrl: string;
  tsps: WatchCache<KubeObject>;
  refreshSeconds: number;
  /** How often due metrics are looked for (default min(refresh, 15 s)). */
  tickMs?: number;
  concurrency: number;
  canWrite: () => boolean;
  log: ControllerLog;
  now?: () => number;
  /** Called after each TSP status write (for benchmarks and logs). */
  onRefreshed?: (key: string, ok: number, failed: number) => void;
}

interface TspObject extends KubeObject {
  spec: TspSpec;
  status?: TspStatus;
}

function isoTime(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class TspRefresher {
  private readonly queue: WorkQueue;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: TspRefresherOptions) {
    this.now = o.now ?? Date.now;
    this.queue = new WorkQueue((key) => this.refresh(key), {
      concurrency: o.concurrency,
      baseDelayMs: 2000,
      onError: (key, e) => o.log.warn(`refresh ${key}: ${apiMessage(e)}`),
    });
  }

  start(): void {
    const tick = this.o.tickMs ?? Math.min(this.o.refreshSeconds * 1000, 15_000);
    this.timer = setInterval(() => this.enqueueDue(), tick);
    this.timer.unref();
    this.enqueueDue();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Queues every TSP with a metric due for a refit (or a new, never-fitted metric). */
  enqueueDue(): void {
    if (!this.o.canWrite()) return;
    const nowSec = this.now() / 1000;
    for (const t of this.o.tsps.list() as TspObject[]) {
      if (this.dueMetrics(t, nowSec).length > 0) this.queue.add(`${t.metadata.namespace}/${t.metadata.name}`);
    }
  }

  private dueMetrics(t: TspObject, nowSec: number): TspPredictionMetric[] {
    const prev = t.status?.predictionMetrics ?? [];
    return (t.spec?.predictionMetrics ?? []).filter((m) =>
      refitDue(
        prev.find((p) => p.resourceIdentifier === m.resourceIdentifier),
        nowSec,
        this.o.refreshSeconds,
      ),
    );
  }

  private async refresh(key: string): Promise<void> {
    if (!this.o.canWrite()) return;
    const [namespace = "", name = ""] = key.split("/");
    const t = this.o.tsps.get(namespace, name) as TspObject | undefined;
    if (!t || t.metadata.deletionTimestamp) return;
    const nowSec = Math.floor(this.now() / 1000);
    const due = new Set(this.dueMetrics(t, nowSec).map((m) => m.resourceIdentifier));
    if (due.size === 0) return;
    const previous = t.status?.predictionMetrics ?? [];
    const metrics: TspMetricStatus[] = [];
    let ok = 0;
    let failed = 0;
    for (const m of t.spec.predictionMetrics) {
      const prev = previous.find((p) => p.resourceIdentifier === m.resourceIdentifier);
      if (!due.has(m.resourceIdentifier) && prev) {
        metrics.push(prev);
        continue;
      }
      const s = await this.refreshMetric(m, t.spec.predictionWindowSeconds, nowSec, prev);
      if (s.reason === "QueryFailed") failed++;
      else ok++;
      metrics.push(s);
    }
    const status: TspStatus = {
      predictionMetrics: metrics,
      conditions: [tspReadyCondition(metrics, isoTime(nowSec), t.status?.conditions)],
    };
    if (!this.o.canWrite()) return;
    try {
      await replaceStatus(this.o.clients, TSP_GVR, namespace, {
        ...t,
        apiVersion: TSP_API_VERSION,
        kind: "TimeSeriesPrediction",
        status,
      });
    } catch (e) {
      // 409: the TSP changed since the cache saw it; the next tick retries with the new version.
      if (apiStatus(e) !== 409) throw e;
      return;
    }
    this.o.onRefreshed?.(key, ok, failed);
  }

  private async refreshMetric(
    m: TspPredictionMetric,
    windowSeconds: number,
    nowSec: number,
    prev: TspMetricStatus | undefined,
  ): Promise<TspMetricStatus> {
    const algorithm = resolveAlgorithm(m.algorithm);
    if (!algorithm.ok) {
      const msg = algorithm.error.map((p) => `${p.field}: ${p.message}`).join("; ");
      return { ...failedMetricStatus(m.resourceIdentifier, "p90", msg, prev), reason: "InvalidAlgorithm" };
    }
    const a = algorithm.value;
    const query = m.expressionQuery?.expression;
    if (!query)
      return {
        ...failedMetricStatus(m.resourceIdentifier, a.servedQuantile, "no expressionQuery", prev),
        reason: "InvalidQuery",
      };
    const step = a.sampleIntervalSec;
    try {
      const loaded = await loadPrometheusSeries({
        url: this.o.prometheusUrl,
        client: this.o.prometheus,
        query,
        rangeSec: a.historyLengthSec,
        stepSec: step,
        endSec: Math.floor(nowSec / step) * step,
      });
      return refreshMetricStatus({
        resourceIdentifier: m.resourceIdentifier,
        algorithm: a,
        history: loaded.series,
        nowSec,
        windowSeconds,
        ...(prev ? { previous: prev } : {}),
      });
    } catch (e) {
      const msg = e instanceof ToolkitError ? e.oneLine() : String(e);
      this.o.log.warn(`history of ${m.resourceIdentifier} (${query}): ${msg}`);
      return failedMetricStatus(m.resourceIdentifier, a.servedQuantile, msg, prev);
    }
  }
}
