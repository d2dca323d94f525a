/**
 * A static SVG chart of a simulation: offered load and serving capacity (left axis), replicas (right axis,
 * drawn as a step line), and shaded spans where load exceeded capacity. Pure string generation with fixed
 * number formatting, so the output is byte-for-byte deterministic and golden-testable.
 */

/**
 * What the chart draws. `load` and `replicas` share the time axis `tMs` (ms since the start; each value
 * holds until the next sample); `capacity` has its own change points.
 */
export interface ChartInput {
  readonly title: string;
  readonly tMs: ArrayLike<number>;
  readonly load: ArrayLike<number>;
  /** Ready pods × capacity per pod at each change (held until the next); omitted without a capacity model. */
  readonly capacity?: { readonly tMs: ArrayLike<number>; readonly values: ArrayLike<number> };
  /** Intervals `[from, to)` (ms) to shade as "load above capacity". */
  readonly underProvisioned?: readonly (readonly [number, number])[];
  /** End of the time axis (ms; the run's duration); default: the last sample. */
  readonly endMs?: number;
  /** Replica count (`scale.spec.replicas`) after each reconcile. */
  readonly replicas: ArrayLike<number>;
  /** Upper bound for the replicas axis (the HPA's maxReplicas). */
  readonly maxReplicas: number;
  /** Left-axis label, e.g. "load (req/s)". */
  readonly loadLabel?: string;
}

const W = 960;
const H = 420;
const M = { left: 64, right: 64, top: 62, bottom: 56 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
/** Above this many samples, each pixel column keeps only its minimum and maximum. */
const MAX_POINTS = 2 * PW;

const COLORS = {
  load: "#1f77b4",
  capacity: "#2ca02c",
  replicas: "#d62728",
  under: "#fbe3e3",
  grid: "#e6e6e6",
};

/** Renders the chart as an SVG document (960×420). */
export function renderChartSvg(input: ChartInput): string {
  const n = input.tMs.length;
  const t0 = n > 0 ? input.tMs[0]! : 0;
  const t1 = input.endMs ?? (n > 1 ? input.tMs[n - 1]! : t0 + 1);
  const span = Math.max(1, t1 - t0);
  let maxLoad = 0;
  for (let i = 0; i < n; i++) maxLoad = Math.max(maxLoad, input.load[i]!);
  const capN = input.capacity?.tMs.length ?? 0;
  for (let i = 0; i < capN; i++) {
    const c = input.capacity!.values[i]!;
    if (Number.isFinite(c)) maxLoad = Math.max(maxLoad, c);
  }
  const yTicks = niceTicks(maxLoad > 0 ? maxLoad : 1);
  const yMax = yTicks[yTicks.length - 1]!;
  const rTicks = replicaTicks(Math.max(1, input.maxReplicas));
  const rMax = rTicks[rTicks.length - 1]!;

  const x = (t: number) => M.left + ((Math.min(Math.max(t, t0), t1) - t0) / span) * PW;
  const yL = (v: number) => M.top + PH - (Math.min(v, yMax) / yMax) * PH;
  const yR = (v: number) => M.top + PH - (Math.min(v, rMax) / rMax) * PH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${M.left}" y="24" font-size="15" font-weight="bold" fill="#222">${esc(input.title)}</text>`,
  );

  // under-provisioned spans
  if (input.underProvisioned?.length) {
    const spans: string[] = [];
    for (const [a, b] of input.underProvisioned) {
      const xa = x(a);
      spans.push(`<rect x="${f(xa)}" y="${M.top}" width="${f(Math.max(0.5, x(b) - xa))}" height="${PH}"/>`);
    }
    out.push(`<g fill="${COLORS.under}">${spans.join("")}</g>`);
  }

  // grid and axes
  const grid: string[] = [];
  const labels: string[] = [];
  for (const v of yTicks) {
    const y = f(yL(v));
    grid.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + PW}" y2="${y}"/>`);
    labels.push(
      `<text x="${M.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${num(v)}</text>`,
    );
  }
  for (const r of rTicks) {
    labels.push(
      `<text x="${M.left + PW + 8}" y="${f(yR(r))}" dominant-baseline="middle" fill="${COLORS.replicas}">${r}</text>`,
    );
  }
  const xStep = timeStep(span);
  for (let t = 0; t <= span + 1e-9; t += xStep) {
    const xx = f(x(t0 + t));
    grid.push(`<line x1="${xx}" y1="${M.top}" x2="${xx}" y2="${M.top + PH}"/>`);
    labels.push(
      `<text x="${xx}" y="${M.top + PH + 18}" text-anchor="middle">${compactDuration(t0 + t)}</text>`,
    );
  }
  out.push(`<g stroke="${COLORS.grid}" stroke-width="1">${grid.join("")}</g>`);
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#999" stroke-width="1"/>`,
  );
  out.push(`<g fill="#444">${labels.join("")}</g>`);
  out.push(
    `<text x="18" y="${M.top + PH / 2}" transform="rotate(-90 18 ${M.top + PH / 2})" text-anchor="middle" fill="#444">${esc(input.loadLabel ?? "load (per second)")}</text>`,
  );
  out.push(
    `<text x="${W - 14}" y="${M.top + PH / 2}" transform="rotate(90 ${W - 14} ${M.top + PH / 2})" text-anchor="middle" fill="${COLORS.replicas}">replicas</text>`,
  );
  out.push(
    `<text x="${M.left + PW / 2}" y="${H - 18}" text-anchor="middle" fill="#444">simulated time</text>`,
  );

  // series
  const idx = sampleIndices(input, n);
  out.push(stepPath(idx, input.tMs, input.load, t1, x, yL, COLORS.load, 1.5, ""));
  out.push(stepPath(idx, input.tMs, input.replicas, t1, x, yR, COLORS.replicas, 2, ""));
  if (input.capacity && capN > 0) {
    const cIdx = Int32Array.from({ length: capN }, (_, i) => i);
    const finite = Array.from(cIdx).every((i) => Number.isFinite(input.capacity!.values[i]!));
    if (finite)
      out.push(
        stepPath(
          cIdx,
          input.capacity.tMs,
          input.capacity.values,
          t1,
          x,
          yL,
          COLORS.capacity,
          1.5,
          ' stroke-dasharray="6 3"',
        ),
      );
  }

  // legend
  const legend: [string, string, string][] = [["offered load", COLORS.load, ""]];
  if (input.capacity) legend.push(["capacity (ready pods)", COLORS.capacity, ' stroke-dasharray="6 3"']);
  legend.push(["replicas", COLORS.replicas, ""]);
  let lx = M.left;
  const items: string[] = [];
  for (const [label, color, dash] of legend) {
    items.push(
      `<line x1="${lx}" y1="44" x2="${lx + 22}" y2="44" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    items.push(`<text x="${lx + 28}" y="44" dominant-baseline="middle" fill="#222">${esc(label)}</text>`);
    lx += 28 + label.length * 7 + 20;
  }
  if (input.capacity) {
    items.push(`<rect x="${lx}" y="38" width="14" height="12" fill="${COLORS.under}" stroke="#e0b4b4"/>`);
    items.push(
      `<text x="${lx + 20}" y="44" dominant-baseline="middle" fill="#222">load above capacity</text>`,
    );
  }
  out.push(`<g>${items.join("")}</g>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** Indices to draw: all of them, or per pixel column the first, minimum, maximum and last sample. */
function sampleIndices(input: ChartInput, n: number): Int32Array {
  if (n <= MAX_POINTS) return Int32Array.from({ length: n }, (_, i) => i);
  const keep: number[] = [];
  const per = n / PW;
  for (let b = 0; b < PW; b++) {
    const a = Math.floor(b * per);
    const e = Math.min(n, Math.floor((b + 1) * per));
    if (a >= e) continue;
    let lo = a;
    let hi = a;
    for (let i = a; i < e; i++) {
      if (input.load[i]! < input.load[lo]!) lo = i;
      if (input.load[i]! > input.load[hi]!) hi = i;
    }
    const set = new Set([a, lo, hi, e - 1]);
    for (const i of [...set].sort((p, q) => p - q)) keep.push(i);
  }
  return Int32Array.from(keep);
}

/** A step line: each value holds until the next sample, the last one until `tEnd`. */
function stepPath(
  idx: Int32Array,
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  tEnd: number,
  x: (t: number) => number,
  y: (v: number) => number,
  color: string,
  width: number,
  extra: string,
): string {
  let d = "";
  let prevY = "";
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const xx = f(x(t[i]!));
    const yy = f(y(v[i]!));
    if (k === 0) d += `M${xx} ${yy}`;
    else if (yy !== prevY) d += `H${xx}V${yy}`;
    prevY = yy;
  }
  if (idx.length > 0) d += `H${f(x(tEnd))}`;
  return `<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}"${extra}/>`;
}

/** 1, 2, 2.5 or 5 × 10^k steps giving 4 to 8 ticks from 0 up to at least `max`. */
export function niceTicks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = mag;
  for (const m of [1, 2, 2.5, 5, 10]) {
    step = m * mag;
    if (max / step <= 6) break;
  }
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const v = +(i * step).toPrecision(12);
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

function replicaTicks(max: number): number[] {
  const step = max <= 10 ? 1 : (niceTicks(max)[1] ?? 1);
  const ticks: number[] = [];
  for (let v = 0; ; v += step) {
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

const TIME_STEPS = [
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000,
  43_200_000, 86_400_000, 172_800_000, 604_800_000, 1_209_600_000, 2_592_000_000,
];

function timeStep(span: number): number {
  for (const s of TIME_STEPS) if (span / s <= 10) return s;
  return TIME_STEPS[TIME_STEPS.length - 1]!;
}

/** `0`, `45s`, `10m`, `1h30m`, `2d`, `1d12h`: compact labels for the time axis. */
export function compactDuration(ms: number): string {
  if (ms === 0) return "0";
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const q = Math.floor(rest / size);
    if (q > 0) parts.push(`${q}${unit}`);
    rest -= q * size;
  }
  return parts.join("");
}

function f(v: number): string {
  return (Math.round(v * 10) / 10).toFixed(1);
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
