import { describe, expect, it } from "vitest";
import { validateRule } from "./spec.js";
import { selectTargets } from "./targets.js";
import type { Workload } from "./types.js";

const W = (namespace: string, kind: string, name: string, labels: Record<string, string> = {}): Workload => ({
  apiVersion: "apps/v1",
  kind,
  namespace,
  name,
  labels,
});

const WORKLOADS: Workload[] = [
  W("shop", "Deployment", "web", { tier: "web" }),
  W("shop", "Deployment", "api", { tier: "api" }),
  W("shop", "StatefulSet", "db", { tier: "db" }),
  W("blog", "Deployment", "web", { tier: "web" }),
  { ...W("shop", "Deployment", "old", { tier: "web" }), deleting: true },
];

function spec(s: Record<string, unknown>) {
  const r = validateRule({
    metadata: { name: "r", uid: "u" },
    spec: { namespaceSelector: { matchNames: ["shop"] }, recommenders: [{ name: "Replicas" }], ...s },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value.spec;
}

const names = (s: ReturnType<typeof spec>) =>
  selectTargets(s, WORKLOADS).map((t) => `${t.namespace}/${t.kind}/${t.name}`);

describe("selectTargets", () => {
  it.each([
    [
      "a label selector in one namespace",
      { resourceSelectors: [{ kind: "Deployment", labelSelector: { matchLabels: { tier: "web" } } }] },
      ["shop/Deployment/web"],
    ],
    [
      "every Deployment of the namespace (no name, no labels)",
      { resourceSelectors: [{ kind: "Deployment" }] },
      ["shop/Deployment/api", "shop/Deployment/web"],
    ],
    ["by name", { resourceSelectors: [{ kind: "StatefulSet", name: "db" }] }, ["shop/StatefulSet/db"]],
    [
      "name and labels must both match",
      {
        resourceSelectors: [
          { kind: "Deployment", name: "api", labelSelector: { matchLabels: { tier: "web" } } },
        ],
      },
      [],
    ],
    ["the kind must match", { resourceSelectors: [{ kind: "StatefulSet", name: "web" }] }, []],
    [
      "any namespace, two selectors, each target once",
      {
        namespaceSelector: { any: true },
        resourceSelectors: [
          {
            kind: "Deployment",
            labelSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] },
          },
          { kind: "Deployment", name: "web" },
        ],
      },
      ["blog/Deployment/web", "shop/Deployment/api", "shop/Deployment/web"],
    ],
    [
      "an empty namespace selector selects nothing",
      { namespaceSelector: {}, resourceSelectors: [{ kind: "Deployment" }] },
      [],
    ],
    [
      "a workload being deleted is not a target",
      { resourceSelectors: [{ kind: "Deployment", name: "old" }] },
      [],
    ],
  ])("%s", (_what, s, want) => {
    expect(names(spec(s))).toEqual(want);
  });
});
