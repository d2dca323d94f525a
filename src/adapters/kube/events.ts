/**
 * core/v1 Events for the objects a controller manages, aggregated like client-go's recorder: the same
 * (object, type, reason, message) within 10 minutes bumps `count` and `lastTimestamp` of the existing
 * Event instead of creating another one. Failures to record are logged, never fatal.
 */
import type { CoreV1Event } from "@kubernetes/client-node";
import { apiMessage, type KubeClients, type KubeObject } from "./client.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

const AGGREGATE_MS = 10 * 60_000;
const MAX_TRACKED = 4096;

export function createEventRecorder(
  clients: KubeClients,
  component: string,
  opts: { instance?: string; log?: (msg: string) => void; now?: () => number } = {},
): EventRecorder {
  const now = opts.now ?? Date.now;
  const seen = new Map<string, { event: CoreV1Event; atMs: number }>();
  return {
    async record(obj, type, reason, message) {
      const namespace = obj.metadata.namespace ?? "default";
      const key = [obj.metadata.uid, obj.metadata.name, type, reason, message].join("\u0000");
      const t = now();
      const at = new Date(t);
      try {
        const prev = seen.get(key);
        if (prev && t - prev.atMs < AGGREGATE_MS && prev.event.metadata.name) {
          const body: CoreV1Event = { ...prev.event, count: (prev.event.count ?? 1) + 1, lastTimestamp: at };
          const updated = await clients.core.replaceNamespacedEvent({
            namespace,
            name: prev.event.metadata.name,
            body,
          });
          seen.set(key, { event: updated, atMs: t });
          return;
        }
        const body: CoreV1Event = {
          metadata: {
            name: `${obj.metadata.name}.${t.toString(16)}${Math.floor(Math.random() * 4096).toString(16)}`,
            namespace,
          },
          involvedObject: {
            ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
            ...(obj.kind ? { kind: obj.kind } : {}),
            name: obj.metadata.name,
            // A cluster-scoped object's Events live in "default" but name no namespace (client-go's rule).
            ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
            ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
            ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
          },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: at,
          lastTimestamp: at,
          source: { component },
          reportingComponent: component,
          ...(opts.instance ? { reportingInstance: opts.instance } : {}),
        };
        const created = await clients.core.createNamespacedEvent({ namespace, body });
        if (seen.size >= MAX_TRACKED) seen.delete(seen.keys().next().value as string);
        seen.set(key, { event: created, atMs: t });
      } catch (e) {
        opts.log?.(`event ${reason} on ${namespace}/${obj.metadata.name}: ${apiMessage(e)}`);
      }
    },
  };
}
