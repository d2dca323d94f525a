import { describe, expect, it } from "vitest";
import type { UserInfo } from "../security.js";
import { withAuthenticatedGroup } from "./authentication.js";

describe("withAuthenticatedGroup (k8s.io/apiserver AuthenticatedGroupAdder)", () => {
  const cases: { what: string; user: UserInfo; groups: string[] }[] = [
    { what: "no groups", user: { name: "system:aggregator", groups: [] }, groups: ["system:authenticated"] },
    {
      what: "other groups keep their order",
      user: { name: "alice", groups: ["team-a", "viewers"] },
      groups: ["team-a", "viewers", "system:authenticated"],
    },
    {
      what: "already authenticated: not added twice",
      user: { name: "bob", groups: ["system:authenticated", "devs"] },
      groups: ["system:authenticated", "devs"],
    },
    {
      what: "in system:unauthenticated: left alone",
      user: { name: "guest", groups: ["system:unauthenticated"] },
      groups: ["system:unauthenticated"],
    },
    { what: "system:anonymous: left alone", user: { name: "system:anonymous", groups: [] }, groups: [] },
  ];
  it.each(cases)("$what", ({ user, groups }) => {
    const before = structuredClone(user);
    const out = withAuthenticatedGroup(user);
    expect(out.groups).toEqual(groups);
    expect(out.name).toBe(user.name);
    expect(user).toEqual(before);
  });

  it("keeps uid and extra", () => {
    const out = withAuthenticatedGroup({ name: "u", uid: "1", groups: [], extra: { k: ["v"] } });
    expect(out).toEqual({ name: "u", uid: "1", groups: ["system:authenticated"], extra: { k: ["v"] } });
  });
});
