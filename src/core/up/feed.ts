/**
 * The live record of a `tidescale up` run: what the dashboard draws and what `--export` writes.
 *
 * The run loop (src/adapters/up) publishes one `UpSample` per tick (every second) and an `UpEvent` for each
 * scaling decision, pod start/stop/crash and scenario phase. The feed keeps every record in order so a
 * browser that connects late, or an export after the scenario ended, sees the whole run. Pure: time is the
 * `t` the caller puts in each record (Unix milliseconds).
 */

/** One pod of the local workload at one tick. */
export interface UpPod {
  name: string;
  /** Loopback address the pod listens on, e.g. 127.0.1.3. */
  ip: string;
  phase: "Starting" | "Ready" | "Draining";
  /** The pod's metric value as the adapter serves it (e.g. http_requests_qps), undefined before the first scrape. */
  metric?: number;
}

/** The state of the whole path at one tick. */
export interface UpSample {
  kind: "sample";
  /** Unix milliseconds. */
  t: number;
  /** Requests per second the load generator scheduled over the last tick. */
  offeredRps: number;
  /** Requests per second answered 2xx over the last tick. */
  servedRps: number;
  /** Non-2xx answers and transport errors over the last tick. */
  errors: number;
  /** Latency quantiles of the requests answered in the last tick, in milliseconds (undefined without answers). */
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  /** The HPA's desired replicas (status.desiredReplicas) and current replicas (pods that exist). */
  desiredReplicas: number;
  currentReplicas: number;
  readyReplicas: number;
  /** The HPA's metric target (average value per pod), for drawing the target line. */
  target: number;
  pods: UpPod[];
}

/** An event on the time axis, like `kubectl get events`. */
export interface UpEvent {
  kind: "event";
  t: number;
  type: "Normal" | "Warning";
  /** e.g. SuccessfulRescale, PodStarted, PodReady, PodCrashed, PodRestarted, PodDrained, ScenarioPhase. */
  reason: string;
  /** The object the event is about, e.g. "hpa/sample-app" or "pod/sample-app-2". */
  object: string;
  message: string;
}

export type UpRecord = UpSample | UpEvent;

/** Facts about the run shown in the dashboard's header and kept in the export. */
export interface UpRunInfo {
  /** "local" (the project's own HPA engine) or "control-plane" (real kube-apiserver + kube-controller-manager). */
  mode: "local" | "control-plane";
  namespace: string;
  hpaName: string;
  metricName: string;
  minReplicas: number;
  maxReplicas: number;
  prometheusUrl: string;
  adapterUrl: string;
  /** Unix milliseconds when the run started. */
  startedAt: number;
}

/** What `tidescale up --export FILE` writes and the dashboard's "export" link returns. */
export interface UpExport {
  apiVersion: "tidescale.dev/up/v1";
  info: UpRunInfo;
  records: UpRecord[];
}

export type UpListener = (record: UpRecord) => void;

/** An append-only, ordered log of a run's records with subscribers. */
export class UpFeed {
  private readonly records: UpRecord[] = [];
  private readonly listeners = new Set<UpListener>();

  constructor(readonly info: UpRunInfo) {}

  /** Appends a record and hands it to every subscriber; a record older than the last one is refused. */
  publish(record: UpRecord): void {
    const last = this.records.at(-1);
    if (last !== undefined && record.t < last.t) {
      throw new RangeError(`up feed: record at ${record.t} is older than the last one (${last.t})`);
    }
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
  }

  /** Every record so far, in order (a copy). */
  history(): UpRecord[] {
    return [...this.records];
  }

  /** The newest sample, if any. */
  latestSample(): UpSample | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const record = this.records[i];
      if (record?.kind === "sample") return record;
    }
    return undefined;
  }

  /** Calls `listener` for every record published from now on; returns the unsubscribe function. */
  subscribe(listener: UpListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  export(): UpExport {
    return { apiVersion: "tidescale.dev/up/v1", info: this.info, records: this.history() };
  }
}
