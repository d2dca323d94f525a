/**
 * Predictive autoscaling in the simulator: the scenario's HPA becomes an EHPA (its metrics, replica bounds
 * and behavior plus the scenario's `prediction:` and `crons:`), and the same core the controller runs
 * (core/ehpa `reconcileEhpa`, `refreshMetricStatus`, `servedPrediction`, `cronMetricValue`) decides the
 * managed HPA and the values of `tidescale_prediction` and `tidescale_cron` during the run.
 *
 * As the controller does, the forecaster is refitted every `predictionRefresh` (5 min by default) on the
 * metric's recorded history: the scenario's own load sampled on the algorithm's grid, at most
 * `historyLength` back and never before `-history` (the load before t = 0 that counts as recorded). The
 * recorded value of a Pods or External metric is its workload total (`scale` x offered load, what a
 * request counter records, rejected requests included); Resource metrics are not predicted here.
 * A reactive run (the HPA alone) is simulated beside it for the comparison.
 */

import { type ResolvedAlgorithm, resolveAlgorithm } from "../ehpa/algorithm.js";
import { cronMetricValue } from "../ehpa/cron.js";
import { CRON_IDENTIFIER, resourceIdentifier } from "../ehpa/identifiers.js";
import { desiredHpa, hpaSpecEqual } from "../ehpa/managed-hpa.js";
import { reconcileEhpa } from "../ehpa/reconcile.js";
import { validateEhpa } from "../ehpa/spec.js";
import { servedPrediction } from "../ehpa/tsp.js";
import { refreshMetricStatus, tspReadyCondition } from "../ehpa/tsp-status.js";
import { EHPA_API_VERSION, type Ehpa, type TspMetricStatus, type TspStatus } from "../ehpa/types.js";
import { invalidInput } from "../errors.js";
import { parseHpa } from "../hpa/spec.js";
import type { HpaObject } from "../hpa/types.js";
import type { LoadFunction } from "./load.js";
import { summaryJson } from "./report.js";
import type { PredictiveSpec, ScenarioSpec, WorkloadModel } from "./scenario.js";
import {
  type DynamicHpa,
  metricKey,
  type SimulateOptions,
  type SimulationRun,
  simulate,
} from "./simulate.js";

/** One predicted metric: its identifier and how its recorded total derives from the load. */
interface Predicted {
  id: string;
  scale: number;
}

function ehpaObject(hpa: HpaObject, p: PredictiveSpec): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    scaleTargetRef: hpa.spec.scaleTargetRef,
    minReplicas: hpa.spec.minReplicas,
    maxReplicas: hpa.spec.maxReplicas,
    metrics: hpa.spec.metrics,
  };
  if (hpa.spec.behavior) spec.behavior = hpa.spec.behavior;
  if (p.prediction !== undefined) spec.prediction = p.prediction;
  if (p.crons !== undefined) spec.crons = p.crons;
  return {
    apiVersion: EHPA_API_VERSION,
    kind: "EffectiveHorizontalPodAutoscaler",
    metadata: { name: hpa.metadata.name, namespace: hpa.metadata.namespace, uid: "simulated" },
    spec,
  };
}

/** The scenario field a problem of the EHPA refers to. */
function scenarioField(field: string): string {
  return /^spec\.(prediction|crons)\b/.test(field) ? field : field.replace(/^spec\./, "spec.hpa.spec.");
}

function predictedMetrics(ehpa: Ehpa, w: WorkloadModel, at: (p: string) => string): Predicted[] {
  if (!ehpa.spec.prediction) return [];
  const out: Predicted[] = [];
  ehpa.spec.metrics.forEach((m, i) => {
    const id = resourceIdentifier(m);
    if (id === undefined) return;
    if (m.type !== "Pods" && m.type !== "External")
      throw invalidInput(
        at(`spec.hpa.spec.metrics[${i}]`),
        `the simulator predicts Pods and External metrics; ${m.type} metrics are not predicted here (remove spec.prediction or this metric)`,
      );
    const name = m.type === "Pods" ? m.pods.metric.name : m.external.metric.name;
    out.push({ id, scale: w.metrics[name]?.scale ?? 1 });
  });
  return out;
}

/** The EHPA controller of a scenario, as a {@link DynamicHpa} for `simulate`. */
export function ehpaController(spec: ScenarioSpec, hpa: HpaObject, load: LoadFunction): DynamicHpa {
  const p = spec.predictive!;
  const at = (path: string) => (spec.source ? `${spec.source}: ${path}` : path);
  const object = ehpaObject(hpa, p);
  const v = validateEhpa(object);
  if (!v.ok) throw invalidInput(at(scenarioField(v.error[0]!.field)), v.error[0]!.message);
  const ehpa = v.value;
  const predicted = predictedMetrics(ehpa, spec.workload, at);
  const algorithm: ResolvedAlgorithm | undefined = ehpa.spec.prediction
    ? (resolveAlgorithm(ehpa.spec.prediction.predictionAlgorithm) as { ok: true; value: ResolvedAlgorithm })
        .value
    : undefined;
  const windowSec = ehpa.spec.prediction?.predictionWindowSeconds ?? 0;
  const all = desiredHpa({
    ehpa,
    apiVersion: "autoscaling/v2",
    servable: new Set(predicted.map((x) => x.id)),
  }).hpa;
  const keyOf = new Map<string, string>(); // metric key -> resourceIdentifier (or "cron")
  for (const m of all.spec.metrics) {
    const sel =
      m.type === "External" ? m.external.metric.selector?.matchLabels?.resourceIdentifier : undefined;
    if (
      m.type === "External" &&
      (m.external.metric.name === "tidescale_prediction" || m.external.metric.name === "tidescale_cron")
    )
      keyOf.set(metricKey(m), sel ?? CRON_IDENTIFIER);
  }
  const statuses = new Map<string, TspMetricStatus>();
  let tspStatus: TspStatus | undefined;
  let current = hpa;
  let lastRefresh = Number.NEGATIVE_INFINITY;
  let nowSec = 0;
  const t0 = spec.startEpochMs;

  const history = (id: Predicted, a: ResolvedAlgorithm) => {
    const step = a.sampleIntervalSec;
    const end = Math.floor(nowSec / step) * step; // first slot not yet complete
    // Like a Prometheus range query, the series starts where data exists (no leading gap).
    const firstRecorded = Math.ceil((t0 - p.historyMs) / 1000 / step) * step;
    const start = Math.max(end - Math.round(a.historyLengthSec / step) * step, firstRecorded);
    const n = Math.max(1, (end - start) / step);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = id.scale * load((start + i * step) * 1000 - t0);
    return { start, step, values };
  };

  const refresh = () => {
    if (!algorithm) return;
    for (const id of predicted) {
      const r: Parameters<typeof refreshMetricStatus>[0] = {
        resourceIdentifier: id.id,
        algorithm,
        history: history(id, algorithm),
        nowSec,
        windowSeconds: windowSec,
      };
      const prev = statuses.get(id.id);
      if (prev) r.previous = prev;
      statuses.set(id.id, refreshMetricStatus(r));
    }
    const metrics = [...statuses.values()];
    const iso = new Date(nowSec * 1000).toISOString();
    tspStatus = {
      predictionMetrics: metrics,
      conditions: [tspReadyCondition(metrics, iso, tspStatus?.conditions)],
    };
  };

  return {
    allMetrics: all.spec.metrics,
    provides: (key) => keyOf.has(key),
    step(now: number, replicas: number): HpaObject {
      nowSec = Math.floor(now / 1000);
      if (nowSec - lastRefresh < p.refreshMs / 1000) return current;
      lastRefresh = nowSec;
      refresh();
      const d = reconcileEhpa({
        object,
        nowSec,
        hpaApiVersion: "autoscaling/v2",
        targetReplicas: replicas,
        ...(tspStatus ? { observedTsp: { status: tspStatus } } : {}),
      });
      const m = d.hpa?.manifest;
      if (m && !hpaSpecEqual(m.spec, current.spec))
        current = parseHpa({ ...m, apiVersion: "autoscaling/v2" }, at("spec.hpa"));
      return current;
    },
    value(key: string): number | undefined {
      const id = keyOf.get(key);
      if (id === undefined) return undefined;
      if (id === CRON_IDENTIFIER)
        return cronMetricValue(ehpa.spec.crons, ehpa.spec.minReplicas, nowSec).replicas;
      const s = statuses.get(id);
      if (!s) return undefined;
      const r = servedPrediction(s, nowSec, windowSec);
      return r.ok ? r.value.value : undefined;
    },
  };
}

/** Reactive (the HPA alone) and predictive (the EHPA) runs of one scenario. */
export interface PredictiveComparison {
  reactive: SimulationRun;
  predictive: SimulationRun;
}

/** Runs the scenario twice: the HPA alone, then the EHPA around it. */
export function simulatePredictive(
  spec: ScenarioSpec,
  hpa: HpaObject,
  load: LoadFunction,
  options: SimulateOptions = {},
): PredictiveComparison {
  const dynamic = ehpaController(spec, hpa, load);
  const reactive = simulate(spec, hpa, load, options);
  const predictive = simulate(spec, hpa, load, { ...options, dynamic });
  return { reactive, predictive };
}

/** (b - a) / a; 0 for 0 -> 0 and null (no finite ratio) for 0 -> more. */
export function relativeChange(a: number, b: number): number | null {
  if (a === 0) return b === 0 ? 0 : null;
  return (b - a) / a;
}

/**
 * The `comparison` block of `simulate -o json` for a scenario with prediction or crons: both runs'
 * summaries and the relative changes reactive -> predictive (null where the reactive value is 0).
 */
export function comparisonJson(c: PredictiveComparison): Record<string, unknown> {
  const r = c.reactive.summary;
  const p = c.predictive.summary;
  const under =
    r.underProvisionedMinutes !== undefined && p.underProvisionedMinutes !== undefined
      ? relativeChange(r.underProvisionedMinutes, p.underProvisionedMinutes)
      : null;
  return {
    reactive: summaryJson(r),
    predictive: summaryJson(p),
    change: {
      underProvisionedMinutes: under,
      podHours: relativeChange(r.podHours, p.podHours),
      peakReplicas: p.peakReplicas - r.peakReplicas,
    },
  };
}

/** The comparison lines of the summary (under-provisioned minutes and pod-hours, reactive → predictive). */
export function renderComparison(c: PredictiveComparison): string {
  const r = c.reactive.summary;
  const p = c.predictive.summary;
  const pct = (a: number, b: number) => {
    const x = relativeChange(a, b);
    return x === null ? "n/a" : x === 0 ? "±0 %" : `${x > 0 ? "+" : ""}${(x * 100).toFixed(1)} %`;
  };
  const lines = ["Predictive (EHPA) vs reactive (the HPA alone)"];
  if (r.underProvisionedMinutes !== undefined && p.underProvisionedMinutes !== undefined)
    lines.push(
      `  under-provisioned minutes: ${r.underProvisionedMinutes.toFixed(1)} -> ${p.underProvisionedMinutes.toFixed(1)} (${pct(r.underProvisionedMinutes, p.underProvisionedMinutes)})`,
    );
  lines.push(
    `  pod-hours:                 ${r.podHours.toFixed(1)} -> ${p.podHours.toFixed(1)} (${pct(r.podHours, p.podHours)})`,
  );
  lines.push(`  peak replicas:             ${r.peakReplicas} -> ${p.peakReplicas}`);
  return `${lines.join("\n")}\n`;
}
