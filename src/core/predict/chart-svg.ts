/**
 * SVG chart of a forecast: the recent actual series, the p50 forecast, the p50..p90 band and the p99
 * line. Pure string generation with fixed number formatting, so the same input gives byte-identical
 * output (tests compare it; browsers render it).
 */
import { civilFromDays } from "../civil-date.js";
import type { QuantileForecast, RegularSeries } from "./types.js";

/** What to draw: the recent actual series and the forecast that follows it. */
export interface ForecastChartInput {
  actual: RegularSeries;
  forecast: QuantileForecast;
  title?: string;
  width?: number;
  height?: number;
}

const fmt = (v: number): string => (Math.round(v * 100) / 100).toFixed(2);

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function isoMinute(t: number): string {
  const days = Math.floor(t / 86_400);
  const secs = t - days * 86_400;
  const { year: y, month: m, day: d } = civilFromDays(days);
  const hh = Math.floor(secs / 3600);
  const mm = Math.floor((secs % 3600) / 60);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${y}-${p2(m)}-${p2(d)} ${p2(hh)}:${p2(mm)}Z`;
}

/** Renders the chart as a standalone SVG document. */
export function forecastChartSvg(input: ForecastChartInput): string {
  const W = input.width ?? 900;
  const H = input.height ?? 360;
  const L = 60;
  const R = 20;
  const T = 30;
  const B = 40;
  const { actual, forecast } = input;
  const t0 = actual.values.length ? actual.start : forecast.start;
  const t1 = forecast.start + Math.max(0, forecast.p50.length - 1) * forecast.step;
  let vmax = 0;
  for (const v of actual.values) if (v > vmax) vmax = v;
  for (const v of forecast.p99) if (v > vmax) vmax = v;
  if (!(vmax > 0)) vmax = 1;
  vmax *= 1.05;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => L + ((t - t0) / span) * (W - L - R);
  const y = (v: number) => T + (1 - v / vmax) * (H - T - B);
  const path = (pts: Array<[number, number]>): string => {
    let d = "";
    let pen = false;
    for (const [t, v] of pts) {
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${fmt(x(t))},${fmt(y(v))}`;
      pen = true;
    }
    return d;
  };
  const act: Array<[number, number]> = [];
  actual.values.forEach((v, i) => {
    act.push([actual.start + i * actual.step, v]);
  });
  const fq = (arr: Float64Array): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    arr.forEach((v, i) => {
      out.push([forecast.start + i * forecast.step, v]);
    });
    return out;
  };
  const upper = fq(forecast.p90);
  const lower = fq(forecast.p50).reverse();
  const band = upper.length ? `${path(upper)}${path(lower).replace(/^M/, "L")}Z` : "";
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (vmax * i) / 4;
    ticks.push(
      `<line x1="${L}" x2="${W - R}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#e5e7eb"/>` +
        `<text x="${L - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${esc(v.toPrecision(3))}</text>`,
    );
  }
  const title = esc(input.title ?? "forecast");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${title}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${L}" y="18" font-size="13">${title}</text>`,
    ...ticks,
    `<text x="${L}" y="${H - 12}">${isoMinute(t0)}</text>`,
    `<text x="${W - R}" y="${H - 12}" text-anchor="end">${isoMinute(t1)}</text>`,
    `<line x1="${fmt(x(forecast.start))}" x2="${fmt(x(forecast.start))}" y1="${T}" y2="${H - B}" stroke="#9ca3af" stroke-dasharray="4 3"/>`,
    band
      ? `<path d="${band}" fill="#f59e0b" fill-opacity="0.25" stroke="none"><title>p50..p90</title></path>`
      : "",
    `<path d="${path(act)}" fill="none" stroke="#2563eb" stroke-width="1.2"><title>actual</title></path>`,
    `<path d="${path(fq(forecast.p50))}" fill="none" stroke="#d97706" stroke-width="1.5"><title>p50</title></path>`,
    `<path d="${path(fq(forecast.p99))}" fill="none" stroke="#dc2626" stroke-width="1" stroke-dasharray="3 2"><title>p99</title></path>`,
    `<g transform="translate(${W - R - 230},${T - 16})"><rect width="10" height="3" y="4" fill="#2563eb"/><text x="14" y="9">actual</text>` +
      `<rect x="60" width="10" height="3" y="4" fill="#d97706"/><text x="74" y="9">p50</text>` +
      `<rect x="104" width="10" height="8" y="1" fill="#f59e0b" fill-opacity="0.4"/><text x="118" y="9">p50-p90</text>` +
      `<rect x="170" width="10" height="3" y="4" fill="#dc2626"/><text x="184" y="9">p99</text></g>`,
    "</svg>",
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}
