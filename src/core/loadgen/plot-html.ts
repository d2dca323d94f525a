/**
 * The `plot` page: one self-contained HTML file with uPlot inlined, x = seconds since the earliest
 * result, y = latency in ms, one series per attack name x {OK, ERROR}, each downsampled with LTTB to
 * `threshold` points (vegeta's `lib/plot/plot.go` design). The uPlot sources come in as strings so this
 * stays pure and golden-testable.
 */
import { escapeHtml, inlineScript } from "../html.js";
import { lttb } from "./lttb.js";
import { type AttackResult, compareInstants, type Instant, nsBetween } from "./result.js";

export interface PlotOptions {
  title: string;
  threshold: number;
  uplotJs: string;
  uplotCss: string;
}

interface Series {
  label: string;
  x: number[];
  y: number[];
}

/** Groups results into plot series (dropped requests are not plotted: they have no latency). */
export function plotSeries(results: AttackResult[], threshold: number): Series[] {
  let earliest: Instant | null = null;
  for (const r of results) {
    if (!r.dropped && (earliest === null || compareInstants(r.timestamp, earliest) < 0))
      earliest = r.timestamp;
  }
  if (earliest === null) return [];
  const groups = new Map<string, { xs: number[]; ys: number[] }>();
  const sorted = results.filter((r) => !r.dropped).sort((a, b) => compareInstants(a.timestamp, b.timestamp));
  for (const r of sorted) {
    const label = `${r.attack === "" ? "" : `${r.attack}: `}${r.error === "" ? "OK" : "ERROR"}`;
    let g = groups.get(label);
    if (!g) {
      g = { xs: [], ys: [] };
      groups.set(label, g);
    }
    g.xs.push(Math.round(nsBetween(earliest, r.timestamp) / 1e3) / 1e6);
    g.ys.push(Math.round(r.latency / 1e3) / 1e3);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, g]) => ({ label, ...lttb(g.xs, g.ys, threshold) }));
}

/** Aligns series on the union of their x values (uPlot's data layout), with null where a series has no point. */
export function alignSeries(series: Series[]): Array<Array<number | null>> {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data: Array<Array<number | null>> = [xs];
  for (const s of series) {
    const col: Array<number | null> = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      col[index.get(x)!] = s.y[i]!;
    });
    data.push(col);
  }
  return data;
}

const COLORS = ["#2b8a3e", "#c92a2a", "#1c7ed6", "#e67700", "#862e9c", "#0b7285"];

/** Renders the whole HTML page. */
export function renderPlotHtml(results: AttackResult[], opts: PlotOptions): string {
  const series = plotSeries(results, opts.threshold);
  const data = alignSeries(series);
  const seriesOpts = series.map((s, i) => ({
    label: s.label,
    stroke: s.label.endsWith("ERROR") ? "#c92a2a" : COLORS[i % COLORS.length],
    width: 1,
    spanGaps: true,
    points: { show: true, size: 3 },
  }));
  const config = {
    title: opts.title,
    seriesOpts,
    data,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(opts.title)}</title>
<style>${opts.uplotCss}
body{font-family:system-ui,sans-serif;margin:16px}
#hint{color:#666;font-size:12px}
</style>
</head>
<body>
<div id="plot"></div>
<p id="hint">Drag to zoom, double-click to reset. x: seconds since the first request; y: latency (ms) from the actual send.</p>
<script>${inlineScript(opts.uplotJs)}</script>
<script>
const cfg = ${inlineScript(JSON.stringify(config))};
const opts = {
  title: cfg.title,
  width: Math.max(600, window.innerWidth - 40),
  height: 500,
  scales: { x: { time: false } },
  axes: [{ label: "Seconds elapsed" }, { label: "Latency (ms)" }],
  series: [{ label: "Seconds" }, ...cfg.seriesOpts],
};
const plot = new uPlot(opts, cfg.data, document.getElementById("plot"));
window.addEventListener("resize", () => plot.setSize({ width: Math.max(600, window.innerWidth - 40), height: 500 }));
</script>
</body>
</html>
`;
}
