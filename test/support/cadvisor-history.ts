/**
 * cAdvisor-shaped usage history as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`:
 * the series the kubelet's `/metrics/cadvisor` endpoint exposes for a workload's pods —
 * `container_cpu_usage_seconds_total` (a counter of CPU seconds) and `container_memory_working_set_bytes`
 * (a gauge) per container, plus, as cAdvisor does, the pause container (`container="POD"`) and the pod's
 * cgroup total (`container=""`), which a correct query must leave out.
 *
 * Deterministic: the usage shapes are functions of time, with hash-based noise (no randomness).
 */
import { hashUnit } from "../../src/core/sim/load.js";

/** Usage of one container: CPU in cores and working-set memory in bytes at Unix second `t` for pod `pod`. */
export interface CadvisorContainer {
  name: string;
  image?: string;
  cpu(t: number, pod: number): number;
  memory(t: number, pod: number): number;
}

/** One workload's pods in a namespace. */
export interface CadvisorWorkload {
  namespace: string;
  /** The scrape job label (default `kubelet`); two workloads with the same pods and another job duplicate them. */
  job?: string;
  pods: string[];
  containers: CadvisorContainer[];
}

export interface CadvisorHistoryOptions {
  workloads: CadvisorWorkload[];
  /** First and last sample time, Unix seconds. */
  startSec: number;
  endSec: number;
  /** Scrape interval in seconds (default 60). */
  stepSec?: number;
  /** Also write the pause-container and pod-cgroup series (default true). */
  cgroupSeries?: boolean;
}

/** A pod name as a Deployment's ReplicaSet makes it: `<name>-<10 chars>-<5 chars>`. */
export function deploymentPodName(deployment: string, index: number, seed = 1): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  const pick = (n: number, salt: number) =>
    Array.from(
      { length: n },
      (_, i) => alphabet[Math.floor(hashUnit(seed + salt, i) * alphabet.length)],
    ).join("");
  return `${deployment}-${pick(10, 0)}-${pick(5, 1000 + index)}`;
}

/**
 * A daily cycle: `mean` ± `amplitude` (cosine peaking at `peakHourUtc`) with ±`noise` (a share of the value)
 * of deterministic noise per pod and minute, never below 0.
 */
export function diurnal(mean: number, amplitude: number, peakHourUtc = 14, noise = 0.05, seed = 7) {
  return (t: number, pod: number): number => {
    const phase = ((t / 3600 - peakHourUtc) / 24) * 2 * Math.PI;
    const base = mean + amplitude * Math.cos(phase);
    const jitter = (hashUnit(seed + pod, Math.floor(t / 60)) * 2 - 1) * noise;
    return Math.max(0, base * (1 + jitter));
  };
}

interface Series {
  labels: string;
  container: string;
  pod: number;
  workload: CadvisorWorkload;
}

function labelsOf(w: CadvisorWorkload, pod: string, container: string, image: string): string {
  return `container="${container}",image="${image}",job="${w.job ?? "kubelet"}",namespace="${w.namespace}",pod="${pod}"`;
}

function seriesOf(opts: CadvisorHistoryOptions): Series[] {
  const out: Series[] = [];
  for (const w of opts.workloads)
    w.pods.forEach((pod, p) => {
      for (const c of w.containers)
        out.push({
          labels: labelsOf(w, pod, c.name, c.image ?? `registry.example/${c.name}:1`),
          container: c.name,
          pod: p,
          workload: w,
        });
      if (opts.cgroupSeries ?? true) {
        out.push({
          labels: labelsOf(w, pod, "POD", "registry.k8s.io/pause:3.9"),
          container: "POD",
          pod: p,
          workload: w,
        });
        out.push({ labels: labelsOf(w, pod, "", ""), container: "", pod: p, workload: w });
      }
    });
  return out;
}

/** Usage of a series at `t`: its container's, the pause container's (tiny), or the pod total. */
function usageAt(s: Series, kind: "cpu" | "memory", t: number): number {
  if (s.container === "POD") return kind === "cpu" ? 0.0001 : 450_000;
  const containers =
    s.container === "" ? s.workload.containers : s.workload.containers.filter((c) => c.name === s.container);
  let sum = s.container === "" ? usageAt({ ...s, container: "POD" }, kind, t) : 0;
  for (const c of containers) sum += kind === "cpu" ? c.cpu(t, s.pod) : c.memory(t, s.pod);
  return sum;
}

/** The OpenMetrics lines, in chunks (one per series and family), ending with `# EOF`. */
export function* cadvisorHistoryChunks(opts: CadvisorHistoryOptions): Generator<string> {
  const step = opts.stepSec ?? 60;
  const series = seriesOf(opts);
  yield "# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.\n";
  yield "# TYPE container_cpu_usage_seconds_total counter\n";
  for (const s of series) {
    const lines: string[] = [];
    let total = 0;
    for (let t = opts.startSec; t <= opts.endSec; t += step) {
      total += usageAt(s, "cpu", t) * step;
      lines.push(`container_cpu_usage_seconds_total{${s.labels}} ${total.toFixed(6)} ${t}`);
    }
    yield `${lines.join("\n")}\n`;
  }
  yield "# HELP container_memory_working_set_bytes Current working set in bytes.\n";
  yield "# TYPE container_memory_working_set_bytes gauge\n";
  for (const s of series) {
    const lines: string[] = [];
    for (let t = opts.startSec; t <= opts.endSec; t += step)
      lines.push(
        `container_memory_working_set_bytes{${s.labels}} ${Math.round(usageAt(s, "memory", t))} ${t}`,
      );
    yield `${lines.join("\n")}\n`;
  }
  yield "# EOF\n";
}

/** The whole history as one string (small histories: tests). */
export function cadvisorHistory(opts: CadvisorHistoryOptions): string {
  return [...cadvisorHistoryChunks(opts)].join("");
}
