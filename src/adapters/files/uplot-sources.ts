/**
 * The uPlot sources (IIFE build and stylesheet) from the installed package, for the self-contained
 * pages that inline them (`plot`, the `up` dashboard).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

export interface UplotSources {
  js: string;
  css: string;
}

/** Reads uPlot's minified IIFE build and its CSS. */
export async function uplotSources(): Promise<UplotSources> {
  const require = createRequire(import.meta.url);
  const js = require.resolve("uplot/dist/uPlot.iife.min.js");
  const css = require.resolve("uplot/dist/uPlot.min.css");
  const [jsText, cssText] = await Promise.all([readFile(js, "utf8"), readFile(css, "utf8")]);
  return { js: jsText, css: cssText };
}
