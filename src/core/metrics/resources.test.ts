import { describe, expect, it } from "vitest";
import {
  BUILTIN_CATALOG,
  catalogFromDiscovery,
  compileResources,
  type DiscoveredGroup,
  groupResourceString,
  lookupResource,
} from "./resources.js";

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

/** A discovery snapshot shaped like a 1.20 cluster's with two CRDs of group example.io. */
const SNAPSHOT: DiscoveredGroup[] = [
  {
    group: "",
    version: "v1",
    resources: [
      { name: "pods", singularName: "", namespaced: true, kind: "Pod" },
      { name: "pods/status", singularName: "", namespaced: true, kind: "Pod" },
      { name: "namespaces", singularName: "", namespaced: false, kind: "Namespace" },
      { name: "events", singularName: "", namespaced: true, kind: "Event" },
    ],
  },
  {
    group: "apps",
    version: "v1",
    resources: [{ name: "deployments", singularName: "", namespaced: true, kind: "Deployment" }],
  },
  {
    group: "events.k8s.io",
    version: "v1",
    resources: [{ name: "events", singularName: "", namespaced: true, kind: "Event" }],
  },
  {
    group: "example.io",
    version: "v1alpha2",
    resources: [
      { name: "queues", singularName: "queue", namespaced: true, kind: "Queue" },
      { name: "clusterqueues", singularName: "clusterqueue", namespaced: false, kind: "ClusterQueue" },
    ],
  },
];
const cluster = catalogFromDiscovery(SNAPSHOT, "discovery of https://127.0.0.1:6443");

describe("catalogFromDiscovery (the cluster's RESTMapper)", () => {
  it.each([
    // name, group, want groupResource, version, namespaced
    ["queues", "example.io", "queues.example.io", "v1alpha2", true],
    ["queue", "example.io", "queues.example.io", "v1alpha2", true],
    ["Queue", undefined, "queues.example.io", "v1alpha2", true],
    ["queues.example.io", undefined, "queues.example.io", "v1alpha2", true],
    ["clusterqueues", "example.io", "clusterqueues.example.io", "v1alpha2", false],
    ["namespace", undefined, "namespaces", "v1", false],
    ["pod", undefined, "pods", "v1", true],
    ["pods", "core", "pods", "v1", true],
    ["deployment", undefined, "deployments.apps", "v1", true],
    // Two groups serve `events`: the first in discovery order (core) wins, as RESTMapper priority.
    ["events", undefined, "events", "v1", true],
    ["events", "events.k8s.io", "events.events.k8s.io", "v1", true],
  ] as const)("%s (group %s) -> %s %s namespaced=%s", (name, group, gr, version, namespaced) => {
    const r = cluster.lookup(name, group);
    expect(r && groupResourceString(r)).toBe(gr);
    expect(r?.version).toBe(version);
    expect(r?.namespaced).toBe(namespaced);
  });
  it("derives the singular from the kind when discovery leaves it empty, and skips subresources", () => {
    expect(cluster.lookup("pods")?.singular).toBe("pod");
    expect(cluster.lookup("pods/status")).toBeUndefined();
    expect(cluster.resources.some((r) => r.resource.includes("/"))).toBe(false);
  });
  it("does not know what the cluster does not serve (even built-in names)", () => {
    expect(cluster.lookup("nodes")).toBeUndefined();
    expect(cluster.lookup("queues", "example.com")).toBeUndefined();
    expect(BUILTIN_CATALOG.lookup("nodes")?.resource).toBe("nodes");
  });
});

describe("compileResources against the cluster's discovery", () => {
  it("maps an override naming a CRD to its real plural, group and preferred version", () => {
    const m = compileResources({ overrides: { queue: { group: "example.io", resource: "queue" } } }, cluster);
    const q = m.resourceForLabel("queue")!;
    expect(q).toMatchObject({ group: "example.io", version: "v1alpha2", resource: "queues", kind: "Queue" });
    expect(m.labelForResource(q)).toBe("queue");
    expect(m.custom).toEqual([]);
  });
  it("maps a template label to a CRD and keeps its scope", () => {
    const m = compileResources({ template: "<<.Resource>>" }, cluster);
    expect(m.resourceForLabel("clusterqueue")).toMatchObject({
      resource: "clusterqueues",
      namespaced: false,
    });
    expect(m.resourceForLabel("queue")?.namespaced).toBe(true);
    expect(m.resourceForLabel("node")).toBeUndefined();
  });
  it.each([
    [
      { group: "example.io", resource: "topics" },
      /the cluster has no resource "topics" in group "example.io" \(discovery of https:\/\/127\.0\.0\.1:6443; some: queues\.example\.io, clusterqueues\.example\.io\)/,
    ],
    [
      { group: "example.com", resource: "queues" },
      /the cluster has no resource "queues" in group "example.com"/,
    ],
    [{ resource: "nodes" }, /the cluster has no resource "nodes" \(/],
  ])("rejects the override %j naming what the cluster lacks", (ov, msg) => {
    try {
      compileResources({ overrides: { queue: ov } }, cluster);
      expect.unreachable();
    } catch (e) {
      expect((e as { field: string }).field).toBe("overrides.queue.resource");
      expect((e as Error).message).toMatch(msg);
    }
  });
  it("keeps the block it was compiled from, to compile it again against a newer snapshot", () => {
    const cfg = { overrides: { queue: { group: "example.io", resource: "queues" } } };
    const builtin = compileResources(cfg);
    expect(builtin.resourceForLabel("queue")?.version).toBe("v1");
    expect(compileResources(builtin.config, cluster).resourceForLabel("queue")?.version).toBe("v1alpha2");
  });
});
