/**
 * From the recommenders' result for one workload (core/recommend) to one outcome per Recommendation
 * type, the way a Recommendation shows it:
 *
 * - Replicas: `{"spec":{"replicas":N}}` against the current `spec.replicas`;
 * - Resource: a strategic-merge patch of the pod template's containers (by name) with the recommended
 *   requests (and limits when the policy moves them), against the current ones; containers whose CPU and
 *   memory both abstain are left out; all abstaining is an abstention;
 * - HPA: the autoscaling/v2 HorizontalPodAutoscaler manifest, against the current HPA (or fixed
 *   replicas), with both replays and the verdict in the evidence.
 *
 * Evidence times become RFC 3339 and durations Go-style text; abstain reasons become condition reasons
 * (`too-little-history` -> `TooLittleHistory`).
 */
import { formatDuration } from "../duration.js";
import type {
  Abstention,
  ContainerRecommendation,
  Evidence,
  HpaRecommendation,
  ReplicasRecommendation,
  ResourceRecommendation,
  WorkloadRecommendation,
} from "../recommend/index.js";
import { formatResource } from "../recommend/index.js";
import type { RecommenderOutcome } from "./status.js";
import type { RecommenderType } from "./types.js";

/** `too-little-history` -> `TooLittleHistory`. */
export function conditionReason(reason: string): string {
  return reason
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function abstained(a: Abstention, evidence: Record<string, unknown> = {}): RecommenderOutcome {
  return { kind: "abstained", reason: conditionReason(a.reason), message: a.message, evidence };
}

export function evidenceFields(e: Evidence): Record<string, unknown> {
  return {
    data: e.data,
    samples: e.samples,
    pods: e.pods,
    from: new Date(e.fromMs).toISOString(),
    to: new Date(e.toMs).toISOString(),
    covered: formatDuration(e.coveredMs),
    largestGap: formatDuration(e.largestGapMs),
    method: e.method,
  };
}

function replicasOutcome(r: ReplicasRecommendation): RecommenderOutcome {
  if (r.abstain) return abstained(r);
  return {
    kind: "recommended",
    recommended: String(r.replicas),
    current: String(r.current),
    recommendedInfo: { spec: { replicas: r.replicas } },
    currentInfo: { spec: { replicas: r.current } },
    evidence: {
      ...evidenceFields(r.evidence),
      minOverWindow: r.min,
      maxOverWindow: r.max,
      crane: r.crane,
      ...(r.memoryReplicas !== undefined ? { fromMemory: r.memoryReplicas } : {}),
    },
  };
}

type Resource = "cpu" | "memory";
const RESOURCES: readonly Resource[] = ["cpu", "memory"];

function quantities(
  c: ContainerRecommendation,
  pick: (v: Exclude<ResourceRecommendation, Abstention>, r: Resource) => number | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of RESOURCES) {
    const v = c[r];
    if (v.abstain) continue;
    const n = pick(v, r);
    if (n !== undefined) out[r] = formatResource(r, n);
  }
  return out;
}

function containerPatch(c: ContainerRecommendation, current: boolean): Record<string, unknown> {
  const requests = quantities(c, (v) => (current ? v.currentRequest : v.request));
  const limits = quantities(c, (v) => (current ? v.currentLimit : v.limit));
  return {
    name: c.container,
    resources: {
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
    },
  };
}

function summary(cs: readonly ContainerRecommendation[], current: boolean): string {
  return cs
    .map((c) => {
      const q = quantities(c, (v) => (current ? v.currentRequest : v.request));
      const parts = RESOURCES.map((r) => `${r} ${q[r] ?? "-"}`);
      return `${c.container}: ${parts.join(", ")}`;
    })
    .join("; ");
}

function resourceEvidence(cs: readonly ContainerRecommendation[]): Record<string, unknown> {
  return Object.fromEntries(
    cs.map((c) => [
      c.container,
      Object.fromEntries(
        RESOURCES.map((r) => {
          const v = c[r];
          return [
            r,
            v.abstain
              ? { abstained: conditionReason(v.reason), message: v.message }
              : { ...evidenceFields(v.evidence), crane: formatResource(r, v.crane) },
          ];
        }),
      ),
    ]),
  );
}

function resourceOutcome(cs: readonly ContainerRecommendation[]): RecommenderOutcome {
  const decided = cs.filter((c) => !c.cpu.abstain || !c.memory.abstain);
  if (decided.length === 0) {
    const first = cs.flatMap((c) => [c.cpu, c.memory]).find((v): v is Abstention => v.abstain);
    return first
      ? abstained(first, { containers: resourceEvidence(cs) })
      : {
          kind: "abstained",
          reason: "NoContainers",
          message: "the pod template has no containers",
          evidence: {},
        };
  }
  const patch = (current: boolean) => ({
    spec: { template: { spec: { containers: decided.map((c) => containerPatch(c, current)) } } },
  });
  return {
    kind: "recommended",
    recommended: summary(decided, false),
    current: summary(decided, true),
    recommendedInfo: patch(false),
    currentInfo: patch(true),
    evidence: { containers: resourceEvidence(cs) },
  };
}

function hpaOutcome(h: HpaRecommendation): RecommenderOutcome {
  if (h.abstain) return abstained(h);
  const r = h.recommended;
  return {
    kind: "recommended",
    recommended: `min ${r.minReplicas}, max ${r.maxReplicas}, target ${r.target}`,
    current: h.current.description,
    recommendedInfo: r.object,
    currentInfo: { description: h.current.description },
    evidence: {
      ...evidenceFields(h.evidence),
      verdict: h.verdict,
      replay: { recommended: r.replay, current: h.current.replay },
      ...(h.crane
        ? {
            crane: {
              minReplicas: h.crane.minReplicas,
              maxReplicas: h.crane.maxReplicas,
              target: h.crane.target,
              replay: h.crane.replay,
            },
          }
        : {}),
    },
  };
}

/** One outcome per requested type from the workload's recommendations. */
export function outcomesOf(
  rec: WorkloadRecommendation,
  types: readonly RecommenderType[],
): Map<RecommenderType, RecommenderOutcome> {
  const out = new Map<RecommenderType, RecommenderOutcome>();
  for (const t of types)
    out.set(
      t,
      t === "Replicas"
        ? replicasOutcome(rec.replicas)
        : t === "Resource"
          ? resourceOutcome(rec.containers)
          : hpaOutcome(rec.hpa),
    );
  return out;
}

/** The same failure for every requested type (the data could not be read). */
export function failedOutcomes(
  types: readonly RecommenderType[],
  message: string,
): Map<RecommenderType, RecommenderOutcome> {
  return new Map(types.map((t) => [t, { kind: "failed", message } as const]));
}
