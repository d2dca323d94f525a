/**
 * Acceptance on examples/traces (scoring protocol of its README): the default forecaster beats the
 * seasonal-naive baseline and the Crane-compatible DSP on the window-peak miss share, with WAPE at most
 * 1.2x theirs; it does not crash on the low-volume trace; it abstains (and the fallback is scored) on the
 * non-periodic trace. Runs through the real CLI once (JSON report), then checks the numbers.
 */
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, REPO_ROOT as repoRoot, runCli } from "../support/cli.js";

const traces = resolve(repoRoot, "examples/traces");
const files = [
  "t1_retail_webshop",
  "t2_payments_api",
  "t3_job_queue_consumer",
  "t4_level_shift_gaps",
  "t5_low_volume",
  "t6_random_walk_spikes",
].map((n) => resolve(traces, `${n}.csv`));

interface Row {
  file: string;
  forecaster: string;
  wape: number;
  mae: number;
  peakMissShare: number;
  peakMissShareWithoutSpikes: number;
  abstainRate: number;
  abstainReasons: Record<string, number>;
  origins: number;
}

describe("forecasting on the development traces", () => {
  let res: CliResult = { code: -1, out: "", err: "" };
  beforeAll(async () => {
    res = await runCli(
      [
        "backtest",
        ...files,
        "--days",
        "7",
        "--horizon",
        "60m",
        "--models",
        "multi-seasonal,crane-dsp,seasonal-naive",
        "-o",
        "json",
      ],
      { timeoutMs: 600_000 },
    );
  }, 600_000);

  it("the backtest command succeeds with 168 origins per trace", () => {
    expect(res.code, res.err).toBe(0);
    const rows: Row[] = JSON.parse(res.out).rows;
    expect(rows).toHaveLength(18);
    for (const r of rows) expect(r.origins).toBe(168);
  });

  const rows = (): Row[] => JSON.parse(res.out).rows;
  const get = (file: string, model: string) =>
    rows().find((r) => r.file === `${file}.csv` && r.forecaster === model)!;
  const periodic = [
    "t1_retail_webshop",
    "t2_payments_api",
    "t3_job_queue_consumer",
    "t4_level_shift_gaps",
    "t5_low_volume",
  ];

  it("default: fewer or equal peak misses per trace, strictly fewer overall, WAPE <= 1.2x both", () => {
    let ours = 0;
    let naive = 0;
    let crane = 0;
    for (const f of periodic) {
      const d = get(f, "multi-seasonal");
      const n = get(f, "seasonal-naive");
      const c = get(f, "crane-dsp");
      expect(d.abstainRate, f).toBe(0);
      expect(d.peakMissShare, f).toBeLessThanOrEqual(n.peakMissShare);
      expect(d.peakMissShare, f).toBeLessThanOrEqual(c.peakMissShare);
      expect(d.wape, f).toBeLessThanOrEqual(1.2 * n.wape);
      expect(d.wape, f).toBeLessThanOrEqual(1.2 * c.wape);
      ours += d.peakMissShare;
      naive += n.peakMissShare;
      crane += c.peakMissShare;
    }
    expect(ours).toBeLessThan(naive);
    expect(ours).toBeLessThan(crane);
  });

  it("low-volume trace: a finite forecast at every origin (no abstention, no crash)", () => {
    const d = get("t5_low_volume", "multi-seasonal");
    expect(Number.isFinite(d.mae)).toBe(true);
    expect(d.abstainRate).toBe(0);
  });

  it("non-periodic trace: the default abstains with no-period and the fallback is scored", () => {
    const d = get("t6_random_walk_spikes", "multi-seasonal");
    expect(d.abstainRate).toBe(1);
    expect(d.abstainReasons).toEqual({ "no-period": 168 });
    const n = get("t6_random_walk_spikes", "seasonal-naive");
    expect(d.peakMissShare).toBeLessThan(n.peakMissShare);
  });

  it("forecast says so on the non-periodic trace", async () => {
    const r = await runCli(["forecast", files[5]!, "--horizon", "10m", "-o", "csv"], { timeoutMs: 120_000 });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: multi-seasonal: abstained \(no-period/);
    expect(r.out.split("\n")[0]).toBe("timestamp,p50,p90,p99");
  });
});
