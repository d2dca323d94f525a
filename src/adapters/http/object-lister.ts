/**
 * Lists Kubernetes objects for wildcard metric requests (`pods/*`), as prometheus-adapter does through the
 * apiserver with the request's `labelSelector` applied. Two implementations:
 *
 * - `KubeObjectLister`: the real apiserver (`--lister-kubeconfig`, `--kubeconfig` or in-cluster).
 * - none: without a cluster the adapter answers wildcards from the objects it saw in Prometheus series
 *   (the registry's per-metric object list), matching `labelSelector` against those series' labels.
 */
import { ToolkitError } from "../../core/errors.js";
import type { ResourceInfo } from "../../core/metrics/resources.js";
import type { KubeApi } from "./auth/kube-client.js";
import { statusMessage } from "./auth/kube-client.js";

export interface ListedObject {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

export interface ObjectLister {
  /** Where objects come from (for messages). */
  readonly source: string;
  /**
   * Objects of `resource` in `namespace` (all namespaces when undefined) matching `labelSelector` (the
   * selector string as the request carried it). `runningPodsOnly` adds `status.phase=Running` for pods.
   */
  list(
    resource: ResourceInfo,
    namespace: string | undefined,
    labelSelector: string,
    opts?: { runningPodsOnly?: boolean },
  ): Promise<ListedObject[]>;
}

/** Lists through the Kubernetes API (metadata of the objects only is used). */
export class KubeObjectLister implements ObjectLister {
  readonly source: string;
  constructor(private readonly kube: KubeApi) {
    this.source = `kubernetes ${kube.server}`;
  }

  async list(
    resource: ResourceInfo,
    namespace: string | undefined,
    labelSelector: string,
    opts: { runningPodsOnly?: boolean } = {},
  ): Promise<ListedObject[]> {
    const base =
      resource.group === "" ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
    const nsPart =
      namespace !== undefined && resource.namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    const params = new URLSearchParams();
    if (labelSelector) params.set("labelSelector", labelSelector);
    if (opts.runningPodsOnly && resource.resource === "pods" && resource.group === "")
      params.set("fieldSelector", "status.phase=Running");
    const qs = params.toString();
    const path = `${base}${nsPart}/${resource.resource}${qs ? `?${qs}` : ""}`;
    const res = await this.kube.get(path);
    if (res.status !== 200)
      throw new ToolkitError(
        res.status === 400 ? "INVALID_INPUT" : "UNAVAILABLE",
        `list ${resource.resource}`,
        `unable to list matching resources: ${statusMessage(res)}`,
      );
    const items = (
      res.body as {
        items?: Array<{ metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }>;
      }
    ).items;
    return (items ?? []).map((it) => ({
      namespace: it.metadata?.namespace ?? "",
      name: it.metadata?.name ?? "",
      labels: it.metadata?.labels ?? {},
    }));
  }
}
