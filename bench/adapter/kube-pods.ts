/**
 * Pods in a real kube-apiserver for the adapter benchmark (scripts/control-plane.sh, built once): the
 * adapter's wildcard requests then select objects from its metadata watch cache, fed by a real watch.
 * Pods are created with `kubectl create` in bounded batches (no kubelet: they stay Pending, which the
 * custom metrics API does not look at).
 */
import {
  type ControlPlane,
  controlPlaneBinDir,
  startControlPlane,
} from "../../test/support/control-plane.js";

/** A control plane when its binaries are built, else undefined (the bench then says what served lists). */
export async function maybeControlPlane(): Promise<ControlPlane | undefined> {
  if (process.env.BENCH_NO_CLUSTER === "1") return undefined;
  if (!(await controlPlaneBinDir())) return undefined;
  return startControlPlane();
}

const BATCH = 500;

/** Creates the namespace (if needed) and one Pod per name, in batches of 500, labels `app=<app(i)>`. */
export async function createPods(
  cp: ControlPlane,
  namespace: string,
  names: readonly string[],
  app: (i: number) => string = () => "bench",
): Promise<void> {
  await cp.kubectl(["create", "namespace", namespace], { allowFail: true });
  // The namespace's default ServiceAccount must exist before pods are admitted.
  for (let i = 0; i < 120; i++) {
    if ((await cp.kubectl(["get", "sa", "default", "-n", namespace], { allowFail: true })).code === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  for (let at = 0; at < names.length; at += BATCH) {
    const items = names.slice(at, at + BATCH).map((name, k) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace, labels: { app: app(at + k) } },
      spec: { containers: [{ name: "app", image: "registry.invalid/app:1" }] },
    }));
    await cp.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
      timeoutMs: 300_000,
    });
  }
}
