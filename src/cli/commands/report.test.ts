import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";
import { renderPlotHtml } from "../../core/loadgen/plot-html.js";
import { decodeResultJson } from "../../core/loadgen/result.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/loadgen");
const RESULTS = join(FIXTURES, "results.jsonl");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function golden(name: string, actual: string): void {
  const path = join(FIXTURES, name);
  if (UPDATE) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("report goldens (deterministic results in test/fixtures/loadgen/results.jsonl)", () => {
  it.each([
    ["text", "report.golden.txt"],
    ["json", "report.golden.json"],
    ["hdrplot", "hdrplot.golden.txt"],
    ["hist[0,20ms,25ms,30ms,50ms,100ms]", "hist.golden.txt"],
  ])("-type %s", async (type, file) => {
    const r = await captureMain(["report", "-type", type, RESULTS]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    golden(file, r.out);
  });
  it("accepts --type, -o json and -buckets", async () => {
    const a = await captureMain(["report", "--type=json", RESULTS]);
    const b = await captureMain(["report", "-o", "json", "-buckets", "[0,25ms]", RESULTS]);
    expect(JSON.parse(b.out).buckets).toEqual({ "0": 146, "25000000": 151 });
    const { buckets: _, ...rest } = JSON.parse(b.out);
    expect(rest).toEqual(JSON.parse(a.out));
  });
  it("merges several files (concatenated attacks)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidescale-report-"));
    const lines = readFileSync(RESULTS, "utf8").trimEnd().split("\n");
    writeFileSync(join(dir, "a.jsonl"), `${lines.slice(0, 120).join("\n")}\n`);
    writeFileSync(join(dir, "b.jsonl"), `${lines.slice(120).join("\n")}\n`);
    const merged = await captureMain(["report", "-type", "json", join(dir, "a.jsonl"), join(dir, "b.jsonl")]);
    const whole = await captureMain(["report", "-type", "json", RESULTS]);
    expect(merged.out).toBe(whole.out);
  });
});

describe("encode", () => {
  it("writes CSV (golden) and converts it back to the same JSON", async () => {
    const csv = await captureMain(["encode", "-to", "csv", RESULTS]);
    expect(csv.code).toBe(0);
    golden("encode.golden.csv", csv.out);
    const dir = mkdtempSync(join(tmpdir(), "tidescale-encode-"));
    writeFileSync(join(dir, "r.csv"), csv.out);
    const json = await captureMain(["encode", "-to=json", join(dir, "r.csv")]);
    expect(json.out).toBe(readFileSync(RESULTS, "utf8"));
  });
});

describe("plot", () => {
  it("renders the page (golden, with a placeholder for the inlined uPlot)", () => {
    const results = readFileSync(RESULTS, "utf8")
      .trimEnd()
      .split("\n")
      .map((l, i) => decodeResultJson(l, `results.jsonl:${i + 1}`));
    const html = renderPlotHtml(results, {
      title: "golden",
      threshold: 50,
      uplotJs: "/* uPlot */",
      uplotCss: "/* css */",
    });
    golden("plot.golden.html", html);
  });
  it("inlines uPlot from node_modules", async () => {
    const r = await captureMain(["plot", "-title", "t", "-threshold", "100", RESULTS]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("<title>t</title>");
    expect(r.out.length).toBeGreaterThan(40_000);
    expect(r.out).not.toMatch(/<script src=/);
  });
});

describe("bad input exits 2 with one line", () => {
  const dir = mkdtempSync(join(tmpdir(), "tidescale-bad-"));
  writeFileSync(join(dir, "bad.jsonl"), `${readFileSync(RESULTS, "utf8").split("\n")[0]}\n{"code":200}\n`);
  it.each([
    [["report", join(dir, "missing.jsonl")], /^error: .*missing\.jsonl: cannot read file: no such file\n$/],
    [["report", dir], /^error: .*: cannot read results: is a directory\n$/],
    [["report", join(dir, "bad.jsonl")], /^error: .*bad\.jsonl:2: timestamp: required RFC 3339 string\n$/],
    [["report", "-type", "pie", RESULTS], /^error: -type: unknown report type "pie"/],
    [
      ["report", "-type", "hist[9ms,1ms]", RESULTS],
      /^error: -type: bucket bounds must be strictly increasing\n$/,
    ],
    [["encode", "-to", "gob", RESULTS], /^error: -to: want csv or json, got "gob"\n$/],
    [["plot", "-threshold", "x", RESULTS], /^error: -threshold: want an integer >= 3/],
  ])("%j", async (args, message) => {
    const r = await captureMain(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });
});
