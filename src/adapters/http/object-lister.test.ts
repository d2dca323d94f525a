import { describe, expect, it } from "vitest";
import { lookupResource } from "../../core/metrics/resources.js";
import type { KubeApi, KubeResponse } from "./auth/kube-client.js";
import { KubeObjectLister } from "./object-lister.js";

function kube(answer: KubeResponse, seen: string[]): KubeApi {
  return {
    server: "https://k8s",
    get: async (path) => {
      seen.push(path);
      return answer;
    },
    post: async () => answer,
  };
}

describe("KubeObjectLister", () => {
  it("builds core and group paths with labelSelector, and Running pods for resource metrics", async () => {
    const seen: string[] = [];
    const l = new KubeObjectLister(
      kube(
        { status: 200, body: { items: [{ metadata: { name: "a", namespace: "n", labels: { app: "x" } } }] } },
        seen,
      ),
    );
    expect(await l.list(lookupResource("pods")!, "n", "app=x", { runningPodsOnly: true })).toEqual([
      { namespace: "n", name: "a", labels: { app: "x" } },
    ]);
    await l.list(lookupResource("deployments.apps")!, "n s", "");
    await l.list(lookupResource("nodes")!, "ignored", "role in (a,b)");
    expect(seen).toEqual([
      "/api/v1/namespaces/n/pods?labelSelector=app%3Dx&fieldSelector=status.phase%3DRunning",
      "/apis/apps/v1/namespaces/n%20s/deployments",
      "/api/v1/nodes?labelSelector=role+in+%28a%2Cb%29",
    ]);
  });

  it("turns an apiserver error into 'unable to list matching resources'", async () => {
    const l = new KubeObjectLister(
      kube({ status: 403, body: { kind: "Status", message: "pods is forbidden" } }, []),
    );
    await expect(l.list(lookupResource("pods")!, "n", "")).rejects.toThrow(
      "unable to list matching resources: pods is forbidden",
    );
  });
});
