/**
 * `prediction.predictionAlgorithm` → a forecaster, its history query shape (sample interval, history
 * length) and the quantile the prediction metric serves. Every bad parameter is a problem naming its field
 * (`predictionAlgorithm.dsp.historyLength`); nothing falls back to a default silently (Crane logs and
 * uses its defaults when a DSP parameter is invalid).
 *
 * Served quantile: p50 by default for `multi-seasonal`, chosen with `multiSeasonal.quantile`. The managed
 * HPA keeps the original target (its headroom, e.g. 80 % of a pod's capacity, is the margin on the
 * forecast) and the reactive metric beside it catches what the forecast misses; p90 adds a second margin
 * on top and its band is widened in time around bursts, which holds pods minutes before and after each
 * one (bench/predictive: +4 % to +30 % pod-hours against p50 on the development traces). Crane's `dsp` is a point forecast with its margin built in (p50 = p90 = p99);
 * `percentile` serves the quantile named by `percentile.percentile` (0.5, 0.9 or 0.99).
 */
import { tryParseDurationMs } from "../duration.js";
import { err, ok, type Result } from "../errors.js";
import { craneDspForecaster, parseCraneDspSpec } from "../predict/crane-dsp.js";
import { multiSeasonalForecaster } from "../predict/multi-seasonal.js";
import { percentileForecaster } from "../predict/percentile.js";
import type { Forecaster, QuantileName } from "../predict/types.js";
import { ALGORITHM_TYPES, type AlgorithmType, type PredictionAlgorithm } from "./types.js";

/** A field problem: `field` is relative to the object being checked. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** What the controller and the simulator need to run a prediction. */
export interface ResolvedAlgorithm {
  type: AlgorithmType;
  forecaster: Forecaster;
  /** Seconds between history samples and forecast slots. */
  sampleIntervalSec: number;
  /** Seconds of history queried and fitted. */
  historyLengthSec: number;
  servedQuantile: QuantileName;
}

const HOUR = 3600;
const DAY = 86_400;
/** Most history points one metric may fit (bounds the work of one refresh). */
export const MAX_HISTORY_POINTS = 50_000;
/** Defaults of the multi-seasonal block. */
export const MULTI_SEASONAL_DEFAULTS = {
  sampleInterval: "60s",
  historyLength: "15d",
  quantile: "p50",
} as const;
/** Percentile values `percentile.percentile` may take and the quantile each serves. */
const PERCENTILES: Record<string, QuantileName> = { "0.5": "p50", "0.9": "p90", "0.99": "p99" };

function durationSec(
  text: string | undefined,
  fallback: string,
  field: string,
  problems: FieldProblem[],
): number {
  const ms = tryParseDurationMs(text ?? fallback);
  if (ms === undefined || ms <= 0) {
    problems.push({ field, message: `invalid duration "${text}" (use e.g. 60s, 5m, 1h, 7d)` });
    return Number.NaN;
  }
  return ms / 1000;
}

function checkShape(
  sampleIntervalSec: number,
  historyLengthSec: number,
  prefix: string,
  problems: FieldProblem[],
) {
  if (!Number.isFinite(sampleIntervalSec) || !Number.isFinite(historyLengthSec)) return;
  if (sampleIntervalSec > HOUR)
    problems.push({ field: `${prefix}.sampleInterval`, message: "must be at most 1h" });
  if (historyLengthSec < 10 * sampleIntervalSec)
    problems.push({ field: `${prefix}.historyLength`, message: "must hold at least 10 sample intervals" });
  else if (historyLengthSec / sampleIntervalSec > MAX_HISTORY_POINTS)
    problems.push({
      field: `${prefix}.historyLength`,
      message: `holds ${Math.round(historyLengthSec / sampleIntervalSec)} samples at this sampleInterval; at most ${MAX_HISTORY_POINTS} (raise sampleInterval)`,
    });
}

function resolveMultiSeasonal(a: PredictionAlgorithm, problems: FieldProblem[]): ResolvedAlgorithm {
  const m = a.multiSeasonal ?? {};
  const p = "multiSeasonal";
  const sampleIntervalSec = durationSec(
    m.sampleInterval,
    MULTI_SEASONAL_DEFAULTS.sampleInterval,
    `${p}.sampleInterval`,
    problems,
  );
  const historyLengthSec = durationSec(
    m.historyLength,
    MULTI_SEASONAL_DEFAULTS.historyLength,
    `${p}.historyLength`,
    problems,
  );
  checkShape(sampleIntervalSec, historyLengthSec, p, problems);
  return {
    type: "multi-seasonal",
    forecaster: multiSeasonalForecaster(),
    sampleIntervalSec,
    historyLengthSec,
    servedQuantile: m.quantile ?? MULTI_SEASONAL_DEFAULTS.quantile,
  };
}

function resolveDsp(a: PredictionAlgorithm, problems: FieldProblem[]): ResolvedAlgorithm {
  const r = parseCraneDspSpec(a.dsp ?? {});
  if (!r.ok) {
    problems.push(...r.error);
    return {
      type: "dsp",
      forecaster: craneDspForecaster(),
      sampleIntervalSec: 60,
      historyLengthSec: 15 * DAY,
      servedQuantile: "p90",
    };
  }
  const c = r.value;
  if (c.historyLength / c.sampleInterval > MAX_HISTORY_POINTS)
    problems.push({
      field: "dsp.historyLength",
      message: `holds ${Math.round(c.historyLength / c.sampleInterval)} samples at this sampleInterval; at most ${MAX_HISTORY_POINTS} (raise sampleInterval)`,
    });
  return {
    type: "dsp",
    forecaster: craneDspForecaster(c),
    sampleIntervalSec: c.sampleInterval,
    historyLengthSec: c.historyLength,
    servedQuantile: "p90",
  };
}

function num(
  text: string | undefined,
  field: string,
  problems: FieldProblem[],
  check?: (v: number) => string | undefined,
): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) {
    problems.push({ field, message: `not a number: "${text}"` });
    return undefined;
  }
  const bad = check?.(v);
  if (bad) problems.push({ field, message: bad });
  return v;
}

const positive = (v: number) => (v > 0 ? undefined : "must be greater than 0");

function resolvePercentile(a: PredictionAlgorithm, problems: FieldProblem[]): ResolvedAlgorithm {
  const s = a.percentile ?? {};
  const p = "percentile";
  const sampleIntervalSec = durationSec(s.sampleInterval, "60s", `${p}.sampleInterval`, problems);
  const historyLengthSec = durationSec(s.historyLength, "7d", `${p}.historyLength`, problems);
  checkShape(sampleIntervalSec, historyLengthSec, p, problems);
  const h = s.histogram ?? {};
  const opts: Parameters<typeof percentileForecaster>[0] = { historyLength: historyLengthSec };
  const maxValue = num(h.maxValue, `${p}.histogram.maxValue`, problems, positive);
  if (maxValue !== undefined) opts.maxValue = maxValue;
  const eps = num(h.epsilon, `${p}.histogram.epsilon`, problems, positive);
  if (eps !== undefined) opts.epsilon = eps;
  if (h.halfLife !== undefined)
    opts.halfLife = durationSec(h.halfLife, "24h", `${p}.histogram.halfLife`, problems);
  const first = num(
    h.firstBucketSize ?? h.bucketSize,
    `${p}.histogram.${h.firstBucketSize !== undefined ? "firstBucketSize" : "bucketSize"}`,
    problems,
    positive,
  );
  if (first !== undefined) opts.firstBucketSize = first;
  const ratio = num(h.bucketSizeGrowthRatio, `${p}.histogram.bucketSizeGrowthRatio`, problems, (v) =>
    v >= 1 ? undefined : "must be at least 1",
  );
  if (ratio !== undefined) opts.ratio = ratio;
  else if (h.bucketSize !== undefined && h.firstBucketSize === undefined) opts.ratio = 1;
  const msw = num(s.minSampleWeight, `${p}.minSampleWeight`, problems, positive);
  if (msw !== undefined) opts.minSampleWeight = msw;
  const margin = num(s.marginFraction, `${p}.marginFraction`, problems, (v) =>
    v >= 0 ? undefined : "must be at least 0",
  );
  if (s.targetUtilization !== undefined)
    problems.push({
      field: `${p}.targetUtilization`,
      message: "is used by Crane's recommender only; prediction does not use it (remove it)",
    });
  if (s.aggregated === true)
    problems.push({
      field: `${p}.aggregated`,
      message: "per-pod aggregation is not supported; the history query is one series (remove it)",
    });
  let servedQuantile: QuantileName = "p90";
  if (s.percentile !== undefined) {
    const q = PERCENTILES[String(Number(s.percentile))];
    if (q === undefined)
      problems.push({
        field: `${p}.percentile`,
        message: `"${s.percentile}" is not served; use 0.5, 0.9 or 0.99`,
      });
    else servedQuantile = q;
  }
  return {
    type: "percentile",
    forecaster: withMargin(percentileForecaster(opts), margin ?? 0),
    sampleIntervalSec,
    historyLengthSec,
    servedQuantile,
  };
}

/** Scales every quantile by (1 + margin), as Crane's percentile `marginFraction` does. */
function withMargin(f: Forecaster, margin: number): Forecaster {
  if (margin === 0) return f;
  return {
    ...f,
    forecast(history, options) {
      const r = f.forecast(history, options);
      if (!r.ok) return r;
      const scale = (x: Float64Array) => x.map((v) => v * (1 + margin));
      return {
        ok: true,
        value: { ...r.value, p50: scale(r.value.p50), p90: scale(r.value.p90), p99: scale(r.value.p99) },
      };
    },
  };
}

const BLOCK: Record<AlgorithmType, "multiSeasonal" | "dsp" | "percentile"> = {
  "multi-seasonal": "multiSeasonal",
  dsp: "dsp",
  percentile: "percentile",
};

/**
 * Resolves an algorithm spec. Problems name fields relative to `predictionAlgorithm`
 * (`dsp.historyLength`, `algorithmType`). Only the block of the chosen type may be set.
 */
export function resolveAlgorithm(a: PredictionAlgorithm): Result<ResolvedAlgorithm, FieldProblem[]> {
  const problems: FieldProblem[] = [];
  if (!(ALGORITHM_TYPES as readonly string[]).includes(a.algorithmType))
    return err([
      {
        field: "algorithmType",
        message: `unknown algorithm "${a.algorithmType}" (use ${ALGORITHM_TYPES.join(", ")})`,
      },
    ]);
  for (const [type, block] of Object.entries(BLOCK)) {
    if (type !== a.algorithmType && a[block] !== undefined)
      problems.push({
        field: block,
        message: `may only be set with algorithmType ${type} (algorithmType is ${a.algorithmType})`,
      });
  }
  const resolved =
    a.algorithmType === "dsp"
      ? resolveDsp(a, problems)
      : a.algorithmType === "percentile"
        ? resolvePercentile(a, problems)
        : resolveMultiSeasonal(a, problems);
  return problems.length > 0 ? err(problems) : ok(resolved);
}
