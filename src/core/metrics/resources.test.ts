import { describe, expect, it } from "vitest";
import { compileResources, groupResourceString, lookupResource } from "./resources.js";

describe("lookupResource (RESTMapper-like normalization)", () => {
  it.each([
    ["pods", "pods"],
    ["pod", "pods"],
    ["Pod", "pods"],
    ["deployments.apps", "deployments.apps"],
    ["deployment.apps", "deployments.apps"],
    ["deployment", "deployments.apps"],
    ["jobs.batch", "jobs.batch"],
    ["ingresses.networking.k8s.io", "ingresses.networking.k8s.io"],
    ["node", "nodes"],
  ])("%s -> %s", (name, want) => {
    expect(groupResourceString(lookupResource(name)!)).toBe(want);
  });
  it("does not know made-up resources", () => {
    expect(lookupResource("podz")).toBeUndefined();
    expect(lookupResource("deployments.batch")).toBeUndefined();
  });
});

describe("compileResources", () => {
  const pods = lookupResource("pods")!;
  const ns = lookupResource("namespaces")!;
  const deps = lookupResource("deployments.apps")!;
  it("maps labels by overrides both ways", () => {
    const m = compileResources({
      overrides: {
        kubernetes_namespace: { resource: "namespace" },
        kubernetes_pod_name: { resource: "pod" },
      },
    });
    expect(m.resourceForLabel("kubernetes_pod_name")).toBe(pods);
    expect(m.labelForResource(ns)).toBe("kubernetes_namespace");
    expect(m.resourceForLabel("pod")).toBeUndefined();
  });
  it("maps labels by template <<.Resource>> (every label naming a resource)", () => {
    const m = compileResources({ template: "<<.Resource>>" });
    expect(m.resourceForLabel("pod")).toBe(pods);
    expect(groupResourceString(m.resourceForLabel("job")!)).toBe("jobs.batch");
    expect(m.resourceForLabel("instance")).toBeUndefined();
    expect(m.labelForResource(deps)).toBe("deployment");
  });
  it("maps kube_<<.Group>>_<<.Resource>> both ways", () => {
    const m = compileResources({ template: "kube_<<.Group>>_<<.Resource>>" });
    expect(m.labelForResource(deps)).toBe("kube_apps_deployment");
    expect(m.resourceForLabel("kube_apps_deployment")).toBe(deps);
  });
  it("prefers overrides over the template", () => {
    const m = compileResources({
      template: "<<.Resource>>",
      overrides: { exported_pod: { resource: "pods" } },
    });
    expect(m.labelForResource(pods)).toBe("exported_pod");
  });
  it.each([
    [{ overrides: { x: { resource: "podz" } } }, "overrides.x.resource", /unknown resource "podz"/],
    [
      { overrides: { instance: { resource: "node" }, node: { resource: "node" } } },
      "overrides.node",
      /labels "instance" and "node" both map to nodes/,
    ],
    [{ template: "<<.Group>>" }, "template", /must contain <<.Resource>>/],
    [{ template: "<<.Resource" }, "template", /unclosed action/],
  ])("rejects %j at %s", (cfg, field, msg) => {
    try {
      compileResources(cfg);
      expect.unreachable();
    } catch (e) {
      expect((e as { field: string }).field).toBe(field);
      expect((e as Error).message).toMatch(msg);
    }
  });
  it("accepts a custom resource with a group", () => {
    const m = compileResources({ overrides: { queue: { group: "example.com", resource: "queues" } } });
    expect(groupResourceString(m.resourceForLabel("queue")!)).toBe("queues.example.com");
  });
});
