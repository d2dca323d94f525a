/**
 * Kubernetes clients for the controller and the prediction cache, all from @kubernetes/client-node 1.4:
 * the kubeconfig (file or in-cluster), CustomObjectsApi for every grouped resource as plain JSON (EHPA,
 * TSP, Substitute, the managed HPA in autoscaling/v2 or v2beta2, Leases, scale subresources), CoreV1Api
 * for Events, and discovery (which autoscaling versions the server serves; kind -> resource plural).
 *
 * CustomObjectsApi builds `/apis/<group>/<version>/namespaces/<ns>/<plural>` for any group, and passes
 * bodies through untouched, so objects keep exactly the JSON the apiserver sent (no typed model drops a
 * field it does not know, such as autoscaling/v2beta2 on a client generated for v2).
 */
import {
  ApiException,
  AutoscalingApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from "@kubernetes/client-node";
import { ToolkitError } from "../../core/errors.js";

/** group/version/plural of a namespaced resource. */
export interface Gvr {
  group: string;
  version: string;
  plural: string;
}

export const EHPA_GVR: Gvr = {
  group: "autoscaling.tidescale.dev",
  version: "v1alpha1",
  plural: "effectivehorizontalpodautoscalers",
};
export const SUBSTITUTE_GVR: Gvr = {
  group: "autoscaling.tidescale.dev",
  version: "v1alpha1",
  plural: "substitutes",
};
export const TSP_GVR: Gvr = {
  group: "prediction.tidescale.dev",
  version: "v1alpha1",
  plural: "timeseriespredictions",
};
export const LEASE_GVR: Gvr = { group: "coordination.k8s.io", version: "v1", plural: "leases" };

/** autoscaling/v2 where the server serves it (1.23+), autoscaling/v2beta2 on older servers. */
export type HpaVersion = "v2" | "v2beta2";
export function hpaGvr(version: HpaVersion): Gvr {
  return { group: "autoscaling", version, plural: "horizontalpodautoscalers" };
}

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
  };
  spec?: unknown;
  status?: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The clients one process uses against one apiserver. */
export interface KubeClients {
  kc: KubeConfig;
  server: string;
  custom: CustomObjectsApi;
  core: CoreV1Api;
}

/**
 * Loads `kubeconfig` (a file), or the in-cluster service account when no path is given and
 * KUBERNETES_SERVICE_HOST is set; undefined when neither is available. Throws INVALID_INPUT naming
 * `flag` when the file cannot be loaded or has no current cluster.
 */
export function loadKubeConfig(kubeconfig: string | undefined, flag: string): KubeConfig | undefined {
  const kc = new KubeConfig();
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else return undefined;
  } catch (e) {
    throw new ToolkitError(
      "INVALID_INPUT",
      flag,
      // one line: the YAML parser's message carries a multi-line excerpt of the file
      `cannot load kubeconfig ${kubeconfig ?? "(in-cluster)"}: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  if (!kc.getCurrentCluster())
    throw new ToolkitError("INVALID_INPUT", flag, "kubeconfig has no current cluster");
  return kc;
}

/** The clients for `kubeconfig` or the in-cluster config; INVALID_INPUT naming `flag` when neither works. */
export function loadKubeClients(kubeconfig: string | undefined, flag: string): KubeClients {
  const kc = loadKubeConfig(kubeconfig, flag);
  if (!kc)
    throw new ToolkitError(
      "INVALID_INPUT",
      flag,
      "no kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST unset)",
    );
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ToolkitError("INVALID_INPUT", flag, "kubeconfig has no current cluster");
  return {
    kc,
    server: cluster.server,
    custom: kc.makeApiClient(CustomObjectsApi),
    core: kc.makeApiClient(CoreV1Api),
  };
}

/** The HTTP status of a failed client-node call (404, 409, ...), or undefined for transport errors. */
export function apiStatus(e: unknown): number | undefined {
  return e instanceof ApiException ? e.code : undefined;
}

/** A one-line description of a failed call: the Status message when the apiserver sent one. */
export function apiMessage(e: unknown): string {
  if (e instanceof ApiException) {
    const body = typeof e.body === "string" ? safeJson(e.body) : e.body;
    const msg = body && typeof body === "object" && "message" in body ? String(body.message) : e.message;
    return `HTTP ${e.code}: ${msg.split("\n")[0]}`;
  }
  return e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Which HPA version to manage: autoscaling/v2 if the server lists it, else v2beta2 (discovery). */
export async function servedHpaVersion(clients: KubeClients): Promise<HpaVersion> {
  const group = await clients.kc.makeApiClient(AutoscalingApi).getAPIGroup();
  const versions = group.versions.map((v) => v.version);
  if (versions.includes("v2")) return "v2";
  if (versions.includes("v2beta2")) return "v2beta2";
  throw new ToolkitError(
    "UNAVAILABLE",
    `kubernetes ${clients.server}`,
    `the server serves neither autoscaling/v2 nor autoscaling/v2beta2 (only ${versions.join(", ")})`,
  );
}

/** The resource plural of `apiVersion` + `kind` (discovery of `/apis/<group>/<version>`, cached). */
export async function resourcePlural(clients: KubeClients, apiVersion: string, kind: string): Promise<Gvr> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  if (!group || !version)
    throw new ToolkitError(
      "INVALID_INPUT",
      "scaleTargetRef.apiVersion",
      `"${apiVersion}" is not group/version`,
    );
  const key = `${apiVersion}/${kind}`;
  let cached = pluralCache.get(key);
  if (!cached) {
    const list = await clients.custom.getAPIResources({ group, version });
    const res = list.resources.find((r) => r.kind === kind && !r.name.includes("/"));
    if (!res)
      throw new ToolkitError("NOT_FOUND", `${apiVersion} ${kind}`, "the server does not serve this kind");
    cached = { group, version, plural: res.name };
    pluralCache.set(key, cached);
  }
  return cached;
}
const pluralCache = new Map<string, Gvr>();

/** Reads one namespaced object as JSON; undefined when it does not exist. */
export async function getObject(
  clients: KubeClients,
  gvr: Gvr,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return (await clients.custom.getNamespacedCustomObject({ ...gvr, namespace, name })) as KubeObject;
  } catch (e) {
    if (apiStatus(e) === 404) return undefined;
    throw e;
  }
}

export async function createObject(
  clients: KubeClients,
  gvr: Gvr,
  namespace: string,
  body: KubeObject,
): Promise<KubeObject> {
  return (await clients.custom.createNamespacedCustomObject({ ...gvr, namespace, body })) as KubeObject;
}

/** PUT with the body's resourceVersion (optimistic concurrency: a stale body gets 409). */
export async function replaceObject(
  clients: KubeClients,
  gvr: Gvr,
  namespace: string,
  body: KubeObject,
): Promise<KubeObject> {
  return (await clients.custom.replaceNamespacedCustomObject({
    ...gvr,
    namespace,
    name: body.metadata.name,
    body,
  })) as KubeObject;
}

/** PUT of the status subresource with the body's resourceVersion. */
export async function replaceStatus(
  clients: KubeClients,
  gvr: Gvr,
  namespace: string,
  body: KubeObject,
): Promise<KubeObject> {
  return (await clients.custom.replaceNamespacedCustomObjectStatus({
    ...gvr,
    namespace,
    name: body.metadata.name,
    body,
  })) as KubeObject;
}

/** `autoscaling/v1` Scale of a namespaced object. */
export interface Scale {
  metadata: KubeObject["metadata"];
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

export async function getScale(
  clients: KubeClients,
  gvr: Gvr,
  namespace: string,
  name: string,
): Promise<Scale> {
  return (await clients.custom.getNamespacedCustomObjectScale({ ...gvr, namespace, name })) as Scale;
}

export async function replaceScale(
  clients: KubeClients,
  gvr: Gvr,
  namespace: string,
  scale: Scale,
): Promise<Scale> {
  return (await clients.custom.replaceNamespacedCustomObjectScale({
    ...gvr,
    namespace,
    name: scale.metadata.name,
    body: { apiVersion: "autoscaling/v1", kind: "Scale", ...scale },
  })) as Scale;
}
