import { describe, expect, it } from "vitest";
import type { Evidence, HpaProposal, WorkloadRecommendation } from "../recommend/index.js";
import { conditionReason, failedOutcomes, outcomesOf } from "./outcomes.js";

const EV: Evidence = {
  data: "cpu",
  samples: 10_080,
  pods: 3,
  fromMs: Date.parse("2026-03-01T00:00:00Z"),
  toMs: Date.parse("2026-03-08T00:00:00Z"),
  coveredMs: 7 * 86_400_000,
  largestGapMs: 60_000,
  method: "p95",
};
const EV_OUT = {
  data: "cpu",
  samples: 10_080,
  pods: 3,
  from: "2026-03-01T00:00:00.000Z",
  to: "2026-03-08T00:00:00.000Z",
  covered: "168h0m0s",
  largestGap: "1m0s",
  method: "p95",
};
const REPLAY = { underProvisionedMinutes: 0, podHours: 100, peakReplicas: 6, scaleEvents: 12 };
const PROPOSAL: HpaProposal = {
  minReplicas: 2,
  maxReplicas: 8,
  target: 60,
  behavior: {},
  object: {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    spec: { minReplicas: 2, maxReplicas: 8 },
  },
  replay: REPLAY,
};
const ABSTAIN = { abstain: true, reason: "too-little-history", message: "6h of 24h" } as const;

const REC: WorkloadRecommendation = {
  workload: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
  containers: [
    {
      container: "app",
      cpu: {
        abstain: false,
        request: 250,
        limit: undefined,
        currentRequest: 500,
        currentLimit: undefined,
        crane: 345,
        evidence: EV,
      },
      memory: {
        abstain: false,
        request: 320 * 1_048_576,
        limit: 640 * 1_048_576,
        currentRequest: 512 * 1_048_576,
        currentLimit: 1024 * 1_048_576,
        crane: 400 * 1_048_576,
        evidence: EV,
      },
    },
    { container: "sidecar", cpu: ABSTAIN, memory: ABSTAIN },
  ],
  replicas: {
    abstain: false,
    min: 1,
    replicas: 3,
    max: 5,
    crane: 4,
    memoryReplicas: 2,
    current: 5,
    evidence: EV,
  },
  hpa: {
    abstain: false,
    recommended: PROPOSAL,
    current: { description: "5 fixed replicas (no HPA)", replay: { ...REPLAY, podHours: 168 } },
    verdict: "fewer pod-hours",
    evidence: EV,
  },
};

describe("outcomesOf", () => {
  const out = outcomesOf(REC, ["Replicas", "Resource", "HPA"]);

  it("Replicas: a replicas patch against spec.replicas, Crane's figure in the evidence", () => {
    expect(out.get("Replicas")).toEqual({
      kind: "recommended",
      recommended: "3",
      current: "5",
      recommendedInfo: { spec: { replicas: 3 } },
      currentInfo: { spec: { replicas: 5 } },
      evidence: { ...EV_OUT, minOverWindow: 1, maxOverWindow: 5, crane: 4, fromMemory: 2 },
    });
  });

  it("Resource: a container patch by name for the containers that decided; the abstaining one in the evidence", () => {
    const r = out.get("Resource");
    if (r?.kind !== "recommended") throw new Error(JSON.stringify(r));
    expect(r.recommended).toBe("app: cpu 250m, memory 320Mi");
    expect(r.current).toBe("app: cpu 500m, memory 512Mi");
    expect(r.recommendedInfo).toEqual({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "app",
                resources: { requests: { cpu: "250m", memory: "320Mi" }, limits: { memory: "640Mi" } },
              },
            ],
          },
        },
      },
    });
    expect(r.currentInfo).toEqual({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "app",
                resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "1024Mi" } },
              },
            ],
          },
        },
      },
    });
    expect((r.evidence.containers as Record<string, unknown>).sidecar).toEqual({
      cpu: { abstained: "TooLittleHistory", message: "6h of 24h" },
      memory: { abstained: "TooLittleHistory", message: "6h of 24h" },
    });
    expect((r.evidence.containers as Record<string, { cpu: unknown }>).app!.cpu).toEqual({
      ...EV_OUT,
      crane: "345m",
    });
  });

  it("HPA: the manifest, the current setting, both replays and the verdict", () => {
    expect(out.get("HPA")).toEqual({
      kind: "recommended",
      recommended: "min 2, max 8, target 60",
      current: "5 fixed replicas (no HPA)",
      recommendedInfo: PROPOSAL.object,
      currentInfo: { description: "5 fixed replicas (no HPA)" },
      evidence: {
        ...EV_OUT,
        verdict: "fewer pod-hours",
        replay: { recommended: REPLAY, current: { ...REPLAY, podHours: 168 } },
      },
    });
  });

  it("abstentions become Ready=False reasons with the recommender's message", () => {
    const none: WorkloadRecommendation = {
      ...REC,
      containers: [
        {
          container: "app",
          cpu: ABSTAIN,
          memory: { ...ABSTAIN, reason: "no-samples", message: "no series" },
        },
      ],
      replicas: { abstain: true, reason: "no-requests", message: 'container "app" sets no cpu request' },
      hpa: { abstain: true, reason: "gaps", message: "a 3h gap" },
    };
    const o = outcomesOf(none, ["Replicas", "Resource", "HPA"]);
    expect(o.get("Replicas")).toEqual({
      kind: "abstained",
      reason: "NoRequests",
      message: 'container "app" sets no cpu request',
      evidence: {},
    });
    expect(o.get("Resource")).toMatchObject({
      kind: "abstained",
      reason: "TooLittleHistory",
      message: "6h of 24h",
    });
    expect(o.get("HPA")).toMatchObject({ kind: "abstained", reason: "Gaps" });
  });

  it("only the requested types", () => {
    expect([...outcomesOf(REC, ["HPA"]).keys()]).toEqual(["HPA"]);
    expect(failedOutcomes(["Replicas", "HPA"], "HTTP 503")).toEqual(
      new Map([
        ["Replicas", { kind: "failed", message: "HTTP 503" }],
        ["HPA", { kind: "failed", message: "HTTP 503" }],
      ]),
    );
  });

  it("conditionReason", () => {
    expect(["too-little-history", "no-requests", "gaps", "not-replayable"].map(conditionReason)).toEqual([
      "TooLittleHistory",
      "NoRequests",
      "Gaps",
      "NotReplayable",
    ]);
  });
});
