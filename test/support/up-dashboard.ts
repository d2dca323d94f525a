/**
 * Reading the `tidescale up` dashboard in headless Chromium, for e2e tests and bench/up: what the page
 * shows (from its DOM, after the browser received the records over server-sent events) and when it drew
 * its first chart. The ids and data attributes are the page's documented interface (docs/up-dashboard.md).
 * Reuse these; do not copy them.
 */
import type { Page } from "playwright-core";
import { eventually } from "./wait.js";

/** What the dashboard page shows now. Values are the `data-value` strings ("" when unknown). */
export interface DashboardView {
  /** #status[data-state]: connecting, live, reconnecting, disconnected, recorded. */
  state: string;
  /** Samples and events the page has received, and samples drawn on its charts. */
  samples: number;
  events: number;
  charted: number;
  /** Unix ms of the latest sample shown (NaN before the first). */
  lastT: number;
  current: string;
  desired: string;
  ready: string;
  served: string;
  servedText: string;
  offered: string;
  metricAverage: string;
  target: string;
  pods: Array<{ name: string; phase: string }>;
  /** Event reasons, newest first (the list's order). */
  reasons: string[];
  canvases: number;
}

/** Reads the page's current values (a string expression: tests are compiled without DOM types). */
export function readDashboard(page: Page): Promise<DashboardView> {
  return page.evaluate(`(() => {
    const v = (id) => document.getElementById(id).getAttribute("data-value");
    const b = (name) => Number(document.body.getAttribute(name) ?? "NaN");
    return {
      state: document.getElementById("status").getAttribute("data-state"),
      samples: b("data-samples"),
      events: b("data-events"),
      charted: b("data-charted"),
      lastT: b("data-last-t"),
      current: v("current-replicas"),
      desired: v("desired-replicas"),
      ready: v("ready-replicas"),
      served: v("served-rps"),
      servedText: document.getElementById("served-rps").textContent,
      offered: v("offered-rps"),
      metricAverage: v("metric-average"),
      target: v("metric-target"),
      pods: [...document.querySelectorAll("#pods tbody tr")].map((r) => ({ name: r.dataset.pod, phase: r.dataset.phase })),
      reasons: [...document.querySelectorAll("#events tbody tr")].map((r) => r.dataset.reason),
      canvases: document.querySelectorAll("#charts canvas").length,
    };
  })()`) as Promise<DashboardView>;
}

/** Waits until the page shows `n` samples in its values and on its charts; returns what it shows. */
export function dashboardShowsSamples(page: Page, n: number, timeoutMs = 30_000): Promise<DashboardView> {
  return eventually(
    `dashboard shows ${n} samples`,
    async () => {
      const v = await readDashboard(page);
      return v.samples === n && v.charted === n ? v : undefined;
    },
    { timeoutMs, everyMs: 100, detail: async () => JSON.stringify(await readDashboard(page)) },
  );
}

/**
 * Waits for the page's first chart and returns when it was drawn: `at` (Unix ms, compare it with the
 * time `tidescale up` started) and `sinceNavigationMs` (performance.now() on the page).
 */
export async function firstChartDrawn(
  page: Page,
  timeoutMs = 30_000,
): Promise<{ at: number; sinceNavigationMs: number }> {
  await page.waitForSelector("body[data-first-chart-at]", { state: "attached", timeout: timeoutMs });
  return (await page.evaluate(`({
    at: Number(document.body.getAttribute("data-first-chart-at")),
    sinceNavigationMs: Number(document.body.getAttribute("data-first-chart-ms")),
  })`)) as { at: number; sinceNavigationMs: number };
}
