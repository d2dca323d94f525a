/**
 * One refresh of a TSP metric: fit the forecaster on the queried history, write 2 x window of future
 * samples per quantile at full precision (served quantile first, then p50 for scoring), score the previous
 * forecast against what was recorded since (accuracy.ts) and decide readiness:
 *   ready = the model forecast AND the accuracy gate is open.
 * An abstaining model gives ready=false with its abstain code as reason; a failed query gives reason
 * QueryFailed; a closed gate gives AccuracyBelowThreshold. The previous accuracy is carried over in every
 * case so recovery can be seen.
 */
import type { QuantileForecast, QuantileName, RegularSeries } from "../predict/types.js";
import { servedWindowPeak } from "../predict/window-peak.js";
import { gateState, updateAccuracy } from "./accuracy.js";
import type { ResolvedAlgorithm } from "./algorithm.js";
import type { ObjectCondition, TspMetricStatus, TspSample, TspSeries } from "./types.js";

/** Inputs of {@link refreshMetricStatus}. */
export interface MetricRefresh {
  resourceIdentifier: string;
  algorithm: ResolvedAlgorithm;
  /** History on the algorithm's sample grid, ending at or before `nowSec`. */
  history: RegularSeries;
  nowSec: number;
  windowSeconds: number;
  previous?: TspMetricStatus;
  /** Seed for forecasters with randomness (Crane DSP shuffle test). */
  seed?: number;
}

/**
 * Samples of quantile `q`. The served quantile's are capped slot by slot by the forecast's history bound
 * (`upper`, when the model gives one), so the largest sample in a window is exactly what
 * `servedWindowPeak` would serve.
 */
function samples(f: QuantileForecast, q: QuantileName, served: boolean): TspSample[] {
  const out: TspSample[] = [];
  const values = f[q];
  const upper = served ? f.upper : undefined;
  for (let i = 0; i < values.length; i++) {
    const u = upper?.[i];
    const v = u === undefined || Number.isNaN(u) ? values[i]! : Math.min(values[i]!, u);
    if (Number.isFinite(v)) out.push({ timestamp: f.start + i * f.step, value: String(v) });
  }
  return out;
}

function series(f: QuantileForecast, q: QuantileName, served: boolean): TspSeries {
  return { labels: [{ name: "quantile", value: q }], samples: samples(f, q, served) };
}

/** The p50 samples of a previous status (for scoring). */
export function p50Samples(s: TspMetricStatus | undefined): TspSample[] {
  return (
    s?.prediction.find((x) => x.labels.some((l) => l.name === "quantile" && l.value === "p50"))?.samples ?? []
  );
}

function isoTime(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The history from its first recorded sample on: a range query over more time than the series exists
 * leaves a leading gap, and a model must not count the missing part as history it has seen.
 */
export function trimLeadingGap(h: RegularSeries): RegularSeries {
  let i = 0;
  while (i < h.values.length && !Number.isFinite(h.values[i]!)) i++;
  if (i === 0 || i === h.values.length) return h;
  return { start: h.start + i * h.step, step: h.step, values: h.values.subarray(i) };
}

/** Fits, forecasts and scores one metric (the history's leading gap is trimmed first). */
export function refreshMetricStatus(r: MetricRefresh): TspMetricStatus {
  const a = r.algorithm;
  const history = trimLeadingGap(r.history);
  const historyEnd = history.start + history.values.length * history.step;
  const horizon = Math.max(1, Math.ceil((r.nowSec - historyEnd + 2 * r.windowSeconds) / history.step) + 1);
  const opts: { horizon: number; seed?: number } = { horizon };
  if (r.seed !== undefined) opts.seed = r.seed;
  const result = a.forecaster.forecast(history, opts);
  const base = { resourceIdentifier: r.resourceIdentifier, servedQuantile: a.servedQuantile };
  const update = {
    nowSec: r.nowSec,
    windowSeconds: r.windowSeconds,
    previousP50: p50Samples(r.previous),
    actuals: history,
  };
  if (!result.ok) {
    return {
      ...base,
      ready: false,
      reason: result.error.code,
      message: result.error.message,
      model: result.error.model,
      prediction: [],
      accuracy: updateAccuracy(r.previous?.accuracy, update),
    };
  }
  const f = result.value;
  const peak = servedWindowPeak(f, a.servedQuantile, r.nowSec, r.windowSeconds);
  const accuracy = updateAccuracy(
    r.previous?.accuracy,
    peak ? { ...update, servedPeak: peak.value } : update,
  );
  const quantiles: QuantileName[] = a.servedQuantile === "p50" ? ["p50"] : [a.servedQuantile, "p50"];
  const out: TspMetricStatus = {
    ...base,
    ready: peak !== undefined && !accuracy.gated,
    model: f.model,
    periods: [...f.periods],
    lastRefreshTime: isoTime(r.nowSec),
    prediction: quantiles.map((q) => series(f, q, q === a.servedQuantile)),
    accuracy,
  };
  if (peak === undefined) {
    out.reason = "Outdated";
    out.message = "no forecast sample inside [now, now + window]";
  } else if (accuracy.gated) {
    out.reason = "AccuracyBelowThreshold";
    out.message = gateState(accuracy).message;
  }
  return out;
}

/** A metric whose history query failed: not ready, the previous accuracy kept. */
export function failedMetricStatus(
  resourceIdentifier: string,
  servedQuantile: QuantileName,
  message: string,
  previous?: TspMetricStatus,
): TspMetricStatus {
  const out: TspMetricStatus = {
    resourceIdentifier,
    ready: false,
    reason: "QueryFailed",
    message,
    servedQuantile,
    prediction: [],
  };
  if (previous?.accuracy) out.accuracy = previous.accuracy;
  return out;
}

/** Whether a metric's forecast is due for a refit at `nowSec` (every `refreshSeconds`, or never fitted). */
export function refitDue(
  previous: TspMetricStatus | undefined,
  nowSec: number,
  refreshSeconds: number,
): boolean {
  const last = previous?.accuracy?.updatedAt;
  return last === undefined || nowSec - last >= refreshSeconds;
}

/** Keeps `lastTransitionTime` when a condition's status did not change. */
export function condition(
  type: string,
  status: ObjectCondition["status"],
  reason: string,
  message: string,
  nowIso: string,
  previous?: readonly ObjectCondition[],
): ObjectCondition {
  const prev = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : nowIso,
  };
}

/** The TSP's Ready condition: PredictSucceed (all ready), PredictPartial (some) or PredictFailed (none). */
export function tspReadyCondition(
  metrics: readonly TspMetricStatus[],
  nowIso: string,
  previous?: readonly ObjectCondition[],
): ObjectCondition {
  const notReady = metrics.filter((m) => !m.ready);
  if (notReady.length === 0)
    return condition("Ready", "True", "PredictSucceed", "all metrics predicted", nowIso, previous);
  const detail = notReady
    .map((m) => `${m.resourceIdentifier}: ${m.reason ?? "not ready"}${m.message ? ` (${m.message})` : ""}`)
    .join("; ");
  return notReady.length < metrics.length
    ? condition("Ready", "False", "PredictPartial", `not all metrics predicted: ${detail}`, nowIso, previous)
    : condition("Ready", "False", "PredictFailed", detail, nowIso, previous);
}
