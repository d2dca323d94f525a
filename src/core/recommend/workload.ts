/**
 * What the recommenders need from the API objects, pure: a workload's containers with their requests and
 * limits and its replicas (from a Deployment or StatefulSet as JSON), and the HPA that targets it.
 */
import { invalidInput } from "../errors.js";
import { parseQuantityValue } from "../quantity/quantity.js";
import type { ContainerUsage, CurrentHpa, ResourcePair, WorkloadRef } from "./types.js";

/** A workload as read from the API, before its usage is fetched. */
export interface WorkloadInfo {
  readonly ref: WorkloadRef;
  readonly replicas: number;
  readonly containers: readonly Pick<ContainerUsage, "name" | "requests" | "limits">[];
  readonly currentHpa?: CurrentHpa;
}

/** The kinds `recommend` reads (they have a pod template and replicas). */
export const WORKLOAD_KINDS = ["Deployment", "StatefulSet"] as const;

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});

function pair(resources: Json, field: "requests" | "limits", where: string): ResourcePair {
  const r = obj(resources[field]);
  const out: { cpuMilli?: number; memoryBytes?: number } = {};
  if (r.cpu !== undefined) out.cpuMilli = parseQuantityValue(r.cpu, `${where}.${field}.cpu`).milliValue();
  if (r.memory !== undefined)
    out.memoryBytes = Math.ceil(parseQuantityValue(r.memory, `${where}.${field}.memory`).toNumber());
  return out;
}

/** The containers, requests, limits and replicas of a Deployment or StatefulSet object. */
export function workloadInfo(object: unknown, currentHpa?: CurrentHpa): WorkloadInfo {
  const o = obj(object);
  const meta = obj(o.metadata);
  const name = String(meta.name ?? "");
  const namespace = String(meta.namespace ?? "");
  const kind = String(o.kind ?? "");
  const where = `${kind.toLowerCase()}/${namespace}/${name}`;
  const spec = obj(o.spec);
  const containers = obj(obj(spec.template).spec).containers;
  if (!Array.isArray(containers) || containers.length === 0)
    throw invalidInput(where, "spec.template.spec.containers is empty");
  return {
    ref: { apiVersion: String(o.apiVersion ?? "apps/v1"), kind, namespace, name },
    replicas: typeof spec.replicas === "number" ? spec.replicas : 1,
    containers: containers.map((c, i) => {
      const at = `${where}: spec.template.spec.containers[${i}].resources`;
      const resources = obj(obj(c).resources);
      return {
        name: String(obj(c).name ?? ""),
        requests: pair(resources, "requests", at),
        limits: pair(resources, "limits", at),
      };
    }),
    ...(currentHpa ? { currentHpa } : {}),
  };
}

/** The HPA among `hpas` whose scaleTargetRef names the workload, reduced to what the replay reads. */
export function hpaFor(ref: WorkloadRef, hpas: readonly unknown[]): CurrentHpa | undefined {
  for (const h of hpas) {
    const o = obj(h);
    const spec = obj(o.spec);
    const target = obj(spec.scaleTargetRef);
    if (target.kind !== ref.kind || target.name !== ref.name) continue;
    const meta = obj(o.metadata);
    if (meta.namespace !== undefined && meta.namespace !== ref.namespace) continue;
    const name = String(meta.name ?? "");
    const kept: Json = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas };
    for (const k of ["minReplicas", "metrics", "behavior"]) if (spec[k] !== undefined) kept[k] = spec[k];
    return {
      name,
      object: {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name, namespace: ref.namespace },
        spec: kept,
      },
    };
  }
  return undefined;
}
