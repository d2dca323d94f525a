/**
 * The local kubelet of `tidescale up`: runs each pod as a `tidescale sample-app` process on its own
 * loopback address, probes readiness after a delay, restarts a pod whose process crashes (with an event),
 * and on scale-down drains a pod before stopping it: out of the Service's endpoints first, then its
 * in-flight requests finish, then (hook) Prometheus scrapes its final counters, then SIGTERM.
 * The decisions (names, addresses, which pods to drain) are core/up/pods.ts.
 */
import { type LocalPod, scalePlan } from "../../core/up/pods.js";
import { type Child, spawnChild, stopChild } from "./children.js";

export interface PodEvent {
  type: "Normal" | "Warning";
  reason: string;
  object: string;
  message: string;
}

export interface PodRunnerOptions {
  /** Command line that runs `tidescale` (see selfCommand). */
  cli: readonly string[];
  baseName: string;
  namespace: string;
  port: number;
  /** Wait after the process starts before the first readiness probe (initialDelaySeconds). */
  readinessDelayMs: number;
  /** sample-app flags: per-request service time, concurrency, queue. */
  serviceTime: string;
  capacity: number;
  queue: number;
  now: () => number;
  onEvent: (e: PodEvent) => void;
  /** Called after every change of the pod set or of a pod's phase. */
  onChange: () => void;
  /** Resolves when the Service has no request in flight to `pod` (the pod is already out of its endpoints). */
  waitIdle: (pod: LocalPod) => Promise<void>;
  /** Runs after the in-flight requests finished and before SIGTERM (e.g. wait for a final scrape). */
  beforeStop?: (pod: LocalPod) => Promise<void>;
}

interface Running {
  pod: LocalPod;
  child: Child | undefined;
  /** Set once the pod is being removed: a process exit is then expected. */
  stopping: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

const PROBE_EVERY_MS = 250;
const STOP_GRACE_MS = 10_000;
const MAX_BACKOFF_MS = 10_000;

export class PodRunner {
  private readonly running = new Map<string, Running>();
  private readonly removals = new Set<Promise<void>>();
  private nextOrdinal = 1;
  private closed = false;

  constructor(private readonly o: PodRunnerOptions) {}

  /** Every pod, draining ones included (copies). */
  pods(): LocalPod[] {
    return [...this.running.values()].map((r) => ({ ...r.pod }));
  }

  /** Starts or drains pods so that `n` pods are not draining. */
  scaleTo(n: number): void {
    if (this.closed) return;
    const plan = scalePlan(this.pods(), n, this.nextOrdinal, this.o.baseName);
    for (const s of plan.start) {
      this.nextOrdinal = s.ordinal + 1;
      const pod: LocalPod = {
        name: s.name,
        ordinal: s.ordinal,
        ip: s.ip,
        phase: "Starting",
        createdAt: this.o.now(),
        restarts: 0,
      };
      const r: Running = { pod, child: undefined, stopping: false, backoffMs: 1000, timer: undefined };
      this.running.set(pod.name, r);
      this.launch(r);
    }
    for (const name of plan.drain) {
      const r = this.running.get(name);
      if (r) this.track(this.remove(r));
    }
    this.o.onChange();
  }

  /** Stops every pod (drained when `drain`, else just SIGTERM) and waits until all processes exited. */
  async stopAll(drain: boolean): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) {
      if (!r.stopping) this.track(drain ? this.remove(r) : this.kill(r));
    }
    while (this.removals.size > 0) await Promise.all([...this.removals]);
  }

  private track(p: Promise<void>): void {
    this.removals.add(p);
    void p.finally(() => this.removals.delete(p));
  }

  private event(type: PodEvent["type"], reason: string, pod: LocalPod, message: string): void {
    this.o.onEvent({ type, reason, object: `pod/${pod.name}`, message });
  }

  private launch(r: Running): void {
    const { pod } = r;
    const o = this.o;
    const child = spawnChild(
      o.cli[0]!,
      [
        ...o.cli.slice(1),
        "sample-app",
        "--address",
        pod.ip,
        "--port",
        String(o.port),
        "--service-time",
        o.serviceTime,
        "--capacity",
        String(o.capacity),
        "--queue",
        String(o.queue),
      ],
      { ...process.env, POD_NAME: pod.name, POD_NAMESPACE: o.namespace },
    );
    r.child = child;
    this.event(
      "Normal",
      pod.restarts === 0 ? "PodStarted" : "PodRestarted",
      pod,
      `${pod.ip}:${o.port}${pod.restarts > 0 ? ` (restart ${pod.restarts})` : ""}`,
    );
    void child.exited.then((code) => this.exited(r, child, code));
    void this.probe(r, child);
  }

  /** Readiness: first probe after the delay, then every 250 ms until /readyz answers 200. */
  private async probe(r: Running, child: Child): Promise<void> {
    await new Promise((res) => setTimeout(res, this.o.readinessDelayMs));
    const url = `http://${r.pod.ip}:${this.o.port}/readyz`;
    while (r.child === child && !r.stopping && child.proc.exitCode === null) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        async (res) => {
          await res.arrayBuffer();
          return res.ok;
        },
        () => false,
      );
      if (ok && r.child === child && !r.stopping) {
        r.pod.phase = "Ready";
        r.pod.readyAt = this.o.now();
        r.backoffMs = 1000;
        this.event("Normal", "PodReady", r.pod, "readiness probe passed; added to the service's endpoints");
        this.o.onChange();
        return;
      }
      await new Promise((res) => setTimeout(res, PROBE_EVERY_MS));
    }
  }

  /** A process exit: expected while stopping, else a crash, restarted after a back-off. */
  private exited(r: Running, child: Child, code: number | string): void {
    if (r.stopping || r.child !== child || this.closed) return;
    const last = child.tail().trim().split("\n").at(-1) ?? "";
    r.pod.phase = "Starting";
    r.pod.restarts++;
    r.child = undefined;
    this.event(
      "Warning",
      "PodCrashed",
      r.pod,
      `process exited (${code})${last ? `: ${last.slice(0, 200)}` : ""}; restarting in ${r.backoffMs / 1000}s`,
    );
    this.o.onChange();
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (!r.stopping && !this.closed) this.launch(r);
    }, r.backoffMs);
    r.backoffMs = Math.min(MAX_BACKOFF_MS, r.backoffMs * 2);
  }

  /** Drain: out of the endpoints, in-flight requests finish, the hook, then SIGTERM. */
  private async remove(r: Running): Promise<void> {
    r.stopping = true;
    if (r.timer) clearTimeout(r.timer);
    const wasReady = r.pod.phase === "Ready";
    r.pod.phase = "Draining";
    r.pod.drainingSince = this.o.now();
    this.o.onChange();
    this.event(
      "Normal",
      "PodDraining",
      r.pod,
      "removed from the service's endpoints; waiting for requests in flight",
    );
    if (wasReady) {
      await this.o.waitIdle({ ...r.pod });
      await this.o.beforeStop?.({ ...r.pod });
    }
    if (r.child) await stopChild(r.child, STOP_GRACE_MS);
    this.running.delete(r.pod.name);
    this.event("Normal", "PodDrained", r.pod, "requests in flight finished; process stopped");
    this.o.onChange();
  }

  /** Stop without draining (Ctrl-C): SIGTERM (the app still finishes its own in-flight requests). */
  private async kill(r: Running): Promise<void> {
    r.stopping = true;
    if (r.timer) clearTimeout(r.timer);
    if (r.child) await stopChild(r.child, STOP_GRACE_MS);
    this.running.delete(r.pod.name);
  }
}
