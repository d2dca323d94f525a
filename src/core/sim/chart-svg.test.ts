import { describe, expect, it } from "vitest";
import { compactDuration, niceTicks, renderChartSvg } from "./chart-svg.js";

/** A hand-made run: 5 req/s, a 240 req/s minute at 21m, replicas 1 -> 2 -> 4 -> 5 -> 1. */
function seedLike() {
  const tMs: number[] = [];
  const load: number[] = [];
  const replicas: number[] = [];
  for (let t = 0; t < 1800; t += 15) {
    tMs.push(t * 1000);
    load.push(t >= 1260 && t < 1320 ? 240 : 5);
    replicas.push(t < 1260 ? 1 : t < 1275 ? 2 : t < 1290 ? 4 : t < 1605 ? 5 : 1);
  }
  return {
    title: "seed <like> & co",
    tMs,
    load,
    replicas,
    endMs: 1_800_000,
    maxReplicas: 5,
    capacity: {
      tMs: [0, 1_270_000, 1_285_000, 1_300_000, 1_605_000],
      values: [100, 200, 400, 500, 100],
    },
    underProvisioned: [[1_260_000, 1_285_000]] as [number, number][],
    loadLabel: "load (req/s)",
  };
}

describe("renderChartSvg", () => {
  it("matches the golden file byte for byte", async () => {
    await expect(renderChartSvg(seedLike())).toMatchFileSnapshot(
      "../../../test/fixtures/sim/chart.golden.svg",
    );
  });

  it("is deterministic, escapes text, and draws three series and the shaded span", () => {
    const a = renderChartSvg(seedLike());
    expect(renderChartSvg(seedLike())).toBe(a);
    expect(a).toContain("<title>seed &lt;like&gt; &amp; co</title>");
    expect(a.match(/<path /g)).toHaveLength(3);
    // [21m00s, 21m25s) of 30 minutes over an 832 px wide plot starting at x=64
    expect(a).toContain(
      `<rect x="${(64 + (1260 / 1800) * 832).toFixed(1)}" y="62" width="${((25 / 1800) * 832).toFixed(1)}"`,
    );
  });

  it("omits capacity without a capacity model", () => {
    const { capacity: _c, underProvisioned: _u, ...rest } = seedLike();
    const svg = renderChartSvg(rest);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).not.toContain("capacity (ready pods)");
  });

  it("keeps long runs small: per pixel column only first, min, max and last", () => {
    const n = 172_800;
    const tMs = Float64Array.from({ length: n }, (_, i) => i * 15_000);
    const load = Float64Array.from(
      { length: n },
      (_, i) => 100 + 50 * Math.sin(i / 500) + (i % 97 === 0 ? 400 : 0),
    );
    const replicas = Float64Array.from({ length: n }, (_, i) => 1 + Math.floor(load[i]! / 60));
    const svg = renderChartSvg({ title: "30 days", tMs, load, replicas, maxReplicas: 10 });
    expect(svg.length).toBeLessThan(200_000);
    expect(svg).toContain(">28d<");
    // the 500 req/s spikes survive the reduction: the axis goes to 500
    expect(svg).toContain(">500<");
  });
});

describe("axis helpers", () => {
  it("niceTicks", () => {
    expect(niceTicks(240)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(niceTicks(500)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(4000)).toEqual([0, 1000, 2000, 3000, 4000]);
  });
  it("compactDuration", () => {
    expect([0, 45_000, 600_000, 5_400_000, 172_800_000, 129_600_000].map(compactDuration)).toEqual([
      "0",
      "45s",
      "10m",
      "1h30m",
      "2d",
      "1d12h",
    ]);
  });
});
