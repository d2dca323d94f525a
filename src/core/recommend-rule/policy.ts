/**
 * The recommenders' `config` maps (Crane's per-recommender string settings, with Crane's key names)
 * turned into the policy core/recommend runs with: keys not listed for a recommender, or values out of
 * range, are problems naming `spec.recommenders[i].config.<key>`. Unset keys keep tidescale's defaults.
 *
 * - Replicas: `cpu-target-utilization` (0..1], `cpu-percentile` (0..1], `default-min-replicas` (>= 1);
 * - Resource: `cpu-request-percentile`, `mem-request-percentile` (0..1], `cpu-request-margin-fraction`,
 *   `mem-request-margin-fraction` (>= 0);
 * - HPA: `min-cpu-target-utilization`, `max-cpu-target-utilization` (1..100, percent).
 */
import type { FieldProblem } from "../ehpa/algorithm.js";
import { err, ok, type Result } from "../errors.js";
import { type RecommendPolicy, withPolicy } from "../recommend/index.js";
import { suggest } from "../validation.js";
import type { RecommenderRef, RecommenderType } from "./types.js";

type Overrides = Parameters<typeof withPolicy>[0];
type Range = { min: number; max: number; minExclusive?: boolean; integer?: boolean };

interface Key {
  range: Range;
  set(o: Mutable, v: number): void;
}
type Mutable = { -readonly [K in keyof Overrides]-?: Record<string, unknown> };

const FRACTION: Range = { min: 0, max: 1, minExclusive: true };
const MARGIN: Range = { min: 0, max: 10 };
const PERCENT: Range = { min: 1, max: 100, integer: true };

const KEYS: Record<RecommenderType, Record<string, Key>> = {
  Replicas: {
    "cpu-target-utilization": { range: FRACTION, set: (o, v) => (o.replicas.targetUtilization = v) },
    "cpu-percentile": { range: FRACTION, set: (o, v) => (o.replicas.percentile = v) },
    "default-min-replicas": {
      range: { min: 1, max: 1000, integer: true },
      set: (o, v) => (o.replicas.minReplicas = v),
    },
  },
  Resource: {
    "cpu-request-percentile": { range: FRACTION, set: (o, v) => (o.cpu.percentile = v) },
    "mem-request-percentile": { range: FRACTION, set: (o, v) => (o.memory.percentile = v) },
    "cpu-request-margin-fraction": { range: MARGIN, set: (o, v) => (o.cpu.margin = v) },
    "mem-request-margin-fraction": { range: MARGIN, set: (o, v) => (o.memory.margin = v) },
  },
  HPA: {
    "min-cpu-target-utilization": { range: PERCENT, set: (o, v) => (o.hpa.minTargetPercent = v) },
    "max-cpu-target-utilization": { range: PERCENT, set: (o, v) => (o.hpa.maxTargetPercent = v) },
  },
};

function rangeProblem(text: string, r: Range): string | undefined {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) return `"${text}" is not a number`;
  if (r.integer && !Number.isInteger(v)) return `"${text}" is not an integer`;
  const low = r.minExclusive ? v <= r.min : v < r.min;
  if (low || v > r.max) return `${v} is out of range ${r.minExclusive ? "(" : "["}${r.min}, ${r.max}]`;
  return undefined;
}

/** The policy for a rule's recommenders, or every problem of their config maps. */
export function policyFor(recommenders: readonly RecommenderRef[]): Result<RecommendPolicy, FieldProblem[]> {
  const o: Mutable = { cpu: {}, memory: {}, replicas: {}, hpa: {}, data: {}, limits: {} };
  const problems: FieldProblem[] = [];
  recommenders.forEach((r, i) => {
    const known = KEYS[r.name];
    for (const [key, text] of Object.entries(r.config)) {
      const field = `spec.recommenders[${i}].config.${key}`;
      const k = known[key];
      if (!k) {
        const hint = suggest(key, Object.keys(known));
        problems.push({
          field,
          message: `unknown setting for ${r.name}${hint ? ` (did you mean "${hint}"?)` : ""}; known: ${Object.keys(known).join(", ")}`,
        });
        continue;
      }
      const p = rangeProblem(text, k.range);
      if (p) problems.push({ field, message: p });
      else k.set(o, Number(text));
    }
  });
  if (problems.length > 0) return err(problems);
  const { limits: _limits, ...sections } = o;
  const policy = withPolicy(sections as Overrides);
  if (policy.hpa.minTargetPercent > policy.hpa.maxTargetPercent)
    return err([
      {
        field: "spec.recommenders.config.min-cpu-target-utilization",
        message: `${policy.hpa.minTargetPercent} is above max-cpu-target-utilization ${policy.hpa.maxTargetPercent}`,
      },
    ]);
  return ok(policy);
}
