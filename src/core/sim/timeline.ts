/**
 * The per-reconcile record of a simulation, kept in growable typed columns so that a month of reconciles
 * retains no per-step objects (and none of the engine's result objects): the garbage collector would
 * otherwise spend more time promoting them than the simulator spends simulating.
 */
import type { Condition, MetricSpec, MetricStatus, MetricValueStatus } from "../hpa/index.js";
import { tryParseQuantity } from "../quantity/quantity.js";

/** One reconcile as the timeline records it (materialized on demand from the columns). */
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
  /** Per spec metric: its replica proposal (undefined when the metric failed or was not evaluated). */
  readonly proposals: readonly (number | undefined)[];
  /**
   * Per spec metric: the current value as `status.currentMetrics` reports it (and TARGETS prints it):
   * the percent for Utilization targets, else the average or value in units. Undefined when it failed.
   */
  readonly values: readonly (number | undefined)[];
  /** `status/reason` of AbleToScale, ScalingActive and ScalingLimited (`-` when unset), space-separated. */
  readonly conditions: string;
}

/** Whether spec metric `m` has a Utilization target (its current value is a percent). */
export function isUtilization(m: MetricSpec): boolean {
  return (
    (m.type === "Resource" && m.resource.target.type === "Utilization") ||
    (m.type === "ContainerResource" && m.containerResource.target.type === "Utilization")
  );
}

/** The `current` block of a status entry for spec metric `m`. */
export function currentOf(m: MetricSpec, st: MetricStatus | undefined): MetricValueStatus | undefined {
  switch (m.type) {
    case "Resource":
      return st?.resource?.current;
    case "ContainerResource":
      return st?.containerResource?.current;
    case "Pods":
      return st?.pods?.current;
    case "Object":
      return st?.object?.current;
    case "External":
      return st?.external?.current;
  }
}

const DECIMAL_EXP: Record<string, number> = { m: 0, "": 3, k: 6, M: 9, G: 12, T: 15, P: 18, E: 21 };
const CANONICAL = /^(-?\d{1,15})(m|k|M|G|T|P|E)?$/;

/**
 * Milli-units of a status quantity. The engine prints `NewMilliQuantity(...)` canonically (`41200m`,
 * `50`, `2k`), which this reads without the general parser; anything else goes through it.
 */
export function statusMilli(text: string): number {
  const m = CANONICAL.exec(text);
  if (m) {
    const v = Number(m[1]) * 10 ** DECIMAL_EXP[m[2] ?? ""]!;
    if (Number.isSafeInteger(v)) return v;
  }
  const q = tryParseQuantity(text);
  return q.ok ? q.value.milliValue() : Number.NaN;
}

/** `status/reason` of the three HPA conditions, in a fixed order. */
export function conditionsText(conditions: readonly Condition[]): string {
  let out = "";
  for (const type of ["AbleToScale", "ScalingActive", "ScalingLimited"]) {
    const c = conditions.find((x) => x.type === type);
    out += `${out ? " " : ""}${c ? `${c.status}/${c.reason}` : "-"}`;
  }
  return out;
}

/** Growable columns, one row per reconcile. */
export class Timeline {
  length = 0;
  tMs = new Float64Array(64);
  load = new Float64Array(64);
  served = new Float64Array(64);
  capacity = new Float64Array(64);
  readyPods = new Int32Array(64);
  pods = new Int32Array(64);
  currentReplicas = new Int32Array(64);
  desiredReplicas = new Int32Array(64);
  replicas = new Int32Array(64);
  /** Row-major `[row * metrics + i]`: the proposal, or -1. */
  proposals: Int32Array;
  /** Row-major: the percent (Utilization) or milli-units as the status reports, or NaN. */
  values: Float64Array;
  /** Condition texts; consecutive equal texts share one string. */
  conditions: string[] = [];
  private lastConditions: readonly Condition[] = [];
  private lastConditionsText = "";
  private readonly lastText: (string | undefined)[];
  private readonly lastMilli: number[];
  private readonly utilization: boolean[];

  constructor(private readonly specs: readonly MetricSpec[]) {
    this.proposals = new Int32Array(64 * Math.max(1, specs.length));
    this.values = new Float64Array(64 * Math.max(1, specs.length));
    this.lastText = specs.map(() => undefined);
    this.lastMilli = specs.map(() => Number.NaN);
    this.utilization = specs.map(isUtilization);
  }

  /** Number of spec metrics per row. */
  get metrics(): number {
    return this.specs.length;
  }

  /** Appends one reconcile. */
  push(
    tMs: number,
    load: number,
    served: number,
    capacity: number,
    readyPods: number,
    pods: number,
    currentReplicas: number,
    desiredReplicas: number,
    replicas: number,
    proposals: readonly { valid: boolean; replicas?: number }[],
    statuses: readonly MetricStatus[],
    conditions: readonly Condition[],
  ): void {
    if (this.length === this.tMs.length) this.grow();
    const k = this.length++;
    this.tMs[k] = tMs;
    this.load[k] = load;
    this.served[k] = served;
    this.capacity[k] = capacity;
    this.readyPods[k] = readyPods;
    this.pods[k] = pods;
    this.currentReplicas[k] = currentReplicas;
    this.desiredReplicas[k] = desiredReplicas;
    this.replicas[k] = replicas;
    const n = this.specs.length;
    for (let i = 0; i < n; i++) {
      const p = proposals[i];
      this.proposals[k * n + i] = p?.valid && p.replicas !== undefined ? p.replicas : -1;
      const cur = currentOf(this.specs[i]!, statuses[i]);
      let v = Number.NaN;
      if (cur) {
        if (this.utilization[i]) v = cur.averageUtilization ?? Number.NaN;
        else {
          const text = cur.averageValue ?? cur.value;
          if (text !== undefined) {
            if (text !== this.lastText[i]) {
              this.lastText[i] = text;
              this.lastMilli[i] = statusMilli(text);
            }
            v = this.lastMilli[i]!;
          }
        }
      }
      this.values[k * n + i] = v;
    }
    if (!sameEntries(conditions, this.lastConditions)) {
      const text = conditionsText(conditions);
      if (text !== this.lastConditionsText) this.lastConditionsText = text;
      this.lastConditions = conditions;
    }
    this.conditions.push(this.lastConditionsText);
  }

  /** Per metric: percent or milli-units of row `k` (NaN when the metric failed). */
  rawValue(k: number, i: number): number {
    return this.values[k * this.specs.length + i]!;
  }

  /** Row `k` as a {@link StepRecord}. */
  step(k: number): StepRecord {
    const n = this.specs.length;
    const proposals: (number | undefined)[] = [];
    const values: (number | undefined)[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.proposals[k * n + i]!;
      proposals.push(p < 0 ? undefined : p);
      const v = this.values[k * n + i]!;
      values.push(Number.isNaN(v) ? undefined : this.utilization[i] ? v : v / 1000);
    }
    return {
      tMs: this.tMs[k]!,
      load: this.load[k]!,
      served: this.served[k]!,
      capacity: this.capacity[k]!,
      readyPods: this.readyPods[k]!,
      pods: this.pods[k]!,
      currentReplicas: this.currentReplicas[k]!,
      desiredReplicas: this.desiredReplicas[k]!,
      replicas: this.replicas[k]!,
      proposals,
      values,
      conditions: this.conditions[k]!,
    };
  }

  private grow(): void {
    const size = this.tMs.length * 2;
    const f = (a: Float64Array, s = size) => {
      const b = new Float64Array(s);
      b.set(a);
      return b;
    };
    const g = (a: Int32Array, s = size) => {
      const b = new Int32Array(s);
      b.set(a);
      return b;
    };
    this.tMs = f(this.tMs);
    this.load = f(this.load);
    this.served = f(this.served);
    this.capacity = f(this.capacity);
    this.readyPods = g(this.readyPods);
    this.pods = g(this.pods);
    this.currentReplicas = g(this.currentReplicas);
    this.desiredReplicas = g(this.desiredReplicas);
    this.replicas = g(this.replicas);
    const n = Math.max(1, this.specs.length);
    this.proposals = g(this.proposals, size * n);
    this.values = f(this.values, size * n);
  }
}

function sameEntries(a: readonly Condition[], b: readonly Condition[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
