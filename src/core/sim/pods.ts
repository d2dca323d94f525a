/**
 * The simulated pods of the scale target: created when the replica count rises, Running after the start-up
 * delay, Ready after the readiness delay, removed when it falls. Removal follows the ReplicaSet controller's
 * deletion order (pending before running, not-ready before ready, most recently ready first); with constant
 * delays that is always the newest pod, so the set is a stack whose ready times are sorted.
 */

/** One simulated pod; all times in ms of simulated time. */
export interface SimPod {
  readonly name: string;
  readonly createdMs: number;
  /** `status.startTime`: the pod leaves Pending. */
  readonly startMs: number;
  /** The Ready condition turns True (`lastTransitionTime`). */
  readonly readyMs: number;
}

/** Lifecycle state of a pod at an instant. */
export type PodState = "Pending" | "NotReady" | "Ready";

/** The pods of the target, oldest first. */
export class PodSet {
  private readonly list: SimPod[] = [];
  private seq = 0;
  private changes = 0;
  /** Count of pods with `readyMs <= t` for the last `t` asked, reused while nothing changes. */
  private cacheT = Number.NaN;
  private cacheReady = 0;

  constructor(
    private readonly namePrefix: string,
    private readonly startupDelayMs: number,
    private readonly readinessDelayMs: number,
  ) {}

  /** Adds `n` pods that have been Ready since long before the simulation (`sinceMs`). */
  seed(n: number, sinceMs: number): void {
    for (let i = 0; i < n; i++)
      this.list.push({ name: this.nextName(), createdMs: sinceMs, startMs: sinceMs, readyMs: sinceMs });
    this.cacheT = Number.NaN;
    this.changes++;
  }

  /** Creates `n` pods at `nowMs`. */
  create(n: number, nowMs: number): void {
    const startMs = nowMs + this.startupDelayMs;
    const readyMs = startMs + this.readinessDelayMs;
    for (let i = 0; i < n; i++) this.list.push({ name: this.nextName(), createdMs: nowMs, startMs, readyMs });
    this.cacheT = Number.NaN;
    this.changes++;
  }

  /** Deletes `n` pods, newest first (the ReplicaSet's deletion ranking for equal-age pods). */
  remove(n: number): void {
    this.list.length = Math.max(0, this.list.length - n);
    this.cacheT = Number.NaN;
    this.changes++;
  }

  /** Changes each time pods are added or removed (for caches keyed on the pod list). */
  get version(): number {
    return this.changes;
  }

  /** Number of pods (all phases). */
  get size(): number {
    return this.list.length;
  }

  /** The pods, oldest first. Do not mutate. */
  get all(): readonly SimPod[] {
    return this.list;
  }

  /** Pods that are Ready at `t` (binary search: ready times are sorted). */
  readyAt(t: number): number {
    if (t === this.cacheT) return this.cacheReady;
    const list = this.list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.readyMs <= t) lo = mid + 1;
      else hi = mid;
    }
    this.cacheT = t;
    this.cacheReady = lo;
    return lo;
  }

  /** Pods that are Running (started) at `t`. */
  runningAt(t: number): number {
    const list = this.list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.startMs <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The earliest ready or start transition strictly after `t`, or Infinity. */
  nextTransitionAfter(t: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const p = this.list[i]!;
      if (p.readyMs <= t) break;
      if (p.startMs > t && p.startMs < next) next = p.startMs;
      if (p.readyMs < next) next = p.readyMs;
    }
    return next;
  }

  private nextName(): string {
    this.seq++;
    return `${this.namePrefix}-${String(this.seq).padStart(4, "0")}`;
  }
}

/** The state of `pod` at `t`. */
export function podState(pod: SimPod, t: number): PodState {
  if (t < pod.startMs) return "Pending";
  return t < pod.readyMs ? "NotReady" : "Ready";
}
