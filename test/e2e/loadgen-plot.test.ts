/**
 * `tidescale plot` output in headless Chromium: the page loads offline, uPlot draws a canvas with the
 * series of the results, and nothing is logged to the console as an error.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
});

function plot(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "plot", ...args],
      { cwd: ROOT },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

describe("plot in headless Chromium", () => {
  it("loads, draws a canvas with the attack series, and logs no errors", async () => {
    const r = await plot([
      "-title",
      "fixture attacks",
      "-threshold",
      "500",
      join(ROOT, "test/fixtures/loadgen/results.jsonl"),
    ]);
    expect(r.code, r.err).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), "tidescale-plot-")), "plot.html");
    writeFileSync(file, r.out);

    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    const requests: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
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
