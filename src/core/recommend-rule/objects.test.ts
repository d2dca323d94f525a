import { describe, expect, it } from "vitest";
import {
  desiredRecommendations,
  ownedBy,
  planRecommendations,
  recommendationName,
  shortHash,
} from "./objects.js";
import type { DesiredRecommendation, ObservedRecommendation, Target } from "./types.js";

const RULE = { name: "rightsize", uid: "uid-1", generation: 1 };
const T = (namespace: string, name: string, kind: "Deployment" | "StatefulSet" = "Deployment"): Target => ({
  apiVersion: "apps/v1",
  kind,
  namespace,
  name,
});

function observed(
  d: DesiredRecommendation,
  patch: Partial<ObservedRecommendation["metadata"]> = {},
): ObservedRecommendation {
  return {
    metadata: { ...structuredClone(d.metadata), ...patch },
    spec: structuredClone(d.spec),
    status: {},
  };
}

describe("recommendationName", () => {
  it("is <rule>-<kind>-<workload>-<type> in lowercase", () => {
    expect(recommendationName("rightsize", T("shop", "web"), "Replicas")).toBe(
      "rightsize-deployment-web-replicas",
    );
    expect(recommendationName("r.1", T("shop", "db", "StatefulSet"), "HPA")).toBe("r.1-statefulset-db-hpa");
  });
  it("cuts a long name to 253 characters with a stable hash suffix, ending in an alphanumeric", () => {
    const long = `${"a".repeat(200)}-${"b".repeat(40)}`;
    const n = recommendationName("rule", T("shop", long), "Resource");
    expect(n.length).toBeLessThanOrEqual(253);
    expect(n).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(n).toBe(recommendationName("rule", T("shop", long), "Resource"));
    expect(n).not.toBe(recommendationName("rule", T("shop", long), "Replicas"));
  });
  it("FNV-1a 32 of known inputs", () => {
    // Reference values of FNV-1a 32: "" -> 811c9dc5, "a" -> e40c292c, "foobar" -> bf9cf968.
    expect([shortHash(""), shortHash("a"), shortHash("foobar")]).toEqual([
      "811c9dc5",
      "e40c292c",
      "bf9cf968",
    ]);
  });
});

describe("desiredRecommendations", () => {
  it("one per target and recommender, owned by the rule, labelled with rule and target", () => {
    const d = desiredRecommendations(RULE, [T("shop", "web")], ["Replicas", "Resource"]);
    expect(d.map((x) => x.metadata.name)).toEqual([
      "rightsize-deployment-web-replicas",
      "rightsize-deployment-web-resource",
    ]);
    expect(d[0]).toEqual({
      apiVersion: "analysis.tidescale.dev/v1alpha1",
      kind: "Recommendation",
      metadata: {
        name: "rightsize-deployment-web-replicas",
        namespace: "shop",
        labels: {
          "app.kubernetes.io/managed-by": "tidescale",
          "analysis.tidescale.dev/rule": "rightsize",
          "analysis.tidescale.dev/rule-uid": "uid-1",
          "analysis.tidescale.dev/target-kind": "Deployment",
          "analysis.tidescale.dev/target-name": "web",
          "analysis.tidescale.dev/type": "Replicas",
        },
        ownerReferences: [
          {
            apiVersion: "analysis.tidescale.dev/v1alpha1",
            kind: "RecommendationRule",
            name: "rightsize",
            uid: "uid-1",
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" },
        type: "Replicas",
      },
    });
  });
  it("leaves out label values that are not valid label values (too long)", () => {
    const long = "w".repeat(64);
    const [d] = desiredRecommendations({ ...RULE, name: `r.${"x".repeat(70)}` }, [T("shop", long)], ["HPA"]);
    expect(d!.metadata.labels["analysis.tidescale.dev/target-name"]).toBeUndefined();
    expect(d!.metadata.labels["analysis.tidescale.dev/rule"]).toBeUndefined();
    expect(d!.metadata.labels["analysis.tidescale.dev/rule-uid"]).toBe("uid-1");
  });
});

describe("planRecommendations", () => {
  const [web, api] = desiredRecommendations(RULE, [T("shop", "api"), T("shop", "web")], ["Replicas"]) as [
    DesiredRecommendation,
    DesiredRecommendation,
  ];

  it("creates the missing ones and leaves equal ones alone", () => {
    const p = planRecommendations("uid-1", [web, api], [observed(web)]);
    expect(p.create).toEqual([api]);
    expect(p.unchanged.map((u) => u.desired)).toEqual([web]);
    expect(p.update).toEqual([]);
    expect(p.delete).toEqual([]);
  });

  it("updates only when the spec, a label or the owner reference differ", () => {
    const specChanged = { ...observed(web), spec: { ...web.spec, type: "HPA" } };
    const labelGone = observed(api, { labels: { "app.kubernetes.io/managed-by": "tidescale" } });
    expect(
      planRecommendations("uid-1", [web, api], [specChanged, labelGone]).update.map((u) => u.desired),
    ).toEqual([web, api]);
    // Extra labels a user added do not count as a difference.
    const extra = observed(web, { labels: { ...web.metadata.labels, team: "a" } });
    expect(planRecommendations("uid-1", [web], [extra]).update).toEqual([]);
  });

  it("deletes what the rule owns and no longer wants, never what others own", () => {
    const mine = observed(api);
    const theirs = observed(api, {
      name: "other-deployment-api-replicas",
      ownerReferences: [{ ...api.metadata.ownerReferences[0]!, uid: "uid-2" }],
    });
    const unowned: ObservedRecommendation = { metadata: { name: "hand-made", namespace: "shop" } };
    const deleting = observed(api, { name: "old-one", deletionTimestamp: "2026-01-01T00:00:00Z" });
    const p = planRecommendations("uid-1", [web], [mine, theirs, unowned, deleting]);
    expect(p.delete).toEqual([{ namespace: "shop", name: api.metadata.name }]);
    expect(p.create).toEqual([web]);
  });

  it("a desired name another rule controls is a conflict, neither updated nor deleted", () => {
    const taken = observed(web, { ownerReferences: [{ ...web.metadata.ownerReferences[0]!, uid: "uid-2" }] });
    const p = planRecommendations("uid-1", [web], [taken]);
    expect(p.conflicts).toEqual([web]);
    expect(p.update).toEqual([]);
    expect(p.create).toEqual([]);
  });

  it("ownedBy needs a controller reference with the uid", () => {
    expect(ownedBy(observed(web), "uid-1")).toBe(true);
    expect(ownedBy(observed(web, { ownerReferences: [{ uid: "uid-1", controller: false }] }), "uid-1")).toBe(
      false,
    );
  });
});
