/**
 * Validation of a RecommendationRule as the server stored it (the CRD schema already applied its
 * defaults and enums): every problem names its field path. Beyond the schema: label selectors are
 * parsed with Kubernetes' rules, runInterval is a positive duration, recommender names are unique, and
 * each recommender's config settings are known and in range (policy.ts).
 */
import { z } from "zod";
import { tryParseDurationMs } from "../duration.js";
import type { FieldProblem } from "../ehpa/algorithm.js";
import { err, ok, type Result } from "../errors.js";
import { trySelectorFromLabelSelector } from "../labels/selector.js";
import { formatPath } from "../validation.js";
import { policyFor } from "./policy.js";
import {
  DEFAULT_RUN_INTERVAL,
  RECOMMENDER_TYPES,
  type ResourceSelector,
  type RuleMeta,
  type RuleSpec,
  type RuleStatus,
  WORKLOAD_API_VERSION,
  WORKLOAD_KINDS,
} from "./types.js";

const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});

const specSchema = z.strictObject({
  resourceSelectors: z
    .array(
      z.strictObject({
        apiVersion: z.literal(WORKLOAD_API_VERSION).default(WORKLOAD_API_VERSION),
        kind: z.enum(WORKLOAD_KINDS),
        name: z.string().min(1).optional(),
        labelSelector: labelSelectorSchema.optional(),
      }),
    )
    .min(1),
  namespaceSelector: z.strictObject({
    any: z.boolean().default(false),
    matchNames: z.array(z.string().min(1)).default([]),
  }),
  runInterval: z.string().default(DEFAULT_RUN_INTERVAL),
  recommenders: z
    .array(
      z.strictObject({
        name: z.enum(RECOMMENDER_TYPES),
        config: z.record(z.string(), z.string()).default({}),
      }),
    )
    .min(1),
});

const ruleSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    uid: z.string().min(1),
    generation: z.number().int().optional(),
  }),
  spec: specSchema,
});

export interface Rule {
  metadata: RuleMeta;
  spec: RuleSpec;
}

/** The rule's metadata and validated spec, or every problem found with its field path. */
export function validateRule(obj: unknown): Result<Rule, FieldProblem[]> {
  const r = ruleSchema.safeParse(obj);
  if (!r.success)
    return err(
      r.error.issues.map((i) =>
        i.code === "unrecognized_keys"
          ? { field: formatPath([...i.path, i.keys[0]!]), message: `unknown field "${i.keys[0]}"` }
          : {
              field: formatPath(i.path) || "(root)",
              message: /received undefined/.test(i.message) ? "required field is missing" : i.message,
            },
      ),
    );
  const { metadata, spec } = r.data;
  const problems: FieldProblem[] = [];
  const selectors: ResourceSelector[] = spec.resourceSelectors.map((s, i) => {
    const out: ResourceSelector = { apiVersion: s.apiVersion, kind: s.kind };
    if (s.name !== undefined) out.name = s.name;
    if (s.labelSelector !== undefined) {
      const sel = trySelectorFromLabelSelector(s.labelSelector);
      if (sel.ok) out.labelSelector = sel.value;
      else
        problems.push({
          field: `spec.resourceSelectors[${i}].labelSelector.${sel.error.field}`,
          message: sel.error.message,
        });
    }
    return out;
  });
  const intervalMs = tryParseDurationMs(spec.runInterval);
  if (intervalMs === undefined || intervalMs <= 0)
    problems.push({
      field: "spec.runInterval",
      message: `"${spec.runInterval}" is not a positive duration (use Go syntax such as 30m, 24h)`,
    });
  spec.recommenders.forEach((rec, i) => {
    if (spec.recommenders.findIndex((o) => o.name === rec.name) !== i)
      problems.push({ field: `spec.recommenders[${i}].name`, message: `"${rec.name}" is listed twice` });
  });
  const policy = policyFor(spec.recommenders);
  if (!policy.ok) problems.push(...policy.error);
  if (!policy.ok || problems.length > 0) return err(problems);
  return ok({
    metadata: {
      name: metadata.name,
      uid: metadata.uid,
      ...(metadata.generation !== undefined ? { generation: metadata.generation } : {}),
    },
    spec: {
      resourceSelectors: selectors,
      namespaceSelector: spec.namespaceSelector,
      runInterval: spec.runInterval,
      runIntervalMs: intervalMs as number,
      recommenders: spec.recommenders,
      policy: policy.value,
    },
  });
}

/** The rule's status as stored, keeping only well-formed fields (a hand-edited status is not trusted). */
export function observedRuleStatus(obj: unknown): RuleStatus {
  const s = (obj as { status?: Record<string, unknown> } | undefined)?.status;
  if (!s || typeof s !== "object") return {};
  const out: RuleStatus = {};
  if (typeof s.observedGeneration === "number") out.observedGeneration = s.observedGeneration;
  if (typeof s.lastUpdateTime === "string") out.lastUpdateTime = s.lastUpdateTime;
  if (typeof s.targets === "number") out.targets = s.targets;
  if (typeof s.recommendations === "number") out.recommendations = s.recommendations;
  if (Array.isArray(s.conditions)) out.conditions = s.conditions as NonNullable<RuleStatus["conditions"]>;
  return out;
}
