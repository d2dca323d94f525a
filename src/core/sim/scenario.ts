/**
 * The simulation scenario (`kind: Simulation`, group `autoscaling.tidescale.dev`): schema and validation.
 * Pure: the YAML arrives parsed, CSV traces arrive as text through {@link resolveTraces}. Every error names
 * the field path (`spec.load[1].spike.at`), with a "did you mean" hint for unknown fields.
 */
import { z } from "zod";
import { formatDuration, tryParseDurationMs } from "../duration.js";
import { invalidInput, ToolkitError } from "../errors.js";
import { parseSeriesCsv, parseTimestampMs, type SeriesPoint } from "../series/csv.js";
import { parseWith, suggest } from "../validation.js";
import type { LoadComponent } from "./load.js";

/** API version of the scenario document. */
export const SCENARIO_API_VERSION = "autoscaling.tidescale.dev/v1alpha1";
/** Kind of the scenario document. */
export const SCENARIO_KIND = "Simulation";

const duration = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? "required field is missing"
        : 'expected a duration string such as "15s" or "5m"',
  })
  .refine((s) => (tryParseDurationMs(s) ?? -1) >= 0, {
    error: (iss) => `invalid duration "${String(iss.input)}" (use Go syntax such as 15s, 5m, 1h30m)`,
  })
  .transform((s) => tryParseDurationMs(s)!);

const positiveDuration = duration.refine((ms) => ms > 0, { error: "must be greater than 0" });

/** A duration that may be negative (`-14d`): a trace placed before simulated t = 0. */
const signedDuration = z
  .string({ error: 'expected a duration string such as "15s", "5m" or "-14d"' })
  .refine((s) => tryParseDurationMs(s) !== undefined, {
    error: (iss) => `invalid duration "${String(iss.input)}" (use Go syntax such as 15s, 5m, -14d)`,
  })
  .transform((s) => tryParseDurationMs(s)!);

/**
 * Run limits. The simulator steps every reconcile and models every pod, so a run's cost grows with
 * duration ÷ syncPeriod, duration ÷ resolution and the pod count; these bounds refuse absurd inputs
 * (`duration: 100000h`, `syncPeriod: 1ms`, `startReplicas: 1e9`) up front instead of running for hours.
 * A year at the 15 s default (2,102,400 reconciles) fits. Documented in docs/simulate.md.
 */
export const SIM_LIMITS = {
  /** Reconciles per run: duration ÷ syncPeriod. */
  maxReconciles: 3_000_000,
  /** Load samples per run: duration ÷ resolution. */
  maxSamples: 100_000_000,
  /** Shortest sync period (ms). */
  minSyncPeriodMs: 1_000,
  /** Shortest resolution (ms). */
  minResolutionMs: 100,
  /** Pods the simulator models: `startReplicas` and the HPA's `maxReplicas`. */
  maxPods: 100_000,
  /** Largest absolute load value (and metric scale, capacity per pod): keeps every sum finite. */
  maxLoad: 1e12,
} as const;

/** int32 max: replica counts are int32 in Kubernetes. */
const MAX_INT32 = 2_147_483_647;

const finite = z.number({ error: "expected a number" }).refine(Number.isFinite, { error: "must be finite" });
const nonNegative = finite.refine((v) => v >= 0, { error: "must not be negative" });
const tooBig = `must be at most 1e12 in absolute value (the simulator's load limit)`;
/** A load value (or multiplier): finite and at most {@link SIM_LIMITS.maxLoad} in absolute value. */
const loadValue = finite.refine((v) => Math.abs(v) <= SIM_LIMITS.maxLoad, { error: tooBig });
const nonNegativeLoad = nonNegative.refine((v) => v <= SIM_LIMITS.maxLoad, { error: tooBig });

/** A Kubernetes quantity as written in YAML (`250m`, `1.5`, `2Mi`, or a bare number). */
const quantity = z.union([z.string(), z.number()], { error: 'expected a quantity such as "250m" or "2Mi"' });

/** How a metric's value derives from the load. */
export const METRIC_SOURCES = ["servedPerPod", "offeredPerPod", "offered", "served", "unserved"] as const;
/** One of {@link METRIC_SOURCES}. */
export type MetricSource = (typeof METRIC_SOURCES)[number];

const resourceModel = z.strictObject({
  request: quantity,
  idle: quantity.default("0"),
  perRequest: quantity.default("0"),
});

const metricModel = z.strictObject({
  from: z.enum(METRIC_SOURCES),
  scale: loadValue.default(1),
  window: duration.default(0),
});

const workload = z.strictObject({
  capacityPerPod: nonNegativeLoad.refine((v) => v > 0, { error: "must be greater than 0" }).optional(),
  startupDelay: duration.default(0),
  readinessDelay: duration.default(0),
  cpu: resourceModel.optional(),
  memory: resourceModel.optional(),
  metrics: z.record(z.string(), metricModel).optional(),
});

const controller = z.strictObject({
  tolerance: nonNegative.default(0.1),
  cpuInitializationPeriod: duration.default(300_000),
  initialReadinessDelay: duration.default(30_000),
  downscaleStabilization: duration.default(300_000),
});

const specSchema = z.strictObject({
  duration: positiveDuration,
  syncPeriod: positiveDuration
    .refine((ms) => ms >= SIM_LIMITS.minSyncPeriodMs, { error: "must be at least 1s" })
    .default(15_000),
  resolution: positiveDuration
    .refine((ms) => ms >= SIM_LIMITS.minResolutionMs, { error: "must be at least 100ms" })
    .optional(),
  startReplicas: z
    .number({
      error: (iss) =>
        iss.input === undefined ? "required field is missing" : "must be a non-negative integer",
    })
    .refine((n) => Number.isInteger(n) && n >= 0, { error: "must be a non-negative integer" })
    .refine((n) => n <= MAX_INT32, { error: "must be at most 2147483647 (int32, as scale.spec.replicas)" })
    .optional(),
  start: z
    .string()
    .refine((s) => parseTimestampMs(s) !== undefined, { error: "expected an RFC 3339 time or Unix seconds" })
    .optional(),
  controller: controller.default({
    tolerance: 0.1,
    cpuInitializationPeriod: 300_000,
    initialReadinessDelay: 30_000,
    downscaleStabilization: 300_000,
  }),
  workload: workload,
  load: z.array(z.unknown()).min(1, { error: "needs at least one load component" }),
  hpa: z
    .record(z.string(), z.unknown(), {
      error: "expected an autoscaling/v2 HorizontalPodAutoscaler object",
    })
    .optional(),
  hpaFile: z.string().min(1).optional(),
  // Predictive autoscaling (an EHPA around the HPA): the EHPA's own fields, checked by its validation.
  prediction: z.unknown().optional(),
  crons: z.unknown().optional(),
  /** How often the controller refits the forecaster (its refresh interval). */
  predictionRefresh: positiveDuration.default(300_000),
  /** How much load before t = 0 counts as recorded history (the forecaster's data at the start). */
  history: duration.default(0),
});

const documentSchema = z.strictObject({
  apiVersion: z.literal(SCENARIO_API_VERSION),
  kind: z.literal(SCENARIO_KIND),
  metadata: z.strictObject({ name: z.string().min(1) }).optional(),
  spec: specSchema,
});

const loadSchemas = {
  constant: nonNegativeLoad,
  step: z.strictObject({ at: duration, value: loadValue }),
  ramp: z.strictObject({ start: duration, duration: duration, from: loadValue, to: loadValue }),
  sine: z.strictObject({
    mean: loadValue,
    amplitude: loadValue,
    period: positiveDuration.default(86_400_000),
    peakAt: duration.default(0),
  }),
  spike: z.strictObject({
    at: duration,
    duration: positiveDuration,
    value: loadValue,
    rise: duration.default(0),
    fall: duration.default(0),
  }),
  noise: z.strictObject({
    amplitude: nonNegativeLoad,
    interval: positiveDuration.default(15_000),
    seed: z.int().default(1),
  }),
  csv: z.strictObject({
    file: z.string().min(1),
    interpolation: z.enum(["step", "linear"]).default("step"),
    scale: loadValue.default(1),
    offset: signedDuration.default(0),
    repeat: z.boolean().default(false),
  }),
} as const;

/** A load component as written, before traces are read: a `csv` entry still names its file. */
export type LoadComponentSpec =
  | Exclude<LoadComponent, { kind: "csv" }>
  | {
      readonly kind: "csvFile";
      readonly file: string;
      /** Field path of the entry, for errors in the file. */
      readonly where: string;
      readonly interpolation: "step" | "linear";
      readonly scale: number;
      readonly offsetMs: number;
      readonly repeat: boolean;
    };

/** Resource model in milli-units: request per pod, usage when idle, usage per unit of served load. */
export interface ResourceModel {
  readonly requestMilli: number;
  readonly idleMilli: number;
  readonly perRequestMilli: number;
}

/** How one custom or external metric derives from load. */
export interface MetricModel {
  readonly from: MetricSource;
  /** Multiplier applied to the derived value. */
  readonly scale: number;
  /**
   * Trailing window (ms) the reported value is averaged over, like a Prometheus `rate(...[2m])` behind
   * the adapter: the mean of the values at this and earlier reconciles within the window. 0: instantaneous.
   */
  readonly windowMs: number;
}

/** The workload model: what one pod can do and how metrics derive from load. */
export interface WorkloadModel {
  /** Load units per second one ready pod serves; Infinity when not set. */
  readonly capacityPerPod: number;
  /** Pod created → Running (`status.startTime`). */
  readonly startupDelayMs: number;
  /** Running → Ready (the Ready condition's `lastTransitionTime`). */
  readonly readinessDelayMs: number;
  readonly cpu?: ResourceModel;
  readonly memory?: ResourceModel;
  /** Per metric name: how its value derives from load. */
  readonly metrics: Readonly<Record<string, MetricModel>>;
}

/** kube-controller-manager settings of the simulated controller (flags `--horizontal-pod-autoscaler-*`). */
export interface ControllerSettings {
  readonly tolerance: number;
  readonly cpuInitializationPeriodMs: number;
  readonly initialReadinessDelayMs: number;
  readonly downscaleStabilizationMs: number;
}

/**
 * A validated scenario. `hpa` is still the raw object (the engine's `parseHpa` validates it), or
 * `hpaFile` names a manifest to read it from (relative to the scenario); exactly one is set.
 */
export interface ScenarioSpec {
  readonly name: string;
  /** Where the scenario came from (a file name), prefixed to error positions; may be empty. */
  readonly source?: string;
  readonly durationMs: number;
  readonly syncPeriodMs: number;
  /**
   * How often the load is sampled for the summary between reconciles (default and maximum: the sync
   * period). Reconciles always see the load at their own instant.
   */
  readonly resolutionMs?: number;
  readonly startReplicas: number | undefined;
  /** Wall-clock time of simulated t=0, ms since the epoch (for output timestamps); 0 when not set. */
  readonly startEpochMs: number;
  readonly controller: ControllerSettings;
  readonly workload: WorkloadModel;
  readonly load: readonly LoadComponentSpec[];
  /**
   * The instants at which load components begin (`step.at`, `spike.at`, `ramp.start`) as written, for
   * {@link scenarioWarnings}.
   */
  readonly loadStarts?: readonly LoadStart[];
  readonly hpa?: Record<string, unknown>;
  readonly hpaFile?: string;
  /** Set when the scenario has `prediction:` or `crons:`: the EHPA part, still raw (core/ehpa validates it). */
  readonly predictive?: PredictiveSpec;
}

/** The EHPA part of a scenario. */
export interface PredictiveSpec {
  readonly prediction?: unknown;
  readonly crons?: unknown;
  readonly refreshMs: number;
  readonly historyMs: number;
}

/** Where a load component begins: its field (`<file>: spec.load[0].spike.at`), the text and the offset. */
export interface LoadStart {
  readonly where: string;
  readonly text: string;
  readonly ms: number;
}

/**
 * Validates a parsed scenario document. `name` prefixes error positions (the file name).
 * `parseQuantityMilli(text, where)` converts a quantity to milli-units (ceil, like `MilliValue()`), throwing
 * a ToolkitError naming `where` when malformed.
 */
export function parseScenario(
  doc: unknown,
  name: string,
  parseQuantityMilli: (text: string, where: string) => number,
): ScenarioSpec {
  const d = parseWith(documentSchema, doc, name);
  const s = d.spec;
  const at = (path: string) => (name ? `${name}: ${path}` : path);
  const load = s.load.map((item, i) => parseLoadComponent(item, `spec.load[${i}]`, name));
  if ((s.hpa === undefined) === (s.hpaFile === undefined))
    throw invalidInput(
      at(s.hpa === undefined ? "spec.hpa" : "spec.hpaFile"),
      s.hpa === undefined
        ? "required field is missing (or set spec.hpaFile to read the HPA from a manifest)"
        : "set either spec.hpa or spec.hpaFile, not both",
    );
  const resource = (
    m: z.output<typeof resourceModel> | undefined,
    path: string,
  ): ResourceModel | undefined => {
    if (!m) return undefined;
    const q = (v: string | number, field: string) => {
      const milli = parseQuantityMilli(String(v), at(`${path}.${field}`));
      if (milli < 0) throw invalidInput(at(`${path}.${field}`), "must not be negative");
      return milli;
    };
    return {
      requestMilli: q(m.request, "request"),
      idleMilli: q(m.idle, "idle"),
      perRequestMilli: q(m.perRequest, "perRequest"),
    };
  };
  const cpu = resource(s.workload.cpu, "spec.workload.cpu");
  const memory = resource(s.workload.memory, "spec.workload.memory");
  const workloadModel: WorkloadModel = {
    capacityPerPod: s.workload.capacityPerPod ?? Number.POSITIVE_INFINITY,
    startupDelayMs: s.workload.startupDelay,
    readinessDelayMs: s.workload.readinessDelay,
    ...(cpu ? { cpu } : {}),
    ...(memory ? { memory } : {}),
    metrics: Object.fromEntries(
      Object.entries(s.workload.metrics ?? {}).map(([k, v]) => [
        k,
        { from: v.from, scale: v.scale, windowMs: v.window },
      ]),
    ),
  };
  return {
    name: d.metadata?.name ?? "simulation",
    source: name,
    durationMs: s.duration,
    syncPeriodMs: s.syncPeriod,
    ...(s.resolution !== undefined ? { resolutionMs: s.resolution } : {}),
    startReplicas: s.startReplicas,
    startEpochMs: s.start === undefined ? 0 : parseTimestampMs(s.start)!,
    controller: {
      tolerance: s.controller.tolerance,
      cpuInitializationPeriodMs: s.controller.cpuInitializationPeriod,
      initialReadinessDelayMs: s.controller.initialReadinessDelay,
      downscaleStabilizationMs: s.controller.downscaleStabilization,
    },
    workload: workloadModel,
    load,
    loadStarts: load.flatMap((c, i): LoadStart[] => {
      if (c.kind !== "step" && c.kind !== "spike" && c.kind !== "ramp") return [];
      const field = c.kind === "ramp" ? "start" : "at";
      const raw = (s.load[i] as Record<string, Record<string, unknown>>)[c.kind]?.[field];
      const ms = c.kind === "ramp" ? c.startMs : c.atMs;
      return [{ where: at(`spec.load[${i}].${c.kind}.${field}`), text: String(raw), ms }];
    }),
    ...(s.hpa !== undefined ? { hpa: s.hpa } : {}),
    ...(s.hpaFile !== undefined ? { hpaFile: s.hpaFile } : {}),
    ...(s.prediction !== undefined || s.crons !== undefined
      ? {
          predictive: {
            ...(s.prediction !== undefined ? { prediction: s.prediction } : {}),
            ...(s.crons !== undefined ? { crons: s.crons } : {}),
            refreshMs: s.predictionRefresh,
            historyMs: s.history,
          },
        }
      : {}),
  };
}

/** Parses one `load:` entry: an object with exactly one generator key. */
function parseLoadComponent(item: unknown, path: string, name: string): LoadComponentSpec {
  const at = (p: string) => (name ? `${name}: ${p}` : p);
  const kinds = Object.keys(loadSchemas);
  if (item === null || typeof item !== "object" || Array.isArray(item))
    throw invalidInput(at(path), `expected one generator such as {constant: 5} (one of ${kinds.join(", ")})`);
  const keys = Object.keys(item);
  if (keys.length !== 1)
    throw invalidInput(
      at(path),
      keys.length === 0
        ? `empty load component (use one of ${kinds.join(", ")})`
        : `expected exactly one generator key, got ${keys.join(", ")}`,
    );
  const key = keys[0]!;
  if (!(key in loadSchemas)) {
    const hint = suggest(key, kinds);
    throw invalidInput(
      at(`${path}.${key}`),
      `unknown load generator "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; use one of ${kinds.join(", ")}`,
    );
  }
  const value = (item as Record<string, unknown>)[key];
  const sub = <S extends z.ZodType>(schema: S): z.output<S> => {
    try {
      return parseWith(schema, value);
    } catch (e) {
      if (e instanceof ToolkitError) {
        const rel = e.where === "(root)" ? "" : e.where;
        throw invalidInput(
          at(`${path}.${key}${rel.startsWith("[") || rel === "" ? rel : `.${rel}`}`),
          e.message,
        );
      }
      throw e;
    }
  };
  switch (key as keyof typeof loadSchemas) {
    case "constant":
      return { kind: "constant", value: sub(loadSchemas.constant) };
    case "step": {
      const v = sub(loadSchemas.step);
      return { kind: "step", atMs: v.at, value: v.value };
    }
    case "ramp": {
      const v = sub(loadSchemas.ramp);
      return { kind: "ramp", startMs: v.start, durationMs: v.duration, from: v.from, to: v.to };
    }
    case "sine": {
      const v = sub(loadSchemas.sine);
      return { kind: "sine", mean: v.mean, amplitude: v.amplitude, periodMs: v.period, peakAtMs: v.peakAt };
    }
    case "spike": {
      const v = sub(loadSchemas.spike);
      if (v.rise + v.fall > v.duration)
        throw invalidInput(at(`${path}.spike.rise`), "rise + fall must not exceed the duration");
      return {
        kind: "spike",
        atMs: v.at,
        durationMs: v.duration,
        value: v.value,
        riseMs: v.rise,
        fallMs: v.fall,
      };
    }
    case "noise": {
      const v = sub(loadSchemas.noise);
      return { kind: "noise", amplitude: v.amplitude, intervalMs: v.interval, seed: v.seed };
    }
    case "csv": {
      const v = sub(loadSchemas.csv);
      return {
        kind: "csvFile",
        file: v.file,
        where: at(`${path}.csv.file`),
        interpolation: v.interpolation,
        scale: v.scale,
        offsetMs: v.offset,
        repeat: v.repeat,
      };
    }
  }
}

/** The CSV files a scenario's load refers to, with the field naming each (first mention wins). */
export function traceFiles(spec: ScenarioSpec): { file: string; where: string }[] {
  const files: { file: string; where: string }[] = [];
  for (const c of spec.load)
    if (c.kind === "csvFile" && !files.some((f) => f.file === c.file))
      files.push({ file: c.file, where: c.where });
  return files;
}

/**
 * Turns the load specs into load components, parsing each referenced trace from `texts` (file → CSV text).
 * CSV errors name `<file>:<line>`; traces must not contain negative values.
 */
export function resolveTraces(
  load: readonly LoadComponentSpec[],
  texts: ReadonlyMap<string, string>,
): LoadComponent[] {
  const parsed = new Map<string, SeriesPoint[]>();
  return load.map((c) => {
    if (c.kind !== "csvFile") return c;
    let points = parsed.get(c.file);
    if (!points) {
      const text = texts.get(c.file);
      if (text === undefined) throw invalidInput(c.where, `trace "${c.file}" was not loaded`);
      points = parseSeriesCsv(text, { name: c.file, nonNegative: true });
      parsed.set(c.file, points);
    }
    const limit = SIM_LIMITS.maxLoad / Math.max(Math.abs(c.scale), Number.MIN_VALUE);
    const big = points.findIndex((p) => p.v > limit);
    if (big >= 0)
      throw invalidInput(
        c.where,
        `data row ${big + 1} of "${c.file}" has value ${points[big]!.v}, which times scale ${c.scale} ` +
          `is beyond the simulator's load limit of 1e12`,
      );
    return {
      kind: "csv",
      points,
      interpolation: c.interpolation,
      scale: c.scale,
      offsetMs: c.offsetMs,
      repeat: c.repeat,
    };
  });
}

/** Go duration syntax without zero trailing units: `30m`, `1h30m`, `8760h`, `15s`, `1.5s`. */
function shortDuration(ms: number): string {
  return formatDuration(ms)
    .replace(/([hm])0s$/, "$1")
    .replace(/h0m$/, "h");
}

/** Field names for {@link checkRunLimits} errors (a flag when one overrode the field). */
export interface LimitFields {
  readonly duration?: string;
  readonly syncPeriod?: string;
}

/**
 * Refuses runs beyond {@link SIM_LIMITS} with an error naming the field (or the overriding flag):
 * too many reconciles, too many load samples, too short a sync period (a `--sync-period` override is
 * checked here), too many pods to start with. Call after flag overrides are applied.
 */
export function checkRunLimits(spec: ScenarioSpec, fields: LimitFields = {}): void {
  const at = (path: string) => (spec.source ? `${spec.source}: ${path}` : path);
  const durationField = fields.duration ?? at("spec.duration");
  const syncField = fields.syncPeriod ?? at("spec.syncPeriod");
  if (spec.syncPeriodMs < SIM_LIMITS.minSyncPeriodMs) throw invalidInput(syncField, "must be at least 1s");
  const reconciles = Math.ceil(spec.durationMs / spec.syncPeriodMs);
  if (reconciles > SIM_LIMITS.maxReconciles)
    throw invalidInput(
      durationField,
      `${shortDuration(spec.durationMs)} at a ${shortDuration(spec.syncPeriodMs)} sync period is ` +
        `${reconciles.toLocaleString("en-US")} reconciles; the limit is ` +
        `${SIM_LIMITS.maxReconciles.toLocaleString("en-US")} (shorten the duration or lengthen syncPeriod)`,
    );
  const resolution = Math.min(spec.resolutionMs ?? spec.syncPeriodMs, spec.syncPeriodMs);
  const samples = Math.ceil(spec.durationMs / resolution);
  if (samples > SIM_LIMITS.maxSamples)
    throw invalidInput(
      at("spec.resolution"),
      `${shortDuration(spec.durationMs)} sampled every ${shortDuration(resolution)} is ` +
        `${samples.toLocaleString("en-US")} samples; the limit is ` +
        `${SIM_LIMITS.maxSamples.toLocaleString("en-US")} (use a coarser resolution)`,
    );
  if (spec.startReplicas !== undefined && spec.startReplicas > SIM_LIMITS.maxPods)
    throw invalidInput(
      at("spec.startReplicas"),
      `${spec.startReplicas} is more pods than the simulator models (at most ${SIM_LIMITS.maxPods})`,
    );
}

/**
 * Lines for things that are valid but have no effect: a step, spike or ramp that begins at or after the
 * end of the run (`<file>: spec.load[0].spike.at: 99999h is after the end of the simulation (30m); it has
 * no effect`). Call after flag overrides are applied; the CLI prints each as `warning: <line>`.
 */
export function scenarioWarnings(spec: ScenarioSpec): string[] {
  const end = shortDuration(spec.durationMs);
  return (spec.loadStarts ?? [])
    .filter((s) => s.ms >= spec.durationMs)
    .map(
      (s) =>
        `${s.where}: ${s.text} is ${s.ms === spec.durationMs ? "at" : "after"} the end of the simulation ` +
        `(${end}); it has no effect`,
    );
}
