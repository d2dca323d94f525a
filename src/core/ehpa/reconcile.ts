/**
 * One reconcile of an EHPA, as pure decisions (the controller performs them): validate; stop when the
 * target is scaled to zero; in Preview keep a Substitute and write specificReplicas to the target's
 * scale; keep the TSP (when prediction is set) and the managed HPA, writing only on semantic change;
 * compute the EHPA status (expectReplicas/currentReplicas from the HPA, Ready and PredictionReady, the
 * HPA's conditions copied) and the events.
 *
 * An invalid spec (schema, cross-field rules, algorithm parameters, crons, unresolvable history query)
 * gives Ready=False, reason InvalidSpec, naming every field, and no write to the HPA, TSP or workload.
 */
import type { HpaApiVersion, ManagedHpa, PodRequests } from "./managed-hpa.js";
import { desiredHpa, hpaAction, managedMeta } from "./managed-hpa.js";
import { validateEhpa } from "./spec.js";
import {
  desiredTsp,
  type ManagedTsp,
  type RuleQueryResolver,
  servableIdentifiers,
  tspSpecEqual,
} from "./tsp.js";
import { condition } from "./tsp-status.js";
import {
  EHPA_API_VERSION,
  type Ehpa,
  type EhpaStatus,
  type ObjectCondition,
  type Substitute,
  type TspStatus,
} from "./types.js";

/** The managed HPA as observed (any version). */
export interface ObservedHpa {
  metadata?: {
    labels?: Record<string, string>;
    ownerReferences?: Array<{ uid?: string; controller?: boolean }>;
  };
  spec?: unknown;
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
  };
}

/** The TSP as observed. */
export interface ObservedTsp {
  metadata?: ObservedHpa["metadata"];
  spec?: unknown;
  status?: TspStatus;
}

/** Inputs of one reconcile. */
export interface EhpaReconcileInput {
  /** The EHPA as read from the API (validated here). */
  object: unknown;
  nowSec: number;
  hpaApiVersion: HpaApiVersion;
  observedHpa?: ObservedHpa;
  observedTsp?: ObservedTsp;
  /** The Substitute `ehpa-<name>` as observed (Preview). */
  observedSubstitute?: { spec?: unknown };
  /** The target's scale subresource (spec.replicas), when read. */
  targetReplicas?: number;
  requests?: PodRequests;
  rules?: RuleQueryResolver;
}

/** An event to emit on the EHPA. */
export interface EhpaEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** What to write for one managed object. */
export interface Write<T> {
  action: "create" | "update" | "none";
  manifest: T;
}

/** The decisions of one reconcile. */
export interface EhpaDecision {
  ehpa?: Ehpa;
  hpa?: Write<ManagedHpa>;
  tsp?: Write<ManagedTsp>;
  /** True when an observed TSP must be deleted (prediction removed from the spec). */
  deleteTsp: boolean;
  substitute?: Write<Substitute>;
  /** Preview with specificReplicas: replicas to write to the target's scale subresource. */
  scaleTo?: number;
  status: EhpaStatus;
  statusChanged: boolean;
  events: EhpaEvent[];
  /** resourceIdentifiers whose prediction metric is in the HPA. */
  predicted: string[];
}

function isoTime(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function previousStatus(object: unknown): EhpaStatus | undefined {
  const s = (object as { status?: EhpaStatus } | null)?.status;
  return s && Array.isArray(s.conditions) ? s : undefined;
}

function copiedHpaConditions(h: ObservedHpa | undefined, nowIso: string): ObjectCondition[] {
  return (h?.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status === "True" || c.status === "False" ? c.status : "Unknown",
    reason: c.reason ?? "",
    message: c.message ?? "",
    lastTransitionTime: c.lastTransitionTime ?? nowIso,
  }));
}

function statusFrom(
  ready: ObjectCondition,
  extra: ObjectCondition[],
  h: ObservedHpa | undefined,
  nowIso: string,
): EhpaStatus {
  const s: EhpaStatus = { conditions: [ready, ...extra, ...copiedHpaConditions(h, nowIso)] };
  if (h?.status?.desiredReplicas !== undefined) s.expectReplicas = h.status.desiredReplicas;
  if (h?.status?.currentReplicas !== undefined) s.currentReplicas = h.status.currentReplicas;
  if (h?.status?.lastScaleTime !== undefined) s.lastScaleTime = h.status.lastScaleTime;
  return s;
}

function sameStatus(a: EhpaStatus | undefined, b: EhpaStatus): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b);
}

function readyChangedEvent(
  prev: EhpaStatus | undefined,
  ready: ObjectCondition,
  type: EhpaEvent["type"],
): EhpaEvent[] {
  const p = prev?.conditions.find((c) => c.type === "Ready");
  if (p && p.status === ready.status && p.reason === ready.reason && p.message === ready.message) return [];
  return [{ type, reason: ready.reason, message: ready.message }];
}

function stopped(input: EhpaReconcileInput, reason: string, message: string, ehpa?: Ehpa): EhpaDecision {
  const nowIso = isoTime(input.nowSec);
  const prev = previousStatus(input.object);
  const ready = condition("Ready", "False", reason, message, nowIso, prev?.conditions);
  const status = statusFrom(ready, [], input.observedHpa, nowIso);
  const out: EhpaDecision = {
    deleteTsp: false,
    status,
    statusChanged: !sameStatus(prev, status),
    events: readyChangedEvent(prev, ready, "Warning"),
    predicted: [],
  };
  if (ehpa) out.ehpa = ehpa;
  return out;
}

function substituteFor(ehpa: Ehpa, targetReplicas: number | undefined): Substitute {
  const m = managedMeta(ehpa);
  const s: Substitute = {
    apiVersion: EHPA_API_VERSION,
    kind: "Substitute",
    metadata: { name: m.name, namespace: m.namespace, labels: m.labels },
    spec: { substituteTargetRef: structuredClone(ehpa.spec.scaleTargetRef) },
  };
  if (targetReplicas !== undefined) s.spec.replicas = targetReplicas;
  return s;
}

function substituteWrite(ehpa: Ehpa, input: EhpaReconcileInput): Write<Substitute> {
  const manifest = substituteFor(ehpa, input.targetReplicas);
  const o = input.observedSubstitute;
  if (o === undefined) return { action: "create", manifest };
  const same = JSON.stringify(o.spec) === JSON.stringify(manifest.spec);
  return { action: same ? "none" : "update", manifest };
}

function predictionCondition(
  ehpa: Ehpa,
  tsp: ObservedTsp | undefined,
  predicted: string[],
  leftOut: Array<{ resourceIdentifier: string; reason: string }>,
  nowIso: string,
  prev: EhpaStatus | undefined,
): ObjectCondition[] {
  if (!ehpa.spec.prediction) return [];
  const p = prev?.conditions;
  const ready = tsp?.status?.conditions?.find((c) => c.type === "Ready");
  if (!ready)
    return [condition("PredictionReady", "Unknown", "WaitingForForecast", "no forecast yet", nowIso, p)];
  if (leftOut.length === 0)
    return [
      condition("PredictionReady", "True", ready.reason, `predicting ${predicted.join(", ")}`, nowIso, p),
    ];
  const why = leftOut.map((l) => {
    const m = tsp?.status?.predictionMetrics.find((x) => x.resourceIdentifier === l.resourceIdentifier);
    const detail =
      m && !m.ready ? `${m.reason ?? "not ready"}${m.message ? `: ${m.message}` : ""}` : l.reason;
    return `${l.resourceIdentifier} left out of the HPA (${detail})`;
  });
  const gated = tsp?.status?.predictionMetrics.some((m) => m.reason === "AccuracyBelowThreshold");
  const reason = gated
    ? "AccuracyBelowThreshold"
    : predicted.length > 0
      ? "PredictPartial"
      : ready.reason || "PredictFailed";
  return [
    condition(
      "PredictionReady",
      "False",
      reason,
      `${why.join("; ")}; reactive metrics still scale`,
      nowIso,
      p,
    ),
  ];
}

function tspWrite(
  ehpa: Ehpa,
  input: EhpaReconcileInput,
): Write<ManagedTsp> | { problems: string } | undefined {
  const t = desiredTsp(ehpa, input.rules);
  if (t === undefined) return undefined;
  if (!t.ok) return { problems: t.error.map((p) => `${p.field}: ${p.message}`).join("; ") };
  const o = input.observedTsp;
  const action = o === undefined ? "create" : tspSpecEqual(t.value.spec, o.spec) ? "none" : "update";
  return { action, manifest: t.value };
}

function writeEvents(kind: string, w: Write<unknown> | undefined): EhpaEvent[] {
  if (!w || w.action === "none") return [];
  return [
    {
      type: "Normal",
      reason: w.action === "create" ? `${kind}Created` : `${kind}Updated`,
      message:
        w.action === "create"
          ? `created ${kind} ehpa-*`
          : `${kind} spec differed from the desired one; rewritten`,
    },
  ];
}

/** One reconcile. */
export function reconcileEhpa(input: EhpaReconcileInput): EhpaDecision {
  const v = validateEhpa(input.object);
  if (!v.ok) return stopped(input, "InvalidSpec", v.error.map((p) => `${p.field}: ${p.message}`).join("; "));
  const ehpa = v.value;
  if (input.targetReplicas === 0 && ehpa.spec.minReplicas !== 0)
    return stopped(
      input,
      "ScalingDisabled",
      "the target is scaled to 0 replicas; autoscaling is disabled",
      ehpa,
    );
  const tsp = tspWrite(ehpa, input);
  if (tsp && "problems" in tsp) return stopped(input, "InvalidSpec", tsp.problems, ehpa);
  const nowIso = isoTime(input.nowSec);
  const prev = previousStatus(input.object);
  const window = ehpa.spec.prediction?.predictionWindowSeconds ?? 0;
  const servable = servableIdentifiers(input.observedTsp?.status?.predictionMetrics, input.nowSec, window);
  const hpaInput: Parameters<typeof desiredHpa>[0] = { ehpa, apiVersion: input.hpaApiVersion, servable };
  if (input.requests) hpaInput.requests = input.requests;
  const d = desiredHpa(hpaInput);
  const hpa: Write<ManagedHpa> = { action: hpaAction(d.hpa, input.observedHpa), manifest: d.hpa };
  const preview = ehpa.spec.scaleStrategy === "Preview";
  const ready = condition(
    "Ready",
    "True",
    "EffectiveHorizontalPodAutoscalerReady",
    "the managed HPA is in place",
    nowIso,
    prev?.conditions,
  );
  const status = statusFrom(
    ready,
    predictionCondition(ehpa, input.observedTsp, d.predicted, d.leftOut, nowIso, prev),
    input.observedHpa,
    nowIso,
  );
  const out: EhpaDecision = {
    ehpa,
    hpa,
    deleteTsp: !ehpa.spec.prediction && input.observedTsp !== undefined,
    status,
    statusChanged: !sameStatus(prev, status),
    events: [
      ...readyChangedEvent(prev, ready, "Normal"),
      ...writeEvents("HPA", hpa),
      ...writeEvents("TSP", tsp),
    ],
    predicted: d.predicted,
  };
  if (tsp) out.tsp = tsp;
  if (preview) out.substitute = substituteWrite(ehpa, input);
  if (
    preview &&
    ehpa.spec.specificReplicas !== undefined &&
    input.targetReplicas !== ehpa.spec.specificReplicas
  )
    out.scaleTo = ehpa.spec.specificReplicas;
  return out;
}
