/**
 * Names shared by the controller, the managed objects and the adapter: the managed object name
 * `ehpa-<name>`, the labels, the External metric names and the per-metric resource identifiers
 * (Crane's: `resource.cpu`, `container-resource.cpu`, `pods.<metric>`, `external.<metric>`).
 */
import type { MetricSpec } from "../hpa/types.js";

/** External metric serving the window peak of a metric's forecast. */
export const PREDICTION_METRIC = "tidescale_prediction";
/** External metric serving the cron floor (replicas). */
export const CRON_METRIC = "tidescale_cron";
/** resourceIdentifier label value of the cron metric. */
export const CRON_IDENTIFIER = "cron";
/** Label on managed objects holding the owning EHPA's uid. */
export const EHPA_UID_LABEL = "autoscaling.tidescale.dev/effective-hpa-uid";
/** Label on managed objects naming the manager. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Its value. */
export const MANAGED_BY = "tidescale";
/** Annotation prefix of an explicit history query: `<prefix><resourceIdentifier>` = PromQL. */
export const QUERY_ANNOTATION_PREFIX = "metric-query.autoscaling.tidescale.dev/";
/** Crane's annotation prefix, honoured after ours so converted manifests keep their queries. */
export const CRANE_QUERY_ANNOTATION_PREFIX = "metric-query.autoscaling.crane.io/";

/** Name of the managed HPA, TSP and Substitute of EHPA `name`. */
export function managedName(ehpaName: string): string {
  return `ehpa-${ehpaName}`;
}

/** The resourceIdentifier of a metric, or undefined for metric types that are not predicted (Object). */
export function resourceIdentifier(m: MetricSpec): string | undefined {
  switch (m.type) {
    case "Resource":
      return `resource.${m.resource.name}`;
    case "ContainerResource":
      return `container-resource.${m.containerResource.name}`;
    case "Pods":
      return `pods.${m.pods.metric.name}`;
    case "External":
      return `external.${m.external.metric.name}`;
    default:
      return undefined;
  }
}

/** The selector labels of the External metrics of one target (prediction and cron). */
export interface TargetLabels {
  targetKind: string;
  targetName: string;
  targetNamespace: string;
  resourceIdentifier: string;
}
