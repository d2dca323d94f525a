import { describe, expect, it } from "vitest";
import { ObjectStore } from "./object-store.js";

const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name);

describe("ObjectStore (the metadata watch cache's memory)", () => {
  it("answers by namespace and label selector, sorted by name, from a list then watch events", () => {
    const s = new ObjectStore();
    s.replace([
      { namespace: "a", name: "web-2", labels: { app: "web" } },
      { namespace: "a", name: "web-1", labels: { app: "web", tier: "front" } },
      { namespace: "a", name: "db-0", labels: { app: "db" } },
      { namespace: "b", name: "web-9", labels: { app: "web" } },
    ]);
    expect(s.size).toBe(4);
    expect(names(s.list("a", "app=web"))).toEqual(["web-1", "web-2"]);
    expect(names(s.list("a", ""))).toEqual(["db-0", "web-1", "web-2"]);
    expect(names(s.list("a", "app in (web,db),tier!=front"))).toEqual(["db-0", "web-2"]);
    expect(names(s.list(undefined, "app=web"))).toEqual(["web-1", "web-2", "web-9"]);
    expect(s.list("c", "")).toEqual([]);
    // ADDED, MODIFIED (labels changed), DELETED: the remembered answers follow.
    s.put({ namespace: "a", name: "web-3", labels: { app: "web" } });
    expect(names(s.list("a", "app=web"))).toEqual(["web-1", "web-2", "web-3"]);
    s.put({ namespace: "a", name: "web-1", labels: { app: "old" } });
    expect(names(s.list("a", "app=web"))).toEqual(["web-2", "web-3"]);
    s.remove({ namespace: "a", name: "web-2" });
    s.remove({ namespace: "a", name: "never-there" });
    expect(names(s.list("a", "app=web"))).toEqual(["web-3"]);
    expect(s.size).toBe(4);
  });

  it("keeps cluster-scoped objects under the empty namespace and ignores nameless metadata", () => {
    const s = new ObjectStore();
    s.replace([{ name: "node-1", labels: { role: "x" } }, { name: "node-2" }, { namespace: "a" }]);
    expect(names(s.list("", "role"))).toEqual(["node-1"]);
    expect(names(s.list("", "!role"))).toEqual(["node-2"]);
    expect(s.size).toBe(2);
  });

  it("a relist replaces everything (objects deleted while the watch was down disappear)", () => {
    const s = new ObjectStore();
    s.replace([{ namespace: "a", name: "x" }]);
    expect(names(s.list("a", ""))).toEqual(["x"]);
    s.replace([{ namespace: "a", name: "y" }]);
    expect(names(s.list("a", ""))).toEqual(["y"]);
    expect(s.size).toBe(1);
  });
});
