/**
 * The local Service of `tidescale up`: which pod gets the next request. Only Ready pods are endpoints
 * (a Starting pod has not passed its readiness probe, a Draining one was removed from the endpoints).
 */
import type { LocalPod } from "./pods.js";

/** The endpoints: the Ready pods, in name order so the rotation is stable as pods come and go. */
export function endpoints(pods: readonly LocalPod[]): LocalPod[] {
  return pods.filter((p) => p.phase === "Ready").sort((a, b) => a.ordinal - b.ordinal);
}

/**
 * Round-robin over the endpoints: the endpoint after the one named `last` (by ordinal, so a pod joining
 * or leaving does not restart the rotation), or undefined when there is no endpoint.
 */
export function pickEndpoint(ready: readonly LocalPod[], lastOrdinal: number): LocalPod | undefined {
  if (ready.length === 0) return undefined;
  for (const p of ready) if (p.ordinal > lastOrdinal) return p;
  return ready[0];
}
