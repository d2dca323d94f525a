/**
 * Acceptance on examples/traces (scoring protocol of its README, with origins every hour from 2 days of
 * history to the end): the value an autoscaler serves (servedWindowPeak of p90 over the next hour, the
 * history bound applied; the recent-level fallback where the default abstains) is over 2x the actual peak
 * in at most 2 % and below 0.9x in at most 10 % of the windows without marked spikes, with a median
 * served/actual ratio of at most 1.15; the p50 WAPE is at most 1.2x seasonal-naive (same minute last
 * week) over the origins with 7 days of history. Runs through the real CLI once (JSON report with every
 * window), then checks the numbers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, REPO_ROOT as repoRoot, runCli } from "../support/cli.js";

const traces = resolve(repoRoot, "examples/traces");
const names = [
  "t1_retail_webshop",
  "t2_payments_api",
  "t3_job_queue_consumer",
  "t4_level_shift_gaps",
  "t5_low_volume",
  "t6_random_walk_spikes",
];
const files = names.map((n) => resolve(traces, `${n}.csv`));

interface Window {
  origin: number;
  served: number;
  actualPeak: number;
  peakRatio: number | null;
  absError: number;
  actualSum: number;
  overlapsSpike: boolean;
}

interface Row {
  file: string;
  forecaster: string;
  mae: number;
  origins: number;
  peakOver2ShareWithoutSpikes: number;
  peakMissShareWithoutSpikes: number;
  peakRatioMedianWithoutSpikes: number;
  abstainRate: number;
  abstainReasons: Record<string, number>;
  windowScores: Window[];
}

/** Slots of 7 days of 1-minute history: origins from here have a week-ago value for seasonal-naive. */
const WEEK_SLOTS = 7 * 1440;

function wapeFromWeek(r: Row): number {
  const ws = r.windowScores.filter((w) => w.origin >= WEEK_SLOTS);
  return ws.reduce((a, w) => a + w.absError, 0) / ws.reduce((a, w) => a + w.actualSum, 0);
}

describe("forecasting on the development traces, from 2 days of history", () => {
  let res: CliResult = { code: -1, out: "", err: "" };
  beforeAll(async () => {
    res = await runCli(
      [
        "backtest",
        ...files,
        "--from",
        "2d",
        "--horizon",
        "60m",
        "--models",
        "multi-seasonal,seasonal-naive",
        "--windows",
        "-o",
        "json",
      ],
      { timeoutMs: 900_000 },
    );
  }, 900_000);

  const rows = (): Row[] => JSON.parse(res.out).rows;
  const get = (file: string, model: string) =>
    rows().find((r) => r.file === `${file}.csv` && r.forecaster === model)!;

  it("the backtest command succeeds with hourly origins from day 2 to the end", () => {
    expect(res.code, res.err).toBe(0);
    expect(rows()).toHaveLength(12);
    // 21 days: origins at hours 48 .. 503 (the last hour's horizon ends with the series).
    for (const r of rows()) expect(r.origins, r.file).toBe(456);
  });

  describe.each(names)("%s", (name) => {
    it("served peak: < 0.9x actual in <= 10 % of no-spike windows", () => {
      expect(get(name, "multi-seasonal").peakMissShareWithoutSpikes).toBeLessThanOrEqual(0.1);
    });

    it("p50 WAPE <= 1.2x seasonal-naive wherever 7 days of history exist", () => {
      const d = get(name, "multi-seasonal");
      const n = get(name, "seasonal-naive");
      const naive = n.windowScores.filter((w) => w.origin >= WEEK_SLOTS);
      const naiveWape =
        naive.reduce((a, w) => a + w.absError, 0) / naive.reduce((a, w) => a + w.actualSum, 0);
      expect(wapeFromWeek(d)).toBeLessThanOrEqual(1.2 * naiveWape);
    });
  });

  describe.each(names)("%s", (name) => {
    it("served peak: > 2x actual in <= 2 % of no-spike windows, median served/actual <= 1.15", () => {
      const d = get(name, "multi-seasonal");
      expect(d.peakOver2ShareWithoutSpikes).toBeLessThanOrEqual(0.02);
      expect(d.peakRatioMedianWithoutSpikes).toBeLessThanOrEqual(1.15);
    });
  });

  it("low-volume count trace: over 2x the actual peak in whole events in <= 2 % too", () => {
    // t5's values are events per minute / 60 written with 3 decimals (2 events = 0.033, so 4 served events
    // are 2.02x it): counted in events the share is within the goal as well (the count model serves whole
    // events, or the forecast rate when the quantile is 0 events).
    const d = get("t5_low_volume", "multi-seasonal");
    const ws = d.windowScores.filter((w) => !w.overlapsSpike && w.actualPeak > 0);
    const events = (v: number) => Math.round(v * 60);
    const over2 = ws.filter((w) => events(w.served) > 2 * events(w.actualPeak)).length;
    expect(ws.length).toBeGreaterThan(400);
    expect(over2 / ws.length).toBeLessThanOrEqual(0.02);
  });

  it("low-volume trace: a finite forecast at every origin (no abstention, no crash)", () => {
    const d = get("t5_low_volume", "multi-seasonal");
    expect(Number.isFinite(d.mae)).toBe(true);
    expect(d.abstainRate).toBe(0);
  });

  it("non-periodic trace: the default abstains with no-period and the fallback is scored", () => {
    const d = get("t6_random_walk_spikes", "multi-seasonal");
    expect(d.abstainRate).toBe(1);
    expect(d.abstainReasons).toEqual({ "no-period": 456 });
  });

  it("forecast says so on the non-periodic trace", async () => {
    const r = await runCli(["forecast", files[5]!, "--horizon", "10m", "-o", "csv"], { timeoutMs: 120_000 });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: multi-seasonal: abstained \(no-period/);
    expect(r.out.split("\n")[0]).toBe("timestamp,p50,p90,p99");
  });

  it("at exactly a week of history the served peak stays near the actual one (the reported explosion)", async () => {
    // 7 days + 5 h of t1 (the reproduction): the Sunday-morning forecast used to serve a p90
    // window peak ~18x its p50, calibrated on replays of a weekend that had no earlier weekend.
    const at = get("t1_retail_webshop", "multi-seasonal").windowScores.find(
      (w) => w.origin === WEEK_SLOTS + 300,
    )!;
    expect(at.peakRatio!).toBeGreaterThan(0.9);
    expect(at.peakRatio!).toBeLessThan(1.5);
    const dir = mkdtempSync(join(tmpdir(), "tidescale-week-"));
    const csv = join(dir, "h.csv");
    const lines = readFileSync(files[0]!, "utf8").split("\n");
    writeFileSync(csv, `${lines.slice(0, WEEK_SLOTS + 300 + 1).join("\n")}\n`);
    const r = await runCli(
      ["forecast", csv, "--horizon", "60m", "--model", "multi-seasonal", "--explain", "-o", "json"],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/learned day class \(Mon-Fri \| Sat \| Sun;/);
    expect(r.err).toMatch(/windows forecast from the wider pool: their day class had no earlier day/);
    expect(r.err).toMatch(
      /served: p90 window peak over the next 1h = [0-9.]+; history bound [0-9.]+ (not reached|applied)/,
    );
    const doc = JSON.parse(r.out);
    const p50Max = Math.max(...doc.points.map((p: { p50: number }) => p.p50));
    expect(doc.windowPeak.value).toBeLessThan(1.5 * p50Max);
    expect(doc.calibration.source).toBe("replay");
  });
});
