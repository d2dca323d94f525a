import { describe, expect, it } from "vitest";
import type { ToolkitError } from "../errors.js";
import { checkTemplate, DEFAULT_QUERIES, podRegex, renderQuery, seriesByContainer } from "./queries.js";
import { patchDocuments } from "./report.js";
import type { WorkloadRecommendation } from "./types.js";
import { hpaFor, workloadInfo } from "./workload.js";

/** The one-line form (`where: what`) of what `f` throws. */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as ToolkitError).oneLine();
  }
  return "nothing thrown";
}

const ref = { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" };

describe("usage queries", () => {
  it("renders the default templates with escaped values", () => {
    expect(renderQuery(DEFAULT_QUERIES.cpu, ref, "5m", "--cpu-query")).toBe(
      'rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"web-[a-z0-9]+-[a-z0-9]+",container!="",container!="POD"}[5m])',
    );
    const odd = { ...ref, namespace: 'a"b', name: "x.y" };
    // the name's dot is regex-escaped, then the backslash and the quote are string-escaped
    expect(renderQuery("{{namespace}} {{pod}}", odd, "5m", "q")).toBe("a\\x22b x\\\\.y-[a-z0-9]+-[a-z0-9]+");
    expect(podRegex({ ...ref, kind: "StatefulSet" })).toBe("web-[0-9]+");
  });

  it("rejects unknown placeholders, templates without namespace or pod, and bad rate windows", () => {
    expect(thrown(() => checkTemplate("up{{{ns}}}", "--cpu-query"))).toMatch(
      /^--cpu-query: unknown placeholder \{\{ns\}\}/,
    );
    expect(() => checkTemplate('up{namespace="{{namespace}}"}', "--cpu-query")).toThrow(/has no \{\{pod\}\}/);
    expect(() => renderQuery(DEFAULT_QUERIES.cpu, ref, "5 minutes", "--rate")).toThrow(
      /not a PromQL duration/,
    );
  });

  it("groups series by container and pod, joins a restarted container's series, rejects overlapping ones", () => {
    const s = (labels: Record<string, string>, ts: number[]) => ({
      metric: labels,
      values: ts.map((t) => [t, "0.5"] as const),
    });
    const joined = seriesByContainer(
      [
        s({ pod: "web-a-1", container: "app", name: "c1" }, [60, 120]),
        s({ pod: "web-a-1", container: "app", name: "c2" }, [180, 240]),
        s({ pod: "web-a-2", container: "app" }, [60]),
      ],
      "--cpu-query",
    );
    expect(joined.get("app")!.map((p) => [p.pod, p.points.map((x) => x.t)])).toEqual([
      ["web-a-1", [60_000, 120_000, 180_000, 240_000]],
      ["web-a-2", [60_000]],
    ]);
    expect(() =>
      seriesByContainer(
        [
          s({ pod: "web-a-1", container: "app", job: "kubelet" }, [60, 120]),
          s({ pod: "web-a-1", container: "app", job: "cadvisor" }, [120, 180]),
        ],
        "--cpu-query",
      ),
    ).toThrow(/several series for pod "web-a-1" container "app" \(they differ in job\); aggregate them/);
    expect(() => seriesByContainer([s({ container: "app" }, [60])], "--memory-query")).toThrow(
      /no pod label/,
    );
  });
});

describe("workload objects", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      replicas: 3,
      template: {
        spec: {
          containers: [
            { name: "app", resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: 1 } } },
            { name: "sidecar" },
          ],
        },
      },
    },
  };

  it("reads containers, requests, limits and replicas; finds the HPA that targets it", () => {
    const hpa = {
      metadata: { name: "web", namespace: "shop", uid: "x", resourceVersion: "9" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 4 },
      status: { currentReplicas: 3 },
    };
    const info = workloadInfo(deployment);
    expect(info).toMatchObject({
      ref,
      replicas: 3,
      containers: [
        { name: "app", requests: { cpuMilli: 250, memoryBytes: 268435456 }, limits: { cpuMilli: 1000 } },
        { name: "sidecar", requests: {}, limits: {} },
      ],
    });
    expect(hpaFor(ref, [hpa])).toEqual({
      name: "web",
      object: {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web", namespace: "shop" },
        spec: { scaleTargetRef: hpa.spec.scaleTargetRef, maxReplicas: 4 },
      },
    });
    expect(hpaFor({ ...ref, name: "other" }, [hpa])).toBeUndefined();
  });

  it("names the field of a malformed quantity", () => {
    const bad = structuredClone(deployment);
    bad.spec.template.spec.containers[0]!.resources!.requests.cpu = "lots";
    expect(thrown(() => workloadInfo(bad))).toMatch(
      /^deployment\/shop\/web: spec.template.spec.containers\[0\].resources.requests.cpu: invalid quantity "lots"/,
    );
  });
});

describe("the YAML objects", () => {
  it("a partial workload with the containers' resources, and no object for abstained parts", () => {
    const r: WorkloadRecommendation = {
      workload: ref,
      containers: [
        {
          container: "app",
          cpu: {
            abstain: false,
            request: 120,
            limit: 480,
            currentRequest: 250,
            currentLimit: 1000,
            crane: 200,
            evidence: {
              data: "",
              samples: 1,
              pods: 1,
              fromMs: 0,
              toMs: 0,
              coveredMs: 0,
              largestGapMs: 0,
              method: "",
            },
          },
          memory: { abstain: true, reason: "no-samples", message: "none" },
        },
      ],
      replicas: { abstain: true, reason: "no-requests", message: "x" },
      hpa: { abstain: true, reason: "no-requests", message: "x" },
    };
    expect(patchDocuments(r)).toEqual([
      {
        comment: "resource requests for deployment/web (namespace shop)",
        object: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web", namespace: "shop" },
          spec: {
            template: {
              spec: {
                containers: [
                  { name: "app", resources: { requests: { cpu: "120m" }, limits: { cpu: "480m" } } },
                ],
              },
            },
          },
        },
      },
    ]);
  });
});
