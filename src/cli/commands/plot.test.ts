import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";
import { upRunInfo } from "../../../test/support/up-run.js";
import { UpFeed } from "../../core/up/feed.js";

const DIR = mkdtempSync(join(tmpdir(), "tidescale-plot-up-"));
const RESULTS = join(import.meta.dirname, "../../../test/fixtures/loadgen/results.jsonl");

function exportFile(name: string, mutate: (e: Record<string, unknown>) => void = () => {}): string {
  const feed = new UpFeed(upRunInfo());
  feed.publish({
    kind: "event",
    t: 0,
    type: "Normal",
    reason: "ScenarioPhase",
    object: "load",
    message: "go",
  });
  const e = feed.export() as unknown as Record<string, unknown>;
  mutate(e);
  const path = join(DIR, name);
  writeFileSync(path, JSON.stringify(e, null, 2));
  return path;
}

describe("plot of a tidescale up export", () => {
  it("draws the recorded run with the run's HPA as the default title, or --title", async () => {
    const file = exportFile("run.json");
    const r = await captureMain(["plot", file]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("<title>tidescale up: default/sample-app</title>");
    expect(r.out).toContain("recorded run: 1 records");
    const titled = await captureMain(["plot", "-title", "my run", file]);
    expect(titled.out).toContain("<title>my run</title>");
  });

  it("still plots attack results as latency", async () => {
    const r = await captureMain(["plot", RESULTS]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("<title>tidescale plot</title>");
    expect(r.out).toContain("Latency (ms)");
  });

  it("exits 2 naming the file and field for a bad export, another version, or an export mixed with results", async () => {
    const bad = await captureMain([
      "plot",
      exportFile("bad.json", (e) => Object.assign(e.info as object, { maxReplicas: -1 })),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: .*bad\.json: info\.maxReplicas: /);
    const v2 = await captureMain([
      "plot",
      exportFile("v2.json", (e) => Object.assign(e, { apiVersion: "tidescale.dev/up/v2" })),
    ]);
    expect(v2.code).toBe(2);
    expect(v2.err).toContain('v2.json: apiVersion: unsupported "tidescale.dev/up/v2"');
    const mixed = await captureMain(["plot", RESULTS, exportFile("mixed.json")]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain("mixed.json: a tidescale up export is plotted alone");
    expect(bad.out + v2.out + mixed.out).toBe("");
  });
});
