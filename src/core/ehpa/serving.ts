/**
 * The External metrics the managed HPAs read, answered from cached objects (no query per request):
 * - `tidescale_prediction{targetKind, targetName, targetNamespace, resourceIdentifier}`: the largest
 *   forecast of the served quantile in [now, now + predictionWindowSeconds] of the TSP of that target,
 *   rounded up to milli-units (`servedPrediction`);
 * - `tidescale_cron{targetKind, targetName, targetNamespace}`: the largest targetReplicas among the
 *   EHPA's active crons, else its minReplicas.
 * The selector must pin targetKind, targetName (and resourceIdentifier for predictions) with `=`;
 * targetNamespace, when given, must be the request's namespace. Answers are values or a reason with the
 * HTTP status to send (400 for a bad selector, 404 when there is nothing to serve).
 */
import { err, ok, type Result } from "../errors.js";
import { requiresExactMatch, type Selector } from "../labels/selector.js";
import { tryCronMetricValue } from "./cron.js";
import { CRON_METRIC, PREDICTION_METRIC } from "./identifiers.js";
import { servedPrediction } from "./tsp.js";
import type { CronSpec, TspMetricStatus } from "./types.js";

export const SERVED_METRICS: readonly string[] = [PREDICTION_METRIC, CRON_METRIC];

/** The target a request names. */
export interface TargetKey {
  namespace: string;
  kind: string;
  name: string;
}

export function targetKeyString(t: TargetKey): string {
  return `${t.namespace}/${t.kind}/${t.name}`;
}

export interface Refusal {
  code: 400 | 404;
  message: string;
}

/** The target (and resourceIdentifier) a request's selector pins. */
export function requestTarget(
  metric: string,
  namespace: string,
  selector: Selector,
): Result<{ target: TargetKey; resourceIdentifier?: string }, Refusal> {
  const kind = requiresExactMatch(selector, "targetKind");
  const name = requiresExactMatch(selector, "targetName");
  const ns = requiresExactMatch(selector, "targetNamespace");
  const id = requiresExactMatch(selector, "resourceIdentifier");
  const need =
    metric === PREDICTION_METRIC
      ? ["targetKind", "targetName", "resourceIdentifier"]
      : ["targetKind", "targetName"];
  const have: Record<string, string | undefined> = {
    targetKind: kind,
    targetName: name,
    resourceIdentifier: id,
  };
  const missing = need.filter((k) => have[k] === undefined);
  if (missing.length > 0)
    return err({ code: 400, message: `${metric}: labelSelector must set ${missing.join(", ")} (key=value)` });
  if (ns !== undefined && ns !== namespace)
    return err({
      code: 400,
      message: `${metric}: targetNamespace=${ns} differs from the request's namespace ${namespace}`,
    });
  const target = { namespace, kind: kind as string, name: name as string };
  return ok(id === undefined ? { target } : { target, resourceIdentifier: id });
}

/** What the cache holds for a target's TSP. */
export interface CachedTsp {
  name: string;
  windowSeconds: number;
  metrics: readonly TspMetricStatus[];
}

/** The prediction value of one TSP metric at `nowSec`. */
export function predictionValue(
  tsp: CachedTsp | undefined,
  target: TargetKey,
  resourceIdentifier: string,
  nowSec: number,
): Result<number, Refusal> {
  const what = `${PREDICTION_METRIC} of ${target.kind}/${target.name} ${resourceIdentifier}`;
  if (!tsp) return err({ code: 404, message: `${what}: no TimeSeriesPrediction for this target` });
  const m = tsp.metrics.find((x) => x.resourceIdentifier === resourceIdentifier);
  if (!m)
    return err({
      code: 404,
      message: `${what}: TimeSeriesPrediction ${tsp.name} has no forecast for it yet`,
    });
  const v = servedPrediction(m, nowSec, tsp.windowSeconds);
  if (v.ok) return ok(v.value.value);
  const why =
    v.error === "not-ready"
      ? `not ready (${m.reason ?? "unknown"}${m.message ? `: ${m.message}` : ""})`
      : v.error === "outdated"
        ? "the forecast is outdated (no sample in [now, now + window])"
        : "no series of the served quantile";
  return err({ code: 404, message: `${what}: ${why}` });
}

/** What the cache holds for a target's EHPA. */
export interface CachedEhpa {
  name: string;
  minReplicas: number;
  crons: readonly CronSpec[];
}

/** The cron value of the target's EHPA at `nowSec`. */
export function cronValue(
  ehpa: CachedEhpa | undefined,
  target: TargetKey,
  nowSec: number,
): Result<number, Refusal> {
  const what = `${CRON_METRIC} of ${target.kind}/${target.name}`;
  if (!ehpa)
    return err({ code: 404, message: `${what}: no EffectiveHorizontalPodAutoscaler for this target` });
  const v = tryCronMetricValue(ehpa.crons, ehpa.minReplicas, nowSec);
  if (!v.ok)
    return err({ code: 404, message: `${what}: EHPA ${ehpa.name} ${v.error.field}: ${v.error.message}` });
  return ok(v.value.replicas);
}
