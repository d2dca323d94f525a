/**
 * Headless Chromium for tests (/usr/bin/chromium through playwright-core, offline flags from the team
 * brief): launch, open a file or URL while collecting console errors, page errors and requests, and
 * screenshot. Reuse these; do not copy them. Close the browser in afterAll.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "./cli.js";

/** The Chromium binary the tests use (Debian's `chromium`). */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** Headless, no sandbox (containers), no GPU, and nothing that reaches the network on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_BIN, args: [...CHROMIUM_ARGS] });
}

/** A `file://` URL for an absolute path; URLs (`scheme:...`) are returned unchanged. */
export function pageUrl(target: string): string {
  return isAbsolute(target) ? pathToFileURL(target).href : target;
}

export interface WatchedPage {
  page: Page;
  /** Console messages of type error and uncaught page errors, in order. */
  errors: string[];
  /** Every URL the page requested, in order. */
  requests: string[];
}

/**
 * Opens a new page that records console errors, page errors and requests; when `target` (an absolute
 * file path or a URL) is given, navigates there and waits for `waitUntil` (default "load").
 */
export async function openPage(
  browser: Browser,
  target?: string,
  opts: { waitUntil?: "load" | "domcontentloaded" | "networkidle" } = {},
): Promise<WatchedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (req) => requests.push(req.url()));
  if (target !== undefined) await page.goto(pageUrl(target), { waitUntil: opts.waitUntil ?? "load" });
  return { page, errors, requests };
}

/** A PNG screenshot of the first element matching `selector`, or of the viewport without one. */
export function screenshot(page: Page, selector?: string): Promise<Buffer> {
  return selector === undefined ? page.screenshot() : page.locator(selector).screenshot();
}

/**
 * Where a test keeps what a person may want to look at after the run (screenshots):
 * `$TIDESCALE_TEST_OUTPUT/<name>`, default `out/e2e/<name>` in the repository (git-ignored). Created.
 */
export function testOutputDir(name: string): string {
  const dir = join(process.env.TIDESCALE_TEST_OUTPUT ?? join(REPO_ROOT, "out/e2e"), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a PNG screenshot of `selector` (or the whole page) as `file` in `testOutputDir(name)`; returns its path. */
export async function keepScreenshot(
  page: Page,
  name: string,
  file: string,
  selector?: string,
): Promise<string> {
  const path = join(testOutputDir(name), file);
  writeFileSync(
    path,
    selector === undefined ? await page.screenshot({ fullPage: true }) : await screenshot(page, selector),
  );
  return path;
}
