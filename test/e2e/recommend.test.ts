/**
 * `tidescale recommend` against the real control plane (scripts/control-plane.sh) and a real Prometheus
 * backfilled with `promtool tsdb create-blocks-from openmetrics` with a week of cAdvisor-shaped series for
 * a Deployment's three pods (test/support/cadvisor-history.ts): it proposes requests and an HPA replayed
 * against the workload's current HPA, its `-o yaml` is accepted by `kubectl apply --dry-run=server`, and
 * bad input (a missing workload, no series, duplicated series) gets a message naming what to change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HpaValue, ResourceValue, WorkloadRecommendation } from "../../src/core/recommend/types.js";
import { cadvisorHistory, deploymentPodName, diurnal } from "../support/cadvisor-history.js";
import { runCli } from "../support/cli.js";
import { deploymentManifest } from "../support/cluster-helpers.js";
import {
  type ControlPlane,
  createNamespace,
  ensureControlPlaneBuilt,
  startControlPlane,
} from "../support/control-plane.js";
import { type RunningPrometheus, startPrometheus } from "../support/prometheus.js";

const NS = "shop";
const MIB = 1_048_576;
/** The history ends an hour ago, on a minute (the command reads the week before `--end`). */
const END = Math.floor(Date.now() / 60_000) * 60 - 3600;
const WEEK = 7 * 86_400;

let cp: ControlPlane | undefined;
let prom: RunningPrometheus | undefined;

function history(): string {
  const web = [0, 1, 2].map((i) => deploymentPodName("web", i, 3));
  const dup = [deploymentPodName("dup", 0, 4)];
  const app = { name: "app", cpu: diurnal(0.15, 0.1), memory: diurnal(180e6, 20e6, 14, 0.01) };
  return cadvisorHistory({
    workloads: [
      { namespace: NS, pods: web, containers: [app] },
      // the same pod scraped by two jobs: a query that does not aggregate sees two series per container
      { namespace: NS, pods: dup, containers: [app] },
      { namespace: NS, pods: dup, containers: [app], job: "cadvisor" },
    ],
    startSec: END - WEEK,
    endSec: END,
  });
}

const withResources = (replicas: number, resources: Record<string, unknown>) => {
  const d = JSON.parse(deploymentManifest("x", NS)) as {
    metadata: { name: string; labels?: Record<string, string> };
    spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[] } } };
  };
  d.spec.replicas = replicas;
  d.spec.template.spec.containers[0]!.name = "app";
  d.spec.template.spec.containers[0]!.resources = resources;
  return d;
};

async function deployment(name: string, labels: Record<string, string>, replicas: number) {
  const d = withResources(replicas, { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1" } });
  const text = JSON.stringify(d)
    .replaceAll('"x"', `"${name}"`)
    .replaceAll("registry.invalid/x:1", "registry.invalid/app:1");
  const obj = JSON.parse(text) as { metadata: { labels?: Record<string, string> } };
  obj.metadata.labels = labels;
  await cp!.apply(JSON.stringify(obj));
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  const [plane, p] = await Promise.all([
    startControlPlane(),
    startPrometheus({ backfillOpenMetrics: history(), retention: "30d", timeoutMs: 120_000 }),
  ]);
  cp = plane;
  prom = p;
  await createNamespace(cp, NS);
  await deployment("web", { tier: "web" }, 3);
  await deployment("idle", { tier: "web" }, 1); // no usage history at all
  await deployment("dup", { tier: "dup" }, 1);
  await cp.apply(
    JSON.stringify({
      apiVersion: "autoscaling/v2beta2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 90 } },
          },
        ],
      },
    }),
  );
}, 600_000);

afterAll(async () => {
  await Promise.allSettled([cp?.stop(), prom?.stop()]);
});

const recommend = (args: string[]) =>
  runCli(
    [
      "recommend",
      ...args,
      "--kubeconfig",
      cp!.kubeconfig,
      "--prometheus-url",
      prom!.url,
      "--end",
      String(END),
      "--prometheus-timeout",
      "60s",
    ],
    { timeoutMs: 180_000 },
  );

describe("tidescale recommend on the control plane and Prometheus", () => {
  it("proposes requests from a week of cAdvisor series and an HPA replayed against the current one", async () => {
    const r = await recommend(["deployment/web", "-n", NS, "-o", "json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const [web] = (JSON.parse(r.out) as { items: WorkloadRecommendation[] }).items;
    const cpu = web!.containers[0]!.cpu as ResourceValue;
    const memory = web!.containers[0]!.memory as ResourceValue;
    // per pod 0.15 ± 0.1 core (cosine) ± 5 % noise: p90 ≈ 0.15 + 0.1·cos(0.1π) = 0.245, × 1.15 ≈ 282 m
    expect(cpu).toMatchObject({ abstain: false, currentRequest: 500, currentLimit: 1000 });
    expect(cpu.request).toBeGreaterThanOrEqual(250);
    expect(cpu.request).toBeLessThanOrEqual(317);
    expect(cpu.limit).toBe(cpu.request * 2); // the 1 core / 500 m ratio kept
    // 180 ± 20 MB ± 1 %: p99 ≈ 200-202 MB = 191-193 MiB, × 1.15 ≈ 220-222 MiB, read inside a 5 % bucket
    expect(memory.request / MIB).toBeGreaterThanOrEqual(209);
    expect(memory.request / MIB).toBeLessThanOrEqual(233);
    // three pods' week at one-minute steps (the first rate window has no value yet)
    expect(cpu.evidence.pods).toBe(3);
    expect(cpu.evidence.samples).toBeGreaterThanOrEqual(3 * 10_070);
    const hpa = web!.hpa as HpaValue;
    expect(hpa.abstain).toBe(false);
    expect(hpa.current.description).toBe("HorizontalPodAutoscaler web");
    expect(hpa.recommended.object).toMatchObject({
      metadata: { name: "web", namespace: NS },
      spec: { scaleTargetRef: { kind: "Deployment", name: "web" } },
    });
    expect(hpa.verdict).toMatch(/^(fewer|no improvement)/);
  });

  it("prints -o yaml that kubectl apply --dry-run=server accepts as it is, and writes nothing itself", async () => {
    const r = await recommend(["deployment/web", "-n", NS, "-o", "yaml"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# resource requests for deployment\/web/);
    expect(r.out).toContain("apiVersion: autoscaling/v2beta2"); // the version this 1.20 apiserver serves
    const applied = await cp!.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: r.out,
      allowFail: true,
    });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("deployment.apps/web configured (server dry run)");
    expect(applied.stdout).toContain("horizontalpodautoscaler.autoscaling/web configured (server dry run)");
    const live = await cp!.kubectl([
      "get",
      "deployment",
      "web",
      "-n",
      NS,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].resources.requests.cpu}",
    ]);
    expect(live.stdout).toBe("500m");
  });

  it("prints a table; with -l across namespaces an idle workload abstains instead of failing", async () => {
    const r = await recommend(["deployment", "-l", "tier=web", "-A"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("deployment/web (namespace shop)");
    expect(r.out).toContain("verdict: ");
    expect(r.out).toContain("deployment/idle (namespace shop)");
    expect(r.out).toMatch(/app\s+cpu\s+-\s+-\s+-\s+abstains \(no-samples\): no container "app" cpu samples/);
  });

  it("bad input: a missing workload, a workload without series, duplicated series", async () => {
    const missing = await recommend(["deployment/ghost", "-n", NS]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(
      'error: deployment/ghost: not found in namespace "shop" (check the name, or pass -n NAMESPACE)\n',
    );
    const idle = await recommend(["deployment", "idle", "-n", NS]);
    expect(idle.code).toBe(1);
    expect(idle.err).toMatch(
      /^error: prometheus http:\/\/127\.0\.0\.1:\d+: no usage series for deployment shop\/idle .*--cpu-query\/--memory-query\)\n$/,
    );
    const dup = await recommend(["deployment/dup", "-n", NS]);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(
      /^error: --cpu-query: the query returned several series for pod "dup-[a-z0-9]+-[a-z0-9]+" container "app" \(they differ in job\); aggregate them in the template/,
    );
    // the fix the message names works
    const fixed = await recommend([
      "deployment/dup",
      "-n",
      NS,
      "--cpu-query",
      'max by (pod, container) (rate(container_cpu_usage_seconds_total{namespace="{{namespace}}",pod=~"{{pod}}",container!="",container!="POD"}[{{rate}}]))',
      "--memory-query",
      'max by (pod, container) (container_memory_working_set_bytes{namespace="{{namespace}}",pod=~"{{pod}}",container!="",container!="POD"})',
      "-o",
      "json",
    ]);
    expect(fixed.err).toBe("");
    expect(fixed.code).toBe(0);
  });
});
