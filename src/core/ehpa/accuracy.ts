/**
 * Measured accuracy of a metric's own forecasts, and the gate that takes a poorly forecast metric out of
 * the managed HPA. Two rates, each an exponentially decayed ratio (half-life 24 h, so they roll):
 *
 * - WAPE = sum |p50 forecast - actual| / sum |actual| over forecast points that have since been recorded;
 * - window-peak miss share = share of served window peaks (the value the prediction metric served at a
 *   refresh) below 0.9 x the actual peak over the same window [origin, origin + window].
 *
 * Gate (hysteresis, so a metric does not flap): once at least {@link GATE_THRESHOLDS}.minWindows windows
 * were scored, the metric is taken out when the miss share exceeds 0.3 or WAPE exceeds 0.5, and brought
 * back when the miss share is at most 0.2 and WAPE at most 0.4. A missed peak under-provisions, which is
 * what predictive scaling is for; a high WAPE means the forecast does not follow the series at all.
 */
import { ACCURACY_HALF_LIFE_SECONDS, PEAK_MISS_RATIO, type TspAccuracy, type TspSample } from "./types.js";

/** Thresholds of the accuracy gate. */
export const GATE_THRESHOLDS = {
  /** Decayed count of scored windows before the gate may close. */
  minWindows: 6,
  outMissShare: 0.3,
  outWape: 0.5,
  backMissShare: 0.2,
  backWape: 0.4,
} as const;

/** What Prometheus recorded: values at Unix seconds (NaN = missing). */
export interface Actuals {
  start: number;
  step: number;
  values: ArrayLike<number>;
}

/** Inputs of one accuracy update at a refresh. */
export interface AccuracyUpdate {
  nowSec: number;
  windowSeconds: number;
  /** p50 samples of the forecast made at the previous refresh. */
  previousP50: readonly TspSample[];
  actuals: Actuals;
  /** The peak the prediction metric serves from the new forecast (pending until its window ends). */
  servedPeak?: number;
}

function actualAt(a: Actuals, t: number): number {
  const i = Math.round((t - a.start) / a.step);
  if (i < 0 || i >= a.values.length || Math.abs(a.start + i * a.step - t) > a.step / 2) return Number.NaN;
  return a.values[i]!;
}

function actualPeak(a: Actuals, from: number, to: number): number | undefined {
  let best: number | undefined;
  const i0 = Math.max(0, Math.ceil((from - a.start) / a.step));
  const i1 = Math.min(a.values.length - 1, Math.floor((to - a.start) / a.step));
  for (let i = i0; i <= i1; i++) {
    const v = a.values[i]!;
    if (Number.isFinite(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}

const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
const text = (v: number) => String(v);

/** An empty accuracy record. */
export function emptyAccuracy(): TspAccuracy {
  return {
    absErrorSum: "0",
    actualSum: "0",
    windows: "0",
    missedWindows: "0",
    pendingPeaks: [],
    gated: false,
  };
}

/** Applies one refresh's evidence to `prev` (pure; returns a new record). */
export function updateAccuracy(prev: TspAccuracy | undefined, u: AccuracyUpdate): TspAccuracy {
  const p = prev ?? emptyAccuracy();
  const decay =
    p.updatedAt === undefined ? 1 : 0.5 ** (Math.max(0, u.nowSec - p.updatedAt) / ACCURACY_HALF_LIFE_SECONDS);
  let absErr = n(p.absErrorSum) * decay;
  let actual = n(p.actualSum) * decay;
  let windows = n(p.windows) * decay;
  let missed = n(p.missedWindows) * decay;
  let evaluatedUntil = p.evaluatedUntil;
  for (const s of u.previousP50) {
    if (s.timestamp > u.nowSec || (evaluatedUntil !== undefined && s.timestamp <= evaluatedUntil)) continue;
    const a = actualAt(u.actuals, s.timestamp);
    const f = Number(s.value);
    if (!Number.isFinite(a) || !Number.isFinite(f)) continue;
    absErr += Math.abs(f - a);
    actual += Math.abs(a);
    evaluatedUntil = Math.max(evaluatedUntil ?? s.timestamp, s.timestamp);
  }
  const pending: TspAccuracy["pendingPeaks"] = [];
  for (const pk of p.pendingPeaks) {
    if (pk.origin + u.windowSeconds > u.nowSec) {
      pending.push(pk);
      continue;
    }
    const peak = actualPeak(u.actuals, pk.origin, pk.origin + u.windowSeconds);
    if (peak === undefined || !(peak > 0)) continue;
    windows += 1;
    if (Number(pk.value) < PEAK_MISS_RATIO * peak) missed += 1;
  }
  if (u.servedPeak !== undefined && Number.isFinite(u.servedPeak))
    pending.push({ origin: u.nowSec, value: text(u.servedPeak) });
  const out: TspAccuracy = {
    absErrorSum: text(absErr),
    actualSum: text(actual),
    windows: text(windows),
    missedWindows: text(missed),
    pendingPeaks: pending,
    gated: p.gated,
    updatedAt: u.nowSec,
  };
  if (actual > 0) out.wape = text(absErr / actual);
  if (windows > 0) out.windowPeakMissShare = text(missed / windows);
  if (evaluatedUntil !== undefined) out.evaluatedUntil = evaluatedUntil;
  out.gated = gateState(out).gated;
  return out;
}

/** The gate's decision on an accuracy record, with the reason in one line. */
export function gateState(a: TspAccuracy): { gated: boolean; message: string } {
  const t = GATE_THRESHOLDS;
  const windows = n(a.windows);
  const miss = a.windowPeakMissShare === undefined ? 0 : Number(a.windowPeakMissShare);
  const wape = a.wape === undefined ? 0 : Number(a.wape);
  const rates = `window-peak miss share ${miss.toFixed(2)}, WAPE ${wape.toFixed(2)} over ${windows.toFixed(1)} windows`;
  if (windows < t.minWindows) return { gated: a.gated, message: `${rates} (too few windows to judge)` };
  if (!a.gated && (miss > t.outMissShare || wape > t.outWape))
    return {
      gated: true,
      message: `${rates}: above the limits (miss share ${t.outMissShare}, WAPE ${t.outWape})`,
    };
  if (a.gated && !(miss <= t.backMissShare && wape <= t.backWape))
    return {
      gated: true,
      message: `${rates}: not yet back within miss share ${t.backMissShare} and WAPE ${t.backWape}`,
    };
  return { gated: false, message: rates };
}
