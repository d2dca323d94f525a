import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCsvSeries, loadSpikes } from "./series-source.js";

const dir = mkdtempSync(join(tmpdir(), "tidescale-series-source-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const csv = file("qps.csv", "timestamp,value\n0,1\n60,2\n120,3\n180,4\n");
const series = loadCsvSeries(csv).series;

function spikesError(events: unknown): string {
  const p = file("events.json", JSON.stringify(events));
  try {
    loadSpikes(csv, series, p);
  } catch (e) {
    return `${(e as { where: string }).where}: ${(e as Error).message}`;
  }
  return "no error";
}

describe("loadSpikes", () => {
  it("reads our events file and the traces manifest into slot ranges", () => {
    const ours = file(
      "ours.json",
      JSON.stringify({
        events: [
          { start: 60, end: 120 },
          { start: 0, end: 60, countsAsSpike: false },
        ],
      }),
    );
    expect(loadSpikes(csv, series, ours)).toEqual([{ start: 1, end: 2 }]);
    const manifest = file(
      "manifest.json",
      JSON.stringify({
        start_timestamp: 0,
        format: { step_seconds: 60 },
        traces: [
          { file: "other.csv", events: "not looked at" },
          {
            file: "qps.csv",
            events: [
              { start_index: 2, end_index_exclusive: 3, counts_as_spike: true },
              { start_index: 0, end_index_exclusive: 1, counts_as_spike: false },
            ],
          },
        ],
      }),
    );
    expect(loadSpikes(csv, series, manifest)).toEqual([{ start: 2, end: 3 }]);
  });

  it("names the field of a malformed event instead of crashing or ignoring it", () => {
    const p = join(dir, "events.json");
    expect(spikesError(null)).toBe(
      `${p}: expected an events file {"events": [...]} or a traces manifest {"traces": [...]}`,
    );
    expect(spikesError({ events: [{ start: 5, end: 2 }] })).toBe(
      `${p}: events[0].end: must be greater than start (5)`,
    );
    expect(spikesError({ events: [{ start: 1, end: 2, countsAsSpike: "yes" }] })).toBe(
      `${p}: events[0].countsAsSpike: must be true or false, got "yes"`,
    );
    expect(spikesError({ events: ["x"] })).toBe(
      `${p}: events[0]: needs numeric start and end (Unix seconds)`,
    );
    const trace = (events: unknown, extra: Record<string, unknown> = { start_timestamp: 0 }) => ({
      ...extra,
      traces: [{ file: "qps.csv", events }],
    });
    expect(spikesError(trace("x"))).toBe(`${p}: traces[0].events: must be a list`);
    expect(spikesError(trace([], {}))).toBe(`${p}: start_timestamp: must be a number (Unix seconds)`);
    expect(spikesError(trace([], { start_timestamp: 0, format: { step_seconds: 0 } }))).toBe(
      `${p}: format.step_seconds: must be a positive number`,
    );
    expect(spikesError(trace([{ start_index: "a", end_index_exclusive: 2 }]))).toBe(
      `${p}: traces[0].events[0]: needs numeric start_index and end_index_exclusive`,
    );
  });
});

describe("loadCsvSeries limits", () => {
  it("names the line of a value too large to square and sum", () => {
    const p = file("big.csv", "timestamp,value\n# comment\n0,1\n\n60,-2e101\n120,3\n");
    expect(() => loadCsvSeries(p)).toThrow(expect.objectContaining({ where: `${p}:5` }));
  });

  it("names the file of a directory", () => {
    expect(() => loadCsvSeries(dir)).toThrow(
      expect.objectContaining({ where: dir, message: "cannot read file: is a directory" }),
    );
  });
});
