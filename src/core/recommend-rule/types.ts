/**
 * The analysis.tidescale.dev/v1alpha1 API: a cluster-scoped RecommendationRule selects workloads and
 * recommenders; the controller keeps one namespaced Recommendation per selected workload and recommender.
 * Field names follow Crane's analysis.crane.io API (resourceSelectors, namespaceSelector, runInterval,
 * recommenders; targetRef, type, recommendedInfo, currentInfo, action).
 */
import type { OwnerReference } from "../ehpa/managed-hpa.js";
import type { ObjectCondition } from "../ehpa/types.js";
import type { Selector } from "../labels/selector.js";
import type { RecommendPolicy } from "../recommend/index.js";

export const ANALYSIS_GROUP = "analysis.tidescale.dev";
export const ANALYSIS_API_VERSION = `${ANALYSIS_GROUP}/v1alpha1`;
export const RULE_KIND = "RecommendationRule";
export const RECOMMENDATION_KIND = "Recommendation";

/** The recommenders a rule can name (Crane's names). */
export const RECOMMENDER_TYPES = ["Replicas", "Resource", "HPA"] as const;
export type RecommenderType = (typeof RECOMMENDER_TYPES)[number];

/** The workload kinds a resource selector can name (apps/v1). */
export const WORKLOAD_KINDS = ["Deployment", "StatefulSet"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
export const WORKLOAD_API_VERSION = "apps/v1";

/** The CRD's default run interval. */
export const DEFAULT_RUN_INTERVAL = "24h";

/** Labels on every Recommendation, linking it to its rule and target (values kept within 63 chars). */
export const LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  rule: `${ANALYSIS_GROUP}/rule`,
  ruleUid: `${ANALYSIS_GROUP}/rule-uid`,
  targetKind: `${ANALYSIS_GROUP}/target-kind`,
  targetName: `${ANALYSIS_GROUP}/target-name`,
  type: `${ANALYSIS_GROUP}/type`,
} as const;
export const MANAGED_BY = "tidescale";

/** One entry of `spec.resourceSelectors`, validated (labelSelector parsed). */
export interface ResourceSelector {
  apiVersion: string;
  kind: WorkloadKind;
  name?: string;
  /** Absent: every workload of the kind (with `name`: that one). */
  labelSelector?: Selector;
}

export interface NamespaceSelector {
  any: boolean;
  matchNames: readonly string[];
}

export interface RecommenderRef {
  name: RecommenderType;
  config: Readonly<Record<string, string>>;
}

export interface RuleSpec {
  resourceSelectors: readonly ResourceSelector[];
  namespaceSelector: NamespaceSelector;
  runInterval: string;
  runIntervalMs: number;
  recommenders: readonly RecommenderRef[];
  /** The recommenders' policy: tidescale's defaults with the rule's config settings applied. */
  policy: RecommendPolicy;
}

export interface RuleStatus {
  observedGeneration?: number;
  lastUpdateTime?: string;
  targets?: number;
  recommendations?: number;
  conditions?: ObjectCondition[];
}

/** The rule's identity as the controller needs it (for owner references and labels). */
export interface RuleMeta {
  name: string;
  uid: string;
  generation?: number;
}

/** A Deployment or StatefulSet as a rule sees it (from the watch cache). */
export interface Workload {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Set while the workload is being deleted: it is no longer a target. */
  deleting?: boolean;
}

/** A selected workload. */
export interface Target {
  apiVersion: string;
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

/** A Recommendation's spec. */
export interface RecommendationSpec {
  targetRef: { apiVersion: string; kind: string; name: string; namespace: string };
  type: RecommenderType;
}

/** A Recommendation manifest the controller wants to exist. */
export interface DesiredRecommendation {
  apiVersion: typeof ANALYSIS_API_VERSION;
  kind: typeof RECOMMENDATION_KIND;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
  spec: RecommendationSpec;
}

/** A Recommendation as stored (from the watch cache). */
export interface ObservedRecommendation {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ uid?: string; controller?: boolean }>;
    deletionTimestamp?: string;
  };
  spec?: unknown;
  status?: unknown;
}

/** A Recommendation's status. */
export interface RecommendationStatus {
  recommended?: string;
  current?: string;
  recommendedInfo?: string;
  currentInfo?: string;
  action?: "Patch" | "None";
  evidence?: Record<string, unknown>;
  lastUpdateTime: string;
  conditions: ObjectCondition[];
}
