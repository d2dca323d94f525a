/**
 * The load and the autoscaler of `tidescale up` by default: the seed scenario (a quiet baseline, then a
 * one-minute burst of 240 req/s) and the seed's HPA, with a 60 s scale-down stabilization window instead
 * of the default 5 min so the whole story (1 -> 2 -> 4 -> 5 -> back to 1) fits in about three minutes.
 */
import { invalidInput } from "../errors.js";
import { defaultScaleDownPolicies, defaultScaleUpPolicies } from "../hpa/behavior.js";
import { type HpaObject, parseHpa } from "../hpa/index.js";
import { tryParseQuantity } from "../quantity/quantity.js";

/** One phase of the load: a constant rate for a duration, or, for the cool-down, until the HPA is back at min. */
export interface LoadPhase {
  name: "warm-up" | "burst" | "cool-down";
  rps: number;
  /** For the cool-down: the longest it may last before the run ends anyway. */
  durationMs: number;
  untilMinReplicas: boolean;
}

export const BASELINE_RPS = 5;
export const DEFAULT_BURST_RPS = 240;
export const DEFAULT_BURST_MS = 60_000;
export const WARM_UP_MS = 15_000;
/** Upper bound on the cool-down (the metric window plus the stabilization window need about 2 min). */
export const COOL_DOWN_MAX_MS = 6 * 60_000;

/** warm-up (baseline) -> burst (`rps` for `durationMs`) -> cool-down (baseline until the HPA is at min). */
export function loadPhases(burstRps: number, burstMs: number): LoadPhase[] {
  return [
    { name: "warm-up", rps: BASELINE_RPS, durationMs: WARM_UP_MS, untilMinReplicas: false },
    { name: "burst", rps: burstRps, durationMs: burstMs, untilMinReplicas: false },
    { name: "cool-down", rps: BASELINE_RPS, durationMs: COOL_DOWN_MAX_MS, untilMinReplicas: true },
  ];
}

/** The HPA's identity and the labels of its pods. */
export interface UpHpaNames {
  name: string;
  namespace: string;
  /** The Deployment the HPA scales (and the pods' `app` label). */
  app: string;
  metric: string;
}

/** The seed's HPA (examples/seed-qps.yaml) with `scaleDownWindowSeconds` as the scale-down window. */
export function defaultHpa(names: UpHpaNames, scaleDownWindowSeconds: number): HpaObject {
  return parseHpa(
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: names.name, namespace: names.namespace },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names.app },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          {
            type: "Pods",
            pods: { metric: { name: names.metric }, target: { type: "AverageValue", averageValue: "50" } },
          },
        ],
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: defaultScaleUpPolicies(),
          },
          scaleDown: {
            stabilizationWindowSeconds: scaleDownWindowSeconds,
            selectPolicy: "Max",
            policies: defaultScaleDownPolicies(),
          },
        },
      },
    },
    "hpa",
  );
}

/** The Pods metric's target in plain units (AverageValue 50 -> 50), for the dashboard's target line. */
export function podsTarget(hpa: HpaObject): number {
  for (const m of hpa.spec.metrics) {
    if (m.type !== "Pods" || m.pods.target.averageValue === undefined) continue;
    const q = tryParseQuantity(m.pods.target.averageValue);
    if (q.ok) return q.value.toNumber();
  }
  return Number.NaN;
}

/**
 * Checks that every target of a `--targets` file goes to the local Service (`origin`, e.g.
 * `http://127.0.0.1:8080`): `up` only sends load through its Service. Throws naming the target.
 */
export function checkServiceTargets(urls: readonly string[], origin: string, source: string): void {
  urls.forEach((url, i) => {
    if (new URL(url).origin !== origin)
      throw invalidInput(
        `${source}: target ${i + 1}`,
        `${url} does not go to the local Service ${origin} (give --service-port to match the file, or fix the URL)`,
      );
  });
}
