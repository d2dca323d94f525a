/**
 * `tidescale simulate` as a user runs it: a real process on the seed scenario, the SVG chart opened in
 * headless Chromium (it must render at its declared size with its three series), and bad input giving
 * exit 2 with one line on stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, pageUrl, screenshot } from "../support/browser.js";
import { runCli } from "../support/cli.js";

const DIR = mkdtempSync(join(tmpdir(), "tidescale-simulate-"));
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  rmSync(DIR, { recursive: true, force: true });
});

describe("tidescale simulate (process)", () => {
  it("runs the seed scenario and its SVG chart renders in headless Chromium", async () => {
    const svgPath = join(DIR, "seed.svg");
    const r = await runCli(["simulate", "examples/seed-qps.yaml", "--svg", svgPath], { timeoutMs: 120_000 });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain("sample-httpserver   Deployment/httpserver   <unknown>/50");
    expect(r.out).toContain("New size: 5; reason: pods metric http_requests_qps above target");
    expect(r.out).toContain(`Wrote chart ${svgPath}.`);

    const page_ = join(DIR, "seed.html");
    writeFileSync(
      page_,
      `<!doctype html><html><body style="margin:0"><img id="chart" src="seed.svg"></body></html>`,
    );
    browser = await launchChromium();
    const { page, errors } = await openPage(browser);

    // As a document: the SVG parses, lays out, and draws load, capacity and replicas.
    await page.goto(pageUrl(svgPath));
    const shape = (await page.evaluate(`(() => {
      const svg = document.documentElement;
      const box = svg.getBoundingClientRect();
      const paths = [...document.querySelectorAll("path")].map((p) => p.getTotalLength());
      return { tag: svg.tagName, w: box.width, h: box.height, paths, text: svg.textContent };
    })()`)) as { tag: string; w: number; h: number; paths: number[]; text: string };
    expect(shape.tag).toBe("svg");
    expect(shape).toMatchObject({ w: 960, h: 420 });
    expect(shape.paths).toHaveLength(3);
    for (const len of shape.paths) expect(len).toBeGreaterThan(100);
    expect(shape.text).toContain("seed-qps: HPA sample-httpserver on Deployment/httpserver");

    // As an image: the browser decodes it at the declared size.
    await page.goto(pageUrl(page_));
    const size = (await page.evaluate(`(async () => {
      const img = document.getElementById("chart");
      await img.decode();
      return { w: img.naturalWidth, h: img.naturalHeight };
    })()`)) as { w: number; h: number };
    expect(size).toEqual({ w: 960, h: 420 });

    const png = await screenshot(page, "#chart");
    expect(png.length).toBeGreaterThan(0);
    expect(png.readUInt32BE(16)).toBeGreaterThan(0); // PNG IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThan(0); // PNG IHDR height
    expect(errors).toEqual([]);
  });

  it("exits 2 with one line naming the field for a bad scenario", async () => {
    const r = await runCli(["simulate", "test/fixtures/sim/typo.yaml"], { timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      'error: test/fixtures/sim/typo.yaml: spec.workload.readinesDelay: unknown field "readinesDelay" (did you mean "readinessDelay"?)\n',
    );
  });
});
