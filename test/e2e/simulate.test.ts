/**
 * `tidescale simulate` as a user runs it: a real process on the seed scenario, the SVG chart opened in
 * headless Chromium (it must render at its declared size with its three series), and bad input giving
 * exit 2 with one line on stderr.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const DIR = mkdtempSync(join(tmpdir(), "tidescale-simulate-"));
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  rmSync(DIR, { recursive: true, force: true });
});

function tidescale(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

describe("tidescale simulate (process)", () => {
  it("runs the seed scenario and its SVG chart renders in headless Chromium", async () => {
    const svgPath = join(DIR, "seed.svg");
    const r = await tidescale(["simulate", "examples/seed-qps.yaml", "--svg", svgPath]);
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
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));

    // As a document: the SVG parses, lays out, and draws load, capacity and replicas.
    await page.goto(pathToFileURL(svgPath).href);
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
    await page.goto(pathToFileURL(page_).href);
    const size = (await page.evaluate(`(async () => {
      const img = document.getElementById("chart");
      await img.decode();
      return { w: img.naturalWidth, h: img.naturalHeight };
    })()`)) as { w: number; h: number };
    expect(size).toEqual({ w: 960, h: 420 });

    const png = await page.locator("#chart").screenshot();
    expect(png.length).toBeGreaterThan(0);
    expect(png.readUInt32BE(16)).toBeGreaterThan(0); // PNG IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThan(0); // PNG IHDR height
    expect(errors).toEqual([]);
  });

  it("exits 2 with one line naming the field for a bad scenario", async () => {
    const r = await tidescale(["simulate", "test/fixtures/sim/typo.yaml"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      'error: test/fixtures/sim/typo.yaml: spec.workload.readinesDelay: unknown field "readinesDelay" (did you mean "readinessDelay"?)\n',
    );
  });
});
