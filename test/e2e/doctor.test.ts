/**
 * `tidescale doctor` against a real control plane (scripts/control-plane.sh, whose kube-controller-manager
 * runs the HPA controller): one seeded fault, an HPA whose Deployment does not exist, is found as
 * FailedGetScale with its fix and nothing else; a namespace without HPAs is healthy; bad flags exit 2.
 * (The other faults of the acceptance list are not covered yet.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type ControlPlane, ensureControlPlaneBuilt, startControlPlane } from "../support/control-plane.js";
import { eventually } from "../support/wait.js";

let cp: ControlPlane;

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  await cp.kubectl(["create", "namespace", "shop"]);
  await cp.kubectl(["create", "namespace", "quiet"]);
  await cp.apply(`apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`);
}, 1_800_000);

afterAll(async () => {
  await cp?.stop();
});

describe("tidescale doctor on a real control plane", () => {
  it("finds an HPA on a missing Deployment (FailedGetScale) and says the fix; exit 1", async () => {
    // the HPA controller (sync period 5s) sets the condition: wait for it, then diagnose.
    await eventually(
      "AbleToScale=False on shop/web",
      async () => {
        const r = await cp.kubectl([
          "-n",
          "shop",
          "get",
          // autoscaling/v1 (kubectl's default on 1.20) keeps conditions in an annotation
          "horizontalpodautoscalers.v2beta2.autoscaling",
          "web",
          "-o",
          "jsonpath={.status.conditions[?(@.type=='AbleToScale')].reason}",
        ]);
        return r.stdout === "FailedGetScale" ? true : undefined;
      },
      {
        timeoutMs: 90_000,
        detail: async () =>
          (await cp.kubectl(["-n", "shop", "get", "hpa,events", "-o", "yaml"])).stdout +
          (await cp.log("kube-controller-manager", 40)),
      },
    );
    const r = await runCli([
      "doctor",
      "--kubeconfig",
      cp.kubeconfig,
      "-n",
      "shop",
      "--hpa",
      "web",
      "-o",
      "json",
    ]);
    expect(r.code, r.err).toBe(1);
    const out = JSON.parse(r.out) as { healthy: boolean; findings: Array<Record<string, string>> };
    expect(out.healthy).toBe(false);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      id: "hpa.failed-get-scale",
      object: "hpa/shop/web",
      fix: expect.stringContaining("kubectl -n shop get deployment/web"),
    });
    expect(out.findings[0]?.seen).toContain('deployments/scale.apps "web" not found');
    const text = await runCli(["doctor", "--kubeconfig", cp.kubeconfig, "-n", "shop"]);
    expect(text.code).toBe(1);
    expect(text.out).toContain("hpa/shop/web: hpa.failed-get-scale\n");
    expect(text.out.trimEnd().split("\n").at(-1)).toBe("1 finding (0 metrics APIServices, 1 HPAs)");
  });

  it("reports a namespace without problems as healthy; exit 0", async () => {
    const r = await runCli(["doctor", "--kubeconfig", cp.kubeconfig, "-n", "quiet"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe("healthy: 0 metrics APIServices, 0 HPAs\n");
  });

  it.each([
    [["--hpa", "web"], "error: --hpa: needs --namespace"],
    [["-n", "Shop"], "error: --namespace: "],
    [["-n", "shop", "-o", "yaml"], 'error: --output: want text or json, got "yaml"'],
    [["-n", "shop", "--hpa", "nothere"], "error: --hpa: horizontalpodautoscaler shop/nothere not found"],
  ])("%j is refused", async (args, message) => {
    const r = await runCli(["doctor", "--kubeconfig", cp.kubeconfig, ...args]);
    expect(r.err).toContain(message);
    expect(r.code).toBe(message.includes("not found") ? 1 : 2);
  });
});
