/**
 * Lists Kubernetes objects for wildcard metric requests (`pods/*`), as prometheus-adapter does with the
 * request's `labelSelector` applied. Two sources:
 *
 * - `WatchObjectLister`: a watch cache of object metadata per resource (kube/metadata-informer.ts), fed
 *   by the apiserver (`--lister-kubeconfig`, `--kubeconfig` or in-cluster); requests are answered from
 *   memory, never with a LIST per request. Caches start for the resources the discovered metrics are
 *   attached to (and on the first request for another resource); readiness waits for their first sync.
 * - none: without a cluster the adapter answers wildcards from the objects it saw in Prometheus series
 *   (the registry's per-metric object list), matching `labelSelector` against those series' labels.
 */
import { ToolkitError } from "../../core/errors.js";
import { groupResourceString, type ResourceInfo } from "../../core/metrics/resources.js";
import type { KubeConnection } from "../kube/connection.js";
import { type InformerLog, MetadataInformer } from "../kube/metadata-informer.js";

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
   * selector string as the request carried it, already validated). `runningPodsOnly` keeps pods in
   * phase Running.
   */
  list(
    resource: ResourceInfo,
    namespace: string | undefined,
    labelSelector: string,
    opts?: { runningPodsOnly?: boolean },
  ): Promise<readonly ListedObject[]>;
}

export interface WatchObjectListerOptions {
  /** Full relist (resync) period of each cache. */
  relistMs?: number;
  /** Server-side watch timeout. */
  watchTimeoutSeconds?: number;
  /** How long a request waits for a cache that has not finished its first list. */
  syncWaitMs?: number;
  log: InformerLog;
}

const RUNNING = "status.phase=Running";

/** Answers from per-resource metadata watch caches. */
export class WatchObjectLister implements ObjectLister {
  readonly source: string;
  private readonly informers = new Map<string, MetadataInformer>();

  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: WatchObjectListerOptions,
  ) {
    this.source = `watch cache of ${conn.server}`;
  }

  /** The cache of `resource` (pods in phase Running when `running`), started on first use. */
  informer(resource: ResourceInfo, running = false): MetadataInformer {
    const fieldSelector =
      running && resource.group === "" && resource.resource === "pods" ? RUNNING : undefined;
    const key = `${groupResourceString(resource)}/${resource.version}${fieldSelector ? `?${fieldSelector}` : ""}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new MetadataInformer(this.conn, resource, {
        fieldSelector,
        relistMs: this.opts.relistMs ?? 30 * 60_000,
        watchTimeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
        log: this.opts.log,
      });
      this.informers.set(key, inf);
      inf.start();
    }
    return inf;
  }

  /** Starts the caches for `resources` (the resources metrics are discovered for). */
  ensure(resources: Iterable<{ resource: ResourceInfo; running?: boolean }>): void {
    for (const r of resources) this.informer(r.resource, r.running);
  }

  /** Why readiness must wait (a cache before its first list), or undefined. */
  notReady(): string | undefined {
    const waiting = [...this.informers.values()].filter((i) => !i.hasSynced);
    if (waiting.length === 0) return undefined;
    return `object caches not synced yet: ${waiting
      .map((i) => `${i.name}${i.lastError ? ` (${i.lastError})` : ""}`)
      .join(", ")}`;
  }

  async list(
    resource: ResourceInfo,
    namespace: string | undefined,
    labelSelector: string,
    opts: { runningPodsOnly?: boolean } = {},
  ): Promise<readonly ListedObject[]> {
    const inf = this.informer(resource, opts.runningPodsOnly);
    if (!inf.hasSynced) {
      const waitMs = this.opts.syncWaitMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([inf.synced, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
      if (!inf.hasSynced)
        throw new ToolkitError(
          "UNAVAILABLE",
          `list ${inf.name}`,
          `unable to list matching resources: the object cache has not synced within ${waitMs} ms${inf.lastError ? `: ${inf.lastError}` : ""}`,
        );
    }
    return inf.store.list(resource.namespaced ? namespace : "", labelSelector);
  }

  async close(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
