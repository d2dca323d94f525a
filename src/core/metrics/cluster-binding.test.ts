import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import { bindConfigResources } from "./cluster-binding.js";
import { compileConfig } from "./config.js";
import { buildRegistry, customKey } from "./registry.js";
import { catalogFromDiscovery } from "./resources.js";

const catalog = catalogFromDiscovery(
  [
    {
      group: "",
      version: "v1",
      resources: [
        { name: "pods", namespaced: true, kind: "Pod" },
        { name: "namespaces", namespaced: false, kind: "Namespace" },
      ],
    },
    {
      group: "example.io",
      version: "v1",
      resources: [
        { name: "queues", singularName: "queue", namespaced: true, kind: "Queue" },
        { name: "brokers", singularName: "broker", namespaced: false, kind: "Broker" },
      ],
    },
  ],
  "discovery of test",
);

const rule = (overrides: Record<string, { group?: string; resource: string }>) => ({
  seriesQuery: "queue_depth",
  resources: { overrides },
  metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
});

/** The one-line error (`where: what`) that binding throws. */
function bindError(...args: Parameters<typeof bindConfigResources>): string {
  try {
    bindConfigResources(...args);
  } catch (e) {
    if (e instanceof ToolkitError && e.code === "INVALID_INPUT") return e.oneLine();
    throw e;
  }
  throw new Error("bound without an error");
}

describe("bindConfigResources", () => {
  it("resolves overrides through the catalog and registers each resource with its own scope", () => {
    const cfg = compileConfig({
      rules: [
        rule({
          namespace: { resource: "namespace" },
          queue: { group: "example.io", resource: "queues" },
          broker: { group: "example.io", resource: "broker" },
        }),
      ],
    });
    const bound = bindConfigResources(cfg, catalog);
    expect(bound.resourceCatalog).toBe(catalog);
    const series = [{ __name__: "queue_depth", namespace: "n", queue: "q1", broker: "b1" }];
    const reg = buildRegistry(bound, new Map([["queue_depth", { ok: true as const, series }]]));
    expect([...reg.custom.keys()].map((k) => k.split("\u0000").join(" ")).sort()).toEqual([
      "brokers.example.io root queue_depth",
      "namespaces root queue_depth",
      "queues.example.io ns queue_depth",
    ]);
    expect(
      reg.custom.get(customKey("queues.example.io", true, "queue_depth"))?.objects.get("n/q1")?.name,
    ).toBe("q1");
  });
  it("names the file, the rule and the field of an override the cluster lacks", () => {
    const cfg = compileConfig({
      rules: [
        rule({ namespace: { resource: "namespace" } }),
        rule({ queue: { group: "example.io", resource: "topics" } }),
      ],
    });
    expect(bindError(cfg, catalog, "rules.yaml")).toMatch(
      /^rules\.yaml: rules\[1\]\.resources\.overrides\.queue\.resource: the cluster has no resource "topics" in group "example.io"/,
    );
  });
  it("checks externalRules and resourceRules too", () => {
    const ext = compileConfig({ externalRules: [rule({ namespace: { resource: "nodes" } })] });
    expect(bindError(ext, catalog)).toMatch(
      /^externalRules\[0\]\.resources\.overrides\.namespace\.resource: /,
    );
    const rr = compileConfig({
      resourceRules: {
        cpu: {
          containerQuery: "a",
          nodeQuery: "b",
          resources: { overrides: { node: { resource: "node" } } },
        },
        memory: { containerQuery: "a", nodeQuery: "b" },
      },
    });
    expect(bindError(rr, catalog)).toMatch(/^resourceRules\.cpu\.resources\.overrides\.node\.resource: /);
  });
});
