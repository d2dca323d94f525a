import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { HpaValue } from "../../core/recommend/types.js";
import { runRecommend } from "./recommend.js";

const repo = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

const defaults = {
  output: "json",
  window: "7d",
  step: "1m",
  rate: "5m",
  cpuPercentile: "0.9",
  memoryPercentile: "0.99",
  margin: "0.15",
  halfLife: "24h",
  limits: "keepRatio",
  targetUtilization: "0.5",
  minHistory: "24h",
  maxGap: "1h",
  holdout: "0",
  prometheusUrl: "http://127.0.0.1:9",
  prometheusVerb: "GET" as const,
  prometheusHeader: [],
  prometheusTimeout: "10s",
};

async function run(args: string[], flags: Record<string, unknown>): Promise<string> {
  let out = "";
  await runRecommend(args, { ...defaults, ...flags }, (s) => {
    out += s;
  });
  return out;
}

const TRACES = [
  "t1_retail_webshop",
  "t2_payments_api",
  "t3_job_queue_consumer",
  "t4_level_shift_gaps",
  "t5_low_volume",
  "t6_random_walk_spikes",
];

describe("recommend --trace (the traces check against the seed's HPA: max 5, 50 per pod)", () => {
  it.each(TRACES)(
    "%s: sized on days 0-13, replayed on days 14-20: fewer under-provisioned minutes or fewer pod-hours (or a tie at the one-pod floor), and says which",
    async (name) => {
      const out = JSON.parse(
        await run([], {
          trace: repo(`examples/traces/${name}.csv`),
          scenario: repo("examples/seed-qps.yaml"),
          holdout: "7d",
        }),
      ) as { hpa: HpaValue };
      const h = out.hpa;
      expect(h.abstain).toBe(false);
      const rec = h.recommended.replay;
      const cur = h.current.replay;
      const fewerUnder = rec.underProvisionedMinutes < cur.underProvisionedMinutes;
      const fewerPods = rec.podHours < cur.podHours;
      if (fewerUnder || fewerPods) {
        // never worse on both counts, and the verdict names what improved
        expect(h.verdict).toMatch(fewerUnder ? /^fewer under-provisioned minutes/ : /^fewer pod-hours/);
        if (fewerUnder && fewerPods) expect(h.verdict).toMatch(/and fewer pod-hours/);
      } else {
        // the only way to tie: both sit at the one-pod floor all week with nothing unserved
        expect(cur.podHours).toBeCloseTo(7 * 24, 6);
        expect(rec.podHours).toBeCloseTo(7 * 24, 6);
        expect(rec.underProvisionedMinutes).toBe(0);
        expect(h.verdict).toMatch(/^no improvement over the current settings .*: keep them$/);
      }
      expect(h.recommended.object).toMatchObject({
        kind: "HorizontalPodAutoscaler",
        spec: { metrics: [{ type: "Pods", pods: { metric: { name: "http_requests_qps" } } }] },
      });
    },
    60_000,
  );

  it("bad input names the flag", async () => {
    await expect(run([], { trace: repo("examples/traces/t1_retail_webshop.csv") })).rejects.toThrow(
      /needs a simulation scenario/,
    );
    await expect(run(["deployment/web"], { trace: "x.csv", scenario: "y.yaml" })).rejects.toThrow(
      /--trace replaces the workload/,
    );
    await expect(run([], { output: "wide" })).rejects.toThrow(/want table, json or yaml/);
    await expect(run(["pod/web"], {})).rejects.toThrow(/unknown kind "pod"/);
    await expect(run(["deployment"], {})).rejects.toThrow(
      /name the Deployment \(deployment\/NAME\) or select/,
    );
    await expect(run(["deployment/web"], { cpuPercentile: "99" })).rejects.toThrow(
      /want a number in \(0, 1\]/,
    );
  });
});
