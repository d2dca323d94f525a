/**
 * The HPA recommendation, replayed through the simulator (core/sim, the exact HPA engine) on the same
 * history before it is shown, beside the workload's current settings and Crane's proposal.
 *
 * Ours:
 * - reaction time R = sync period + the metric window (15 s) + pod start-up: how long the HPA needs before
 *   a new pod serves;
 * - rise = the `risePercentile` of max(load over the next R) ÷ load now over the history: how much the
 *   workload grows before new pods can help;
 * - target = 1 ÷ ((1 + tolerance) × rise) of a pod's capacity, clamped to [minTarget, maxTarget], so that
 *   pods sitting just inside the tolerance absorb that rise;
 * - minReplicas = pods that serve the 5th-percentile load grown by the rise, at least the floor;
 * - maxReplicas = pods at the target for the observed peak plus `peakHeadroom`;
 * - behavior: Kubernetes' scale-up policies written out, scale-down stabilization from the policy.
 * The replay then checks it: when it under-provisions more than the current settings, the target is lowered
 * by 10 points (up to twice) and the best candidate is kept.
 */
import { ToolkitError } from "../errors.js";
import { defaultScaleDownPolicies, defaultScaleUpPolicies } from "../hpa/behavior.js";
import { parseHpa } from "../hpa/spec.js";
import type { SeriesPoint } from "../series/csv.js";
import { loadFunction } from "../sim/load.js";
import type { ScenarioSpec, WorkloadModel } from "../sim/scenario.js";
import { simulate } from "../sim/simulate.js";
import { coverage, evidenceOf, sufficiency, weightedQuantile } from "./series.js";
import type {
  Abstention,
  Evidence,
  HpaPolicy,
  HpaProposal,
  HpaRecommendation,
  RecommendPolicy,
  ReplayResult,
} from "./types.js";

/** metrics-server's resource-metric window, part of the reaction time. */
const METRIC_WINDOW_MS = 15_000;

/** What the HPA scales on in the replay. */
export type ReplayMetric =
  /** CPU utilization of the per-pod request; the load is the workload's CPU usage in cores. */
  | { readonly kind: "cpu"; readonly requestMilli: number }
  /** A Pods metric that each pod reports as the load it serves (requests per second). */
  | { readonly kind: "pods"; readonly name: string };

/** The workload as the replay sees it. */
export interface ReplayModel {
  /** Offered load over time (ms since the epoch, ascending): CPU cores, or requests per second. */
  readonly load: readonly SeriesPoint[];
  readonly stepMs: number;
  /** Load one Ready pod serves; more load than Ready pods × capacity is under-provisioning. */
  readonly capacityPerPod: number;
  readonly metric: ReplayMetric;
  readonly scaleTargetRef: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  readonly namespace: string;
  readonly hpaName: string;
}

/** Crane's inputs (its replicas figure and CPU percentiles); CPU models only. */
export interface CraneHpaInput {
  readonly minReplicas: number;
  /** Sum over containers of the per-pod P99 CPU (cores), Crane's percentile model. */
  readonly perPodP99: number;
  /** P95 of the workload's total CPU (cores). */
  readonly p95Total: number;
}

/** Everything the HPA recommender needs. */
export interface HpaInput {
  readonly model: ReplayModel;
  /** The settings to compare with: the current HPA, or fixed replicas as an HPA with min = max. */
  readonly current: { readonly description: string; readonly object: Record<string, unknown> };
  readonly crane?: CraneHpaInput;
  /** Data to replay on when it differs from the data sized from (a held-out period); default `model`. */
  readonly replayOn?: ReplayModel;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
}

/** Kubernetes' default scale-up (written out) and the policy's scale-down stabilization. */
export function recommendedBehavior(p: HpaPolicy): Record<string, unknown> {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: defaultScaleUpPolicies(),
    },
    scaleDown: {
      stabilizationWindowSeconds: Math.round(p.scaleDownStabilizationMs / 1000),
      selectPolicy: "Max",
      policies: defaultScaleDownPolicies(),
    },
  };
}

/** The metric entry of an HPA at `target` (percent of the request, or the per-pod value). */
export function metricEntry(metric: ReplayMetric, target: number): Record<string, unknown> {
  return metric.kind === "cpu"
    ? {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: target } },
      }
    : {
        type: "Pods",
        pods: {
          metric: { name: metric.name },
          target: { type: "AverageValue", averageValue: String(target) },
        },
      };
}

/** An autoscaling/v2 HPA object for the model. */
export function hpaObject(
  model: ReplayModel,
  minReplicas: number,
  maxReplicas: number,
  target: number,
  behavior: Record<string, unknown> | undefined,
): Record<string, unknown> {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: model.hpaName, namespace: model.namespace },
    spec: {
      scaleTargetRef: { ...model.scaleTargetRef },
      minReplicas,
      maxReplicas,
      metrics: [metricEntry(model.metric, target)],
      ...(behavior ? { behavior } : {}),
    },
  };
}

function workloadModel(model: ReplayModel, p: HpaPolicy): WorkloadModel {
  const base = { capacityPerPod: model.capacityPerPod, startupDelayMs: p.podStartupMs, readinessDelayMs: 0 };
  return model.metric.kind === "cpu"
    ? {
        ...base,
        cpu: { requestMilli: model.metric.requestMilli, idleMilli: 0, perRequestMilli: 1000 },
        metrics: {},
      }
    : { ...base, metrics: { [model.metric.name]: { from: "servedPerPod", scale: 1, windowMs: 0 } } };
}

/** Replays `object` over the model's load: under-provisioned minutes, pod-hours, peak replicas. */
export function replay(model: ReplayModel, object: Record<string, unknown>, p: HpaPolicy): ReplayResult {
  const first = model.load[0]!;
  const last = model.load[model.load.length - 1]!;
  const spec: ScenarioSpec = {
    name: "replay",
    durationMs: last.t - first.t + model.stepMs,
    syncPeriodMs: p.syncPeriodMs,
    startReplicas: undefined,
    startEpochMs: first.t,
    controller: {
      tolerance: p.tolerance,
      cpuInitializationPeriodMs: 300_000,
      initialReadinessDelayMs: 30_000,
      downscaleStabilizationMs: 300_000,
    },
    workload: workloadModel(model, p),
    load: [],
  };
  const hpa = parseHpa(object, "hpa");
  const load = loadFunction([
    { kind: "csv", points: model.load, interpolation: "linear", scale: 1, offsetMs: 0, repeat: false },
  ]);
  const s = simulate(spec, hpa, load, { recordSteps: false }).summary;
  return {
    underProvisionedMinutes: s.underProvisionedMinutes ?? 0,
    podHours: s.podHours,
    peakReplicas: s.peakReplicas,
    scaleEvents: s.scaleEvents,
  };
}

/** The `q` quantile of max(load over the next `k` samples) ÷ load now, over samples with load above `floor`. */
export function riseRatio(values: readonly number[], k: number, q: number, floor: number): number {
  const ratios: number[] = [];
  for (let i = 0; i + 1 < values.length; i++) {
    const now = values[i]!;
    if (!(now > floor)) continue;
    let ahead = now;
    for (let j = i + 1; j <= Math.min(values.length - 1, i + k); j++) ahead = Math.max(ahead, values[j]!);
    ratios.push(ahead / now);
  }
  return ratios.length === 0 ? 1 : Math.max(1, weightedQuantile(ratios, q));
}

/** Target (percent of the request, or per-pod value) for a fraction of a pod's capacity. */
function targetOf(model: ReplayModel, fraction: number, p: HpaPolicy): number {
  if (model.metric.kind === "cpu") return Math.floor(fraction * p.saturationUtilization * 100 + 1e-9);
  const perPod = fraction * model.capacityPerPod;
  return perPod >= 10 ? Math.floor(perPod + 1e-9) : Math.floor(perPod * 100 + 1e-9) / 100;
}

/** Load one pod carries at `target`. */
function loadAtTarget(model: ReplayModel, target: number, p: HpaPolicy): number {
  if (model.metric.kind === "cpu") return (target / 100 / p.saturationUtilization) * model.capacityPerPod;
  return target;
}

interface Sized {
  minReplicas: number;
  maxReplicas: number;
  target: number;
}

function ours(
  model: ReplayModel,
  policy: RecommendPolicy,
): { sizes: Sized[]; rise: number; reactionMs: number } {
  const p = policy.hpa;
  const values = model.load.map((x) => x.v);
  const reactionMs = p.syncPeriodMs + METRIC_WINDOW_MS + p.podStartupMs;
  const k = Math.max(1, Math.ceil(reactionMs / model.stepMs));
  const median = weightedQuantile(values, 0.5);
  const rise = riseRatio(values, k, p.risePercentile, median * 0.05);
  const peak = Math.max(...values);
  const low = weightedQuantile(values, 0.05);
  const minReplicas = Math.max(p.minReplicasFloor, Math.ceil((low * rise) / model.capacityPerPod - 1e-9));
  const first = 1 / ((1 + p.tolerance) * rise);
  const sizes: Sized[] = [];
  for (const step of [0, 0.1, 0.2]) {
    const fraction = Math.min(p.maxTargetPercent / 100, Math.max(p.minTargetPercent / 100, first - step));
    const target = targetOf(model, fraction, p);
    if (sizes.some((s) => s.target === target) || !(target > 0)) continue;
    const perPod = loadAtTarget(model, target, p);
    const maxReplicas = Math.max(minReplicas + 1, Math.ceil((peak * (1 + p.peakHeadroom)) / perPod - 1e-9));
    sizes.push({ minReplicas, maxReplicas, target });
  }
  return { sizes, rise, reactionMs };
}

function proposal(
  model: ReplayModel,
  s: Sized,
  behavior: Record<string, unknown> | undefined,
  p: HpaPolicy,
  replayOn: ReplayModel = model,
): HpaProposal {
  const object = hpaObject(model, s.minReplicas, s.maxReplicas, s.target, behavior);
  return { ...s, behavior: behavior ?? {}, object, replay: replay(replayOn, object, p) };
}

function craneProposal(
  model: ReplayModel,
  c: CraneHpaInput,
  policy: RecommendPolicy,
  replayOn: ReplayModel,
): HpaProposal | undefined {
  if (model.metric.kind !== "cpu") return undefined;
  const ch = policy.hpa;
  const requestCores = model.metric.requestMilli / 1000;
  const target = Math.min(
    ch.maxTargetPercent,
    Math.max(ch.minTargetPercent, Math.ceil((100 * c.perPodP99 * 1.15) / requestCores - 1e-9)),
  );
  const maxReplicas = Math.max(
    c.minReplicas,
    Math.ceil((c.p95Total * (1 + ch.peakHeadroom)) / (requestCores * (target / 100)) - 1e-9),
  );
  return proposal(model, { minReplicas: c.minReplicas, maxReplicas, target }, undefined, ch, replayOn);
}

/** One line: which of under-provisioned minutes and pod-hours the recommendation improves. */
export function verdict(recommended: ReplayResult, current: ReplayResult): string {
  const cmp = (a: number, b: number) => (a < b - 1e-9 ? "fewer" : a > b + 1e-9 ? "more" : "the same");
  const under = cmp(recommended.underProvisionedMinutes, current.underProvisionedMinutes);
  const pods = cmp(recommended.podHours, current.podHours);
  const figures =
    `under-provisioned minutes ${current.underProvisionedMinutes.toFixed(1)} → ${recommended.underProvisionedMinutes.toFixed(1)}; ` +
    `pod-hours ${current.podHours.toFixed(1)} → ${recommended.podHours.toFixed(1)}`;
  if (under === "fewer" && pods === "fewer")
    return `fewer under-provisioned minutes and fewer pod-hours (${figures})`;
  if (under === "fewer") return `fewer under-provisioned minutes, at ${pods} pod-hours (${figures})`;
  if (pods === "fewer") return `fewer pod-hours, at ${under} under-provisioned minutes (${figures})`;
  return `no improvement over the current settings (${figures}): keep them`;
}

function notReplayable(e: unknown): Abstention {
  if (!(e instanceof ToolkitError)) throw e;
  return {
    abstain: true,
    reason: "not-replayable",
    message: `the replay refused the settings: ${e.oneLine()}`,
  };
}

/** The HPA recommendation for a replay model. */
export function recommendHpa(
  input: HpaInput,
  policy: RecommendPolicy,
  craneP: RecommendPolicy,
): HpaRecommendation {
  const { model } = input;
  const series = [{ pod: "workload", points: model.load }];
  const cov = coverage(series, model.stepMs, input.windowStartMs, input.windowEndMs);
  const no = sufficiency(cov, policy.data, "workload load", true);
  if (no) return no;
  try {
    const on = input.replayOn ?? model;
    const current = replay(on, input.current.object, policy.hpa);
    const { sizes, rise, reactionMs } = ours(model, policy);
    const behavior = recommendedBehavior(policy.hpa);
    const tried: HpaProposal[] = [];
    for (const s of sizes) {
      const c = proposal(model, s, behavior, policy.hpa, on);
      tried.push(c);
      if (c.replay.underProvisionedMinutes <= current.underProvisionedMinutes + 1e-9) break;
    }
    const best = tried.reduce((a, b) =>
      b.replay.underProvisionedMinutes < a.replay.underProvisionedMinutes - 1e-9 ? b : a,
    );
    const crane = input.crane ? craneProposal(model, input.crane, craneP, on) : undefined;
    const method =
      `reaction ${reactionMs / 1000}s; rise p${policy.hpa.risePercentile * 100} ×${+rise.toFixed(3)} → ` +
      `target ${best.target}${model.metric.kind === "cpu" ? " %" : " per pod"}, min ${best.minReplicas}, ` +
      `max ${best.maxReplicas}; replayed ${tried.length} candidate(s) over ` +
      (on === model ? `the same ${cov.samples} samples` : `${on.load.length} held-out samples`);
    const evidence: Evidence = evidenceOf(
      model.metric.kind === "cpu"
        ? "workload CPU usage (cores) as the replay's load"
        : `${model.metric.name} as the replay's load`,
      cov,
      method,
    );
    return {
      abstain: false,
      recommended: best,
      ...(crane ? { crane } : {}),
      current: { description: input.current.description, replay: current },
      verdict: verdict(best.replay, current),
      evidence,
    };
  } catch (e) {
    return notReplayable(e);
  }
}
