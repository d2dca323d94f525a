import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "tidescale-forecast-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A daily sine at 1-minute steps over `days` days. */
function dailyCsv(days: number): string {
  const rows = ["timestamp,value"];
  for (let i = 0; i < days * 1440; i++)
    rows.push(
      `${1_713_139_200 + i * 60},${(50 + 30 * Math.sin((2 * Math.PI * i) / 1440) + (i % 3)).toFixed(3)}`,
    );
  return `${rows.join("\n")}\n`;
}

describe("tidescale forecast: bad input names the line and exits 2", () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      "unsorted.csv",
      "timestamp,value\n120,1\n60,2\n",
      /unsorted\.csv:3: timestamp 60 is earlier than line 2's/,
    ],
    ["dup.csv", "timestamp,value\n60,1\n60,2\n", /dup\.csv:3: duplicate timestamp 60/],
    ["nan.csv", "timestamp,value\n60,1\n120,abc\n", /nan\.csv:3: value "abc" is not a number/],
    ["empty.csv", "", /empty\.csv: empty series/],
    ["single.csv", "timestamp,value\n60,1\n", /single\.csv:2: only one data point/],
    [
      "stray-timestamp.csv",
      "timestamp,value\n60,1\n120,2\n99999999999999999999,3\n",
      /stray-timestamp\.csv: timestamps 60 to .* slots of 60s; at most 1000000/,
    ],
    [
      "huge-value.csv",
      "timestamp,value\n\n60,1\n# note\n120,1e300\n180,2\n",
      /huge-value\.csv:5: value 1e\+300 is too large/,
    ],
  ];
  for (const [name, text, re] of cases) {
    it(name, async () => {
      const r = await captureMain(["forecast", file(name, text)]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.split("\n").filter(Boolean)).toHaveLength(1);
    });
  }

  it("unknown model and bad flags", async () => {
    const p = file("ok.csv", dailyCsv(1));
    expect((await captureMain(["forecast", p, "--model", "nope"])).err).toMatch(
      /--model: unknown model "nope"/,
    );
    expect((await captureMain(["forecast", p, "--horizon", "soon"])).code).toBe(2);
    expect((await captureMain(["forecast", p, "-o", "xml"])).code).toBe(2);
  });

  it("bounds what a flag can ask for: horizon, step, utc offset, Prometheus range", async () => {
    const p = file("ok.csv", dailyCsv(1));
    const cases: Array<[string[], string]> = [
      [["--horizon", "100000h"], "error: --horizon: 100000h is 6000000 steps of 60s; at most 100000\n"],
      [["--step", "1ms"], `error: ${p}: timestamps 1713139200 to 1713225540 span 86340001 slots of 0.001s`],
      [["--utc-offset", "1e9"], "error: --utc-offset: want hours between -14 and 14, got 1e9\n"],
    ];
    for (const [flags, expected] of cases) {
      const r = await captureMain(["forecast", p, ...flags]);
      expect(r.code).toBe(2);
      expect(r.err.startsWith(expected)).toBe(true);
      expect(r.err.split("\n").filter(Boolean)).toHaveLength(1);
    }
    const prom = await captureMain(
      ["forecast", "--prometheus-url", "http://127.0.0.1:9", "--query", "up"].concat([
        "--range",
        "1000d",
        "--step",
        "1s",
      ]),
    );
    expect(prom.code).toBe(2);
    expect(prom.err).toMatch(/^error: --range: 86400000s at a 1s step is 86400001 points; at most 1000000/);
  });

  it("an unwritable --output or --svg is one line naming the flag, exit 2", async () => {
    const p = file("ok.csv", dailyCsv(1));
    const out = await captureMain(["forecast", p, "--output", dir]);
    expect(out.code).toBe(2);
    // the notes about abstaining models come first; the error is the last line
    expect(out.err.endsWith(`\nerror: --output: cannot write ${dir}: is a directory\n`)).toBe(true);
    const svg = await captureMain(["forecast", p, "--svg", join(dir, "missing", "x.svg")]);
    expect(svg.code).toBe(2);
    expect(svg.err).toContain(
      `error: --svg: cannot write ${join(dir, "missing", "x.svg")}: no such directory\n`,
    );
    const dirInput = await captureMain(["forecast", dir]);
    expect(dirInput).toMatchObject({ code: 2, err: `error: ${dir}: cannot read file: is a directory\n` });
  });
});

describe("tidescale forecast: output", () => {
  it("writes JSON with quantiles, window peak, candidates and notes", async () => {
    const r = await captureMain([
      "forecast",
      file("d3.csv", dailyCsv(3)),
      "--horizon",
      "30m",
      "-o",
      "json",
      "--explain",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.points).toHaveLength(30);
    expect(doc.points[0].timestamp).toBe(1_713_139_200 + 3 * 86_400);
    expect(doc.windowPeak.quantile).toBe("p90");
    expect(doc.windowPeak.value).toBe(Math.max(...doc.points.map((p: { p90: number }) => p.p90)));
    expect(doc.candidates.length).toBe(6);
    expect(r.err).toMatch(/period candidates:/);
    expect(r.err).toMatch(/chosen by rolling backtest/);
  });

  it("writes CSV to a file and a deterministic SVG", async () => {
    const p = file("d2.csv", dailyCsv(2));
    const out = join(dir, "f.csv");
    const svg1 = join(dir, "a.svg");
    const svg2 = join(dir, "b.svg");
    expect(
      (
        await captureMain([
          "forecast",
          p,
          "--model",
          "multi-seasonal",
          "-o",
          "csv",
          "--output",
          out,
          "--svg",
          svg1,
        ])
      ).code,
    ).toBe(0);
    await captureMain(["forecast", p, "--model", "multi-seasonal", "-o", "csv", "--svg", svg2]);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines[0]).toBe("timestamp,p50,p90,p99");
    expect(lines).toHaveLength(61);
    expect(readFileSync(svg1, "utf8")).toBe(readFileSync(svg2, "utf8"));
  });

  it("a forced model that abstains exits 1 with the reason (JSON: abstained)", async () => {
    const p = file("d1.csv", dailyCsv(1));
    const r = await captureMain(["forecast", p, "--model", "crane-dsp", "-o", "json"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: forecast: model crane-dsp abstained \(too-little-history\)/);
    expect(JSON.parse(r.out).abstained.code).toBe("too-little-history");
  });
});

describe("tidescale forecast --crane-dsp", () => {
  const ehpa = (history: string) =>
    [
      "apiVersion: autoscaling.crane.io/v1alpha1",
      "kind: EffectiveHorizontalPodAutoscaler",
      "metadata: {name: web}",
      "spec:",
      "  prediction:",
      "    predictionWindowSeconds: 1800",
      "    predictionAlgorithm:",
      "      algorithmType: dsp",
      "      dsp:",
      '        sampleInterval: "60s"',
      `        historyLength: "${history}"`,
      "        estimators:",
      '          maxValue: [{marginFraction: "0.1"}]',
      "",
    ].join("\n");

  it("reproduces an EHPA's DSP settings and its prediction window", async () => {
    const p = file("d3c.csv", dailyCsv(3));
    const r = await captureMain([
      "forecast",
      p,
      "--crane-dsp",
      file("ehpa.yaml", ehpa("3d")),
      "--horizon",
      "10m",
      "-o",
      "json",
    ]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.model).toBe("crane-dsp");
    expect(doc.periods).toEqual([86_400]);
    expect(doc.windowPeak.windowSeconds).toBe(1800);
  });

  it("rejects a prediction window that is not a positive number of seconds", async () => {
    const p = file("d3w.csv", dailyCsv(3));
    for (const [name, w] of [
      ["neg", "-5"],
      ["zero", "0"],
      ["text", '"30m"'],
    ] as const) {
      const f = file(
        `ehpa-${name}.yaml`,
        ehpa("3d").replace("predictionWindowSeconds: 1800", `predictionWindowSeconds: ${w}`),
      );
      const r = await captureMain(["forecast", p, "--crane-dsp", f]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `error: ${f}: spec.prediction.predictionWindowSeconds: must be a positive integer number of seconds, got ${w}\n`,
      );
    }
  });

  it("rejects what Crane would silently default, naming the field", async () => {
    const p = file("d3d.csv", dailyCsv(3));
    const r = await captureMain(["forecast", p, "--crane-dsp", file("ehpa1d.yaml", ehpa("1d"))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/spec\.prediction\.predictionAlgorithm\.dsp: historyLength: must be at least 48h/);
    const typo = await captureMain([
      "forecast",
      p,
      "--crane-dsp",
      file("typo.yaml", "sampleInterval: 60s\nhistoryLenght: 3d\n"),
    ]);
    expect(typo.err).toMatch(/unknown field "historyLenght"/);
  });
});

describe("tidescale backtest", () => {
  it("reports every forecaster with spikes from an events file", async () => {
    const p = file("b.csv", dailyCsv(9));
    const ev = file(
      "events.json",
      JSON.stringify({
        events: [
          { start: 1_713_139_200 + 8 * 86_400, end: 1_713_139_200 + 8 * 86_400 + 600, countsAsSpike: true },
        ],
      }),
    );
    const r = await captureMain([
      "backtest",
      p,
      "--days",
      "1",
      "--models",
      "multi-seasonal,recent-level",
      "--events",
      ev,
      "-o",
      "json",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.rows.map((x: { forecaster: string }) => x.forecaster)).toEqual([
      "multi-seasonal",
      "recent-level",
      "seasonal-naive",
    ]);
    for (const row of doc.rows) {
      expect(row.origins).toBe(24);
      expect(row.windowsWithoutSpikes).toBe(row.windows - 1);
    }
    const text = await captureMain([
      "backtest",
      p,
      "--days",
      "1",
      "--models",
      "recent-level",
      "--events",
      ev,
    ]);
    expect(text.out.split("\n")[0]).toMatch(/^FILE\s+MODEL\s+WAPE\s+MAE\s+UNDER/);
  });

  it("--from starts origins at a history length and reports over-2x shares and every window", async () => {
    const p = file("from.csv", dailyCsv(4));
    const r = await captureMain([
      "backtest",
      p,
      "--from",
      "2d",
      "--models",
      "multi-seasonal",
      "--windows",
      "-o",
      "json",
    ]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.fromSeconds).toBe(172_800);
    const row = doc.rows[0];
    // hours 48 .. 95 of a 96-hour series (the last horizon ends with the series)
    expect(row.origins).toBe(48);
    expect(row.windowScores[0].origin).toBe(2 * 1440);
    expect(row.windowScores).toHaveLength(48);
    expect(row.peakOver2ShareWithoutSpikes).toBe(0);
    expect(row.peakRatioMedianWithoutSpikes).toBeGreaterThan(0.9);
    for (const w of row.windowScores) expect(w.peakRatio).toBeCloseTo(w.served / w.actualPeak, 9);
    const both = await captureMain(["backtest", p, "--from", "2d", "--days", "1"]);
    expect(both).toMatchObject({ code: 2, err: "error: --from: give either --days or --from, not both\n" });
    const long = await captureMain(["backtest", p, "--from", "5d"]);
    expect(long.err).toMatch(/no origin fits: the series is shorter than 5d of history plus the horizon/);
  });

  it("rejects a bad events file and too short series", async () => {
    const p = file("c.csv", dailyCsv(2));
    const ev = file("bad.json", "{");
    expect((await captureMain(["backtest", p, "--events", ev])).err).toMatch(/bad\.json: not valid JSON/);
    expect((await captureMain(["backtest", p, "--days", "7", "--horizon", "3d"])).code).toBe(2);
  });

  it("bounds the origins and the horizon, and names an unwritable --output", async () => {
    const p = file("d.csv", dailyCsv(4));
    const every = await captureMain(["backtest", p, "--days", "4", "--every", "1m"]);
    expect(every.code).toBe(2);
    expect(every.err).toMatch(/^error: --every: \d+ origins over 4d every 1m; at most 5000/);
    const horizon = await captureMain(["backtest", p, "--days", "1", "--horizon", "10000h"]);
    expect(horizon.err).toBe("error: --horizon: 10000h is 600000 steps of 60s; at most 100000\n");
    const offset = await captureMain(["backtest", p, "--utc-offset", "99"]);
    expect(offset).toMatchObject({
      code: 2,
      err: "error: --utc-offset: want hours between -14 and 14, got 99\n",
    });
    const out = await captureMain([
      "backtest",
      p,
      "--days",
      "1",
      "--models",
      "recent-level",
      "--output",
      dir,
    ]);
    expect(out).toMatchObject({ code: 2, err: `error: --output: cannot write ${dir}: is a directory\n` });
  });
});
