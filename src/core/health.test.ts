import { describe, expect, it } from "vitest";
import { controllerHealthMetrics, controllerReadiness, healthAnswer } from "./health.js";

describe("healthAnswer", () => {
  it("is 200 with every check ok, 503 naming the failed one otherwise", () => {
    expect(
      healthAnswer("readyz", [
        { name: "a", ok: true },
        { name: "b", ok: true, detail: "x" },
      ]),
    ).toEqual({
      status: 200,
      body: "[+]a ok\n[+]b ok: x\nreadyz check passed\n",
    });
    expect(
      healthAnswer("readyz", [
        { name: "a", ok: true },
        { name: "b", ok: false, detail: "why" },
      ]),
    ).toEqual({
      status: 503,
      body: "[+]a ok\n[-]b failed: why\nreadyz check failed\n",
    });
  });
});

describe("controllerReadiness", () => {
  const informers = (synced: boolean) => [
    { resource: "ehpas", synced: true },
    { resource: "tsps", synced },
  ];

  it("is not ready before the informers start or while one has not listed", () => {
    expect(healthAnswer("readyz", controllerReadiness({ informers: undefined })).status).toBe(503);
    const a = healthAnswer("readyz", controllerReadiness({ informers: informers(false) }));
    expect(a.status).toBe(503);
    expect(a.body).toContain("[-]informer-tsps failed: first list not finished\n");
    expect(a.body).toContain("[+]informer-ehpas ok\n");
  });

  it("a standby is ready and says who leads; the leader says it leads", () => {
    const standby = healthAnswer(
      "readyz",
      controllerReadiness({
        informers: informers(true),
        leaderElection: { identity: "c3", leading: false, holder: "c2" },
      }),
    );
    expect(standby.status).toBe(200);
    expect(standby.body).toContain("[+]leader-election ok: standby (c3); the leader is c2\n");
    const leader = controllerReadiness({
      informers: informers(true),
      leaderElection: { identity: "c2", leading: true, holder: "c2" },
    });
    expect(leader.at(-1)).toEqual({ name: "leader-election", ok: true, detail: "leading as c2" });
    expect(controllerReadiness({ informers: [] }).at(-1)?.detail).toBe("off (this replica writes)");
  });

  it("exposes the same state as gauges", () => {
    const text = controllerHealthMetrics(
      { informers: informers(false), leaderElection: { identity: "c3", leading: false, holder: "c2" } },
      "tidescale_controller",
    );
    expect(text).toContain("\ntidescale_controller_leader 0\n");
    expect(text).toContain('tidescale_controller_informer_synced{resource="ehpas"} 1\n');
    expect(text).toContain('tidescale_controller_informer_synced{resource="tsps"} 0\n');
  });
});
