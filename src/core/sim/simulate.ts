/**
 * The simulator: a virtual clock that calls the exact HPA engine (`core/hpa` `reconcile`) every sync
 * period, the way kube-controller-manager requeues each HPA (`--horizontal-pod-autoscaler-sync-period`,
 * 15 s by default), and carries the controller memory and the HPA status from one reconcile to the next.
 *
 * Between reconciles it plays the rest of the cluster: the ReplicaSet creates pods at once when the scale
 * rises (Pending → Running after the start-up delay → Ready after the readiness delay) and deletes the
 * newest pods when it falls; the Service spreads the offered load over the Ready pods, each serving up to
 * its capacity; metrics-server and the custom/external metrics adapters report values derived from that.
 * Pure: no clock, no randomness, no I/O.
 */

import { invalidInput } from "../errors.js";
import type {
  ControllerConfig,
  HpaEvent,
  HpaObject,
  HpaState,
  HpaStatus,
  MetricReading,
  MetricSample,
  MetricSpec,
  MetricStatus,
  PodInfo,
  ReconcileInput,
  ReconcileResult,
} from "../hpa/index.js";
import { reconcile as engineReconcile } from "../hpa/index.js";
import type { LoadFunction } from "./load.js";
import { PodSet, type SimPod } from "./pods.js";
import type { MetricSource, ScenarioSpec, WorkloadModel } from "./scenario.js";

/** metrics-server's reporting window for resource metrics. */
const RESOURCE_METRIC_WINDOW_MS = 15_000;
/** The custom-metrics window the HPA assumes when an adapter reports none. */
const CUSTOM_METRIC_WINDOW_MS = 60_000;
/** Resolution at which the summary integrates load against capacity between reconciles. */
const INTEGRATION_STEP_MS = 1_000;
/** Pods that exist at the start have been Ready this long (past the CPU initialization period). */
const SEED_AGE_MS = 3_600_000;

/** One reconcile as the timeline records it. */
export interface StepRecord {
  /** Simulated time since the start, ms. */
  readonly tMs: number;
  /** Offered load at this instant. */
  readonly load: number;
  /** Load the Ready pods serve at this instant (capped by capacity). */
  readonly served: number;
  /** Ready pods × capacity per pod (Infinity when the workload sets no capacity). */
  readonly capacity: number;
  readonly readyPods: number;
  /** Pods that exist (any phase) when the reconcile runs. */
  readonly pods: number;
  /** `scale.spec.replicas` the reconcile read (also the HPA's `status.currentReplicas`). */
  readonly currentReplicas: number;
  /** `status.desiredReplicas` after the reconcile. */
  readonly desiredReplicas: number;
  /** `scale.spec.replicas` after the reconcile. */
  readonly replicas: number;
  /** Per spec metric: its replica proposal (undefined when invalid or not evaluated). */
  readonly proposals: readonly (number | undefined)[];
  /** Per spec metric: the current value as the HPA computed it (percent for Utilization, else units). */
  readonly values: readonly (number | undefined)[];
  /** `status.currentMetrics` after the reconcile. */
  readonly currentMetrics: readonly MetricStatus[];
  /** `status/reason` of AbleToScale, ScalingActive and ScalingLimited (`-` when unset), space-separated. */
  readonly conditions: string;
}

/** An event the controller recorded, with its simulated time. */
export interface SimEvent extends HpaEvent {
  readonly tMs: number;
}

/** Totals over the whole run. */
export interface SimulationSummary {
  readonly durationMs: number;
  readonly reconciles: number;
  /** ∫ pods dt over the run (every existing pod counts, Ready or not), in pod-hours. */
  readonly podHours: number;
  /** Minutes during which offered load exceeded Ready capacity (undefined without a capacity). */
  readonly underProvisionedMinutes: number | undefined;
  /** Offered load that Ready pods could not serve, integrated over time (e.g. requests). */
  readonly unservedTotal: number | undefined;
  /** Offered load integrated over time. */
  readonly offeredTotal: number;
  readonly peakReplicas: number;
  readonly minReplicasSeen: number;
  readonly scaleUps: number;
  readonly scaleDowns: number;
  /** SuccessfulRescale events (scale-ups + scale-downs). */
  readonly scaleEvents: number;
  /** Warning events (failed metrics and the like). */
  readonly warnings: number;
}

/** The whole run. */
export interface SimulationRun {
  readonly name: string;
  readonly hpa: HpaObject;
  readonly startEpochMs: number;
  readonly syncPeriodMs: number;
  readonly durationMs: number;
  readonly startReplicas: number;
  readonly capacityPerPod: number;
  readonly steps: readonly StepRecord[];
  readonly events: readonly SimEvent[];
  readonly summary: SimulationSummary;
  /** The last reconcile's explanation (what the engine said at the end). */
  readonly finalStatus: HpaStatus | undefined;
}

/** Knobs for callers that need less than a full record (benchmarks) or another engine. */
export interface SimulateOptions {
  /** Keep per-step records (default true). Summaries and events are always kept. */
  readonly recordSteps?: boolean;
  /** The reconcile function (default: the engine in core/hpa). */
  readonly reconcile?: (input: ReconcileInput) => ReconcileResult;
}

/** Per-metric derivation resolved once: what to read and how to turn load into a value. */
type MetricPlan =
  | { readonly kind: "resource"; readonly resource: "cpu" | "memory"; readonly container?: string }
  | { readonly kind: "pods"; readonly from: MetricSource; readonly scale: number }
  | { readonly kind: "single"; readonly from: MetricSource; readonly scale: number };

/**
 * Runs a scenario. `hpa` is the parsed HPA (`parseHpa`), `load` the offered-load function of simulated
 * time (`loadFunction`). Reconciles happen at t = 0, sync, 2·sync, … while t < duration.
 */
export function simulate(
  spec: ScenarioSpec,
  hpa: HpaObject,
  load: LoadFunction,
  options: SimulateOptions = {},
): SimulationRun {
  const reconcile = options.reconcile ?? engineReconcile;
  const record = options.recordSteps ?? true;
  const w = spec.workload;
  const plans = hpa.spec.metrics.map((m, i) => planMetric(m, i, w));
  const containerName = containerNameOf(hpa.spec.metrics);
  const requests: Record<string, number> = {};
  if (w.cpu) requests.cpu = w.cpu.requestMilli;
  if (w.memory) requests.memory = w.memory.requestMilli;

  const config: Partial<ControllerConfig> = {
    tolerance: spec.controller.tolerance,
    cpuInitializationPeriodMs: spec.controller.cpuInitializationPeriodMs,
    initialReadinessDelayMs: spec.controller.initialReadinessDelayMs,
    downscaleStabilizationWindowMs: spec.controller.downscaleStabilizationMs,
    syncPeriodMs: spec.syncPeriodMs,
  };
  const t0 = spec.startEpochMs;
  const startReplicas = spec.startReplicas ?? hpa.spec.minReplicas;
  const pods = new PodSet(hpa.spec.scaleTargetRef.name, w.startupDelayMs, w.readinessDelayMs);
  pods.seed(startReplicas, t0 - SEED_AGE_MS);
  const podInfos = new PodInfoCache(containerName, requests);
  const cap = w.capacityPerPod;
  const finiteCap = Number.isFinite(cap);

  let replicas = startReplicas;
  let state: HpaState = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
  let status: HpaStatus | undefined;
  const steps: StepRecord[] = [];
  const events: SimEvent[] = [];
  let podMs = 0;
  let underMs = 0;
  let unserved = 0;
  let offeredTotal = 0;
  let peak = replicas;
  let lowest = replicas;
  let scaleUps = 0;
  let scaleDowns = 0;
  let warnings = 0;
  let reconciles = 0;
  const metrics: (MetricReading | undefined)[] = new Array(plans.length);

  for (let t = 0; t < spec.durationMs; t += spec.syncPeriodMs) {
    const now = t0 + t;
    const offered = load(t);
    const ready = pods.readyAt(now);
    const running = pods.runningAt(now);
    const perPodOffered = ready > 0 ? offered / ready : 0;
    const perPodServed = Math.min(perPodOffered, cap);
    const served = perPodServed * ready;
    const list = pods.all;
    const podCount = list.length;
    for (let i = 0; i < plans.length; i++)
      metrics[i] = readMetric(
        plans[i]!,
        w,
        list,
        running,
        ready,
        now,
        offered,
        served,
        perPodOffered,
        perPodServed,
      );
    const input: ReconcileInput = {
      hpa,
      now,
      currentReplicas: replicas,
      pods: podInfos.list(list, running, ready),
      metrics,
      state,
      config,
      ...(status ? { status } : {}),
    };
    const res = reconcile(input);
    reconciles++;
    state = res.nextState;
    status = res.status;
    for (const e of res.events) {
      events.push({ tMs: t, type: e.type, reason: e.reason, message: e.message });
      if (e.type === "Warning") warnings++;
    }
    const before = replicas;
    if (res.rescale && res.event?.reason !== "FailedRescale") {
      const next = res.desiredReplicas;
      if (next > replicas) {
        pods.create(next - replicas, now);
        scaleUps++;
      } else if (next < replicas) {
        pods.remove(replicas - next);
        scaleDowns++;
      }
      replicas = next;
      if (replicas > peak) peak = replicas;
      if (replicas < lowest) lowest = replicas;
    }
    if (record) {
      const proposals: (number | undefined)[] = [];
      const values: (number | undefined)[] = [];
      for (let i = 0; i < plans.length; i++) {
        const p = res.metricProposals[i];
        proposals.push(p?.valid ? p.replicas : undefined);
        values.push(p ? currentValueOf(p, hpa.spec.metrics[i]!) : undefined);
      }
      steps.push({
        tMs: t,
        load: offered,
        served,
        capacity: ready * cap,
        readyPods: ready,
        pods: podCount,
        currentReplicas: before,
        desiredReplicas: res.desiredReplicas,
        replicas,
        proposals,
        values,
        currentMetrics: res.currentMetrics,
        conditions: conditionsText(res),
      });
    }
    // integrate until the next reconcile; pods change only at reconciles, readiness in between
    const end = Math.min(t + spec.syncPeriodMs, spec.durationMs);
    podMs += pods.size * (end - t);
    for (let u = t; u < end; u += INTEGRATION_STEP_MS) {
      const dt = Math.min(INTEGRATION_STEP_MS, end - u);
      const l = u === t ? offered : load(u);
      offeredTotal += (l * dt) / 1000;
      if (finiteCap) {
        const c = pods.readyAt(t0 + u) * cap;
        if (l > c) {
          underMs += dt;
          unserved += ((l - c) * dt) / 1000;
        }
      }
    }
  }

  return {
    name: spec.name,
    hpa,
    startEpochMs: t0,
    syncPeriodMs: spec.syncPeriodMs,
    durationMs: spec.durationMs,
    startReplicas,
    capacityPerPod: cap,
    steps,
    events,
    finalStatus: status,
    summary: {
      durationMs: spec.durationMs,
      reconciles,
      podHours: podMs / 3_600_000,
      underProvisionedMinutes: finiteCap ? underMs / 60_000 : undefined,
      unservedTotal: finiteCap ? unserved : undefined,
      offeredTotal,
      peakReplicas: peak,
      minReplicasSeen: lowest,
      scaleUps,
      scaleDowns,
      scaleEvents: scaleUps + scaleDowns,
      warnings,
    },
  };
}

/** Decides, once per metric, where its readings come from; unknown inputs are errors naming the field. */
function planMetric(m: MetricSpec, i: number, w: WorkloadModel): MetricPlan {
  const where = `spec.hpa.spec.metrics[${i}]`;
  const custom = (name: string, fallback: MetricSource): { from: MetricSource; scale: number } =>
    w.metrics[name] ?? { from: fallback, scale: 1 };
  switch (m.type) {
    case "Resource":
    case "ContainerResource": {
      const res = m.type === "Resource" ? m.resource.name : m.containerResource.name;
      if (res !== "cpu" && res !== "memory")
        throw invalidInput(
          `${where}.${m.type === "Resource" ? "resource" : "containerResource"}.name`,
          `the simulator models the resources cpu and memory, not "${res}"`,
        );
      if (!w[res])
        throw invalidInput(
          `spec.workload.${res}`,
          `required because ${where} is a ${res} ${m.type} metric (set request, idle and perRequest)`,
        );
      return m.type === "Resource"
        ? { kind: "resource", resource: res }
        : { kind: "resource", resource: res, container: m.containerResource.container };
    }
    case "Pods":
      return { kind: "pods", ...custom(m.pods.metric.name, "servedPerPod") };
    case "Object":
      return { kind: "single", ...custom(m.object.metric.name, "offered") };
    case "External":
      return { kind: "single", ...custom(m.external.metric.name, "offered") };
  }
}

function containerNameOf(metrics: readonly MetricSpec[]): string {
  for (const m of metrics) if (m.type === "ContainerResource") return m.containerResource.container;
  return "app";
}

/** Value of a load-derived metric for one Ready pod, or in total. */
function derive(
  from: MetricSource,
  offered: number,
  served: number,
  perPodOffered: number,
  perPodServed: number,
): number {
  switch (from) {
    case "servedPerPod":
      return perPodServed;
    case "offeredPerPod":
      return perPodOffered;
    case "offered":
      return offered;
    case "served":
      return served;
    case "unserved":
      return offered - served;
  }
}

/** prometheus-adapter's conversion: `int64(v*1000)`, truncated toward zero. */
function adapterMilli(v: number): number {
  return Math.trunc(v * 1000);
}

/** metrics-server reports nano-cores/bytes; the HPA reads `MilliValue()`, which rounds up. */
function usageMilli(v: number): number {
  return Math.ceil(v - 1e-9);
}

function readMetric(
  plan: MetricPlan,
  w: WorkloadModel,
  list: readonly SimPod[],
  running: number,
  ready: number,
  now: number,
  offered: number,
  served: number,
  perPodOffered: number,
  perPodServed: number,
): MetricReading {
  const samples: MetricSample[] = [];
  switch (plan.kind) {
    case "resource": {
      const model = w[plan.resource]!;
      const busy = usageMilli(model.idleMilli + model.perRequestMilli * perPodServed);
      const idle = usageMilli(model.idleMilli);
      for (let p = 0; p < running; p++) {
        const value = p < ready ? busy : idle;
        samples.push(
          plan.container
            ? {
                pod: list[p]!.name,
                containers: [{ name: plan.container, usage: { [plan.resource]: value } }],
                timestamp: now,
                windowMs: RESOURCE_METRIC_WINDOW_MS,
              }
            : { pod: list[p]!.name, value, timestamp: now, windowMs: RESOURCE_METRIC_WINDOW_MS },
        );
      }
      return { samples };
    }
    case "pods": {
      const busy = adapterMilli(plan.scale * derive(plan.from, offered, served, perPodOffered, perPodServed));
      for (let p = 0; p < running; p++)
        samples.push({
          pod: list[p]!.name,
          value: p < ready ? busy : 0,
          timestamp: now,
          windowMs: CUSTOM_METRIC_WINDOW_MS,
        });
      return { samples };
    }
    case "single":
      return {
        samples: [
          {
            value: adapterMilli(plan.scale * derive(plan.from, offered, served, perPodOffered, perPodServed)),
            timestamp: now,
          },
        ],
      };
  }
}

/**
 * PodInfo objects as the engine wants them, built once per pod and lifecycle state and reused while the
 * pod stays in that state (the engine treats its input as read-only).
 */
class PodInfoCache {
  private readonly cache = new Map<string, { state: number; info: PodInfo }>();
  private lastKey = "";
  private lastList: PodInfo[] = [];

  constructor(
    private readonly container: string,
    private readonly requests: Record<string, number>,
  ) {}

  list(pods: readonly SimPod[], running: number, ready: number): PodInfo[] {
    const key = `${pods.length}/${running}/${ready}/${pods.length ? pods[pods.length - 1]!.name : ""}`;
    if (key === this.lastKey) return this.lastList;
    const out: PodInfo[] = [];
    for (let i = 0; i < pods.length; i++) {
      const p = pods[i]!;
      const st = i < ready ? 2 : i < running ? 1 : 0;
      let hit = this.cache.get(p.name);
      if (!hit || hit.state !== st) {
        hit = { state: st, info: this.build(p, st) };
        this.cache.set(p.name, hit);
      }
      out.push(hit.info);
    }
    if (this.cache.size > 4 * pods.length + 64) {
      const live = new Set(pods.map((p) => p.name));
      for (const name of this.cache.keys()) if (!live.has(name)) this.cache.delete(name);
    }
    this.lastKey = key;
    this.lastList = out;
    return out;
  }

  private build(p: SimPod, st: number): PodInfo {
    const containers = [{ name: this.container, requests: this.requests }];
    if (st === 0) return { name: p.name, phase: "Pending", containers };
    return {
      name: p.name,
      phase: "Running",
      ready: st === 2 ? "True" : "False",
      startTime: p.startMs,
      readyTransitionTime: st === 2 ? p.readyMs : p.startMs,
      containers,
    };
  }
}

/** The current value as the HPA computed it: percent for Utilization targets, units otherwise. */
function currentValueOf(p: ReconcileResult["metricProposals"][number], m: MetricSpec): number | undefined {
  const target =
    m.type === "Resource"
      ? m.resource.target
      : m.type === "ContainerResource"
        ? m.containerResource.target
        : undefined;
  if (target?.type === "Utilization") return p.utilization;
  if (p.rawAverage !== undefined) return p.rawAverage / 1000;
  if (p.value !== undefined) return p.value / 1000;
  return undefined;
}

function conditionsText(res: ReconcileResult): string {
  const get = (type: string) => res.conditions.find((c) => c.type === type);
  return ["AbleToScale", "ScalingActive", "ScalingLimited"]
    .map((type) => {
      const c = get(type);
      return c ? `${c.status}/${c.reason}` : "-";
    })
    .join(" ");
}
