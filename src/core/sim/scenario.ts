/**
 * The simulation scenario (`kind: Simulation`, group `autoscaling.tidescale.dev`): schema and validation.
 * Pure: the YAML arrives parsed, CSV traces arrive as text through {@link resolveTraces}. Every error names
 * the field path (`spec.load[1].spike.at`), with a "did you mean" hint for unknown fields.
 */
import { z } from "zod";
import { tryParseDurationMs } from "../duration.js";
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

const finite = z.number({ error: "expected a number" }).refine(Number.isFinite, { error: "must be finite" });
const nonNegative = finite.refine((v) => v >= 0, { error: "must not be negative" });

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
  scale: finite.default(1),
  window: duration.default(0),
});

const workload = z.strictObject({
  capacityPerPod: finite.refine((v) => v > 0, { error: "must be greater than 0" }).optional(),
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
  syncPeriod: positiveDuration.default(15_000),
  resolution: positiveDuration.optional(),
  startReplicas: z.int().min(0).optional(),
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
});

const documentSchema = z.strictObject({
  apiVersion: z.literal(SCENARIO_API_VERSION),
  kind: z.literal(SCENARIO_KIND),
  metadata: z.strictObject({ name: z.string().min(1) }).optional(),
  spec: specSchema,
});

const loadSchemas = {
  constant: nonNegative,
  step: z.strictObject({ at: duration, value: finite }),
  ramp: z.strictObject({ start: duration, duration: duration, from: finite, to: finite }),
  sine: z.strictObject({
    mean: finite,
    amplitude: finite,
    period: positiveDuration.default(86_400_000),
    peakAt: duration.default(0),
  }),
  spike: z.strictObject({
    at: duration,
    duration: positiveDuration,
    value: finite,
    rise: duration.default(0),
    fall: duration.default(0),
  }),
  noise: z.strictObject({
    amplitude: nonNegative,
    interval: positiveDuration.default(15_000),
    seed: z.int().default(1),
  }),
  csv: z.strictObject({
    file: z.string().min(1),
    interpolation: z.enum(["step", "linear"]).default("step"),
    scale: finite.default(1),
    offset: duration.default(0),
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
  readonly hpa?: Record<string, unknown>;
  readonly hpaFile?: string;
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
    load: s.load.map((item, i) => parseLoadComponent(item, `spec.load[${i}]`, name)),
    ...(s.hpa !== undefined ? { hpa: s.hpa } : {}),
    ...(s.hpaFile !== undefined ? { hpaFile: s.hpaFile } : {}),
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
