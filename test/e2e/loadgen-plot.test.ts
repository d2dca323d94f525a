/**
 * `tidescale plot` output in headless Chromium: the page loads offline, uPlot draws a canvas with the
 * series of the results, and nothing is logged to the console as an error.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, openPage } from "../support/browser.js";
import { REPO_ROOT as ROOT, runCli } from "../support/cli.js";

let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
});

describe("plot in headless Chromium", () => {
  it("loads, draws a canvas with the attack series, and logs no errors", async () => {
    const r = await runCli([
      "plot",
      "-title",
      "fixture attacks",
      "-threshold",
      "500",
      join(ROOT, "test/fixtures/loadgen/results.jsonl"),
    ]);
    expect(r.code, r.err).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), "tidescale-plot-")), "plot.html");
    writeFileSync(file, r.out);

    browser = await launchChromium();
    const { page, errors: problems, requests } = await openPage(browser, file, { waitUntil: "load" });
    await page.waitForSelector("canvas");
    // A string expression: the test is compiled without DOM types.
    const info = (await page.evaluate(`(() => {
      const canvas = document.querySelector("canvas");
      const legend = [...document.querySelectorAll(".u-legend .u-series th")].map((e) => e.textContent.trim());
      return { title: document.title, width: canvas.width, height: canvas.height, legend };
    })()`)) as { title: string; width: number; height: number; legend: string[] };
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(info.title).toBe("fixture attacks");
    expect(info.width).toBeGreaterThan(0);
    expect(info.height).toBeGreaterThan(0);
    expect(info.legend).toEqual(
      expect.arrayContaining(["burst: ERROR", "burst: OK", "steady: ERROR", "steady: OK"]),
    );
  });
});
