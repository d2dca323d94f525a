/**
 * The adapter rules shipped for kube-prometheus (deploy/kube-prometheus/01-adapter-config.yaml) load
 * through the same config parser as `tidescale adapter --config`, discover the sample app's series as
 * kube-prometheus labels them, and render resource queries that select the kubelet's cAdvisor copy.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { compileConfig } from "../../core/metrics/config.js";
import {
  buildCustomQuery,
  buildNodeResourceQuery,
  buildPodResourceQuery,
} from "../../core/metrics/queries.js";
import { buildRegistry } from "../../core/metrics/registry.js";
import { lookupResource } from "../../core/metrics/resources.js";

const FILE = join(import.meta.dirname, "../../../deploy/kube-prometheus/01-adapter-config.yaml");
const configMap = parseYaml(readFileSync(FILE, "utf8")) as {
  kind: string;
  metadata: { name: string; namespace: string };
  data: Record<string, string>;
};
const cfg = compileConfig(parseYaml(configMap.data["rules.yaml"] ?? ""), "rules.yaml");

/** A sample-app series as a kube-prometheus ServiceMonitor scrape labels it (prometheus-operator's target labels). */
const sampleAppSeries = {
  __name__: "http_requests_total",
  namespace: "demo",
  pod: "sample-app-7d9c-abcde",
  service: "sample-app",
  endpoint: "http",
  container: "sample-app",
  job: "sample-app",
  instance: "10.0.0.7:8080",
  path: "/",
};

describe("deploy/kube-prometheus/01-adapter-config.yaml", () => {
  it("replaces the adapter's ConfigMap that deploy/04-deployment.yaml mounts", () => {
    expect(configMap).toMatchObject({
      kind: "ConfigMap",
      metadata: { name: "tidescale-adapter-config", namespace: "tidescale" },
    });
  });

  it("compiles: one custom rule and cpu/memory resource rules; the only warning is the empty external API", () => {
    expect(cfg.warnings).toEqual([
      "no externalRules: external.metrics.k8s.io is served with an empty resource list",
    ]);
    expect(cfg.rules).toHaveLength(1);
    expect(cfg.resourceRules?.windowMs).toBe(120_000);
  });

  it("discovers http_requests_qps on pods and namespaces from kube-prometheus-labelled series", () => {
    const rule = cfg.rules[0]!;
    const reg = buildRegistry(cfg, new Map([[rule.seriesQuery, { ok: true, series: [sampleAppSeries] }]]));
    const found = [...reg.custom.values()].map((e) => `${e.groupResource}/${e.apiName}`).sort();
    expect(found).toEqual(["namespaces/http_requests_qps", "pods/http_requests_qps"]);
    const pod = [...reg.custom.values()].find((e) => e.groupResource === "pods");
    expect([...(pod?.objects.keys() ?? [])]).toEqual(["demo/sample-app-7d9c-abcde"]);
  });

  it("queries the sample app's pods by the namespace and pod labels", () => {
    const q = buildCustomQuery({
      rule: cfg.rules[0]!,
      seriesName: "http_requests_total",
      resource: lookupResource("pods")!,
      namespace: "demo",
      names: ["sample-app-7d9c-abcde"],
      metricSelector: [],
    });
    expect(q).toMatchObject({
      ok: true,
      value: {
        query: 'sum(rate(http_requests_total{namespace="demo",pod="sample-app-7d9c-abcde"}[2m])) by (pod)',
        resourceLabel: "pod",
      },
    });
  });

  it("selects the cAdvisor copy of container series (metrics_path), not the kubelet's /metrics/resource one", () => {
    const rr = cfg.resourceRules!;
    const pods = buildPodResourceQuery(rr.cpu, "cpu", "demo", ["web-0"]);
    expect(pods).toMatchObject({
      ok: true,
      value: {
        query:
          'sum(rate(container_cpu_usage_seconds_total{namespace="demo",pod="web-0",metrics_path="/metrics/cadvisor",container!="",pod!=""}[2m])) by (pod,container)',
        podLabel: "pod",
        namespaceLabel: "namespace",
      },
    });
    const nodes = buildNodeResourceQuery(rr.memory, "memory", ["node-a"]);
    expect(nodes).toMatchObject({
      ok: true,
      value: {
        query:
          'sum(container_memory_working_set_bytes{node="node-a",metrics_path="/metrics/cadvisor",id="/"}) by (node)',
        nodeLabel: "node",
      },
    });
  });
});
