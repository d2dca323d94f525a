/**
 * The HPA recommendation for a recorded traffic trace (requests per second), with a simulation scenario
 * standing for the workload: its capacity per pod, pod start-up, sync period, tolerance and its HPA (a Pods
 * metric each pod reports as the load it serves) as the current settings. The recommendation is sized on
 * the trace (or on all but a held-out tail) and replayed on the trace (or on that tail) beside the
 * scenario's HPA.
 */
import { invalidInput } from "../errors.js";
import type { SeriesPoint } from "../series/csv.js";
import type { ScenarioSpec } from "../sim/scenario.js";
import { type ReplayModel, recommendHpa } from "./hpa.js";
import { CRANE_POLICY } from "./policy.js";
import type { HpaRecommendation, RecommendPolicy } from "./types.js";

export interface TraceInput {
  /** The trace (ms since the epoch, ascending). */
  readonly points: readonly SeriesPoint[];
  readonly stepMs: number;
  readonly scenario: ScenarioSpec;
  /** The held-out tail (ms): sized on what precedes it, replayed on it. 0: the same data for both. */
  readonly holdoutMs: number;
}

/** The Pods metric of the scenario's HPA that reports served load per pod. */
function podsMetric(s: ScenarioSpec): string {
  const spec = (s.hpa?.spec ?? {}) as {
    metrics?: { type?: string; pods?: { metric?: { name?: string } } }[];
  };
  const names = (spec.metrics ?? []).filter((m) => m.type === "Pods").map((m) => m.pods?.metric?.name);
  const name = names.find((n) => n !== undefined && s.workload.metrics[n]?.from === "servedPerPod");
  if (names.length !== 1 || name === undefined)
    throw invalidInput(
      `${s.source ?? s.name}: spec.hpa.spec.metrics`,
      "the trace replay needs exactly one Pods metric, reported by the workload as servedPerPod (see examples/seed-qps.yaml)",
    );
  return name;
}

/** The recommendation for a trace; the scenario's HPA is the current setting. */
export function recommendFromTrace(input: TraceInput, base: RecommendPolicy): HpaRecommendation {
  const s = input.scenario;
  const where = s.source ?? s.name;
  if (!Number.isFinite(s.workload.capacityPerPod))
    throw invalidInput(
      `${where}: spec.workload.capacityPerPod`,
      "required for the trace replay (the load one pod serves)",
    );
  if (!s.hpa) throw invalidInput(`${where}: spec.hpa`, "the trace replay needs the scenario's HPA inline");
  const policy: RecommendPolicy = {
    ...base,
    hpa: {
      ...base.hpa,
      syncPeriodMs: s.syncPeriodMs,
      tolerance: s.controller.tolerance,
      podStartupMs: s.workload.startupDelayMs + s.workload.readinessDelayMs,
    },
  };
  const hpa = s.hpa as {
    metadata?: { name?: string; namespace?: string };
    spec?: { scaleTargetRef?: Record<string, string> };
  };
  const ref = hpa.spec?.scaleTargetRef ?? {};
  const last = input.points[input.points.length - 1];
  const splitMs = last ? last.t + input.stepMs - input.holdoutMs : 0;
  const model = (load: readonly SeriesPoint[]): ReplayModel => ({
    load,
    stepMs: input.stepMs,
    capacityPerPod: s.workload.capacityPerPod,
    metric: { kind: "pods", name: podsMetric(s) },
    scaleTargetRef: {
      apiVersion: ref.apiVersion ?? "apps/v1",
      kind: ref.kind ?? "Deployment",
      name: ref.name ?? s.name,
    },
    namespace: hpa.metadata?.namespace ?? "default",
    hpaName: hpa.metadata?.name ?? s.name,
  });
  const sized = input.holdoutMs > 0 ? input.points.filter((p) => p.t < splitMs) : input.points;
  const held = input.holdoutMs > 0 ? input.points.filter((p) => p.t >= splitMs) : input.points;
  if (input.holdoutMs > 0 && (sized.length === 0 || held.length === 0))
    throw invalidInput(
      "--holdout",
      "leaves no data on one side of the split (shorter than the trace, please)",
    );
  const first = input.points[0];
  return recommendHpa(
    {
      model: model(sized),
      current: { description: `the scenario's HPA ${hpa.metadata?.name ?? ""}`.trim(), object: s.hpa },
      ...(input.holdoutMs > 0 ? { replayOn: model(held) } : {}),
      windowStartMs: first?.t ?? 0,
      windowEndMs: input.holdoutMs > 0 ? splitMs - input.stepMs : (last?.t ?? 0),
    },
    policy,
    CRANE_POLICY,
  );
}
