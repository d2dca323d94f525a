/**
 * The `hpa explain` snapshot: one instant of one HPA, with everything the controller reads (the HPA
 * object, the scale subresource, the pods, what each metrics API returned, the controller's memory and
 * flags), turned into a {@link ReconcileInput}. Format documented in docs/hpa-explain.md. Pure: the caller
 * reads the file; errors name the field path (`snapshot.yaml: pods[2].startTime: ...`).
 */
import { z } from "zod";
import { tryParseDurationMs } from "../duration.js";
import { invalidInput, ToolkitError } from "../errors.js";
import { tryParseQuantity } from "../quantity/quantity.js";
import { parseTimestampMs } from "../series/csv.js";
import { parseWith } from "../validation.js";
import { parseHpa } from "./spec.js";
import type {
  Condition,
  ContainerInfo,
  ControllerConfig,
  HpaObject,
  HpaState,
  HpaStatus,
  MetricReading,
  MetricSample,
  PodInfo,
  ReconcileInput,
} from "./types.js";

/** Go's zero `time.Time` (0001-01-01T00:00:00Z) in ms: what upstream tests leave in unset times. */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

/** apiVersion of a snapshot document (optional in the file). */
export const SNAPSHOT_API_VERSION = "autoscaling.tidescale.dev/v1alpha1";
/** kind of a snapshot document (optional in the file). */
export const SNAPSHOT_KIND = "HpaSnapshot";

/** A time: RFC 3339, Unix seconds, or a negative Go duration meaning "that long before `now`". */
const timeText = z.union([z.string(), z.number()], { error: "expected an RFC 3339 time or Unix seconds" });

/** int64 max: observed quantities (metric values, usage, requests) must fit `MilliValue()`'s int64. */
const INT64_MAX = (1n << 63n) - 1n;

/** A quantity as text or a YAML number; becomes milli-units with ceiling rounding (`MilliValue()`). */
const milli = z
  .union([z.string(), z.number()], { error: "must be a quantity such as 500m, 1.5 or 2Gi" })
  .transform((v, ctx) => {
    const q = tryParseQuantity(typeof v === "number" ? String(v) : v.trim());
    if (!q.ok) {
      ctx.addIssue({ code: "custom", message: q.error.message });
      return z.NEVER;
    }
    const m = q.value.milliValueBig();
    if (m > INT64_MAX || m < -INT64_MAX - 1n) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(v)} is out of range: the metrics APIs carry int64 milli-units (at most 9223372036854775807m)`,
      });
      return z.NEVER;
    }
    return Number(m);
  });

/**
 * A replica count as the Kubernetes API stores it (int32, never negative), with the real reason when the
 * value is not one (`"abc"`, `-3`, `.nan`, `1e400` are not "missing").
 */
const replicaCount = z
  .number({
    error: (iss) =>
      iss.input === undefined
        ? "required field is missing"
        : `must be a non-negative integer, got ${show(iss.input)}`,
  })
  .refine((n) => Number.isInteger(n) && n >= 0 && n <= 2_147_483_647, {
    error: (iss) =>
      typeof iss.input === "number" && Number.isInteger(iss.input) && iss.input > 0
        ? `must be at most 2147483647 (int32), got ${show(iss.input)}`
        : `must be a non-negative integer, got ${show(iss.input)}`,
  });

/** A value as the error message quotes it (`"abc"`, `-3`, `NaN`, `Infinity`). */
function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === "number" ? v * 1000 : tryParseDurationMs(v);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({
      code: "custom",
      message: `invalid duration ${JSON.stringify(v)} (use Go syntax such as 30s, 5m)`,
    });
    return z.NEVER;
  }
  return ms;
});

const resourceList = z.record(z.string(), milli);

const container = z.strictObject({
  name: z.string().min(1),
  requests: resourceList.optional(),
  restartPolicy: z.string().optional(),
});

const podSchema = z.strictObject({
  name: z.string().min(1, { error: "must not be empty" }),
  phase: z
    .enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"], {
      error: (i) =>
        `unsupported phase ${JSON.stringify(i.input)} (use Pending, Running, Succeeded, Failed or Unknown)`,
    })
    .optional(),
  ready: z
    .union([z.boolean(), z.enum(["True", "False", "Unknown", "None"])], {
      error: 'must be true, false, "Unknown" or "None" (no Ready condition)',
    })
    .optional(),
  readyTransitionTime: timeText.optional(),
  startTime: timeText.nullable().optional(),
  deletionTimestamp: timeText.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  containers: z.array(container).optional(),
  initContainers: z.array(container).optional(),
  requests: resourceList.optional(),
});

const podSample = z.strictObject({
  name: z.string().min(1),
  value: milli.optional(),
  containers: z.array(z.strictObject({ name: z.string(), usage: resourceList })).optional(),
  timestamp: timeText.optional(),
  window: duration.optional(),
});

const metricReading = z
  .strictObject({
    error: z.string().optional(),
    value: milli.optional(),
    values: z.array(milli).optional(),
    pods: z.array(podSample).optional(),
  })
  .superRefine((m, ctx) => {
    const set = ["error", "value", "values", "pods"].filter(
      (k) => (m as Record<string, unknown>)[k] !== undefined,
    );
    if (set.length !== 1)
      ctx.addIssue({
        code: "custom",
        message: `set exactly one of error, value, values, pods${set.length ? ` (got ${set.join(", ")})` : ""}`,
      });
  });

const recommendation = z.strictObject({ replicas: replicaCount, time: timeText });
const scaleEvent = z.strictObject({
  change: replicaCount,
  time: timeText,
  outdated: z.boolean().optional(),
});

const condition = z.strictObject({
  type: z.enum(["AbleToScale", "ScalingActive", "ScalingLimited"]),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: timeText.optional(),
});

/** The zod schema of a snapshot file (before time resolution and HPA validation). */
export const snapshotSchema = z.strictObject({
  apiVersion: z.literal(SNAPSHOT_API_VERSION, { error: `must be "${SNAPSHOT_API_VERSION}"` }).optional(),
  kind: z.literal(SNAPSHOT_KIND, { error: `must be "${SNAPSHOT_KIND}"` }).optional(),
  now: timeText,
  hpa: z.unknown().refine((v) => v !== undefined, { error: "required field is missing" }),
  target: z.strictObject({
    replicas: replicaCount,
    statusReplicas: replicaCount.optional(),
    selector: z.string().optional(),
    otherHpas: z
      .array(
        z.strictObject({ name: z.string().min(1), namespace: z.string().optional(), selector: z.string() }),
      )
      .optional(),
    getError: z.string().optional(),
    updateError: z.string().optional(),
  }),
  pods: z.array(podSchema).optional(),
  metrics: z.array(metricReading).optional(),
  history: z
    .strictObject({
      recommendations: z.array(recommendation).nullable().optional(),
      scaleUpEvents: z.array(scaleEvent).optional(),
      scaleDownEvents: z.array(scaleEvent).optional(),
    })
    .optional(),
  status: z
    .strictObject({
      desiredReplicas: replicaCount.optional(),
      lastScaleTime: timeText.optional(),
      conditions: z.array(condition).optional(),
    })
    .optional(),
  controller: z
    .strictObject({
      tolerance: z.number().min(0).optional(),
      cpuInitializationPeriod: duration.optional(),
      initialReadinessDelay: duration.optional(),
      downscaleStabilization: duration.optional(),
      syncPeriod: duration.optional(),
      scaleUpLimitFactor: z.number().positive().optional(),
      scaleUpLimitMinimum: z.number().min(0).optional(),
      configurableTolerance: z.boolean().optional(),
      podLevelResources: z.boolean().optional(),
      allowUnknownMetricTypes: z.boolean().optional(),
    })
    .optional(),
});

type Raw = z.output<typeof snapshotSchema>;

/** A parsed snapshot: the reconcile input plus what was said about it. */
export interface Snapshot {
  input: ReconcileInput;
  hpa: HpaObject;
}

/** Resolves a snapshot time: RFC 3339, Unix seconds, or `-<duration>` before `now`. */
function resolveTime(v: string | number, now: number | undefined, where: string): number {
  if (typeof v === "number") return Math.round(v * 1000);
  const s = v.trim();
  if (s.startsWith("-") && now !== undefined) {
    const d = tryParseDurationMs(s.slice(1));
    if (d !== undefined) return now - d;
  }
  const t = parseTimestampMs(s);
  if (t === undefined)
    throw invalidInput(
      where,
      `time ${JSON.stringify(v)} is neither RFC 3339, Unix seconds nor -<duration> before now`,
    );
  return t;
}

function containers(list: z.output<typeof container>[] | undefined): ContainerInfo[] {
  return (list ?? []).map((c) => {
    const out: ContainerInfo = { name: c.name, requests: { ...(c.requests ?? {}) } };
    if (c.restartPolicy !== undefined) out.restartPolicy = c.restartPolicy;
    return out;
  });
}

/**
 * Validates a snapshot document (already parsed from YAML/JSON) and builds the reconcile input.
 * `where` prefixes error paths (the file name). Defaults: pod phase Running, ready true,
 * startTime Go's zero time (long ago), readyTransitionTime = startTime, metric timestamp = now,
 * window 60s; history absent means a freshly started controller.
 */
export function parseSnapshot(value: unknown, where: string): Snapshot {
  const raw: Raw = parseWith(snapshotSchema, value, where);
  const at = (p: string) => (where ? `${where}: ${p}` : p);
  const now = resolveTime(raw.now, undefined, at("now"));
  const options = raw.controller?.allowUnknownMetricTypes ? { allowUnknownMetricTypes: true } : {};
  const hpa = parseHpaAt(raw.hpa, where, options);
  const pods: PodInfo[] = (raw.pods ?? []).map((p, i) => {
    const pw = `pods[${i}]`;
    const start =
      p.startTime === null
        ? undefined
        : p.startTime === undefined
          ? GO_ZERO_TIME_MS
          : resolveTime(p.startTime, now, at(`${pw}.startTime`));
    const pod: PodInfo = { name: p.name, phase: p.phase ?? "Running", containers: containers(p.containers) };
    const ready =
      p.ready === undefined ? "True" : p.ready === true ? "True" : p.ready === false ? "False" : p.ready;
    if (ready !== "None") pod.ready = ready;
    if (start !== undefined) pod.startTime = start;
    const transition =
      p.readyTransitionTime !== undefined
        ? resolveTime(p.readyTransitionTime, now, at(`${pw}.readyTransitionTime`))
        : (start ?? GO_ZERO_TIME_MS);
    pod.readyTransitionTime = transition;
    if (p.deletionTimestamp !== undefined)
      pod.deletionTimestamp = resolveTime(p.deletionTimestamp, now, at(`${pw}.deletionTimestamp`));
    if (p.labels !== undefined) pod.labels = { ...p.labels };
    if (p.initContainers !== undefined) pod.initContainers = containers(p.initContainers);
    if (p.requests !== undefined) pod.podRequests = { ...p.requests };
    return pod;
  });
  const names = new Set<string>();
  pods.forEach((p, i) => {
    if (names.has(p.name)) throw invalidInput(at(`pods[${i}].name`), `duplicate pod name "${p.name}"`);
    names.add(p.name);
  });

  const readingsRaw = raw.metrics ?? [];
  if (readingsRaw.length > hpa.spec.metrics.length)
    throw invalidInput(
      at(`metrics[${hpa.spec.metrics.length}]`),
      `there are ${readingsRaw.length} metric readings but the HPA has ${hpa.spec.metrics.length} metrics (one reading per spec.metrics entry, same order)`,
    );
  const metrics: MetricReading[] = readingsRaw.map((m, i) => {
    const type = hpa.spec.metrics[i]?.type;
    const perPod = type === "Resource" || type === "ContainerResource" || type === "Pods";
    if (perPod && (m.value !== undefined || m.values !== undefined))
      throw invalidInput(
        at(`metrics[${i}]`),
        `spec.metrics[${i}] is a ${type} metric: give per-pod items (pods:) or an error`,
      );
    if ((type === "Object" || type === "External") && m.pods !== undefined)
      throw invalidInput(
        at(`metrics[${i}]`),
        `spec.metrics[${i}] is an ${type} metric: give value, values or an error`,
      );
    if (m.error !== undefined) return { error: m.error };
    if (m.value !== undefined) return { samples: [{ value: m.value }] };
    if (m.values !== undefined) return { samples: m.values.map((value) => ({ value })) };
    return {
      samples: (m.pods ?? []).map((s, j) => {
        const sample: MetricSample = { pod: s.name };
        if (s.value !== undefined) sample.value = s.value;
        if (s.containers !== undefined)
          sample.containers = s.containers.map((c) => ({ name: c.name, usage: { ...c.usage } }));
        if (s.value === undefined && s.containers === undefined)
          throw invalidInput(at(`metrics[${i}].pods[${j}]`), "set value or containers");
        sample.timestamp =
          s.timestamp === undefined
            ? now
            : resolveTime(s.timestamp, now, at(`metrics[${i}].pods[${j}].timestamp`));
        if (s.window !== undefined) sample.windowMs = s.window;
        return sample;
      }),
    };
  });

  const h = raw.history;
  const state: HpaState = {
    recommendations: (h?.recommendations ?? []).map((r, i) => ({
      replicas: r.replicas,
      timestamp: resolveTime(r.time, now, at(`history.recommendations[${i}].time`)),
    })),
    scaleUpEvents: (h?.scaleUpEvents ?? []).map((e, i) =>
      event(e, now, at(`history.scaleUpEvents[${i}].time`)),
    ),
    scaleDownEvents: (h?.scaleDownEvents ?? []).map((e, i) =>
      event(e, now, at(`history.scaleDownEvents[${i}].time`)),
    ),
  };
  if (h?.recommendations !== undefined && h.recommendations !== null) state.recommendationsRecorded = true;

  const input: ReconcileInput = {
    hpa,
    now,
    currentReplicas: raw.target.replicas,
    pods,
    metrics,
    state,
    scale: scaleOf(raw.target),
    config: configOf(raw.controller),
  };
  if (raw.status !== undefined) input.status = statusOf(raw.status, raw.target.replicas, now, at);
  return { input, hpa };
}

/** parseHpa with error paths under `hpa.` (`snap.yaml: hpa.spec.maxReplicas: ...`). */
function parseHpaAt(
  value: unknown,
  where: string,
  options: { allowUnknownMetricTypes?: boolean },
): HpaObject {
  try {
    return parseHpa(value, where, options);
  } catch (e) {
    if (!(e instanceof ToolkitError)) throw e;
    const prefix = where ? `${where}: ` : "";
    const rest = e.where.startsWith(prefix) ? e.where.slice(prefix.length) : e.where;
    const path = rest === "" || rest === where || rest === "(root)" ? "hpa" : `hpa.${rest}`;
    throw invalidInput(`${prefix}${path}`, e.message);
  }
}

function event(
  e: { change: number; time: string | number; outdated?: boolean | undefined },
  now: number,
  where: string,
) {
  const out: HpaState["scaleUpEvents"][number] = {
    replicaChange: e.change,
    timestamp: resolveTime(e.time, now, where),
  };
  if (e.outdated) out.outdated = true;
  return out;
}

function scaleOf(t: Raw["target"]): NonNullable<ReconcileInput["scale"]> {
  const s: NonNullable<ReconcileInput["scale"]> = {};
  if (t.statusReplicas !== undefined) s.statusReplicas = t.statusReplicas;
  if (t.selector !== undefined) s.selector = t.selector;
  if (t.otherHpas !== undefined)
    s.otherHpas = t.otherHpas.map((o) =>
      o.namespace === undefined ? { name: o.name, selector: o.selector } : { ...o, namespace: o.namespace },
    );
  if (t.getError !== undefined) s.getError = t.getError;
  if (t.updateError !== undefined) s.updateError = t.updateError;
  return s;
}

function configOf(c: Raw["controller"]): Partial<ControllerConfig> {
  const out: Partial<ControllerConfig> = {};
  if (c === undefined) return out;
  if (c.tolerance !== undefined) out.tolerance = c.tolerance;
  if (c.cpuInitializationPeriod !== undefined) out.cpuInitializationPeriodMs = c.cpuInitializationPeriod;
  if (c.initialReadinessDelay !== undefined) out.initialReadinessDelayMs = c.initialReadinessDelay;
  if (c.downscaleStabilization !== undefined) out.downscaleStabilizationWindowMs = c.downscaleStabilization;
  if (c.syncPeriod !== undefined) out.syncPeriodMs = c.syncPeriod;
  if (c.scaleUpLimitFactor !== undefined) out.scaleUpLimitFactor = c.scaleUpLimitFactor;
  if (c.scaleUpLimitMinimum !== undefined) out.scaleUpLimitMinimum = c.scaleUpLimitMinimum;
  if (c.configurableTolerance !== undefined) out.configurableTolerance = c.configurableTolerance;
  if (c.podLevelResources !== undefined) out.podLevelResources = c.podLevelResources;
  return out;
}

function statusOf(
  s: NonNullable<Raw["status"]>,
  current: number,
  now: number,
  at: (p: string) => string,
): HpaStatus {
  const conditions: Condition[] = (s.conditions ?? []).map((c, i) => ({
    type: c.type,
    status: c.status,
    reason: c.reason ?? "",
    message: c.message ?? "",
    lastTransitionTime:
      c.lastTransitionTime === undefined
        ? now
        : resolveTime(c.lastTransitionTime, now, at(`status.conditions[${i}].lastTransitionTime`)),
  }));
  const out: HpaStatus = {
    currentReplicas: current,
    desiredReplicas: s.desiredReplicas ?? current,
    currentMetrics: [],
    conditions,
  };
  if (s.lastScaleTime !== undefined)
    out.lastScaleTime = resolveTime(s.lastScaleTime, now, at("status.lastScaleTime"));
  return out;
}
