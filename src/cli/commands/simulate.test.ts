import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";
import { runSimulate } from "./simulate.js";

const SEED = "examples/seed-qps.yaml";
const FIX = "test/fixtures/sim";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidescale-sim-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("simulate examples/seed-qps.yaml (the real engine)", () => {
  /*
   * Derivation by hand. Pods metric http_requests_qps, target AverageValue 50 (50000m); min 1, max 5;
   * default behavior: scale-up max(+4 pods, +100%) per 15 s, no up stabilization; scale-down window
   * 300 s, 100 % per 15 s. Workload: a pod serves at most 100 req/s; created -> Running 4 s -> Ready 6 s
   * later (10 s in all). Load: 5 req/s, 240 req/s during [21m00s, 22m00s). Reconciles every 15 s from 0.
   *
   * t < 1260 s: 1 pod at 5 req/s -> ratio 0.1 -> ceil(0.1 x 1) = 1 = current: no change.
   * 1260 (21m00s): 1 ready pod serves min(240, 100) = 100 -> ratio 100/50 = 2 -> ceil(2 x 1) = 2.
   *   Up limit: no events in the last 15 s, periodStart 1 -> max(1+4, 2x1) = 5; 2 <= 5 -> 2 (+1 pod, ready at 1270).
   * 1275 (21m15s): 2 ready, 240/2 = 120 capped at 100 each -> ratio 2 -> ceil(2 x 2) = 4. The +1 event at
   *   1260 is 15 s old, not younger than the 15 s period -> periodStart 2 -> limit 6, cap max 5 -> 4.
   * 1290 (21m30s): 4 ready (the 2 new ones since 1285), 60 each -> ratio 1.2 > 1.1 -> ceil(1.2 x 4) = 5.
   * 1305: 5 ready (since 1300), 48 each -> ratio 0.96, within tolerance -> 5 (recommendation 5 stored).
   * 1320 (22m00s) on: 5 req/s over 5 pods -> ratio 0.02 -> proposal ceil(0.02 x 5) = 1, but the down
   *   window keeps the highest recommendation younger than 300 s: 5 (from 1290 and 1305).
   * 1605 (26m45s): the recommendation of 1305 is exactly 300 s old, outside the window; all younger ones
   *   are 1 -> scale to 1. Down limit: trunc(5 x 0) = 0 -> floor minReplicas 1 -> 1.
   */
  it("climbs 1 -> 2 -> 4 -> 5 through the default policies and returns to 1 after the 300 s window", async () => {
    const run = await runSimulate(SEED, { output: "text" }, () => {});
    expect(run.events.map((e) => [e.tMs / 1000, e.reason, e.message])).toEqual([
      [1260, "SuccessfulRescale", "New size: 2; reason: pods metric http_requests_qps above target"],
      [1275, "SuccessfulRescale", "New size: 4; reason: pods metric http_requests_qps above target"],
      [1290, "SuccessfulRescale", "New size: 5; reason: pods metric http_requests_qps above target"],
      [1605, "SuccessfulRescale", "New size: 1; reason: All metrics below target"],
    ]);
    const replicasAt = (sec: number) => run.steps.find((s) => s.tMs === sec * 1000)!.replicas;
    expect(run.steps).toHaveLength(120);
    expect(run.steps.filter((s) => s.tMs < 1_260_000).every((s) => s.replicas === 1)).toBe(true);
    expect([1260, 1275, 1290, 1305, 1320, 1590, 1605, 1620, 1785].map(replicasAt)).toEqual([
      2, 4, 5, 5, 5, 5, 1, 1, 1,
    ]);
    // pods: 1 for [0,1260), 2 for 15 s, 4 for 15 s, 5 for [1290,1605), 1 for [1605,1800)
    expect(run.summary.podHours).toBeCloseTo((1260 + 2 * 15 + 4 * 15 + 5 * 315 + 195) / 3600, 12);
    // load above ready capacity: [1260,1270) 240 > 100, [1270,1285) 240 > 200
    expect(run.summary.underProvisionedMinutes).toBeCloseTo(25 / 60, 12);
    expect(run.summary.unservedTotal).toBeCloseTo(140 * 10 + 40 * 15, 9);
    expect(run.summary).toMatchObject({
      peakReplicas: 5,
      scaleUps: 3,
      scaleDowns: 1,
      scaleEvents: 4,
      warnings: 0,
    });
  });

  it("gives the same trajectory with behavior: {} (API defaults) and without behavior (legacy path)", async () => {
    // Legacy path: cap max(2 x 1, 4) = 4 >= 2, max(2 x 2, 4) = 4 >= 4, max(2 x 4, 4) = 8 >= 5; scale-downs
    // stabilized over the same 300 s (--horizontal-pod-autoscaler-downscale-stabilization).
    const text = await readFile(SEED, "utf8");
    const at = text.indexOf("      # The Kubernetes default behavior");
    expect(at).toBeGreaterThan(0);
    const explicit = await runSimulate(SEED, { output: "text" }, () => {});
    for (const [name, tail] of [
      ["empty-behavior.yaml", "      behavior: {}\n"],
      ["legacy.yaml", ""],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, text.slice(0, at) + tail);
      const run = await runSimulate(file, { output: "text" }, () => {});
      expect(run.events).toEqual(explicit.events);
      expect(run.steps.map((s) => s.replicas)).toEqual(explicit.steps.map((s) => s.replicas));
    }
  });

  it("prints the kubectl get hpa -w view, the events and the summary", async () => {
    const chunks: string[] = [];
    await runSimulate(SEED, { output: "text" }, (s) => chunks.push(s));
    const out = chunks.join("");
    expect(out).toContain("Load (per second): 5 + spike of 235 at 21m for 1m.\n");
    // REPLICAS is status.currentReplicas, the count each reconcile read; 5 req/s over 1 pod = 5, over 5 = 1
    expect(out).toContain(
      [
        "NAME                REFERENCE               TARGETS        MINPODS   MAXPODS   REPLICAS   AGE",
        "sample-httpserver   Deployment/httpserver   <unknown>/50   1         5         0          0s",
        "sample-httpserver   Deployment/httpserver   5/50           1         5         1          0s",
        "sample-httpserver   Deployment/httpserver   100/50         1         5         1          21m",
        "sample-httpserver   Deployment/httpserver   100/50         1         5         2          21m",
        "sample-httpserver   Deployment/httpserver   60/50          1         5         4          21m",
        "sample-httpserver   Deployment/httpserver   48/50          1         5         5          21m",
        "sample-httpserver   Deployment/httpserver   1/50           1         5         5          22m",
        "sample-httpserver   Deployment/httpserver   5/50           1         5         1          27m",
      ].join("\n"),
    );
    expect(out).toContain(
      "26m45s    Normal    SuccessfulRescale   horizontalpodautoscaler/sample-httpserver   New size: 1; reason: All metrics below target",
    );
    expect(out).toMatch(/pod-hours: +0\.87\n/);
    expect(out).toMatch(/under-provisioned: +0\.42 min/);
    expect(out).toMatch(/peak replicas: +5 /);
    expect(out).toMatch(/scale events: +4 \(3 up, 1 down\)/);
  });

  it("writes -o json, --json, --csv and --svg", async () => {
    const files = { csv: join(dir, "t.csv"), json: join(dir, "t.json"), svg: join(dir, "t.svg") };
    const { code, out } = await captureMain([
      "simulate",
      SEED,
      "-o",
      "json",
      "--csv",
      files.csv,
      "--json",
      files.json,
      "--svg",
      files.svg,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(JSON.parse(await readFile(files.json, "utf8"))).toEqual(doc);
    expect(doc.version).toBe("tidescale.simulation/v1");
    expect(doc.hpa).toEqual({
      name: "sample-httpserver",
      namespace: "default",
      reference: "Deployment/httpserver",
    });
    expect(doc.timeline).toHaveLength(120);
    expect(doc.timeline[84]).toMatchObject({
      tSeconds: 1260,
      load: 240,
      served: 100,
      capacity: 100,
      replicas: 2,
    });
    expect(doc.timeline[84].metrics).toEqual([{ value: 100, proposal: 2 }]);
    expect(doc.events).toHaveLength(4);
    expect(doc.watch[0]).toEqual({
      tSeconds: 0,
      targets: "<unknown>/50",
      minPods: 1,
      maxPods: 5,
      replicas: 0,
    });
    expect(doc.summary.peakReplicas).toBe(5);
    const csv = (await readFile(files.csv, "utf8")).trimEnd().split("\n");
    expect(csv[0]).toBe(
      "time,t_seconds,load,served,capacity,ready_pods,pods,current_replicas,desired_replicas,replicas,targets,conditions,event,m0_value,m0_proposal",
    );
    expect(csv).toHaveLength(121);
    expect(csv[85]).toMatch(
      /^21m0s,1260,240,100,100,1,1,1,2,2,100\/50,True\/SucceededRescale True\/ValidMetricFound False\/DesiredWithinRange,SuccessfulRescale: New size: 2; reason: pods metric http_requests_qps above target,100,2$/,
    );
    const svg = await readFile(files.svg, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="960" height="420"/);
    expect(svg).toContain("seed-qps: HPA sample-httpserver on Deployment/httpserver");
    await expect(svg).toMatchFileSnapshot("../../../test/fixtures/sim/seed-qps.golden.svg");
    expect(doc.underProvisioned).toEqual([{ fromSeconds: 1260, toSeconds: 1285 }]);
  });

  it("replays a CSV trace relative to the scenario file", async () => {
    const run = await runSimulate(`${FIX}/trace.yaml`, { output: "text" }, () => {});
    expect(run.steps[0]!.load).toBe(20);
    expect(run.steps[10]!.load).toBeCloseTo(20 + (40 * 150) / 300, 9); // linear between 20 at 0 and 60 at 5m
    expect(run.summary.peakReplicas).toBe(4); // 180 / 40 = 4.5 -> capped by maxReplicas 4
  });

  it("reads the HPA from a manifest with spec.hpaFile", async () => {
    const inline = await runSimulate(`${FIX}/trace.yaml`, { output: "text" }, () => {});
    const fromFile = await runSimulate(`${FIX}/hpa-file.yaml`, { output: "text" }, () => {});
    expect(fromFile.hpa).toEqual(inline.hpa);
    expect(fromFile.events).toEqual(inline.events);
  });

  it("honours --duration and --sync-period", async () => {
    const run = await runSimulate(SEED, { output: "text", duration: "10m", syncPeriod: "30s" }, () => {});
    expect(run.steps).toHaveLength(20);
    expect(run.steps[1]!.tMs).toBe(30_000);
  });
});

describe("the other bundled examples run", () => {
  it("examples/trace-replay.yaml follows the recorded day and its flash sale", async () => {
    const run = await runSimulate("examples/trace-replay.yaml", { output: "text" }, () => {});
    expect(run.steps).toHaveLength(5760);
    // 20:00-20:15 adds 500 req/s on top of ~220: at 40 req/s per pod that needs more than 15 pods
    const sale = run.steps.filter((s) => s.tMs >= 20 * 3_600_000 && s.tMs < 21 * 3_600_000);
    expect(Math.max(...sale.map((s) => s.replicas))).toBeGreaterThan(15);
    const night = run.steps.filter((s) => s.tMs < 5 * 3_600_000);
    expect(night.every((s) => s.replicas === 2)).toBe(true);
  });

  it("examples/daily-cpu.yaml evaluates all three metrics every reconcile", async () => {
    const run = await runSimulate("examples/daily-cpu.yaml", { output: "text" }, () => {});
    expect(run.summary.warnings).toBe(0);
    for (const s of run.steps.slice(0, 50))
      expect(s.proposals.map((p) => p !== undefined)).toEqual([true, true, true]);
    // the daily peak needs well over the 3 starting replicas; the night trough goes back towards min
    expect(run.summary.peakReplicas).toBeGreaterThan(10);
    expect(run.summary.minReplicasSeen).toBe(2);
  });
});

describe("simulate: bad input exits 2 with one line naming the place", () => {
  it("a binary scenario file is one line asking for a YAML mapping", async () => {
    const file = join(dir, "garbage.bin");
    await writeFile(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0xff, 0xfe, 0x41, 0x0a]));
    const { code, err } = await captureMain(["simulate", file]);
    expect(err).toMatch(/^error: [^\n]*garbage\.bin: expected a YAML mapping at the top level[^\n]*\n$/);
    expect(code).toBe(2);
  });

  it("warns on stderr about a spike after the end (--duration 20m) and runs", async () => {
    const { code, out, err } = await captureMain(["simulate", SEED, "--duration", "20m", "-o", "json"]);
    expect(err).toBe(
      "warning: examples/seed-qps.yaml: spec.load[1].spike.at: 21m is after the end of the simulation (20m); it has no effect\n",
    );
    expect(code).toBe(0);
    expect(JSON.parse(out).summary.scaleEvents).toBe(0);
  });

  it.each([
    [
      [`${FIX}/typo.yaml`],
      /^error: test\/fixtures\/sim\/typo\.yaml: spec\.workload\.readinesDelay: unknown field "readinesDelay" \(did you mean "readinessDelay"\?\)\n$/,
    ],
    [[`${FIX}/bad-trace.yaml`], /^error: bad-trace\.csv:3: value "sixty" is not a number\n$/],
    [
      [`${FIX}/missing-trace.yaml`],
      /^error: test\/fixtures\/sim\/missing-trace\.yaml: spec\.load\[0\]\.csv\.file \(missing\.csv\): cannot read file: no such file\n$/,
    ],
    [
      [`${FIX}/bad-hpa.yaml`],
      /^error: test\/fixtures\/sim\/bad-hpa\.yaml: spec\.hpa\.spec\.metrics\[0\]\.external\.target\.type: [^\n]+\n$/,
    ],
    [
      [`${FIX}/metric-typo.yaml`],
      /^error: test\/fixtures\/sim\/metric-typo\.yaml: spec\.workload\.metrics\.queue_mesages: the HPA has no Pods, Object or External metric named "queue_mesages" \(did you mean "queue_messages"\?\)\n$/,
    ],
    [
      [`${FIX}/no-cpu.yaml`],
      /^error: test\/fixtures\/sim\/no-cpu\.yaml: spec\.workload\.cpu: required because spec\.hpa\.spec\.metrics\[1\] is a cpu Resource metric \(set request, idle and perRequest\)\n$/,
    ],
    [
      [`${FIX}/hpa-both.yaml`],
      /^error: test\/fixtures\/sim\/hpa-both\.yaml: spec\.hpaFile: set either spec\.hpa or spec\.hpaFile, not both\n$/,
    ],
    [[`${FIX}/nope.yaml`], /^error: test\/fixtures\/sim\/nope\.yaml: cannot read file: no such file\n$/],
    [[SEED, "--duration", "ten minutes"], /^error: --duration: invalid duration "ten minutes"[^\n]*\n$/],
    [[SEED, "--sync-period", "0s"], /^error: --sync-period: must be greater than 0\n$/],
    [[SEED, "--sync-period", "1ms"], /^error: --sync-period: must be at least 1s\n$/],
    [
      [SEED, "--duration", "100000h"],
      /^error: --duration: 100000h at a 15s sync period is 24,000,000 reconciles; the limit is 3,000,000 [^\n]*\n$/,
    ],
    [[SEED, "-o", "yaml"], /^error: --output: want "text" or "json", got "yaml"\n$/],
    [
      [SEED, "--csv", "/nonexistent-dir/x.csv"],
      /^error: --csv: cannot write \/nonexistent-dir\/x\.csv: no such directory\n$/,
    ],
  ])("%j", async (args, pattern) => {
    const { code, err } = await captureMain(["simulate", ...args]);
    expect(err).toMatch(pattern);
    expect(code).toBe(2);
  });
});
