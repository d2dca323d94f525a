/**
 * Helpers for e2e tests on the control plane of scripts/control-plane.sh: a bearer-token kubeconfig
 * (a ServiceAccount's identity), and the stand-in for the kubelet that keeps marking pods ready.
 */
import { writeFile } from "node:fs/promises";
import { stringify as stringifyYaml } from "yaml";
import type { ControlPlane } from "./control-plane.js";
import { sleep } from "./wait.js";

/** Writes a kubeconfig for `c` that authenticates with `token`; returns `file`. */
export async function writeTokenKubeconfig(c: ControlPlane, file: string, token: string): Promise<string> {
  await writeFile(
    file,
    stringifyYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "e2e", cluster: { server: c.server, "certificate-authority": c.caFile } }],
      users: [{ name: "sa", user: { token } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "sa" } }],
      "current-context": "e2e",
    }),
  );
  return file;
}

/**
 * Marks the pods of `selector` in `namespace` ready every 500 ms (what a kubelet would do), until
 * `stop()` or 20 minutes at most; `after` runs after each round (e.g. to update an exporter).
 */
export function startPodReadyLoop(
  c: ControlPlane,
  namespace: string,
  selector: string,
  after?: () => Promise<void>,
): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    const until = Date.now() + 20 * 60_000;
    while (running && Date.now() < until) {
      try {
        await c.markPodsReady(namespace, selector);
        await after?.();
      } catch {
        // the apiserver may be stopping (afterAll); the next round retries
      }
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * A one-replica Deployment `name` in `namespace` whose pods carry `app=<name>` and run one container of
 * the same name (an image that never pulls: the pod loop stands in for the kubelet), as JSON to apply.
 */
export function deploymentManifest(
  name: string,
  namespace: string,
  container: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: `registry.invalid/${name}:1`, ...container }] },
      },
    },
  });
}
