/**
 * The EHPA controller's I/O loop around the pure reconcile (core/ehpa/reconcile.ts):
 *
 * - informers (watch caches) on EHPAs, and on the HPAs, TSPs and Substitutes it manages (label
 *   `app.kubernetes.io/managed-by=tidescale`); an event on a managed object re-queues its owner; every
 *   `resyncMs` all EHPAs are re-queued (client-go's resync), which also re-evaluates which predictions
 *   are servable as time passes;
 * - one reconcile per key at a time (work queue); it reads the target's scale subresource, asks the core
 *   for decisions and performs them: Substitute, TSP, HPA (create/update only when the core says the
 *   spec differs), the target's scale in Preview with specificReplicas, the EHPA status, Events;
 * - the forecast refresher (tsp-refresher.ts) writes TSP status;
 * - only the leader (when leader election is on) writes anything; followers keep their caches warm.
 */
import { MANAGED_BY, MANAGED_BY_LABEL, managedName } from "../../core/ehpa/identifiers.js";
import type { HpaApiVersion } from "../../core/ehpa/managed-hpa.js";
import {
  type EhpaDecision,
  type ObservedHpa,
  type ObservedTsp,
  reconcileEhpa,
  type Write,
} from "../../core/ehpa/reconcile.js";
import type { RuleQueryResolver } from "../../core/ehpa/tsp.js";
import { EHPA_API_VERSION } from "../../core/ehpa/types.js";
import {
  apiMessage,
  apiStatus,
  createObject,
  EHPA_GVR,
  type Gvr,
  getScale,
  type HpaVersion,
  hpaGvr,
  type KubeClients,
  type KubeObject,
  replaceObject,
  replaceScale,
  replaceStatus,
  resourcePlural,
  type Scale,
  SUBSTITUTE_GVR,
  TSP_GVR,
} from "../kube/client.js";
import type { EventRecorder } from "../kube/events.js";
import { startInformer, type WatchCache } from "../kube/informer.js";
import { WorkQueue } from "./work-queue.js";

export interface ControllerLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface EhpaControllerOptions {
  clients: KubeClients;
  hpaVersion: HpaVersion;
  recorder: EventRecorder;
  log: ControllerLog;
  /** Whether this process may write (leader, or leader election off). */
  canWrite: () => boolean;
  /** Adapter rules for history queries (step 2 of the resolution), when a rules file is given. */
  rules?: () => RuleQueryResolver | undefined;
  resyncMs: number;
  workers: number;
  now?: () => number;
}

export interface Caches {
  ehpas: WatchCache<KubeObject>;
  hpas: WatchCache<KubeObject>;
  tsps: WatchCache<KubeObject>;
  substitutes: WatchCache<KubeObject>;
}

const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
const PREFIX = "ehpa-";

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/** The EHPA key of a managed object: its controller owner reference, else its `ehpa-` name. */
function ownerKey(o: KubeObject): string | undefined {
  const owner = o.metadata.ownerReferences?.find(
    (r) => r.controller && r.kind === "EffectiveHorizontalPodAutoscaler",
  );
  if (owner) return `${o.metadata.namespace ?? ""}/${owner.name}`;
  if (o.metadata.name.startsWith(PREFIX))
    return `${o.metadata.namespace ?? ""}/${o.metadata.name.slice(PREFIX.length)}`;
  return undefined;
}

export class EhpaController {
  private caches?: Caches;
  private readonly queue: WorkQueue;
  private resyncTimer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly hpaApiVersion: HpaApiVersion;

  constructor(private readonly o: EhpaControllerOptions) {
    this.now = o.now ?? Date.now;
    this.hpaApiVersion = `autoscaling/${o.hpaVersion}`;
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: o.workers,
      onError: (key, e) => o.log.warn(`reconcile ${key}: ${apiMessage(e)}`),
    });
  }

  /** Starts the informers (resolves once they listed) and the resync timer. */
  async start(): Promise<Caches> {
    const { clients, log } = this.o;
    const onError = (what: string) => (e: unknown) => log.warn(`watch ${what}: ${apiMessage(e)}; restarting`);
    const enqueueOwner = (_ev: string, obj: KubeObject) => {
      const k = ownerKey(obj);
      if (k) this.queue.add(k);
    };
    const [ehpas, hpas, tsps, substitutes] = await Promise.all([
      startInformer<KubeObject>(clients, EHPA_GVR, {
        onEvent: (_ev, obj) => this.queue.add(keyOf(obj)),
        onError: onError("effectivehorizontalpodautoscalers"),
      }),
      startInformer<KubeObject>(clients, hpaGvr(this.o.hpaVersion), {
        labelSelector: MANAGED_SELECTOR,
        onEvent: enqueueOwner,
        onError: onError("horizontalpodautoscalers"),
      }),
      startInformer<KubeObject>(clients, TSP_GVR, {
        labelSelector: MANAGED_SELECTOR,
        onEvent: enqueueOwner,
        onError: onError("timeseriespredictions"),
      }),
      startInformer<KubeObject>(clients, SUBSTITUTE_GVR, {
        labelSelector: MANAGED_SELECTOR,
        onEvent: enqueueOwner,
        onError: onError("substitutes"),
      }),
    ]);
    this.caches = { ehpas, hpas, tsps, substitutes };
    this.resyncTimer = setInterval(() => this.resync(), this.o.resyncMs);
    this.resyncTimer.unref();
    return this.caches;
  }

  /** Queues every EHPA (after gaining leadership, and every resync period). */
  resync(): void {
    for (const e of this.caches?.ehpas.list() ?? []) this.queue.add(keyOf(e));
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue.stop();
    const c = this.caches;
    if (c) await Promise.all([c.ehpas.stop(), c.hpas.stop(), c.tsps.stop(), c.substitutes.stop()]);
  }

  /** Resolves when no reconcile is queued or running (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async reconcile(key: string): Promise<void> {
    const c = this.caches;
    if (!c || !this.o.canWrite()) return;
    const [namespace = "", name = ""] = key.split("/");
    const ehpa = c.ehpas.get(namespace, name);
    if (!ehpa || ehpa.metadata.deletionTimestamp) return; // owned objects are garbage-collected
    const managed = managedName(name);
    const target = await this.readTargetScale(ehpa);
    const rules = this.o.rules?.();
    const decision = reconcileEhpa({
      object: ehpa,
      nowSec: Math.floor(this.now() / 1000),
      hpaApiVersion: this.hpaApiVersion,
      ...optional("observedHpa", c.hpas.get(namespace, managed) as ObservedHpa | undefined),
      ...optional("observedTsp", c.tsps.get(namespace, managed) as ObservedTsp | undefined),
      ...optional("observedSubstitute", c.substitutes.get(namespace, managed)),
      ...optional("targetReplicas", target.scale?.spec.replicas),
      ...optional("rules", rules),
    });
    await this.perform(ehpa, decision, target);
    this.o.log.debug(
      `reconciled ${key}: hpa ${decision.hpa?.action ?? "-"}, tsp ${decision.tsp?.action ?? "-"}, status ${decision.statusChanged ? "written" : "unchanged"}`,
    );
    if (target.error) throw new Error(target.error);
  }

  /** The target's scale subresource (undefined with an error message when it cannot be read). */
  private async readTargetScale(ehpa: KubeObject): Promise<{ scale?: Scale; gvr?: Gvr; error?: string }> {
    const ref = (ehpa.spec as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } })
      ?.scaleTargetRef;
    if (!ref?.apiVersion || !ref.kind || !ref.name) return {};
    try {
      const gvr = await resourcePlural(this.o.clients, ref.apiVersion, ref.kind);
      return { gvr, scale: await getScale(this.o.clients, gvr, ehpa.metadata.namespace ?? "", ref.name) };
    } catch (e) {
      return { error: `reading the scale of ${ref.kind}/${ref.name}: ${apiMessage(e)}` };
    }
  }

  private async perform(
    ehpa: KubeObject,
    d: EhpaDecision,
    target: { scale?: Scale; gvr?: Gvr },
  ): Promise<void> {
    const c = this.caches as Caches;
    const ns = ehpa.metadata.namespace ?? "";
    const managed = managedName(ehpa.metadata.name);
    const events = [...d.events];
    if (d.substitute) {
      const sub = await this.write(SUBSTITUTE_GVR, d.substitute, c.substitutes.get(ns, managed));
      if (sub && target.scale) await this.syncSubstituteStatus(sub, target.scale);
    }
    if (d.tsp) await this.write(TSP_GVR, d.tsp, c.tsps.get(ns, managed));
    if (d.deleteTsp) await this.deleteTsp(ns, managed);
    if (d.hpa) await this.write(hpaGvr(this.o.hpaVersion), d.hpa, c.hpas.get(ns, managed));
    if (d.scaleTo !== undefined && target.scale && target.gvr) {
      try {
        await replaceScale(this.o.clients, target.gvr, ns, {
          ...target.scale,
          spec: { ...target.scale.spec, replicas: d.scaleTo },
        });
        events.push({ type: "Normal", reason: "ManualScale", message: `scaled the target to ${d.scaleTo}` });
      } catch (e) {
        events.push({ type: "Warning", reason: "FailedManualScale", message: apiMessage(e) });
      }
    }
    if (d.statusChanged) {
      try {
        await replaceStatus(this.o.clients, EHPA_GVR, ns, {
          ...ehpa,
          apiVersion: EHPA_API_VERSION,
          kind: "EffectiveHorizontalPodAutoscaler",
          status: d.status,
        });
      } catch (e) {
        // 409: the EHPA changed since the cache saw it; its watch event queues another reconcile.
        if (apiStatus(e) !== 409) throw e;
      }
    }
    const involved = { ...ehpa, apiVersion: EHPA_API_VERSION, kind: "EffectiveHorizontalPodAutoscaler" };
    for (const ev of events) await this.o.recorder.record(involved, ev.type, ev.reason, ev.message);
  }

  /** Creates or updates a managed object as the core decided; returns the object as now stored. */
  private async write(
    gvr: Gvr,
    w: Write<{ metadata: { name: string; namespace: string } }>,
    observed: KubeObject | undefined,
  ): Promise<KubeObject | undefined> {
    const desired = w.manifest as unknown as KubeObject;
    const ns = desired.metadata.namespace ?? "";
    if (w.action === "none") return observed;
    if (w.action === "create" || !observed) {
      try {
        this.o.log.info(`${gvr.plural} ${ns}/${desired.metadata.name}: creating`);
        return await createObject(this.o.clients, gvr, ns, desired);
      } catch (e) {
        if (apiStatus(e) === 409) return undefined; // the cache lags; the watch event re-queues
        throw e;
      }
    }
    this.o.log.info(
      `${gvr.plural} ${ns}/${desired.metadata.name}: spec differs from the desired one; updating`,
    );
    // Objects listed by an informer carry no apiVersion/kind; the desired manifest has them.
    return replaceObject(this.o.clients, gvr, ns, {
      ...observed,
      ...(desired.apiVersion ? { apiVersion: desired.apiVersion } : {}),
      ...(desired.kind ? { kind: desired.kind } : {}),
      metadata: {
        ...observed.metadata,
        labels: { ...observed.metadata.labels, ...desired.metadata.labels },
        ...(desired.metadata.ownerReferences ? { ownerReferences: desired.metadata.ownerReferences } : {}),
      },
      spec: desired.spec,
    });
  }

  /**
   * The Substitute stands in for the workload in Preview: its status carries the workload's label
   * selector and replica count, so the HPA computes what it would do without scaling anything real.
   */
  private async syncSubstituteStatus(sub: KubeObject, scale: Scale): Promise<void> {
    const status = { replicas: scale.status.replicas, labelSelector: scale.status.selector ?? "" };
    const cur = sub.status as { replicas?: number; labelSelector?: string } | undefined;
    if (cur?.replicas === status.replicas && cur?.labelSelector === status.labelSelector) return;
    await replaceStatus(this.o.clients, SUBSTITUTE_GVR, sub.metadata.namespace ?? "", {
      ...sub,
      apiVersion: EHPA_API_VERSION,
      kind: "Substitute",
      status,
    });
  }

  private async deleteTsp(namespace: string, name: string): Promise<void> {
    try {
      await this.o.clients.custom.deleteNamespacedCustomObject({ ...TSP_GVR, namespace, name });
    } catch (e) {
      if (apiStatus(e) !== 404) throw e;
    }
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
