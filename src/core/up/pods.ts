/**
 * The local workload of `tidescale up`: which pods exist, which to start and which to drain when the
 * replica count changes, and how they look to the HPA engine. Pure: times and ordinals are arguments.
 *
 * Each pod listens on its own loopback address 127.0.1.N (Linux routes all of 127.0.0.0/8 to `lo`), so
 * every pod uses the same port, as pods in a cluster do.
 */
import type { PodInfo } from "../hpa/index.js";

/** Addresses 127.0.1.1 .. 127.0.1.254. */
export const MAX_POD_ADDRESSES = 254;

export type LocalPodPhase = "Starting" | "Ready" | "Draining";

/** One local pod as the runner tracks it. */
export interface LocalPod {
  name: string;
  /** The number in the name (`sample-app-3` -> 3); never reused within a run, as pod names are unique. */
  ordinal: number;
  ip: string;
  phase: LocalPodPhase;
  /** When the pod was created (Unix ms): its `status.startTime`. */
  createdAt: number;
  /** When it last became Ready (Unix ms). */
  readyAt?: number;
  /** When draining started: the pod's `deletionTimestamp`. */
  drainingSince?: number;
  /** Process restarts after a crash. */
  restarts: number;
}

/** What a change of the replica count does: pods to start (name and address) and pods to drain. */
export interface ScalePlan {
  start: { name: string; ordinal: number; ip: string }[];
  drain: string[];
}

/** `127.0.1.N` for N in 1..254. */
export function podAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_POD_ADDRESSES)
    throw new RangeError(`pod address index ${n} outside 1..${MAX_POD_ADDRESSES}`);
  return `127.0.1.${n}`;
}

/** Pods that count as replicas (`scale.spec.replicas` counts them): all but the draining ones. */
export function activePods(pods: readonly LocalPod[]): LocalPod[] {
  return pods.filter((p) => p.phase !== "Draining");
}

/**
 * The order in which a ReplicaSet deletes pods on scale-down, reduced to what local pods have
 * (controller.ActivePods ranking): not-ready pods before ready ones, then the most recently ready, then
 * the newest.
 */
export function deletionOrder(pods: readonly LocalPod[]): LocalPod[] {
  return [...pods].sort((a, b) => {
    const ra = a.phase === "Ready" ? 1 : 0;
    const rb = b.phase === "Ready" ? 1 : 0;
    if (ra !== rb) return ra - rb;
    const ta = a.readyAt ?? 0;
    const tb = b.readyAt ?? 0;
    if (ta !== tb) return tb - ta;
    return b.ordinal - a.ordinal;
  });
}

/**
 * The plan that takes the active pods to `desired`: new pods get the next ordinals and the lowest free
 * addresses (a draining pod still holds its address), surplus pods are drained in deletion order.
 * Throws a RangeError when no address is left.
 */
export function scalePlan(
  pods: readonly LocalPod[],
  desired: number,
  nextOrdinal: number,
  baseName: string,
): ScalePlan {
  const active = activePods(pods);
  if (desired < active.length) {
    return {
      start: [],
      drain: deletionOrder(active)
        .slice(0, active.length - desired)
        .map((p) => p.name),
    };
  }
  const used = new Set(pods.map((p) => p.ip));
  const start: ScalePlan["start"] = [];
  let n = 1;
  for (let i = active.length; i < desired; i++) {
    while (n <= MAX_POD_ADDRESSES && used.has(podAddress(n))) n++;
    if (n > MAX_POD_ADDRESSES) throw new RangeError(`no free pod address left in 127.0.1.1-254`);
    const ordinal = nextOrdinal + start.length;
    start.push({ name: `${baseName}-${ordinal}`, ordinal, ip: podAddress(n) });
    used.add(podAddress(n));
  }
  return { start, drain: [] };
}

/** The pods as the HPA controller's informer lists them (one container without requests). */
export function podInfos(pods: readonly LocalPod[], labels: Record<string, string>): PodInfo[] {
  return pods.map((p) => {
    const info: PodInfo = {
      name: p.name,
      phase: "Running",
      ready: p.phase === "Ready" ? "True" : "False",
      startTime: p.createdAt,
      labels,
      containers: [{ name: "app", requests: {} }],
    };
    if (p.readyAt !== undefined) info.readyTransitionTime = p.readyAt;
    if (p.drainingSince !== undefined) info.deletionTimestamp = p.drainingSince;
    return info;
  });
}
