/**
 * The offline, deterministic examples of the docs, run through the real `tidescale` binary as a user
 * would: `hpa explain` (docs/hpa-explain.md), `simulate` (docs/simulate.md), `forecast` and `backtest`
 * (docs/forecasting.md), and every command's `--help` (each must show a runnable example).
 *
 * The binary is `node dist/cli/main.js` when dist is at least as new as every source file (CI builds it
 * before the e2e run); otherwise `node --import tsx src/cli/main.ts`, so a stale dist never hides a change.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { COMMANDS } from "../../src/cli/registry.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DIST_MAIN = join(ROOT, "dist", "cli", "main.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let binary: string[] = [];
let work = "";

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMtime(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs `tidescale ...args` from the repository root; bounded by a 60 s timeout. */
function tidescale(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...binary, ...args],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Every command path the program registers (`["hpa"]`, `["hpa", "explain"]`, `["forecast"]`, ...). */
async function commandPaths(): Promise<{ path: string[]; subcommands: string[] }[]> {
  const program = new Command("tidescale");
  for (const c of COMMANDS) (await c.load()).register(program);
  const out: { path: string[]; subcommands: string[] }[] = [];
  const walk = (cmd: Command, prefix: string[]) => {
    for (const sub of cmd.commands) {
      const path = [...prefix, sub.name()];
      out.push({ path, subcommands: sub.commands.map((c) => c.name()) });
      walk(sub, path);
    }
  };
  walk(program, []);
  return out;
}

beforeAll(() => {
  const fresh = existsSync(DIST_MAIN) && statSync(DIST_MAIN).mtimeMs >= newestSourceMtime(join(ROOT, "src"));
  binary = fresh ? [DIST_MAIN] : ["--import", "tsx", join(ROOT, "src", "cli", "main.ts")];
  work = mkdtempSync(join(tmpdir(), "tidescale-docs-examples-"));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("docs/hpa-explain.md", () => {
  it("tidescale hpa explain examples/explain-snapshot.yaml: 1 -> 5 with the reason, text", async () => {
    const r = await tidescale(["hpa", "explain", "examples/explain-snapshot.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("HPA default/sample-httpserver on Deployment/httpserver at 2026-11-28T12:21:15Z");
    expect(lines[1]).toBe("Desired replicas: 5 (scale 1 -> 5)");
    expect(r.stdout).toMatch(
      /^0\s+pods metric http_requests_qps\s+5\s+average 240 \(target 50\), ratio 4\.8$/m,
    );
    expect(r.stdout).toContain(
      "SuccessfulRescale             New size: 5; reason: pods metric http_requests_qps above target",
    );
    expect(r.stdout).toContain("Explanation:\n  1. ");
  });

  it("-o json parses and matches the documented jq example; -o yaml is the same document", async () => {
    const r = await tidescale(["hpa", "explain", "examples/explain-snapshot.yaml", "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe("tidescale.dev/hpa-explain/v1");
    // docs/hpa-explain.md: jq '{desiredReplicas, event: .event.message}'
    expect({ desiredReplicas: doc.desiredReplicas, event: doc.event.message }).toEqual({
      desiredReplicas: 5,
      event: "New size: 5; reason: pods metric http_requests_qps above target",
    });
    expect(doc).toMatchObject({ case: "metrics", currentReplicas: 1, rescale: true, metricsReplicas: 5 });
    expect(doc.metrics.map((m: { replicas: number }) => m.replicas)).toEqual([5, 1]);
    const y = await tidescale(["hpa", "explain", "examples/explain-snapshot.yaml", "-o", "yaml"]);
    expect(y.code).toBe(0);
    const { parse } = await import("yaml");
    expect(parse(y.stdout)).toEqual(doc);
  });

  it("bad input is one line `error: <where>: <what>` and exit 2", async () => {
    const missing = await tidescale(["hpa", "explain", "examples/no-such-snapshot.yaml"]);
    expect(missing).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "error: examples/no-such-snapshot.yaml: cannot read file: no such file\n",
    });
    const snap = readFileSync(join(ROOT, "examples/explain-snapshot.yaml"), "utf8");
    const file = join(work, "typo.yaml");
    writeFileSync(file, snap.replace("  selector: app=httpserver", "  selectr: app=httpserver"));
    const typo = await tidescale(["hpa", "explain", file]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      `error: ${file}: target.selectr: unknown field "selectr" (did you mean "selector"?)\n`,
    );
  });
});

describe("docs/recommend.md", () => {
  it("the --trace example prints exactly what the guide shows", async () => {
    const doc = readFileSync(join(ROOT, "docs/recommend.md"), "utf8");
    const block = /```console\n\$ tidescale (recommend --trace [^\n]+)\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    const r = await tidescale(block![1]!.split(" "));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(block![2]);
  });
});

describe("docs/simulate.md", () => {
  it("tidescale simulate examples/seed-qps.yaml -o json: the burst takes it to 5, then back to 1", async () => {
    const r = await tidescale(["simulate", "examples/seed-qps.yaml", "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe("tidescale.simulation/v1");
    expect(doc.summary.peakReplicas).toBe(5);
    expect(doc.summary.reconciles).toBe(120);
    const replicas: number[] = doc.timeline.map((t: { replicas: number }) => t.replicas);
    const peakAt = replicas.indexOf(5);
    expect(peakAt).toBeGreaterThan(0);
    expect(replicas[0]).toBe(1);
    expect(replicas.at(-1)).toBe(1);
    // it came back down after the peak (the scale-down, not a run that never rose)
    expect(replicas.slice(peakAt).indexOf(1)).toBeGreaterThan(0);
    expect(doc.summary.scaleDowns).toBeGreaterThanOrEqual(1);
  });
});

describe("docs/ehpa.md", () => {
  it("tidescale ehpa convert examples/ehpa/crane-ehpa.yaml: our apiVersion, the notes on stderr", async () => {
    const r = await tidescale(["ehpa", "convert", "examples/ehpa/crane-ehpa.yaml"]);
    expect(r.code).toBe(0);
    const doc = parseYaml(r.stdout) as { apiVersion: string; spec: { prediction: unknown } };
    expect(doc.apiVersion).toBe("autoscaling.tidescale.dev/v1alpha1");
    expect(r.stderr).toContain(
      "note: examples/ehpa/crane-ehpa.yaml: spec.crons[1].timezone: unset; Crane used the controller's local zone, tidescale uses UTC",
    );
    const bad = join(work, "bad-ehpa.yaml");
    writeFileSync(
      bad,
      readFileSync(join(ROOT, "examples/ehpa/crane-ehpa.yaml"), "utf8").replace(
        "maxReplicas: 20",
        "maxReplicas: 1",
      ),
    );
    const e = await tidescale(["ehpa", "convert", bad]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain(
      `error: ${bad}: spec.maxReplicas: must be greater than or equal to minReplicas (2)`,
    );
  });

  it("tidescale simulate examples/ehpa/predictive-simulation.yaml: predictive vs reactive", async () => {
    const r = await tidescale(["simulate", "examples/ehpa/predictive-simulation.yaml"]);
    expect(r.code).toBe(0);
    const m = /under-provisioned minutes: ([\d.]+) -> ([\d.]+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeLessThan(Number(m![1]) / 2);
    expect(r.stdout).toMatch(/pod-hours: +[\d.]+ -> [\d.]+/);
    expect(r.stdout).toContain("external metric tidescale_cron");
    const j = await tidescale(["simulate", "examples/ehpa/predictive-simulation.yaml", "-o", "json"]);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    // The same comparison as the text summary, as numbers.
    expect(doc.comparison.reactive.underProvisionedMinutes.toFixed(1)).toBe(m![1]);
    expect(doc.comparison.predictive.underProvisionedMinutes.toFixed(1)).toBe(m![2]);
    expect(doc.comparison.predictive).toEqual(doc.summary);
    expect(doc.comparison.change.podHours).toBeCloseTo(
      doc.comparison.predictive.podHours / doc.comparison.reactive.podHours - 1,
      12,
    );
  });
});

describe("docs/forecasting.md", () => {
  it("tidescale forecast examples/traces/checkout-qps.csv --horizon 1h --explain --svg chart.svg", async () => {
    const svg = join(work, "chart.svg");
    const r = await tidescale([
      "forecast",
      "examples/traces/checkout-qps.csv",
      "--horizon",
      "1h",
      "--explain",
      "--svg",
      svg,
    ]);
    expect(r.code).toBe(0);
    // --explain goes to stderr: the series, the period candidates with scores, the model and why
    expect(r.stderr).toContain(
      "series: examples/traces/checkout-qps.csv: 1440 points on a 60s grid of 1440 slots",
    );
    expect(r.stderr).toMatch(/^period candidates:$/m);
    expect(r.stderr).toMatch(/^ {2}1d +score +[-\d.]+ +(accepted|rejected)/m);
    const model = /^model: (\S+)$/m.exec(r.stderr)?.[1];
    expect(model).toBeDefined();
    // stdout: the model line, the window peak, then 60 rows of timestamp p50 p90 p99
    expect(r.stdout.split("\n")[0]).toMatch(new RegExp(`^model: ${model} +horizon: 60 x 60s`));
    const rows = r.stdout.split("\n").filter((l) => /^\d{10} /.test(l));
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      const [, p50, p90, p99] = row.trim().split(/\s+/).map(Number);
      expect(p50! <= p90! && p90! <= p99!).toBe(true);
    }
    expect(readFileSync(svg, "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // deterministic: the same run gives the same forecast
    const again = await tidescale([
      "forecast",
      "examples/traces/checkout-qps.csv",
      "--horizon",
      "1h",
      "-o",
      "json",
    ]);
    const doc = JSON.parse(again.stdout);
    expect(doc.model).toBe(model);
    expect(doc.points).toHaveLength(60);
    expect(doc.points[0].timestamp).toBe(Number(rows[0]!.split(/\s+/)[0]));
  });

  it("tidescale backtest examples/traces/checkout-qps.csv --days 0.5 --horizon 30m (bounded)", async () => {
    const r = await tidescale([
      "backtest",
      "examples/traces/checkout-qps.csv",
      "--days",
      "0.5",
      "--horizon",
      "30m",
      "-o",
      "json",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ quantile: "p90", days: 0.5, horizonSeconds: 1800 });
    const models = doc.rows.map((row: { forecaster: string }) => row.forecaster);
    expect(models).toContain("seasonal-naive");
    expect(models).toContain("recent-level");
    for (const row of doc.rows) {
      expect(row.file).toBe("checkout-qps.csv");
      expect(row.origins).toBe(12);
      expect(row.wape === null || row.wape >= 0).toBe(true);
    }
    const text = await tidescale([
      "backtest",
      "examples/traces/checkout-qps.csv",
      "--days",
      "0.5",
      "--horizon",
      "30m",
    ]);
    expect(text.stdout.split("\n")[0]).toMatch(/^FILE\s+MODEL\s+WAPE\s+MAE\s+UNDER\s+PEAK-MED/);
  });

  it("a stray timestamp is one line naming the file, exit 2 (not an allocation failure)", async () => {
    const csv = join(work, "stray.csv");
    writeFileSync(csv, "timestamp,value\n1713139200,1\n1713139260,2\n99999999999999,3\n");
    const r = await tidescale(["forecast", csv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error: ${csv.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: timestamps .* at most 1000000`),
    );
  });
});

const paths = await commandPaths();

describe("every command's --help", () => {
  it("the registry has the documented commands", () => {
    const names = paths.map((p) => p.path.join(" "));
    for (const want of [
      "forecast",
      "backtest",
      "simulate",
      "hpa explain",
      "adapter",
      "rules test",
      "attack",
      "report",
    ])
      expect(names).toContain(want);
  });

  it.each(paths.filter((p) => p.subcommands.length === 0).map((p) => [p.path.join(" "), p.path]))(
    "tidescale %s --help exits 0 and shows a runnable example",
    async (name, path) => {
      const r = await tidescale([...(path as string[]), "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: tidescale ${name}`);
      expect(r.stdout).toContain("Example");
      // the example is a command line of this very command
      expect(r.stdout).toMatch(new RegExp(`^\\s+(.*\\| *)?tidescale ${name}( |$)`, "m"));
    },
  );

  it.each(
    paths.filter((p) => p.subcommands.length > 0).map((p) => [p.path.join(" "), p.path, p.subcommands]),
  )("tidescale %s --help exits 0 and lists its subcommands", async (_name, path, subcommands) => {
    const r = await tidescale([...(path as string[]), "--help"]);
    expect(r.code).toBe(0);
    for (const sub of subcommands as string[]) expect(r.stdout).toMatch(new RegExp(`^\\s+${sub}\\b`, "m"));
  });
});
