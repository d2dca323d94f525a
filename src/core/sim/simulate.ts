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
  ContainerUsage,
  ControllerConfig,
  HpaEvent,
  HpaObject,
  HpaState,
  HpaStatus,
  MetricReading,
  MetricSample,
  MetricSpec,
  PodInfo,
  ReconcileInput,
  ReconcileResult,
} from "../hpa/index.js";
import { reconcile as engineReconcile } from "../hpa/index.js";
import { suggest } from "../validation.js";
import type { LoadFunction } from "./load.js";
import { type StepRecord, Timeline } from "./timeline.js";

export type { StepRecord } from "./timeline.js";

import { PodSet, type SimPod } from "./pods.js";
import {
  checkRunLimits,
  type MetricModel,
  type MetricSource,
  type ScenarioSpec,
  SIM_LIMITS,
  type WorkloadModel,
} from "./scenario.js";

/** metrics-server's reporting window for resource metrics. */
const RESOURCE_METRIC_WINDOW_MS = 15_000;
/** The custom-metrics window the HPA assumes when an adapter reports none. */
const CUSTOM_METRIC_WINDOW_MS = 60_000;
/** Pods that exist at the start have been Ready this long (past the CPU initialization period). */
const SEED_AGE_MS = 3_600_000;

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
  /** One row per reconcile, in columns (empty with `recordSteps: false`). */
  readonly timeline: Timeline;
  /** The timeline as objects (built on first access). */
  readonly steps: readonly StepRecord[];
  readonly events: readonly SimEvent[];
  /**
   * Every change of the Ready pod count at its exact time (with a capacity model and step records),
   * for charts: capacity between reconciles follows pods becoming ready and being deleted.
   */
  readonly readyTrace: readonly { readonly tMs: number; readonly readyPods: number }[];
  /** Intervals `[from, to)` (ms) during which the offered load exceeded the Ready pods' capacity. */
  readonly underProvisioned: readonly (readonly [number, number])[];
  readonly summary: SimulationSummary;
  /** The HPA status the last reconcile wrote (undefined when the run had no reconcile). */
  readonly finalStatus: HpaStatus | undefined;
}

/** Knobs for callers that need less than a full record (benchmarks) or another engine. */
export interface SimulateOptions {
  /** Keep per-step records (default true). Summaries and events are always kept. */
  readonly recordSteps?: boolean;
  /** Called every 4096 reconciles with the simulated time reached (for progress displays). */
  readonly onProgress?: (tMs: number, durationMs: number) => void;
  /** The reconcile function (default: the engine in core/hpa). */
  readonly reconcile?: (input: ReconcileInput) => ReconcileResult;
  /** A controller that changes the HPA during the run and provides some metrics' values (EHPA). */
  readonly dynamic?: DynamicHpa;
}

/**
 * A controller around the HPA (the EHPA controller in the simulator): before each reconcile it may replace
 * the HPA spec (the managed HPA gains or loses metrics) and it provides the values of the metrics it serves
 * itself (External `tidescale_prediction` and `tidescale_cron`), keyed by {@link metricKey}.
 */
export interface DynamicHpa {
  /** Every metric the HPA may ever have, in order: the timeline's columns. */
  readonly allMetrics: readonly MetricSpec[];
  /** Called before the reconcile at epoch ms `now` with the replica count; returns the HPA to use now. */
  step(now: number, replicas: number): HpaObject;
  /** The value (in metric units) of a provided metric at the last `step`, or undefined when it has none. */
  value(key: string): number | undefined;
  /** Whether the controller provides the metric with this key. */
  provides(key: string): boolean;
}

/** Identity of a metric spec (for provided metrics and timeline columns). */
export function metricKey(m: MetricSpec): string {
  return JSON.stringify(m);
}

/** Per-metric derivation resolved once: what to read and how to turn load into a value. */
type MetricPlan =
  | { readonly kind: "resource"; readonly resource: "cpu" | "memory"; readonly container?: string }
  | { readonly kind: "pods"; readonly from: MetricSource; readonly scale: number; readonly windowMs: number }
  | {
      readonly kind: "single";
      readonly from: MetricSource;
      readonly scale: number;
      readonly windowMs: number;
    }
  | { readonly kind: "provided"; readonly key: string };

/**
 * Runs a scenario. `hpa` is the parsed HPA (`parseHpa`), `load` the offered-load function of simulated
 * time (`loadFunction`). Reconciles happen at t = 0, sync, 2·sync, … while t < duration.
 */
export function simulate(
  spec: ScenarioSpec,
  initialHpa: HpaObject,
  load: LoadFunction,
  options: SimulateOptions = {},
): SimulationRun {
  const reconcile = options.reconcile ?? engineReconcile;
  let hpa = initialHpa;
  const record = options.recordSteps ?? true;
  const w = spec.workload;
  const at = (path: string) => (spec.source ? `${spec.source}: ${path}` : path);
  checkRunLimits(spec);
  if (hpa.spec.maxReplicas > SIM_LIMITS.maxPods)
    throw invalidInput(
      spec.hpaFile !== undefined ? `${spec.hpaFile}: spec.maxReplicas` : at("spec.hpa.spec.maxReplicas"),
      `${hpa.spec.maxReplicas} is more pods than the simulator models (at most ${SIM_LIMITS.maxPods})`,
    );
  const dynamic = options.dynamic;
  const planAll = (h: HpaObject) =>
    h.spec.metrics.map((m, i): MetricPlan => {
      const key = metricKey(m);
      return dynamic?.provides(key) ? { kind: "provided", key } : planMetric(m, i, w, at);
    });
  let plans = planAll(hpa);
  const customNames = hpa.spec.metrics.flatMap((m) =>
    m.type === "Pods"
      ? [m.pods.metric.name]
      : m.type === "Object"
        ? [m.object.metric.name]
        : m.type === "External"
          ? [m.external.metric.name]
          : [],
  );
  for (const name of Object.keys(w.metrics))
    if (!customNames.includes(name)) {
      const hint = suggest(name, customNames);
      throw invalidInput(
        at(`spec.workload.metrics.${name}`),
        `the HPA has no Pods, Object or External metric named "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      );
    }
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
  const resolution = Math.min(spec.resolutionMs ?? spec.syncPeriodMs, spec.syncPeriodMs);
  const finiteCap = Number.isFinite(cap);

  let replicas = startReplicas;
  let state: HpaState = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
  let status: HpaStatus | undefined;
  const timeline = new Timeline(dynamic ? dynamic.allMetrics : hpa.spec.metrics);
  const columnsOf = (h: HpaObject) => {
    const keys = (dynamic ? dynamic.allMetrics : h.spec.metrics).map(metricKey);
    return h.spec.metrics.map((m) => keys.indexOf(metricKey(m)));
  };
  let columns = columnsOf(hpa);
  const width = (dynamic ? dynamic.allMetrics : hpa.spec.metrics).length;
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
  const readyTrace: { tMs: number; readyPods: number }[] = [];
  const underSpans: [number, number][] = [];
  let lastReady = -1;
  let metrics: (MetricReading | undefined)[] = new Array(plans.length);
  let readers = plans.map((plan) => new MetricReader(plan, w, spec.syncPeriodMs, dynamic));

  for (let t = 0; t < spec.durationMs; t += spec.syncPeriodMs) {
    const now = t0 + t;
    if (dynamic) {
      const next = dynamic.step(now, replicas);
      if (next !== hpa) {
        hpa = next;
        plans = planAll(hpa);
        readers = plans.map((plan) => new MetricReader(plan, w, spec.syncPeriodMs, dynamic));
        metrics = new Array(plans.length);
        columns = columnsOf(hpa);
      }
    }
    const offered = load(t);
    const ready = pods.readyAt(now);
    const running = pods.runningAt(now);
    const perPodOffered = ready > 0 ? offered / ready : 0;
    const perPodServed = Math.min(perPodOffered, cap);
    const served = perPodServed * ready;
    const list = pods.all;
    const podCount = list.length;
    for (let i = 0; i < plans.length; i++)
      metrics[i] = readers[i]!.read(pods, running, ready, now, offered, served, perPodOffered, perPodServed);
    const input: ReconcileInput = {
      hpa,
      now,
      currentReplicas: replicas,
      pods: podInfos.list(list, pods.version, running, ready),
      metrics,
      state,
      config,
      explain: false,
      ...(status ? { status } : {}),
    };
    const res = reconcile(input);
    reconciles++;
    if (options.onProgress && (reconciles & 4095) === 0) options.onProgress(t, spec.durationMs);
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
    if (record)
      timeline.push(
        t,
        offered,
        served,
        ready * cap,
        ready,
        podCount,
        before,
        res.desiredReplicas,
        replicas,
        dynamic ? spread(res.metricProposals, columns, width) : res.metricProposals,
        dynamic ? spread(res.currentMetrics, columns, width) : res.currentMetrics,
        res.conditions,
      );
    // Integrate until the next reconcile: the load is sampled every `resolution` and held; pods change
    // only at reconciles, and their start/ready transitions in between are taken at their exact times.
    const end = Math.min(t + spec.syncPeriodMs, spec.durationMs);
    podMs += pods.size * (end - t);
    for (let a = t; a < end; a += resolution) {
      const b = Math.min(a + resolution, end);
      const l = a === t ? offered : load(a);
      offeredTotal += (l * (b - a)) / 1000;
      if (!finiteCap) continue;
      for (let u = a; u < b; ) {
        const next = Math.min(b, pods.nextTransitionAfter(t0 + u) - t0);
        const ready = pods.readyAt(t0 + u);
        const c = ready * cap;
        if (l > c) {
          underMs += next - u;
          unserved += ((l - c) * (next - u)) / 1000;
          if (record) {
            const last = underSpans[underSpans.length - 1];
            if (last && last[1] === u) last[1] = next;
            else underSpans.push([u, next]);
          }
        }
        if (record && ready !== lastReady) {
          readyTrace.push({ tMs: u, readyPods: ready });
          lastReady = ready;
        }
        u = next;
      }
    }
  }

  let materialized: StepRecord[] | undefined;
  return {
    name: spec.name,
    // The report's columns follow the timeline: with a controller, every metric the HPA may have had.
    hpa: dynamic ? { ...hpa, spec: { ...hpa.spec, metrics: [...dynamic.allMetrics] } } : hpa,
    startEpochMs: t0,
    syncPeriodMs: spec.syncPeriodMs,
    durationMs: spec.durationMs,
    startReplicas,
    capacityPerPod: cap,
    timeline,
    get steps(): readonly StepRecord[] {
      if (!materialized) materialized = Array.from({ length: timeline.length }, (_, k) => timeline.step(k));
      return materialized;
    },
    events,
    readyTrace,
    underProvisioned: underSpans,
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

/** Per-metric entries of the current HPA placed at their timeline columns (others undefined). */
function spread<T>(items: readonly T[], columns: readonly number[], width: number): T[] {
  const out = new Array<T>(width);
  for (let i = 0; i < items.length; i++) if (columns[i]! >= 0) out[columns[i]!] = items[i]!;
  return out;
}

/** Decides, once per metric, where its readings come from; unknown inputs are errors naming the field. */
function planMetric(m: MetricSpec, i: number, w: WorkloadModel, at: (path: string) => string): MetricPlan {
  const where = `spec.hpa.spec.metrics[${i}]`;
  const custom = (name: string, fallback: MetricSource): MetricModel =>
    w.metrics[name] ?? { from: fallback, scale: 1, windowMs: 0 };
  switch (m.type) {
    case "Resource":
    case "ContainerResource": {
      const res = m.type === "Resource" ? m.resource.name : m.containerResource.name;
      if (res !== "cpu" && res !== "memory")
        throw invalidInput(
          at(`${where}.${m.type === "Resource" ? "resource" : "containerResource"}.name`),
          `the simulator models the resources cpu and memory, not "${res}"`,
        );
      if (!w[res])
        throw invalidInput(
          at(`spec.workload.${res}`),
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

/** int64 bounds as doubles (2^63): where quantities saturate. */
const INT64_BOUND = 2 ** 63;

/**
 * prometheus-adapter's conversion: `int64(v*1000)`, truncated toward zero. Saturates at the int64 bounds
 * (Go's out-of-range conversion is undefined), so the engine never sees a value no quantity can hold.
 */
function adapterMilli(v: number): number {
  const m = Math.trunc(v * 1000);
  return Math.max(-INT64_BOUND, Math.min(m, INT64_BOUND));
}

/** metrics-server reports nano-cores/bytes; the HPA reads `MilliValue()`, which rounds up (saturating). */
function usageMilli(v: number): number {
  const m = Math.ceil(v - 1e-9);
  return Math.min(m, INT64_BOUND);
}

/** The per-step numbers every pod sample of one metric reads from. */
interface SampleCell {
  now: number;
  ready: number;
  busy: number;
  idle: number;
}

/**
 * One pod's sample as a view on the metric's {@link SampleCell}: a Ready pod (slot below `ready`) reports
 * `busy`, a Running but not Ready one `idle`. Updating the cell once per reconcile updates every pod's
 * sample, so a step costs O(1) here instead of O(pods). The engine only reads its input.
 */
class PodSample implements MetricSample {
  constructor(
    readonly pod: string,
    private readonly slot: number,
    private readonly cell: SampleCell,
    readonly windowMs: number,
  ) {}
  get value(): number {
    return this.slot < this.cell.ready ? this.cell.busy : this.cell.idle;
  }
  get timestamp(): number {
    return this.cell.now;
  }
}

/** A ContainerResource sample: the same view, under `containers[0].usage[resource]`. */
class ContainerSample implements MetricSample {
  readonly containers: ContainerUsage[];
  constructor(
    readonly pod: string,
    slot: number,
    private readonly cell: SampleCell,
    readonly windowMs: number,
    container: string,
    resource: string,
  ) {
    const usage: Record<string, number> = {};
    Object.defineProperty(usage, resource, {
      enumerable: true,
      get: () => (slot < cell.ready ? cell.busy : cell.idle),
    });
    this.containers = [{ name: container, usage }];
  }
  get timestamp(): number {
    return this.cell.now;
  }
}

/** Produces one metric's reading each reconcile, reusing the sample list while the pods stay the same. */
class MetricReader {
  private readonly cell: SampleCell = { now: 0, ready: 0, busy: 0, idle: 0 };
  private samples: MetricSample[] = [];
  private version = -1;
  private running = -1;
  private readonly single: MetricSample = { value: 0, timestamp: 0 };
  /** Ring of the last values for windowed metrics (`window / syncPeriod` reconciles). */
  private readonly ring: Float64Array;
  private ringNext = 0;
  private ringFill = 0;

  constructor(
    private readonly plan: MetricPlan,
    private readonly w: WorkloadModel,
    syncPeriodMs: number,
    private readonly dynamic?: DynamicHpa,
  ) {
    const windowMs = plan.kind === "resource" || plan.kind === "provided" ? 0 : plan.windowMs;
    this.ring = new Float64Array(Math.max(1, Math.round(windowMs / syncPeriodMs)));
  }

  /** The mean of `v` and the previous values within the window (just `v` without a window). */
  private windowed(v: number): number {
    const ring = this.ring;
    if (ring.length === 1) return v;
    ring[this.ringNext] = v;
    this.ringNext = (this.ringNext + 1) % ring.length;
    if (this.ringFill < ring.length) this.ringFill++;
    let sum = 0;
    for (let i = 0; i < this.ringFill; i++) sum += ring[i]!;
    return sum / this.ringFill;
  }

  read(
    pods: PodSet,
    running: number,
    ready: number,
    now: number,
    offered: number,
    served: number,
    perPodOffered: number,
    perPodServed: number,
  ): MetricReading | undefined {
    const plan = this.plan;
    if (plan.kind === "provided") {
      const v = this.dynamic?.value(plan.key);
      if (v === undefined || !Number.isFinite(v)) return undefined;
      this.single.value = adapterMilli(v);
      this.single.timestamp = now;
      return { samples: [this.single] };
    }
    if (plan.kind === "single") {
      this.single.value = adapterMilli(
        this.windowed(plan.scale * derive(plan.from, offered, served, perPodOffered, perPodServed)),
      );
      this.single.timestamp = now;
      return { samples: [this.single] };
    }
    const cell = this.cell;
    cell.now = now;
    cell.ready = ready;
    if (plan.kind === "resource") {
      const model = this.w[plan.resource]!;
      cell.busy = usageMilli(model.idleMilli + model.perRequestMilli * perPodServed);
      cell.idle = usageMilli(model.idleMilli);
    } else {
      cell.busy = adapterMilli(
        this.windowed(plan.scale * derive(plan.from, offered, served, perPodOffered, perPodServed)),
      );
      cell.idle = 0;
    }
    if (pods.version !== this.version || running !== this.running) {
      const list = pods.all;
      const samples: MetricSample[] = [];
      for (let p = 0; p < running; p++) {
        const name = list[p]!.name;
        samples.push(
          plan.kind === "pods"
            ? new PodSample(name, p, cell, CUSTOM_METRIC_WINDOW_MS)
            : plan.container
              ? new ContainerSample(name, p, cell, RESOURCE_METRIC_WINDOW_MS, plan.container, plan.resource)
              : new PodSample(name, p, cell, RESOURCE_METRIC_WINDOW_MS),
        );
      }
      this.samples = samples;
      this.version = pods.version;
      this.running = running;
    }
    return { samples: this.samples };
  }
}

/**
 * PodInfo objects as the engine wants them, built once per pod and lifecycle state and reused while the
 * pod stays in that state (the engine treats its input as read-only).
 */
class PodInfoCache {
  private readonly cache = new Map<string, { state: number; info: PodInfo }>();
  private lastVersion = -1;
  private lastRunning = -1;
  private lastReady = -1;
  private lastList: PodInfo[] = [];

  constructor(
    private readonly container: string,
    private readonly requests: Record<string, number>,
  ) {}

  list(pods: readonly SimPod[], version: number, running: number, ready: number): PodInfo[] {
    if (version === this.lastVersion && running === this.lastRunning && ready === this.lastReady)
      return this.lastList;
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
    this.lastVersion = version;
    this.lastRunning = running;
    this.lastReady = ready;
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
