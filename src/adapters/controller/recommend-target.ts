/**
 * The controller's recommender call for one target: the workload's containers, replicas and HPA from the
 * watch caches (core/recommend/workload.ts), its usage history from Prometheus (adapters/recommend:
 * two range queries over the last 7 days at 1 m), the recommenders with the rule's policy, and one
 * outcome per Recommendation type. Any failure (Prometheus down, a query answering several series per
 * container, a workload without containers) is a `failed` outcome with the one-line message.
 */
import { ToolkitError } from "../../core/errors.js";
import { recommendWorkload } from "../../core/recommend/index.js";
import { hpaFor, workloadInfo } from "../../core/recommend/workload.js";
import { failedOutcomes, outcomesOf } from "../../core/recommend-rule/outcomes.js";
import { apiMessage } from "../kube/client.js";
import type { PrometheusClient } from "../prometheus/client.js";
import { fetchWorkloadUsage } from "../recommend/usage.js";
import type { RecommendTarget } from "./recommendation-controller.js";

export function recommendTarget(prometheus: PrometheusClient, now: () => number = Date.now): RecommendTarget {
  return async ({ target, workload, hpas, types, policy }) => {
    try {
      const object = { ...workload, apiVersion: target.apiVersion, kind: target.kind };
      const info = workloadInfo(object, hpaFor(target, hpas));
      const usage = await fetchWorkloadUsage(prometheus, info, { endMs: now() });
      return outcomesOf(recommendWorkload(usage, policy), types);
    } catch (e) {
      return failedOutcomes(types, e instanceof ToolkitError ? e.oneLine() : apiMessage(e));
    }
  };
}
