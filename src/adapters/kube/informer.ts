/**
 * A watch cache of one resource (client-node's `makeInformer`: list, then watch from the list's
 * resourceVersion, relist on 410 Gone), restarted after an error with a capped backoff as client-go's
 * reflector does. Reads (`get`, `list`) never touch the apiserver.
 */
import { type KubernetesListObject, type KubernetesObject, makeInformer } from "@kubernetes/client-node";
import type { Gvr, KubeClients, KubeObject } from "./client.js";

export type InformerEvent = "add" | "update" | "delete";

export interface WatchCache<T extends KubeObject> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): readonly T[];
  /** True once the first list has been loaded. */
  synced(): boolean;
  stop(): Promise<void>;
}

export interface InformerOptions<T extends KubeObject> {
  labelSelector?: string;
  onEvent?: (event: InformerEvent, obj: T) => void;
  /** Called on list/watch failures before the restart (for logs). */
  onError?: (err: unknown) => void;
  /** First restart delay (default 1 s), doubled up to `maxBackoffMs` (default 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

function collectionPath(gvr: Gvr): string {
  return gvr.group ? `/apis/${gvr.group}/${gvr.version}/${gvr.plural}` : `/api/${gvr.version}/${gvr.plural}`;
}

/** Starts an informer over all namespaces and resolves after its first list (or first failure). */
export async function startInformer<T extends KubeObject>(
  clients: KubeClients,
  gvr: Gvr,
  opts: InformerOptions<T> = {},
): Promise<WatchCache<T>> {
  let synced = false;
  const list = async () => {
    const l = (await clients.custom.listClusterCustomObject({
      ...gvr,
      ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
    })) as KubernetesListObject<KubernetesObject>;
    synced = true;
    return l;
  };
  const informer = makeInformer<KubernetesObject>(clients.kc, collectionPath(gvr), list, opts.labelSelector);
  let stopped = false;
  let backoff = opts.backoffMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  for (const ev of ["add", "update", "delete"] as const) {
    informer.on(ev, (obj) => {
      opts.onEvent?.(ev, obj as unknown as T);
    });
  }
  informer.on("connect", () => {
    backoff = opts.backoffMs ?? 1000;
  });
  informer.on("error", (err) => {
    if (stopped) return;
    opts.onError?.(err);
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) void informer.start().catch((e) => opts.onError?.(e));
    }, backoff);
    timer.unref();
    backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 30_000);
  });
  await informer.start().catch((e) => opts.onError?.(e));
  return {
    get: (namespace, name) => informer.get(name, namespace) as T | undefined,
    list: (namespace) => informer.list(namespace) as unknown as readonly T[],
    synced: () => synced,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
  };
}
