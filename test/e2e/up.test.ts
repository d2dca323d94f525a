/**
 * `tidescale up` end to end, with the real parts it starts: sample-app pods on 127.0.1.N, Debian's
 * Prometheus, the adapter, the HPA engine's controller loop and the load generator. One full default
 * scenario (about 3.5 minutes): replicas 1 -> ... -> 5 -> ... -> 1, the load generator's served count
 * equals the pods' own request counters as Prometheus stored them (a pod is drained and scraped a last
 * time before it stops), and Ctrl-C leaves no process and no bound port. Plus Ctrl-C during start-up and
 * the start-up errors (port in use, Prometheus missing).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, screenshot } from "../support/browser.js";
import { REPO_ROOT, runCli, startCli } from "../support/cli.js";
import { freePort, httpOk, type Started } from "../support/process.js";
import { eventually } from "../support/wait.js";

/** Where the test keeps its screenshot. */
const OUT_DIR = join(REPO_ROOT, "bench/out/up-e2e");
const running: Started[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop(10_000)));
});

interface Ports {
  service: number;
  dashboard: number;
  adapter: number;
  prometheus: number;
  pod: number;
}

async function ports(): Promise<Ports> {
  return {
    service: await freePort(),
    dashboard: await freePort(),
    adapter: await freePort(),
    prometheus: await freePort(),
    pod: await freePort(),
  };
}

function portArgs(p: Ports): string[] {
  return [
    "--service-port",
    String(p.service),
    "--dashboard-port",
    String(p.dashboard),
    "--adapter-port",
    String(p.adapter),
    "--prometheus-port",
    String(p.prometheus),
    "--pod-port",
    String(p.pod),
  ];
}

/** The direct children of `pid` now (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid) out.push(Number(name));
    } catch {
      // the process ended while we read
    }
  }
  return out;
}

function readdirProc(): string[] {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `host:port` can be bound now. */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Starts `tidescale up` and waits until its adapter answers (Prometheus and the first pod are up then). */
async function startUp(p: Ports, extra: string[] = []): Promise<Started> {
  const up = await startCli(["up", ...portArgs(p), ...extra], {
    timeoutMs: 300_000,
    ready: () => httpOk(`http://127.0.0.1:${p.adapter}/healthz`),
  });
  running.push(up);
  return up;
}

/** SIGINT, then waits for the exit; returns the exit code. */
async function interrupt(up: Started): Promise<number | null> {
  const exited = new Promise<number | null>((r) => up.child.once("exit", (code) => r(code)));
  up.child.kill("SIGINT");
  return await exited;
}

/** Every child process is gone and every port the run used can be bound again. */
async function expectNothingLeft(children: Set<number>, p: Ports, podAddresses: number): Promise<void> {
  expect([...children].filter(alive)).toEqual([]);
  const ports: [string, number][] = [
    ["127.0.0.1", p.service],
    ["127.0.0.1", p.dashboard],
    ["127.0.0.1", p.adapter],
    ["127.0.0.1", p.prometheus],
  ];
  for (let n = 1; n <= podAddresses; n++) ports.push([`127.0.1.${n}`, p.pod]);
  const bound: string[] = [];
  for (const [host, port] of ports) if (!(await bindable(host, port))) bound.push(`${host}:${port}`);
  expect(bound).toEqual([]);
}

/** The REPLICAS column of the `kubectl get hpa -w` rows printed so far. */
function replicaRows(output: string): number[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("sample-app ") && l.includes("Deployment/sample-app"))
    .map((l) => Number(l.trim().split(/\s+/)[5]));
}

async function promQuery(url: string, expr: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  return body.data.result.reduce((s, r) => s + Number(r.value[1]), 0);
}

describe("tidescale up: start-up errors", () => {
  it("a port in use names the port and the flag that changes it (exit 1, nothing started)", async () => {
    const p = await ports();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(p.service, "127.0.0.1", r));
    try {
      const res = await runCli(["up", ...portArgs(p)], { timeoutMs: 30_000 });
      expect(res.code).toBe(1);
      expect(res.err).toContain(
        `error: --service-port: port ${p.service} on 127.0.0.1 is already in use; choose another with --service-port`,
      );
    } finally {
      blocker.close();
    }
  });

  it("a missing Prometheus says what to install, and stops the pod it had started", async () => {
    const p = await ports();
    const res = await runCli(["up", ...portArgs(p), "--prometheus-bin", "/nonexistent/prometheus"], {
      timeoutMs: 60_000,
    });
    expect(res.code).toBe(1);
    expect(res.err).toMatch(
      /error: prometheus: \/nonexistent\/prometheus not found: install it \(Debian\/Ubuntu: sudo apt-get install prometheus/,
    );
    expect(await bindable("127.0.1.1", p.pod)).toBe(true);
  });

  it("bad flags exit 2 naming the flag", async () => {
    const res = await runCli(["up", "--rate", "fast"]);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^error: --rate: /m);
  });
});

describe("tidescale up: a crashing pod, then Ctrl-C early in the run", () => {
  it("restarts a pod whose process dies (with events), and Ctrl-C leaves no child process and no bound port", async () => {
    const p = await ports();
    const up = await startUp(p);
    const children = new Set(childrenOf(up.child.pid!));
    expect(children.size).toBeGreaterThanOrEqual(3); // Prometheus, the adapter, the first pod
    const pod = [...children].find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0sample-app\0"),
    );
    expect(pod).toBeDefined();
    process.kill(pod!, "SIGKILL");
    await eventually(
      "the pod restarted and ready again",
      async () =>
        /PodCrashed\s+pod\/sample-app-1\s+process exited \(SIGKILL\)[\s\S]*PodRestarted\s+pod\/sample-app-1[\s\S]*PodReady\s+pod\/sample-app-1/.test(
          up.output(),
        )
          ? true
          : undefined,
      { timeoutMs: 60_000, everyMs: 250, detail: async () => up.output().slice(-3000) },
    );
    // The dashboard, read from the page in headless Chromium: the replica count the page shows is the
    // controller's (one pod, desired 1) and its URL was printed at start.
    expect(up.output()).toContain(`dashboard: http://127.0.0.1:${p.dashboard}/`);
    const browser = await launchChromium();
    try {
      const { page, errors } = await openPage(browser, `http://127.0.0.1:${p.dashboard}/`);
      const value = (id: string) => page.locator(`#${id}`).getAttribute("data-value");
      // A fresh HPA's status says desired 0 until a sync computes from the metric: wait for that sync.
      await eventually(
        "the page shows a desired count computed from the metric",
        async () => ((await value("desired-replicas")) === "1" ? true : undefined),
        { timeoutMs: 90_000, everyMs: 250, detail: async () => up.output().slice(-2000) },
      );
      expect(await value("current-replicas")).toBe("1");
      // The controller's own report: the last `kubectl get hpa -w` row's REPLICAS.
      expect(replicaRows(up.output()).at(-1)).toBe(1);
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(join(OUT_DIR, "up-dashboard.png"), await screenshot(page));
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    for (const c of childrenOf(up.child.pid!)) children.add(c);
    await interrupt(up);
    await expectNothingLeft(children, p, 1);
  });
});

describe("tidescale up: Ctrl-C during start-up", () => {
  it("stops the children started so far, before Prometheus or the adapter is ready", async () => {
    const p = await ports();
    const up = await startCli(["up", ...portArgs(p)], { ready: async () => true });
    running.push(up);
    const children = await eventually(
      "the first children (a pod, Prometheus) started",
      async () => {
        const now = childrenOf(up.child.pid!);
        return now.length >= 2 ? new Set(now) : undefined;
      },
      { timeoutMs: 30_000, everyMs: 50, detail: async () => up.output() },
    );
    expect(await interrupt(up)).toBe(0);
    await expectNothingLeft(children, p, 1);
  });
});

describe("tidescale up: the default scenario", () => {
  it("scales 1 -> ... -> 5 -> ... -> 1, loses no request while pods come and go, and Ctrl-C stops everything", async () => {
    const p = await ports();
    const up = await startUp(p);
    const children = new Set<number>();
    const promUrl = `http://127.0.0.1:${p.prometheus}`;
    await eventually(
      "the scenario finished",
      async () => {
        for (const c of childrenOf(up.child.pid!)) children.add(c);
        return up.output().includes("scenario finished") ? true : undefined;
      },
      { timeoutMs: 600_000, everyMs: 500, detail: async () => up.output().slice(-4000) },
    );
    const rows = replicaRows(up.output());
    const peak = rows.indexOf(5);
    expect(peak).toBeGreaterThan(0);
    expect(rows.slice(0, peak).filter((r) => r > 0)[0]).toBe(1);
    expect(rows.at(-1)).toBe(1);
    expect(up.output()).toMatch(
      /SuccessfulRescale\s+hpa\/sample-app\s+New size: 1; reason: All metrics below target/,
    );

    // The load generator's own count of 2xx answers, from the summary.
    const served = Number(/requests:\s+\d+ sent, (\d+) served \(2xx\)/.exec(up.output())?.[1]);
    expect(served).toBeGreaterThan(10_000);
    // Every pod's final counter is in Prometheus once the pod still running was scraped after the load ended.
    const finishedAt = Date.now();
    await eventually(
      "a scrape of the remaining pod after the load ended",
      async () => {
        const res = await fetch(`${promUrl}/api/v1/targets?state=active`);
        const body = (await res.json()) as { data: { activeTargets: { lastScrape: string }[] } };
        const targets = body.data.activeTargets;
        return targets.length === 1 && Date.parse(targets[0]!.lastScrape) > finishedAt ? true : undefined;
      },
      { timeoutMs: 30_000, everyMs: 500 },
    );
    const podCounters = await promQuery(
      promUrl,
      'sum(last_over_time(http_requests_total{job="tidescale-up",status="200"}[30m]))',
    );
    const podsSeen = await promQuery(
      promUrl,
      "count(count by (pod) (last_over_time(http_requests_total[30m])))",
    );
    expect(podsSeen).toBe(5);
    expect(podCounters).toBe(served);

    for (const c of childrenOf(up.child.pid!)) children.add(c);
    expect(await interrupt(up)).toBe(0);
    await expectNothingLeft(children, p, 5);
  });
});
