/**
 * The adapter's source for `tidescale_prediction` and `tidescale_cron`: watch caches of the
 * TimeSeriesPredictions the controller manages and of the EHPAs, indexed by target
 * (namespace/kind/name), so a request is a map lookup and a scan of one metric's samples, never a
 * request to the apiserver.
 */
import { MANAGED_BY, MANAGED_BY_LABEL, PREDICTION_METRIC } from "../../core/ehpa/identifiers.js";
import {
  type CachedEhpa,
  type CachedTsp,
  cronValue,
  predictionValue,
  type Refusal,
  requestTarget,
  SERVED_METRICS,
  targetKeyString,
} from "../../core/ehpa/serving.js";
import type { CronSpec, TspMetricStatus } from "../../core/ehpa/types.js";
import { err, type Result } from "../../core/errors.js";
import type { Selector } from "../../core/labels/selector.js";
import { apiMessage, EHPA_GVR, type KubeClients, type KubeObject, TSP_GVR } from "./client.js";
import { startInformer, type WatchCache } from "./informer.js";

/** What the metrics API handler asks (see HandlerContext.predictions). */
export interface PredictionSource {
  serves(metric: string): boolean;
  answer(
    metric: string,
    namespace: string,
    selector: Selector,
    nowMs: number,
  ): Result<{ value: number; labels: Record<string, string> }, Refusal>;
}

interface TspLike extends KubeObject {
  spec?: {
    targetRef?: { kind?: string; name?: string; namespace?: string };
    predictionWindowSeconds?: number;
  };
  status?: { predictionMetrics?: TspMetricStatus[] };
}

interface EhpaLike extends KubeObject {
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; crons?: CronSpec[] };
}

/** A target-keyed index over a watch cache, kept current by its events. */
class TargetIndex<T> {
  private readonly byTarget = new Map<string, T>();
  private readonly keyOfObject = new Map<string, string>();

  set(objectKey: string, targetKey: string | undefined, value: T | undefined): void {
    const old = this.keyOfObject.get(objectKey);
    if (old !== undefined) {
      this.byTarget.delete(old);
      this.keyOfObject.delete(objectKey);
    }
    if (targetKey === undefined || value === undefined) return;
    this.byTarget.set(targetKey, value);
    this.keyOfObject.set(objectKey, targetKey);
  }

  get(targetKey: string): T | undefined {
    return this.byTarget.get(targetKey);
  }

  get size(): number {
    return this.byTarget.size;
  }
}

function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

function tspEntry(o: TspLike): [string | undefined, CachedTsp | undefined] {
  const ref = o.spec?.targetRef;
  if (!ref?.kind || !ref.name) return [undefined, undefined];
  const namespace = o.metadata.namespace ?? "";
  return [
    targetKeyString({ namespace, kind: ref.kind, name: ref.name }),
    {
      name: o.metadata.name,
      windowSeconds: o.spec?.predictionWindowSeconds ?? 3600,
      metrics: o.status?.predictionMetrics ?? [],
    },
  ];
}

function ehpaEntry(o: EhpaLike): [string | undefined, CachedEhpa | undefined] {
  const ref = o.spec?.scaleTargetRef;
  if (!ref?.kind || !ref.name) return [undefined, undefined];
  // An invalid cron is refused per request (tryCronMetricValue), with its field path.
  const crons = o.spec?.crons ?? [];
  return [
    targetKeyString({ namespace: o.metadata.namespace ?? "", kind: ref.kind, name: ref.name }),
    { name: o.metadata.name, minReplicas: o.spec?.minReplicas ?? 1, crons },
  ];
}

export class PredictionCache implements PredictionSource {
  private readonly tsps = new TargetIndex<CachedTsp>();
  private readonly ehpas = new TargetIndex<CachedEhpa>();
  private informers: Array<WatchCache<KubeObject>> = [];

  /** Starts both informers; resolves after their first list. */
  static async start(clients: KubeClients, log: (msg: string) => void): Promise<PredictionCache> {
    const c = new PredictionCache();
    const onError = (what: string) => (e: unknown) => log(`watch ${what}: ${apiMessage(e)}; restarting`);
    c.informers = await Promise.all([
      startInformer<KubeObject>(clients, TSP_GVR, {
        labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
        onEvent: (ev, o) => c.onTsp(ev, o as TspLike),
        onError: onError("timeseriespredictions"),
      }),
      startInformer<KubeObject>(clients, EHPA_GVR, {
        onEvent: (ev, o) => c.onEhpa(ev, o as EhpaLike),
        onError: onError("effectivehorizontalpodautoscalers"),
      }),
    ]);
    return c;
  }

  onTsp(ev: "add" | "update" | "delete", o: TspLike): void {
    const [k, v] = ev === "delete" ? [undefined, undefined] : tspEntry(o);
    this.tsps.set(objectKey(o), k, v);
  }

  onEhpa(ev: "add" | "update" | "delete", o: EhpaLike): void {
    const [k, v] = ev === "delete" ? [undefined, undefined] : ehpaEntry(o);
    this.ehpas.set(objectKey(o), k, v);
  }

  serves(metric: string): boolean {
    return SERVED_METRICS.includes(metric);
  }

  answer(
    metric: string,
    namespace: string,
    selector: Selector,
    nowMs: number,
  ): Result<{ value: number; labels: Record<string, string> }, Refusal> {
    const req = requestTarget(metric, namespace, selector);
    if (!req.ok) return req;
    const { target, resourceIdentifier } = req.value;
    const key = targetKeyString(target);
    const nowSec = nowMs / 1000;
    const v =
      metric === PREDICTION_METRIC
        ? predictionValue(this.tsps.get(key), target, resourceIdentifier ?? "", nowSec)
        : cronValue(this.ehpas.get(key), target, nowSec);
    if (!v.ok) return err(v.error);
    const labels: Record<string, string> = {
      targetKind: target.kind,
      targetName: target.name,
      targetNamespace: target.namespace,
    };
    if (resourceIdentifier !== undefined) labels.resourceIdentifier = resourceIdentifier;
    return { ok: true, value: { value: v.value, labels } };
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
