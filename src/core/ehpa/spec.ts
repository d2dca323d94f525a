/**
 * Validation and defaulting of EffectiveHorizontalPodAutoscaler objects (zod, errors name the field path,
 * unknown fields get a "did you mean"). Defaults are the CRD's: minReplicas 1, scaleStrategy Auto,
 * predictionWindowSeconds 3600, algorithmType multi-seasonal. Everything else that is wrong is an error:
 * the controller reports it as Ready=False naming the field, `tidescale ehpa convert` exits 2.
 *
 * Rules beyond the structural schema (which kube-apiserver 1.20 cannot express): maxReplicas >=
 * minReplicas; specificReplicas only with Preview; prediction needs at least one predictable metric
 * (Resource, ContainerResource, Pods, External); algorithm parameters are checked by resolveAlgorithm;
 * crons have unique names, valid 5-field expressions, start != end, an IANA timezone, and targetReplicas
 * within [0, maxReplicas].
 */
import { z } from "zod";
import { err, ok, type Result, ToolkitError } from "../errors.js";
import {
  behaviorSchema,
  cleanBehavior,
  cleanMetric,
  cleanRef,
  crossVersionObjectReference,
  int32,
  metricSpec,
} from "../hpa/spec.js";
import { formatPath, parseWith } from "../validation.js";
import { type FieldProblem, resolveAlgorithm } from "./algorithm.js";
import { cronProblems } from "./cron.js";
import { resourceIdentifier } from "./identifiers.js";
import {
  ALGORITHM_TYPES,
  type CronSpec,
  DEFAULT_ALGORITHM,
  DEFAULT_PREDICTION_WINDOW_SECONDS,
  EHPA_API_VERSION,
  type Ehpa,
  type ObjectMeta,
  type PredictionAlgorithm,
} from "./types.js";

/** Types of metrics the controller can predict (Object is not predicted, like Crane). */
export const PREDICTABLE_TYPES = ["Resource", "ContainerResource", "Pods", "External"] as const;

const numText = z
  .union([z.string(), z.number()], { error: "must be a number or a string" })
  .transform((v) => String(v));

const multiSeasonalSchema = z.strictObject({
  sampleInterval: numText.optional(),
  historyLength: numText.optional(),
  quantile: z.enum(["p50", "p90", "p99"], { error: "must be p50, p90 or p99" }).optional(),
});

/** Crane's `predictionAlgorithm.dsp` block (numbers as strings; also read by `forecast --crane-dsp`). */
export const dspSchema = z.strictObject({
  sampleInterval: numText.optional(),
  historyLength: numText.optional(),
  estimators: z
    .strictObject({
      maxValue: z.array(z.strictObject({ marginFraction: numText.optional() })).optional(),
      fft: z
        .array(
          z.strictObject({
            marginFraction: numText.optional(),
            lowAmplitudeThreshold: numText.optional(),
            highFrequencyThreshold: numText.optional(),
            minNumOfSpectrumItems: int32("minNumOfSpectrumItems").optional(),
            maxNumOfSpectrumItems: int32("maxNumOfSpectrumItems").optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

const percentileSchema = z.strictObject({
  aggregated: z.boolean().optional(),
  historyLength: numText.optional(),
  sampleInterval: numText.optional(),
  histogram: z
    .strictObject({
      maxValue: numText.optional(),
      epsilon: numText.optional(),
      halfLife: numText.optional(),
      bucketSize: numText.optional(),
      firstBucketSize: numText.optional(),
      bucketSizeGrowthRatio: numText.optional(),
    })
    .optional(),
  minSampleWeight: numText.optional(),
  marginFraction: numText.optional(),
  percentile: numText.optional(),
  targetUtilization: numText.optional(),
});

/** `predictionAlgorithm` (type checked; parameters checked by resolveAlgorithm). */
export const predictionAlgorithmSchema = z.strictObject({
  algorithmType: z
    .enum(ALGORITHM_TYPES, {
      error: (i) => `unknown algorithm ${JSON.stringify(i.input)} (use ${ALGORITHM_TYPES.join(", ")})`,
    })
    .default(DEFAULT_ALGORITHM),
  multiSeasonal: multiSeasonalSchema.optional(),
  dsp: dspSchema.optional(),
  percentile: percentileSchema.optional(),
});

const cronSchema = z.strictObject({
  name: z.string({ error: "required field is missing" }).min(1, { error: "must not be empty" }),
  description: z.string().optional(),
  timezone: z.string().min(1, { error: "must not be empty (omit it for UTC)" }).optional(),
  start: z.string({ error: "required field is missing" }),
  end: z.string({ error: "required field is missing" }),
  targetReplicas: int32("targetReplicas").min(0, { error: "must be greater than or equal to 0" }),
});

const metadataSchema = z.looseObject({
  name: z.string({ error: "required field is missing" }).min(1, { error: "must not be empty" }),
  namespace: z.string().min(1).optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const specSchema = z.strictObject({
  scaleTargetRef: crossVersionObjectReference,
  minReplicas: int32("minReplicas").min(0, { error: "must be greater than or equal to 0" }).default(1),
  maxReplicas: int32("maxReplicas").min(1, { error: "must be greater than 0" }),
  scaleStrategy: z
    .enum(["Auto", "Preview"], {
      error: (i) => `unsupported scaleStrategy ${JSON.stringify(i.input)} (use Auto or Preview)`,
    })
    .default("Auto"),
  specificReplicas: int32("specificReplicas")
    .min(0, { error: "must be greater than or equal to 0" })
    .optional(),
  metrics: z.array(metricSpec).optional(),
  behavior: behaviorSchema.optional(),
  prediction: z
    .strictObject({
      predictionWindowSeconds: int32("predictionWindowSeconds")
        .min(1, { error: "must be greater than 0" })
        .max(7 * 86_400, { error: "must be at most 604800 (7 days)" })
        .default(DEFAULT_PREDICTION_WINDOW_SECONDS),
      predictionAlgorithm: predictionAlgorithmSchema.default({ algorithmType: DEFAULT_ALGORITHM }),
    })
    .optional(),
  crons: z.array(cronSchema).optional(),
});

type SpecOut = z.output<typeof specSchema>;

function addAll(ctx: z.RefinementCtx, base: PropertyKey[], problems: FieldProblem[]) {
  for (const p of problems)
    ctx.addIssue({ code: "custom", path: [...base, ...splitPath(p.field)], message: p.message });
}

/** `a.b[2].c` → ["a","b",2,"c"]. */
function splitPath(field: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function refineReplicas(s: SpecOut, ctx: z.RefinementCtx) {
  if (s.maxReplicas < s.minReplicas)
    ctx.addIssue({
      code: "custom",
      path: ["spec", "maxReplicas"],
      message: `must be greater than or equal to minReplicas (${s.minReplicas})`,
    });
  if (s.specificReplicas !== undefined && s.scaleStrategy !== "Preview")
    ctx.addIssue({
      code: "custom",
      path: ["spec", "specificReplicas"],
      message: "may only be set with scaleStrategy Preview",
    });
}

function refinePrediction(s: SpecOut, ctx: z.RefinementCtx) {
  if (s.prediction === undefined) return;
  const r = resolveAlgorithm(s.prediction.predictionAlgorithm as PredictionAlgorithm);
  if (!r.ok) addAll(ctx, ["spec", "prediction", "predictionAlgorithm"], r.error);
  const metrics = s.metrics ?? [];
  const seen = new Map<string, number>();
  metrics.forEach((m, i) => {
    const id = resourceIdentifier(cleanMetric(m));
    if (id === undefined) return;
    const first = seen.get(id);
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["spec", "metrics", i],
        message: `predicts the same series as spec.metrics[${first}] (${id}); give one of them another metric`,
      });
    else seen.set(id, i);
  });
  if (!metrics.some((m) => (PREDICTABLE_TYPES as readonly string[]).includes(m.type)))
    ctx.addIssue({
      code: "custom",
      path: ["spec", "prediction"],
      message: "no metric can be predicted: add a Resource, ContainerResource, Pods or External metric",
    });
}

function refineCrons(s: SpecOut, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  for (const [i, c] of (s.crons ?? []).entries()) {
    const base = ["spec", "crons", i];
    if (seen.has(c.name))
      ctx.addIssue({ code: "custom", path: [...base, "name"], message: `duplicate cron name "${c.name}"` });
    seen.add(c.name);
    addAll(ctx, base, cronProblems(c as CronSpec));
    if (c.targetReplicas > s.maxReplicas)
      ctx.addIssue({
        code: "custom",
        path: [...base, "targetReplicas"],
        message: `must be at most maxReplicas (${s.maxReplicas})`,
      });
  }
}

/** The zod schema of an EffectiveHorizontalPodAutoscaler (ours; Crane's apiVersion is for `convert`). */
export const ehpaSchema = z
  .looseObject({
    apiVersion: z.literal(EHPA_API_VERSION, { error: `must be "${EHPA_API_VERSION}"` }),
    kind: z.literal("EffectiveHorizontalPodAutoscaler", {
      error: 'must be "EffectiveHorizontalPodAutoscaler"',
    }),
    metadata: metadataSchema,
    spec: specSchema,
    status: z.unknown().optional(),
  })
  .superRefine((o, ctx) => {
    refineReplicas(o.spec, ctx);
    refinePrediction(o.spec, ctx);
    refineCrons(o.spec, ctx);
  });

function toEhpa(o: z.output<typeof ehpaSchema>): Ehpa {
  const md = o.metadata;
  const metadata: ObjectMeta = { name: md.name, namespace: md.namespace ?? "default" };
  if (md.uid !== undefined) metadata.uid = md.uid;
  if (md.generation !== undefined) metadata.generation = md.generation;
  if (md.resourceVersion !== undefined) metadata.resourceVersion = md.resourceVersion;
  if (md.labels !== undefined) metadata.labels = { ...md.labels };
  if (md.annotations !== undefined) metadata.annotations = { ...md.annotations };
  const s = o.spec;
  const spec: Ehpa["spec"] = {
    scaleTargetRef: cleanRef(s.scaleTargetRef),
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    scaleStrategy: s.scaleStrategy,
    metrics: (s.metrics ?? []).map(cleanMetric),
    crons: (s.crons ?? []).map((c) => JSON.parse(JSON.stringify(c)) as CronSpec),
  };
  if (s.specificReplicas !== undefined) spec.specificReplicas = s.specificReplicas;
  const behavior = cleanBehavior(s.behavior);
  if (behavior !== undefined) spec.behavior = behavior;
  if (s.prediction !== undefined)
    spec.prediction = JSON.parse(JSON.stringify(s.prediction)) as NonNullable<Ehpa["spec"]["prediction"]>;
  return { apiVersion: EHPA_API_VERSION, kind: "EffectiveHorizontalPodAutoscaler", metadata, spec };
}

/**
 * Validates an EHPA and applies the CRD defaults. Every problem is returned with its field path
 * (`spec.crons[0].timezone`), in the order zod found them.
 */
export function validateEhpa(obj: unknown): Result<Ehpa, FieldProblem[]> {
  const r = ehpaSchema.safeParse(obj);
  if (!r.success) {
    return err(
      r.error.issues.map((i) => {
        if (i.code === "unrecognized_keys")
          return { field: formatPath([...i.path, i.keys[0]!]), message: `unknown field "${i.keys[0]}"` };
        const message =
          i.code === "invalid_type" && /received undefined/.test(i.message)
            ? "required field is missing"
            : i.message;
        return { field: formatPath(i.path) || "(root)", message };
      }),
    );
  }
  return ok(toEhpa(r.data));
}

/** Validates an EHPA; throws INVALID_INPUT `<where>: <field path>` on the first problem (with did-you-mean). */
export function parseEhpa(obj: unknown, where: string): Ehpa {
  const r = validateEhpa(obj);
  if (r.ok) return r.value;
  try {
    parseWith(ehpaSchema, obj, where);
  } catch (e) {
    if (e instanceof ToolkitError) throw e;
  }
  const p = r.error[0]!;
  throw new ToolkitError("INVALID_INPUT", where ? `${where}: ${p.field}` : p.field, p.message);
}
