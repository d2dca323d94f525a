/**
 * Records of a `tidescale up` run for tests of the dashboard and of `plot`: the run's info and a sample
 * with sensible defaults. Reuse these; do not copy them.
 */
import type { UpPod, UpRunInfo, UpSample } from "../../src/core/up/feed.js";

/** The seed's HPA (default/sample-app on http_requests_qps, 1..5 replicas) run locally. */
export function upRunInfo(overrides: Partial<UpRunInfo> = {}): UpRunInfo {
  return {
    mode: "local",
    namespace: "default",
    hpaName: "sample-app",
    metricName: "http_requests_qps",
    minReplicas: 1,
    maxReplicas: 5,
    prometheusUrl: "http://127.0.0.1:9090",
    adapterUrl: "https://127.0.0.1:6443",
    startedAt: 0,
    ...overrides,
  };
}

/** A sample at `t` (Unix ms) whose replica counts follow `pods` (ready = the Ready ones). */
export function upSample(t: number, pods: UpPod[], overrides: Partial<UpSample> = {}): UpSample {
  return {
    kind: "sample",
    t,
    offeredRps: 10,
    servedRps: 10,
    errors: 0,
    desiredReplicas: pods.length,
    currentReplicas: pods.length,
    readyReplicas: pods.filter((p) => p.phase === "Ready").length,
    target: 60,
    pods,
    ...overrides,
  };
}

/** Pod `i` of the sample app: sample-app-i on 127.0.1.i. */
export function upPod(i: number, phase: UpPod["phase"], metric?: number): UpPod {
  return { name: `sample-app-${i}`, ip: `127.0.1.${i}`, phase, ...(metric === undefined ? {} : { metric }) };
}
