/**
 * The autoscaling/v2 HorizontalPodAutoscaler schema, validation and API defaults (k8s.io/api
 * autoscaling/v2 types, pkg/apis/autoscaling/validation and v2 defaults.go). Unknown fields are errors
 * (with a "did you mean"), and every error names the field path, e.g.
 * `spec.metrics[1].pods.target.type: target type "Utilization" is not allowed for a Pods metric ...`.
 *
 * Stricter than the API server in one respect, on purpose: a target's `type` must be one its source
 * supports (Resource/ContainerResource: Utilization or AverageValue; Pods: AverageValue; Object/External:
 * Value or AverageValue) and the field that type names must be set.
 */
import { z } from "zod";
import { trySelectorFromLabelSelector } from "../labels/selector.js";
import { tryParseQuantity } from "../quantity/quantity.js";
import { parseWith } from "../validation.js";
import { defaultBehavior } from "./behavior.js";
import type { HpaBehavior, HpaObject, LabelSelectorSpec, MetricSpec, MetricTarget } from "./types.js";

/** Upper bound of `stabilizationWindowSeconds` (API validation). */
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
/** Upper bound of a policy's `periodSeconds` (API validation). */
export const MAX_PERIOD_SECONDS = 1800;

/** A Kubernetes quantity given as text or a YAML number; kept as text. */
const quantity = z
  .union([z.string(), z.number()], { error: "must be a quantity such as 500m, 1.5 or 2Gi" })
  .transform((v, ctx) => {
    const text = typeof v === "number" ? String(v) : v.trim();
    const q = tryParseQuantity(text);
    if (!q.ok) {
      ctx.addIssue({ code: "custom", message: q.error.message });
      return z.NEVER;
    }
    return text;
  });

export const int32 = (what: string) =>
  z
    .number({
      error: (i) => (i.input === undefined ? "required field is missing" : `${what} must be an integer`),
    })
    .int({ error: `${what} must be an integer` })
    .max(2_147_483_647, { error: `${what} must be at most 2147483647 (int32)` });

const labelSelector = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string({ error: "label values must be strings" })).optional(),
    matchExpressions: z
      .array(
        z.strictObject({
          key: z.string(),
          operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"], {
            error: (i) =>
              `unsupported operator ${JSON.stringify(i.input)} (use In, NotIn, Exists or DoesNotExist)`,
          }),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .superRefine((v, ctx) => {
    const r = trySelectorFromLabelSelector(v);
    if (!r.ok)
      ctx.addIssue({
        code: "custom",
        message: r.error.message,
        path: r.error.field.split(/\.|(?=\[)/).flatMap(pathPart),
      });
  });

function pathPart(p: string): (string | number)[] {
  const m = /^\[(\d+)\]$/.exec(p);
  if (m) return [Number(m[1])];
  const n = /^(.*?)((?:\[\d+\])+)$/.exec(p);
  if (n) return [n[1]!, ...[...n[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]))];
  return p === "" ? [] : [p];
}

const nonEmpty = (what: string) =>
  z.string({ error: `${what} is required` }).min(1, { error: `must specify ${what}` });

export const crossVersionObjectReference = z.strictObject({
  apiVersion: z.string().optional(),
  kind: nonEmpty("a kind"),
  name: nonEmpty("a name"),
});

const metricTarget = z.strictObject({
  type: z.enum(["Utilization", "Value", "AverageValue"], {
    error: (i) =>
      i.input === undefined
        ? "required field is missing"
        : `unsupported target type ${JSON.stringify(i.input)} (use Utilization, Value or AverageValue)`,
  }),
  value: quantity.optional(),
  averageValue: quantity.optional(),
  averageUtilization: int32("averageUtilization").optional(),
});

const metricIdentifier = z.strictObject({
  name: nonEmpty("a metric name"),
  selector: labelSelector.optional(),
});

const METRIC_TYPES = ["Resource", "ContainerResource", "Pods", "Object", "External"] as const;
const SOURCE_FIELD: Record<(typeof METRIC_TYPES)[number], string> = {
  Resource: "resource",
  ContainerResource: "containerResource",
  Pods: "pods",
  Object: "object",
  External: "external",
};
const ALLOWED_TARGETS: Record<(typeof METRIC_TYPES)[number], readonly MetricTarget["type"][]> = {
  Resource: ["Utilization", "AverageValue"],
  ContainerResource: ["Utilization", "AverageValue"],
  Pods: ["AverageValue"],
  Object: ["Value", "AverageValue"],
  External: ["Value", "AverageValue"],
};
const TARGET_FIELD: Record<MetricTarget["type"], "value" | "averageValue" | "averageUtilization"> = {
  Utilization: "averageUtilization",
  Value: "value",
  AverageValue: "averageValue",
};

export const metricSpec = z
  .strictObject({
    type: z.enum(METRIC_TYPES, {
      error: (i) =>
        i.input === undefined
          ? "must specify a metric source type"
          : `unsupported metric type ${JSON.stringify(i.input)} (use Resource, ContainerResource, Pods, Object or External)`,
    }),
    resource: z.strictObject({ name: nonEmpty("a resource name"), target: metricTarget }).optional(),
    containerResource: z
      .strictObject({
        name: nonEmpty("a resource name"),
        container: nonEmpty("a container"),
        target: metricTarget,
      })
      .optional(),
    pods: z.strictObject({ metric: metricIdentifier, target: metricTarget }).optional(),
    object: z
      .strictObject({
        describedObject: crossVersionObjectReference,
        metric: metricIdentifier,
        target: metricTarget,
      })
      .optional(),
    external: z.strictObject({ metric: metricIdentifier, target: metricTarget }).optional(),
  })
  .superRefine((m, ctx) => {
    const field = SOURCE_FIELD[m.type];
    const source = (m as Record<string, unknown>)[field] as
      | { target?: z.output<typeof metricTarget> }
      | undefined;
    if (source === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: "must populate information for the given metric source",
      });
      return;
    }
    for (const other of Object.values(SOURCE_FIELD)) {
      if (other !== field && (m as Record<string, unknown>)[other] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [other],
          message: `must populate the given metric source only (type is ${m.type})`,
        });
    }
    const t = source.target;
    if (t === undefined) return;
    const tpath = [field, "target"];
    if (!ALLOWED_TARGETS[m.type].includes(t.type)) {
      ctx.addIssue({
        code: "custom",
        path: [...tpath, "type"],
        message: `target type "${t.type}" is not allowed for a ${m.type} metric (use ${ALLOWED_TARGETS[m.type].join(" or ")})`,
      });
      return;
    }
    const needed = TARGET_FIELD[t.type];
    if (t[needed] === undefined)
      ctx.addIssue({
        code: "custom",
        path: [...tpath, needed],
        message: `required for target type ${t.type}`,
      });
    for (const f of ["value", "averageValue", "averageUtilization"] as const) {
      if (f !== needed && t[f] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [...tpath, f],
          message: `may not be set with target type ${t.type}`,
        });
    }
    for (const f of ["value", "averageValue"] as const) {
      const v = t[f];
      if (v !== undefined) {
        const q = tryParseQuantity(v);
        if (q.ok && q.value.sign() !== 1)
          ctx.addIssue({ code: "custom", path: [...tpath, f], message: "must be positive" });
      }
    }
    if (t.averageUtilization !== undefined && t.averageUtilization < 1)
      ctx.addIssue({
        code: "custom",
        path: [...tpath, "averageUtilization"],
        message: "must be greater than 0",
      });
  });

const scalingPolicy = z.strictObject({
  type: z.enum(["Pods", "Percent"], {
    error: (i) =>
      i.input === undefined
        ? "required field is missing"
        : `unsupported policy type ${JSON.stringify(i.input)} (use Pods or Percent)`,
  }),
  value: int32("value").min(1, { error: "must be greater than zero" }),
  periodSeconds: int32("periodSeconds")
    .min(1, { error: "must be greater than zero" })
    .max(MAX_PERIOD_SECONDS, { error: `must be less than or equal to ${MAX_PERIOD_SECONDS}` }),
});

const scalingRules = z.strictObject({
  stabilizationWindowSeconds: int32("stabilizationWindowSeconds")
    .min(0, { error: "must be greater than or equal to zero" })
    .max(MAX_STABILIZATION_WINDOW_SECONDS, {
      error: `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
    })
    .optional(),
  selectPolicy: z
    .enum(["Max", "Min", "Disabled"], {
      error: (i) => `unsupported selectPolicy ${JSON.stringify(i.input)} (use Max, Min or Disabled)`,
    })
    .optional(),
  policies: z.array(scalingPolicy).min(1, { error: "must specify at least one Policy" }).optional(),
  tolerance: quantity
    .refine((t) => {
      const q = tryParseQuantity(t);
      return q.ok && q.value.sign() >= 0;
    }, "must be greater than or equal to zero")
    .optional(),
});

const metadataSchema = z.strictObject({
  name: nonEmpty("a name"),
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  // Read-only fields present in `kubectl get -o yaml` output; accepted and dropped.
  uid: z.unknown().optional(),
  resourceVersion: z.unknown().optional(),
  generation: z.unknown().optional(),
  creationTimestamp: z.unknown().optional(),
  managedFields: z.unknown().optional(),
  generateName: z.unknown().optional(),
  finalizers: z.unknown().optional(),
  ownerReferences: z.unknown().optional(),
  selfLink: z.unknown().optional(),
});

/** `spec.behavior` (scaleUp/scaleDown rules). */
export const behaviorSchema = z.strictObject({
  scaleUp: scalingRules.optional(),
  scaleDown: scalingRules.optional(),
});

/** The zod schema of an autoscaling/v2 HorizontalPodAutoscaler as `kubectl apply` takes it. */
export const hpaSchema = z
  .strictObject({
    apiVersion: z.literal("autoscaling/v2", { error: 'must be "autoscaling/v2"' }),
    kind: z.literal("HorizontalPodAutoscaler", { error: 'must be "HorizontalPodAutoscaler"' }),
    metadata: metadataSchema,
    spec: z.strictObject({
      scaleTargetRef: crossVersionObjectReference,
      minReplicas: int32("minReplicas").optional(),
      maxReplicas: int32("maxReplicas"),
      metrics: z.array(metricSpec).optional(),
      behavior: behaviorSchema.optional(),
    }),
    status: z.unknown().optional(),
  })
  .superRefine((h, ctx) => {
    const s = h.spec;
    if (s.minReplicas !== undefined && s.minReplicas < 0)
      ctx.addIssue({
        code: "custom",
        path: ["spec", "minReplicas"],
        message: "must be greater than or equal to 0",
      });
    if (s.maxReplicas < 1)
      ctx.addIssue({ code: "custom", path: ["spec", "maxReplicas"], message: "must be greater than 0" });
    if (s.minReplicas !== undefined && s.maxReplicas < s.minReplicas)
      ctx.addIssue({
        code: "custom",
        path: ["spec", "maxReplicas"],
        message: `must be greater than or equal to minReplicas (${s.minReplicas})`,
      });
    if (s.minReplicas === 0 && !(s.metrics ?? []).some((m) => m.type === "Object" || m.type === "External"))
      ctx.addIssue({
        code: "custom",
        path: ["spec", "metrics"],
        message: "must specify at least one Object or External metric to support scaling to zero replicas",
      });
  });

/** The API default metric: CPU at 80 % utilization (autoscaling/v2 defaults.go). */
export function defaultMetrics(): MetricSpec[] {
  return [
    { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } },
  ];
}

function cleanTarget(t: z.output<typeof metricTarget>): MetricTarget {
  const out: MetricTarget = { type: t.type };
  if (t.value !== undefined) out.value = t.value;
  if (t.averageValue !== undefined) out.averageValue = t.averageValue;
  if (t.averageUtilization !== undefined) out.averageUtilization = t.averageUtilization;
  return out;
}

function cleanSelector(s: z.output<typeof labelSelector> | undefined): LabelSelectorSpec | undefined {
  if (s === undefined) return undefined;
  const out: LabelSelectorSpec = {};
  if (s.matchLabels !== undefined) out.matchLabels = { ...s.matchLabels };
  if (s.matchExpressions !== undefined)
    out.matchExpressions = s.matchExpressions.map((e) =>
      e.values === undefined
        ? { key: e.key, operator: e.operator }
        : { key: e.key, operator: e.operator, values: [...e.values] },
    );
  return out;
}

function cleanIdentifier(m: z.output<typeof metricIdentifier>) {
  const sel = cleanSelector(m.selector);
  return sel === undefined ? { name: m.name } : { name: m.name, selector: sel };
}

export function cleanRef(r: z.output<typeof crossVersionObjectReference>) {
  return r.apiVersion === undefined
    ? { kind: r.kind, name: r.name }
    : { apiVersion: r.apiVersion, kind: r.kind, name: r.name };
}

export function cleanMetric(m: z.output<typeof metricSpec>): MetricSpec {
  switch (m.type) {
    case "Resource":
      return {
        type: "Resource",
        resource: { name: m.resource!.name, target: cleanTarget(m.resource!.target) },
      };
    case "ContainerResource": {
      const c = m.containerResource!;
      return {
        type: "ContainerResource",
        containerResource: { name: c.name, container: c.container, target: cleanTarget(c.target) },
      };
    }
    case "Pods":
      return {
        type: "Pods",
        pods: { metric: cleanIdentifier(m.pods!.metric), target: cleanTarget(m.pods!.target) },
      };
    case "Object": {
      const o = m.object!;
      return {
        type: "Object",
        object: {
          describedObject: cleanRef(o.describedObject),
          metric: cleanIdentifier(o.metric),
          target: cleanTarget(o.target),
        },
      };
    }
    case "External":
      return {
        type: "External",
        external: { metric: cleanIdentifier(m.external!.metric), target: cleanTarget(m.external!.target) },
      };
  }
}

/** A validated `spec.behavior` with the API's rule defaults applied. */
export function cleanBehavior(b: z.output<typeof behaviorSchema> | undefined): HpaBehavior | undefined {
  if (b === undefined) return undefined;
  const rules = (r: z.output<typeof scalingRules> | undefined) => {
    if (r === undefined) return undefined;
    const out: NonNullable<HpaBehavior["scaleUp"]> = {};
    if (r.stabilizationWindowSeconds !== undefined)
      out.stabilizationWindowSeconds = r.stabilizationWindowSeconds;
    if (r.selectPolicy !== undefined) out.selectPolicy = r.selectPolicy;
    if (r.policies !== undefined) out.policies = r.policies.map((p) => ({ ...p }));
    if (r.tolerance !== undefined) out.tolerance = r.tolerance;
    return out;
  };
  const out: HpaBehavior = {};
  const up = rules(b.scaleUp);
  const down = rules(b.scaleDown);
  if (up) out.scaleUp = up;
  if (down) out.scaleDown = down;
  return defaultBehavior(out);
}

/** Options of {@link parseHpa}. */
export interface ParseHpaOptions {
  /**
   * Keep `spec.metrics` entries whose `type` is not a known source (the API server rejects them; upstream
   * unit tests inject them) as `{type}`; the engine then fails that metric with InvalidMetricSourceType.
   */
  allowUnknownMetricTypes?: boolean;
}

function withoutUnknownMetrics(obj: unknown, unknown: Map<number, string>): unknown {
  const spec = (obj as { spec?: { metrics?: unknown } } | null)?.spec;
  if (!spec || !Array.isArray(spec.metrics)) return obj;
  const kept: unknown[] = [];
  spec.metrics.forEach((m: unknown, i: number) => {
    const type = (m as { type?: unknown } | null)?.type;
    if (typeof type === "string" && type !== "" && !(METRIC_TYPES as readonly string[]).includes(type))
      unknown.set(i, type);
    else kept.push(m);
  });
  return { ...(obj as object), spec: { ...spec, metrics: kept } };
}

/**
 * Validates an autoscaling/v2 HorizontalPodAutoscaler and applies the API server's defaults
 * (namespace `default`, minReplicas 1, metrics CPU 80 %, behavior rule defaults when `behavior` is set;
 * scale-down stabilizationWindowSeconds stays unset so the controller flag fills it).
 * Throws INVALID_INPUT whose `where` is `<where>: <field path>`.
 */
export function parseHpa(obj: unknown, where: string, options: ParseHpaOptions = {}): HpaObject {
  const unknown = new Map<number, string>();
  if (options.allowUnknownMetricTypes) obj = withoutUnknownMetrics(obj, unknown);
  const h = parseWith(hpaSchema, obj, where);
  const metadata: HpaObject["metadata"] = {
    name: h.metadata.name,
    namespace: h.metadata.namespace ?? "default",
  };
  if (h.metadata.labels !== undefined) metadata.labels = { ...h.metadata.labels };
  if (h.metadata.annotations !== undefined) metadata.annotations = { ...h.metadata.annotations };
  let metrics =
    h.spec.metrics === undefined || h.spec.metrics.length === 0
      ? defaultMetrics()
      : h.spec.metrics.map(cleanMetric);
  if (unknown.size > 0) {
    if (h.spec.metrics === undefined || h.spec.metrics.length === 0) metrics = [];
    for (const [i, type] of [...unknown].sort((a, b) => a[0] - b[0]))
      metrics.splice(i, 0, { type } as unknown as MetricSpec);
  }
  const spec: HpaObject["spec"] = {
    scaleTargetRef: cleanRef(h.spec.scaleTargetRef),
    minReplicas: h.spec.minReplicas ?? 1,
    maxReplicas: h.spec.maxReplicas,
    metrics,
  };
  const behavior = cleanBehavior(h.spec.behavior);
  if (behavior !== undefined) spec.behavior = behavior;
  return { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata, spec };
}
