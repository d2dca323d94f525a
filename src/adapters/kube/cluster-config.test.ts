import { describe, expect, it } from "vitest";
import { compileConfig } from "../../core/metrics/config.js";
import { groupResourceString } from "../../core/metrics/resources.js";
import { ClusterResources, readDiscovery } from "./api-discovery.js";
import { startClusterResources } from "./cluster-config.js";
import type { KubeConnection } from "./connection.js";

// A scripted discovery (what a real apiserver serves is covered by test/e2e/adapter-discovery.test.ts).
function fakeDiscovery() {
  const state = {
    queues: true,
    monitoringDown: false,
    gets: [] as string[],
  };
  const lists: Record<string, () => { status: number; body: unknown }> = {
    "/api/v1": () => ({
      status: 200,
      body: {
        resources: [
          { name: "pods", namespaced: true, kind: "Pod" },
          { name: "pods/log", namespaced: true, kind: "Pod" },
          { name: "namespaces", namespaced: false, kind: "Namespace" },
        ],
      },
    }),
    "/apis": () => ({
      status: 200,
      body: {
        groups: [
          { name: "apps", preferredVersion: { version: "v1" } },
          { name: "custom.metrics.k8s.io", preferredVersion: { version: "v1beta2" } },
          { name: "example.io", preferredVersion: { version: "v1alpha1" } },
          { name: "monitoring.example.com", preferredVersion: { version: "v1" } },
        ],
      },
    }),
    "/apis/apps/v1": () => ({
      status: 200,
      body: { resources: [{ name: "deployments", namespaced: true, kind: "Deployment" }] },
    }),
    "/apis/example.io/v1alpha1": () => ({
      status: 200,
      body: {
        resources: state.queues
          ? [{ name: "queues", singularName: "queue", namespaced: true, kind: "Queue" }]
          : [],
      },
    }),
    "/apis/monitoring.example.com/v1": () =>
      state.monitoringDown
        ? { status: 503, body: { kind: "Status", message: "service unavailable" } }
        : { status: 200, body: { resources: [{ name: "probes", namespaced: true, kind: "Probe" }] } },
  };
  const conn = {
    server: "https://cluster.test",
    async getJson(path: string) {
      state.gets.push(path);
      const f = lists[path];
      if (!f) return { status: 404, body: { message: "not found" } };
      return f();
    },
  } as unknown as KubeConnection;
  return { state, conn };
}

const logs: string[] = [];
const log = {
  info: (_o: object, m: string) => logs.push(`info ${m}`),
  warn: (_o: object, m: string) => logs.push(`warn ${m}`),
  error: (o: object, m: string) => logs.push(`error ${m} ${JSON.stringify(o)}`),
};

describe("readDiscovery", () => {
  it("reads core and every group at its preferred version, not the groups the adapter serves", async () => {
    const { state, conn } = fakeDiscovery();
    const snap = await readDiscovery(conn);
    expect(snap.groups.map((g) => `${g.group}/${g.version}`)).toEqual([
      "/v1",
      "apps/v1",
      "example.io/v1alpha1",
      "monitoring.example.com/v1",
    ]);
    expect(state.gets).not.toContain("/apis/custom.metrics.k8s.io/v1beta2");
  });
  it("keeps the previous resources of a group whose list fails (an aggregated API that is down)", async () => {
    const { state, conn } = fakeDiscovery();
    const first = await readDiscovery(conn);
    state.monitoringDown = true;
    const second = await readDiscovery(conn, first);
    expect(second.failed.get("monitoring.example.com")).toMatch(/service unavailable/);
    expect(second.groups.find((g) => g.group === "monitoring.example.com")?.resources[0]?.name).toBe(
      "probes",
    );
  });
});

describe("ClusterResources", () => {
  it("re-reads discovery on a miss at most once per interval, and reports changes only", async () => {
    const { state, conn } = fakeDiscovery();
    let t = 0;
    let changes = 0;
    const cr = new ClusterResources({
      conn,
      intervalMs: 3_600_000,
      missRefreshMinMs: 30_000,
      log,
      now: () => t,
      onChange: () => changes++,
    });
    await cr.start();
    const reads = () => state.gets.filter((p) => p === "/apis").length;
    expect(reads()).toBe(1);
    cr.miss("brokers");
    await cr.refresh(false);
    expect(reads()).toBe(2);
    expect(changes).toBe(0);
    t += 10_000;
    cr.miss("brokers");
    expect(reads()).toBe(2);
    t += 30_000;
    state.queues = false;
    cr.miss("brokers");
    await cr.refresh(false);
    expect(changes).toBe(1);
    expect(cr.catalog.lookup("queues", "example.io")).toBeUndefined();
    cr.close();
  });
});

describe("startClusterResources", () => {
  const RULES = {
    rules: [
      {
        seriesQuery: "queue_depth",
        resources: {
          overrides: {
            namespace: { resource: "namespace" },
            queue: { group: "example.io", resource: "queues" },
          },
        },
        metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
      },
    ],
  };
  it("binds the config at start, and keeps the previous binding with a logged error when the cluster loses a resource", async () => {
    const { state, conn } = fakeDiscovery();
    const config = compileConfig(RULES, "rules.yaml");
    const b = (await startClusterResources({ conn, interval: "1h", config, configFile: "rules.yaml", log }))!;
    const queue = b.config.rules[0]!.resources.resourceForLabel("queue")!;
    expect([groupResourceString(queue), queue.version]).toEqual(["queues.example.io", "v1alpha1"]);
    const served = {
      config: b.config,
      replaced: 0,
      async replaceConfig(next: typeof config) {
        this.config = next;
        this.replaced++;
      },
    };
    b.follow(served);
    state.queues = false;
    await b.resources.refresh(false);
    expect(served.replaced).toBe(0);
    expect(served.config).toBe(b.config);
    expect(
      logs.some((l) =>
        l.includes("rules.yaml: rules[0].resources.overrides.queue.resource: the cluster has no resource"),
      ),
    ).toBe(true);
    // A reloaded config is checked against the cluster too.
    expect(() => b.bind(compileConfig(RULES, "rules.yaml"))).toThrow(/the cluster has no resource "queues"/);
    b.resources.close();
  });
  it("stops the start naming the rule and field when an override names what the cluster lacks", async () => {
    const { state, conn } = fakeDiscovery();
    state.queues = false;
    await expect(
      startClusterResources({
        conn,
        interval: "1h",
        config: compileConfig(RULES),
        configFile: "rules.yaml",
        log,
      }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
      where: "rules.yaml: rules[0].resources.overrides.queue.resource",
    });
  });
  it("is the built-in table without a cluster", async () => {
    expect(
      await startClusterResources({
        conn: undefined,
        interval: "10m",
        config: compileConfig({}),
        configFile: undefined,
        log,
      }),
    ).toBeUndefined();
  });
});
