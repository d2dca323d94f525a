/**
 * The `tidescale up` dashboard in headless Chromium: a real dashboard server (startDashboard) on loopback
 * follows a feed this test drives like the run loop does (a scripted scale-up); the page shows what is
 * published later (read from the DOM after the browser got it over server-sent events), a page opened late
 * gets the whole history, the export round-trips through `tidescale plot`, and close() frees the port.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../../src/adapters/up/dashboard.js";
import { type UpEvent, UpFeed, type UpPod, type UpSample } from "../../src/core/up/feed.js";
import { keepScreenshot, launchChromium, openPage, type WatchedPage } from "../support/browser.js";
import { runCli } from "../support/cli.js";
import { dashboardShowsSamples, firstChartDrawn, readDashboard } from "../support/up-dashboard.js";
import { upPod, upRunInfo, upSample } from "../support/up-run.js";
import { eventually } from "../support/wait.js";

const DIR = mkdtempSync(join(tmpdir(), "tidescale-up-dashboard-"));
const T0 = Date.now() - 60_000;
const feed = new UpFeed(upRunInfo({ startedAt: T0 }));
let browser: Browser | undefined;
let dashboard: Dashboard | undefined;

afterAll(async () => {
  await dashboard?.close();
  await browser?.close();
  rmSync(DIR, { recursive: true, force: true });
});

const pod = upPod;

const sample = (sec: number, rps: number, desired: number, pods: UpPod[]): UpSample =>
  upSample(T0 + sec * 1000, pods, {
    offeredRps: rps,
    servedRps: rps - 0.5,
    latencyP50Ms: 2.5,
    latencyP99Ms: 9.25,
    desiredReplicas: desired,
  });

const event = (sec: number, reason: string, object: string, message: string): UpEvent => ({
  kind: "event",
  t: T0 + sec * 1000,
  type: "Normal",
  reason,
  object,
  message,
});

const sampleCount = () => feed.history().filter((r) => r.kind === "sample").length;
const eventCount = () => feed.history().filter((r) => r.kind === "event").length;

describe("up dashboard in headless Chromium", () => {
  let first: WatchedPage;
  let opened = 0;

  beforeAll(async () => {
    feed.publish(event(0, "ScenarioPhase", "load", "warm-up at 20 req/s"));
    for (let s = 1; s <= 5; s++) feed.publish(sample(s, 20, 1, [pod(1, "Ready", 20)]));
    dashboard = await startDashboard(feed, { host: "127.0.0.1", port: 0, heartbeatMs: 1000 });
    browser = await launchChromium();
    opened = Date.now();
    first = await openPage(browser, dashboard.url);
  });

  it("shows the history first, then the values published later", async () => {
    const before = await dashboardShowsSamples(first.page, 5);
    expect(before).toMatchObject({ state: "live", events: 1, current: "1", desired: "1", served: "19.5" });

    feed.publish(event(6, "ScenarioPhase", "load", "240 req/s for 60 s"));
    feed.publish(sample(6, 240, 4, [pod(1, "Ready", 240)]));
    feed.publish(
      event(7, "SuccessfulRescale", "hpa/sample-app", "New size: 4; reason: pods metric above target"),
    );
    feed.publish(
      sample(7, 240, 4, [pod(1, "Ready", 230), pod(2, "Starting"), pod(3, "Starting"), pod(4, "Starting")]),
    );
    const after = await dashboardShowsSamples(first.page, 7);
    expect(after).toMatchObject({
      current: "4",
      desired: "4",
      ready: "1",
      served: "239.5",
      servedText: "239.5",
      offered: "240",
      events: 3,
      canvases: 4,
    });
    expect(after.reasons[0]).toBe("SuccessfulRescale");
    expect(after.pods).toEqual([
      { name: "sample-app-1", phase: "Ready" },
      { name: "sample-app-2", phase: "Starting" },
      { name: "sample-app-3", phase: "Starting" },
      { name: "sample-app-4", phase: "Starting" },
    ]);
    const drawn = await firstChartDrawn(first.page);
    expect(drawn.sinceNavigationMs).toBeGreaterThan(0);
    expect(drawn.at).toBeGreaterThanOrEqual(opened);
    expect(drawn.at).toBeLessThanOrEqual(Date.now());
    expect(first.errors).toEqual([]);
  });

  it("gives a page opened late the whole history, and keeps both pages live", async () => {
    for (let s = 8; s <= 20; s++) {
      const ready = s >= 12;
      if (s === 12) feed.publish(event(12, "PodReady", "pod/sample-app-4", "ready after 5 s"));
      feed.publish(
        sample(
          s,
          240,
          4,
          [1, 2, 3, 4].map((i) => pod(i, i === 1 || ready ? "Ready" : "Starting", 60)),
        ),
      );
    }
    const late = await openPage(browser!, dashboard!.url);
    const lateView = await dashboardShowsSamples(late.page, sampleCount());
    expect(lateView).toMatchObject({ events: eventCount(), current: "4", ready: "4", canvases: 4 });
    expect(lateView.reasons).toEqual(
      [...feed.history()].reverse().flatMap((r) => (r.kind === "event" ? [r.reason] : [])),
    );
    expect(dashboard!.streams()).toBe(2);

    feed.publish(sample(21, 100, 2, [pod(1, "Ready", 50), pod(2, "Ready", 50), pod(3, "Draining", 0)]));
    for (const p of [first.page, late.page]) {
      expect(await dashboardShowsSamples(p, sampleCount())).toMatchObject({
        current: "3",
        desired: "2",
        ready: "2",
      });
    }
    await keepScreenshot(late.page, "up-dashboard", "dashboard.png");
    expect(late.errors).toEqual([]);
    expect(late.requests).toEqual([dashboard!.url, `${dashboard!.url}events`]);

    await late.page.close();
    await eventually(
      "the closed page's stream ends",
      async () => (dashboard!.streams() === 1 ? true : undefined),
      {
        timeoutMs: 10_000,
        everyMs: 100,
      },
    );
  });

  it("exports the run, and tidescale plot draws the export", async () => {
    const res = await fetch(`${dashboard!.url}export`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="tidescale-up-default-sample-app-.*\.json"$/,
    );
    const body = await res.text();
    expect(JSON.parse(body)).toEqual(feed.export());
    const exportLink = await first.page.evaluate(`document.getElementById("export").href`);
    expect(exportLink).toBe(`${dashboard!.url}export`);

    const runFile = join(DIR, "run.json");
    writeFileSync(runFile, body);
    const r = await runCli(["plot", runFile]);
    expect(r.code, r.err).toBe(0);
    const htmlFile = join(DIR, "run.html");
    writeFileSync(htmlFile, r.out);
    const plotted = await openPage(browser!, htmlFile);
    const v = await dashboardShowsSamples(plotted.page, sampleCount());
    expect(v).toMatchObject({
      state: "recorded",
      events: eventCount(),
      current: "3",
      desired: "2",
      canvases: 4,
    });
    expect(await plotted.page.title()).toBe("tidescale up: default/sample-app");
    expect(plotted.errors).toEqual([]);
    expect(plotted.requests).toEqual([pathToFileURL(htmlFile).href]);
    await keepScreenshot(plotted.page, "up-dashboard", "plot-of-export.png");
  });

  it("close() ends the streams and frees the port; the open page keeps the run it has", async () => {
    const port = Number(new URL(dashboard!.url).port);
    await dashboard!.close();
    const v = await eventually(
      "the page notices the server is gone",
      async () => {
        const now = await readDashboard(first.page);
        return now.state !== "live" ? now : undefined;
      },
      { timeoutMs: 15_000, everyMs: 100 },
    );
    expect(v).toMatchObject({ samples: sampleCount(), current: "3", canvases: 4 });
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
    });
  });
});
