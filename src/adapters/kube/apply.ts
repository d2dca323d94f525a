/**
 * Create-or-update of objects the controller owns, writing only on drift: the desired spec, labels and
 * owner references are compared with the cached object (`covers`: defaults and quantity spelling are not
 * drift), so an unchanged object is never rewritten and its resourceVersion never moves. Updates are
 * PUTs carrying the cached resourceVersion: a stale cache gets 409 and the caller retries on the next
 * event instead of overwriting someone else's write.
 */
import { covers, driftPaths } from "../../core/kube/semantic.js";
import {
  createObject,
  type Gvr,
  type KubeClients,
  type KubeObject,
  replaceObject,
  replaceStatus,
} from "./client.js";

export type ApplyOutcome =
  | { action: "created"; object: KubeObject }
  | { action: "updated"; object: KubeObject; drift: string[] }
  | { action: "unchanged"; object: KubeObject };

/** The parts of `desired` the controller owns. */
function ownedParts(o: KubeObject): unknown {
  return {
    metadata: {
      labels: o.metadata.labels,
      annotations: o.metadata.annotations,
      ownerReferences: o.metadata.ownerReferences,
    },
    spec: o.spec,
  };
}

/** Fields of `desired` (spec, labels, annotations, owner references) that `existing` lacks. */
export function specDrift(desired: KubeObject, existing: KubeObject): string[] {
  return driftPaths(ownedParts(desired), ownedParts({ ...existing, spec: existing.spec }));
}

/**
 * Creates `desired` when `existing` is undefined, replaces its owned parts when they drifted, otherwise
 * does nothing. Labels and annotations set by others are kept; the spec is the desired one.
 */
export async function applySpec(
  clients: KubeClients,
  gvr: Gvr,
  desired: KubeObject,
  existing: KubeObject | undefined,
): Promise<ApplyOutcome> {
  const namespace = desired.metadata.namespace ?? "";
  if (!existing) return { action: "created", object: await createObject(clients, gvr, namespace, desired) };
  const drift = specDrift(desired, existing);
  if (drift.length === 0) return { action: "unchanged", object: existing };
  const body: KubeObject = {
    ...existing,
    metadata: {
      ...existing.metadata,
      labels: { ...existing.metadata.labels, ...desired.metadata.labels },
      ...(desired.metadata.annotations
        ? { annotations: { ...existing.metadata.annotations, ...desired.metadata.annotations } }
        : {}),
      ...(desired.metadata.ownerReferences ? { ownerReferences: desired.metadata.ownerReferences } : {}),
    },
    spec: desired.spec,
  };
  return { action: "updated", object: await replaceObject(clients, gvr, namespace, body), drift };
}

/** Writes `status` through the status subresource unless `existing.status` already covers it. */
export async function applyStatus(
  clients: KubeClients,
  gvr: Gvr,
  existing: KubeObject,
  status: unknown,
): Promise<ApplyOutcome> {
  if (covers(status, existing.status) && covers(existing.status, status))
    return { action: "unchanged", object: existing };
  const drift = driftPaths({ status }, { status: existing.status });
  const body = { ...existing, status };
  return {
    action: "updated",
    object: await replaceStatus(clients, gvr, existing.metadata.namespace ?? "", body),
    drift,
  };
}
