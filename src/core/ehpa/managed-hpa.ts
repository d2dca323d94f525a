/**
 * The managed HPA `ehpa-<name>` of an EHPA: the user's metrics unchanged, plus one External
 * `tidescale_prediction` metric per predictable metric whose prediction is servable, plus one External
 * `tidescale_cron` metric (target AverageValue 1) when crons exist. The HPA takes the maximum over its
 * metrics, so the result is max(reactive, predicted window peak, cron floor); when a prediction is not
 * servable its metric is left out and the reactive metrics keep scaling.
 *
 * The prediction metric's target keeps the original target's meaning: AverageValue and Value targets are
 * copied (the served value is the same quantity as the original metric, summed over the workload);
 * a Utilization target becomes AverageValue = average request per pod x utilization, in milli-units
 * (50 % of a 1-core request → 500m), which needs the pods' requests.
 *
 * `hpaSpecEqual` compares semantically (quantities by value, API defaults applied) so an unchanged spec
 * is never rewritten.
 */
import { defaultBehavior } from "../hpa/behavior.js";
import { defaultMetrics } from "../hpa/spec.js";
import type { HpaBehavior, HpaSpec, MetricSpec, MetricTarget } from "../hpa/types.js";
import { Quantity, tryParseQuantity } from "../quantity/quantity.js";
import {
  CRON_IDENTIFIER,
  CRON_METRIC,
  EHPA_UID_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  managedName,
  PREDICTION_METRIC,
  resourceIdentifier,
} from "./identifiers.js";
import { EHPA_API_VERSION, type Ehpa } from "./types.js";

/** HPA API versions the controller writes (v2beta2 for servers before 1.23). */
export type HpaApiVersion = "autoscaling/v2" | "autoscaling/v2beta2";

/** Owner reference to the EHPA (controller, blocks owner deletion). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

/** A managed object's metadata. */
export interface ManagedMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ownerReferences: OwnerReference[];
}

/** The HPA manifest to create or update. */
export interface ManagedHpa {
  apiVersion: HpaApiVersion;
  kind: "HorizontalPodAutoscaler";
  metadata: ManagedMeta;
  spec: HpaSpec;
}

/** Average `requests` per pod in milli-units, per resource name (`cpu` → 1000) and per container. */
export interface PodRequests {
  /** Resource name → average over available pods of the pod's summed requests (milli). */
  pod: Record<string, number>;
  /** Container name → resource name → average request (milli). */
  container?: Record<string, Record<string, number>>;
}

/** Inputs of {@link desiredHpa}. */
export interface DesiredHpaInput {
  ehpa: Ehpa;
  apiVersion: HpaApiVersion;
  /** resourceIdentifiers whose prediction is servable now (TSP ready, fresh, not gated). */
  servable: ReadonlySet<string>;
  /** Needed for Utilization targets; without it those prediction metrics are left out. */
  requests?: PodRequests;
}

/** The desired HPA and the prediction metrics left out, with why. */
export interface DesiredHpa {
  hpa: ManagedHpa;
  predicted: string[];
  leftOut: Array<{ resourceIdentifier: string; reason: string }>;
}

/** Metadata of every managed object of `ehpa` (labels, owner reference). */
export function managedMeta(ehpa: Ehpa): ManagedMeta {
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY };
  if (ehpa.metadata.uid) labels[EHPA_UID_LABEL] = ehpa.metadata.uid;
  return {
    name: managedName(ehpa.metadata.name),
    namespace: ehpa.metadata.namespace,
    labels,
    ownerReferences: ehpa.metadata.uid
      ? [
          {
            apiVersion: EHPA_API_VERSION,
            kind: "EffectiveHorizontalPodAutoscaler",
            name: ehpa.metadata.name,
            uid: ehpa.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]
      : [],
  };
}

function targetSelector(ehpa: Ehpa, identifier: string) {
  const ref = ehpa.spec.scaleTargetRef;
  return {
    matchLabels: {
      targetKind: ref.kind,
      targetName: ref.name,
      targetNamespace: ehpa.metadata.namespace,
      resourceIdentifier: identifier,
    },
  };
}

function utilizationTarget(
  m: MetricSpec,
  target: MetricTarget,
  requests: PodRequests | undefined,
): MetricTarget | string {
  let request: number | undefined;
  if (m.type === "Resource") request = requests?.pod[m.resource.name];
  else if (m.type === "ContainerResource")
    request = requests?.container?.[m.containerResource.container]?.[m.containerResource.name];
  if (request === undefined || !(request > 0))
    return "no resource requests known for the pods; a Utilization target cannot be turned into a value";
  const milli = Math.ceil((request * target.averageUtilization!) / 100);
  return { type: "AverageValue", averageValue: Quantity.fromMilli(milli).toString() };
}

function metricTarget(m: MetricSpec): MetricTarget {
  switch (m.type) {
    case "Resource":
      return m.resource.target;
    case "ContainerResource":
      return m.containerResource.target;
    case "Pods":
      return m.pods.target;
    case "Object":
      return m.object.target;
    case "External":
      return m.external.target;
  }
}

/** The prediction metric of `m`, or why it cannot be built. */
export function predictionMetric(ehpa: Ehpa, m: MetricSpec, requests?: PodRequests): MetricSpec | string {
  const id = resourceIdentifier(m);
  if (id === undefined) return "Object metrics are not predicted";
  const t = metricTarget(m);
  const target =
    t.type === "Utilization"
      ? utilizationTarget(m, t, requests)
      : t.type === "Value"
        ? { type: "Value" as const, value: t.value! }
        : { type: "AverageValue" as const, averageValue: t.averageValue! };
  if (typeof target === "string") return target;
  return {
    type: "External",
    external: { metric: { name: PREDICTION_METRIC, selector: targetSelector(ehpa, id) }, target },
  };
}

/** The cron metric of `ehpa` (AverageValue 1: the HPA desires exactly the served replica count). */
export function cronMetric(ehpa: Ehpa): MetricSpec {
  return {
    type: "External",
    external: {
      metric: { name: CRON_METRIC, selector: targetSelector(ehpa, CRON_IDENTIFIER) },
      target: { type: "AverageValue", averageValue: "1" },
    },
  };
}

/** The managed HPA of `ehpa`. */
export function desiredHpa(input: DesiredHpaInput): DesiredHpa {
  const { ehpa } = input;
  const metrics: MetricSpec[] = ehpa.spec.metrics.map((m) => structuredClone(m));
  const predicted: string[] = [];
  const leftOut: DesiredHpa["leftOut"] = [];
  if (ehpa.spec.prediction) {
    for (const m of ehpa.spec.metrics) {
      const id = resourceIdentifier(m);
      if (id === undefined) continue;
      if (!input.servable.has(id)) {
        leftOut.push({ resourceIdentifier: id, reason: "prediction not servable" });
        continue;
      }
      const pm = predictionMetric(ehpa, m, input.requests);
      if (typeof pm === "string") leftOut.push({ resourceIdentifier: id, reason: pm });
      else {
        metrics.push(pm);
        predicted.push(id);
      }
    }
  }
  if (ehpa.spec.crons.length > 0) metrics.push(cronMetric(ehpa));
  const spec: HpaSpec = {
    scaleTargetRef:
      ehpa.spec.scaleStrategy === "Preview"
        ? { apiVersion: EHPA_API_VERSION, kind: "Substitute", name: managedName(ehpa.metadata.name) }
        : structuredClone(ehpa.spec.scaleTargetRef),
    minReplicas: ehpa.spec.minReplicas,
    maxReplicas: ehpa.spec.maxReplicas,
    metrics: metrics.length > 0 ? metrics : defaultMetrics(),
  };
  if (ehpa.spec.behavior) spec.behavior = structuredClone(ehpa.spec.behavior);
  return {
    hpa: { apiVersion: input.apiVersion, kind: "HorizontalPodAutoscaler", metadata: managedMeta(ehpa), spec },
    predicted,
    leftOut,
  };
}

// ---------------------------------------------------------------------------------------------------
// Semantic equality
// ---------------------------------------------------------------------------------------------------

const QUANTITY_KEYS = new Set(["value", "averageValue", "tolerance"]);

/** A copy with quantities in canonical text and object keys sorted, for comparison. */
function canonical(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => canonical(x));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x, k);
    }
    return out;
  }
  if (QUANTITY_KEYS.has(key) && (typeof v === "string" || typeof v === "number")) {
    const q = tryParseQuantity(String(v));
    return q.ok ? q.value.canonical() : v;
  }
  return v;
}

function normalizedSpec(s: Partial<HpaSpec>): unknown {
  const metrics = s.metrics === undefined || s.metrics.length === 0 ? defaultMetrics() : s.metrics;
  const behavior = s.behavior === undefined ? undefined : defaultBehavior(s.behavior as HpaBehavior);
  return canonical({
    scaleTargetRef: s.scaleTargetRef,
    minReplicas: s.minReplicas ?? 1,
    maxReplicas: s.maxReplicas,
    metrics,
    behavior,
  });
}

/**
 * Whether an observed HPA spec (as the API server returned it, any of v2/v2beta2) means the same as the
 * desired one: quantities compared by value, minReplicas/metrics/behavior API defaults applied.
 */
export function hpaSpecEqual(desired: HpaSpec, observed: unknown): boolean {
  if (observed === null || typeof observed !== "object") return false;
  return (
    JSON.stringify(normalizedSpec(desired)) === JSON.stringify(normalizedSpec(observed as Partial<HpaSpec>))
  );
}

/** Whether the observed object's labels and owner references include the desired ones. */
export function managedMetaPresent(
  desired: ManagedMeta,
  observed: {
    labels?: Record<string, string>;
    ownerReferences?: Array<{ uid?: string; controller?: boolean }>;
  },
): boolean {
  for (const [k, v] of Object.entries(desired.labels)) if (observed.labels?.[k] !== v) return false;
  for (const o of desired.ownerReferences)
    if (!observed.ownerReferences?.some((x) => x.uid === o.uid && x.controller === true)) return false;
  return true;
}

/** Whether the managed HPA must be created (`create`), updated (`update`) or left alone (`none`). */
export function hpaAction(
  desired: ManagedHpa,
  observed: { metadata?: Parameters<typeof managedMetaPresent>[1]; spec?: unknown } | undefined,
): "create" | "update" | "none" {
  if (observed === undefined) return "create";
  if (!hpaSpecEqual(desired.spec, observed.spec)) return "update";
  return managedMetaPresent(desired.metadata, observed.metadata ?? {}) ? "none" : "update";
}
