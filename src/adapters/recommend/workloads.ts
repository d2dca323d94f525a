/**
 * Reads the workloads to recommend for from the API (@kubernetes/client-node 1.4, read-only): one by kind
 * and name, or every one matching a label selector in a namespace or all of them, with the HPAs that
 * target them.
 */
import { ToolkitError } from "../../core/errors.js";
import { hpaFor, type WorkloadInfo, workloadInfo } from "../../core/recommend/workload.js";
import {
  apiMessage,
  type Gvr,
  getObject,
  hpaGvr,
  type KubeClients,
  servedHpaVersion,
} from "../kube/client.js";

/** Which workloads. `namespace` undefined with a selector: all namespaces. */
export interface WorkloadSelection {
  readonly kind: "Deployment" | "StatefulSet";
  readonly name?: string;
  readonly namespace?: string;
  readonly selector?: string;
}

const PLURALS = { Deployment: "deployments", StatefulSet: "statefulsets" } as const;

interface List {
  items: unknown[];
}

async function list(clients: KubeClients, gvr: Gvr, namespace: string | undefined, labelSelector?: string) {
  const sel = labelSelector ? { labelSelector } : {};
  const l = (
    namespace === undefined
      ? await clients.custom.listClusterCustomObject({ ...gvr, ...sel })
      : await clients.custom.listNamespacedCustomObject({ ...gvr, namespace, ...sel })
  ) as List;
  return l.items;
}

function unavailable(clients: KubeClients, e: unknown): ToolkitError {
  if (e instanceof ToolkitError) return e;
  return new ToolkitError("UNAVAILABLE", `kubernetes ${clients.server}`, apiMessage(e), { cause: e });
}

/** A workload as read: what the recommenders need, the object itself and the HPA version the server serves. */
export type ReadWorkload = WorkloadInfo & {
  readonly object: Record<string, unknown>;
  readonly hpaApiVersion: string;
};

/**
 * The selected workloads with their HPAs (autoscaling/v2, or v2beta2 on servers before 1.23); NOT_FOUND
 * for a named workload that does not exist.
 */
export async function readWorkloads(clients: KubeClients, sel: WorkloadSelection): Promise<ReadWorkload[]> {
  const gvr: Gvr = { group: "apps", version: "v1", plural: PLURALS[sel.kind] };
  try {
    let objects: unknown[];
    if (sel.name !== undefined) {
      const ns = sel.namespace ?? "default";
      const o = await getObject(clients, gvr, ns, sel.name);
      if (!o)
        throw new ToolkitError(
          "NOT_FOUND",
          `${sel.kind.toLowerCase()}/${sel.name}`,
          `not found in namespace "${ns}" (check the name, or pass -n NAMESPACE)`,
        );
      objects = [o];
    } else objects = await list(clients, gvr, sel.namespace, sel.selector);
    const version = objects.length > 0 ? await servedHpaVersion(clients) : "v2";
    const hpaNamespace = sel.name !== undefined ? (sel.namespace ?? "default") : sel.namespace;
    const hpas = objects.length > 0 ? await list(clients, hpaGvr(version), hpaNamespace) : [];
    return objects.map((o) => {
      const object = { apiVersion: "apps/v1", kind: sel.kind, ...(o as object) };
      const info = workloadInfo(object);
      const hpa = hpaFor(info.ref, hpas);
      return {
        ...info,
        ...(hpa ? { currentHpa: hpa } : {}),
        object,
        hpaApiVersion: `autoscaling/${version}`,
      };
    });
  } catch (e) {
    throw unavailable(clients, e);
  }
}
