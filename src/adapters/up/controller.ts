/**
 * The autoscaler of `tidescale up` (local mode): the project's HPA engine (core/hpa `reconcile`) as a
 * controller loop every sync period. Each sync reads the metric from the adapter's custom.metrics API
 * over HTTP with the request the real controller makes, reconciles, and scales the local pods.
 */
import {
  emptyState,
  type HpaObject,
  type HpaStatus,
  type MetricReading,
  reconcile,
} from "../../core/hpa/index.js";
import { formatTargets } from "../../core/sim/report.js";
import { metricSamples } from "../../core/up/metric-list.js";
import { activePods, type LocalPod, podInfos } from "../../core/up/pods.js";
import { podsMetricPath } from "./adapter-child.js";

export interface ControllerStatus {
  desiredReplicas: number;
  /** `status.currentReplicas` (the count the last reconcile read; 0 before the first). */
  currentReplicas: number;
  targets: string;
  /** Per pod, the metric value the last read returned (plain units). */
  podMetrics: Map<string, number>;
}

export interface ControllerOptions {
  hpa: HpaObject;
  adapterUrl: string;
  podLabels: Record<string, string>;
  selector: string;
  syncPeriodMs: number;
  now: () => number;
  pods: () => LocalPod[];
  scaleTo: (n: number) => void;
  onEvent: (e: { type: "Normal" | "Warning"; reason: string; message: string }) => void;
  onStatus: (s: ControllerStatus) => void;
}

/** GETs the Pods metric from the adapter; a failure is a reading with an error, as in the controller. */
export async function readPodsMetric(
  adapterUrl: string,
  hpa: HpaObject,
  selector: string,
): Promise<MetricReading> {
  const spec = hpa.spec.metrics[0];
  if (spec?.type !== "Pods") return { error: "tidescale up drives one Pods metric" };
  const path = podsMetricPath(hpa.metadata.namespace, spec.pods.metric.name, selector);
  try {
    const res = await fetch(`${adapterUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const message = (body as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`;
      return { error: `unable to get metric ${spec.pods.metric.name}: ${message}` };
    }
    return metricSamples(body);
  } catch (e) {
    return { error: `unable to get metric ${spec.pods.metric.name}: ${(e as Error).message}` };
  }
}

export class HpaController {
  private state = emptyState();
  private status: HpaStatus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** `scale.spec.replicas`. */
  private specReplicas: number;

  constructor(
    private readonly o: ControllerOptions,
    startReplicas: number,
  ) {
    this.specReplicas = startReplicas;
  }

  /** The first sync now, then one every sync period. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.sync().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.o.syncPeriodMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  desired(): number {
    return this.status?.desiredReplicas ?? this.specReplicas;
  }

  private async sync(): Promise<void> {
    const { hpa } = this.o;
    const reading = await readPodsMetric(this.o.adapterUrl, hpa, this.o.selector);
    if (this.stopped) return;
    const pods = this.o.pods();
    const result = reconcile({
      hpa,
      now: this.o.now(),
      currentReplicas: this.specReplicas,
      pods: podInfos(pods, this.o.podLabels),
      metrics: [reading],
      state: this.state,
      ...(this.status ? { status: this.status } : {}),
      scale: { statusReplicas: activePods(pods).length },
      explain: false,
    });
    this.state = result.nextState;
    this.status = result.status;
    if (result.rescale && result.event?.reason === "SuccessfulRescale") {
      this.specReplicas = result.desiredReplicas;
      this.o.scaleTo(result.desiredReplicas);
    }
    for (const e of result.events) this.o.onEvent(e);
    const podMetrics = new Map<string, number>();
    if ("samples" in reading)
      for (const s of reading.samples) if (s.pod) podMetrics.set(s.pod, (s.value ?? 0) / 1000);
    this.o.onStatus({
      desiredReplicas: result.status.desiredReplicas,
      currentReplicas: result.status.currentReplicas,
      targets: formatTargets(hpa.spec.metrics, result.status.currentMetrics),
      podMetrics,
    });
  }
}
