/**
 * One reconcile of one HPA (horizontal.go reconcileAutoscaler), pure.
 */
import type { ControllerConfig, HpaState, ReconcileInput, ReconcileResult } from "./types.js";

/** kube-controller-manager defaults (RecommendedDefaultHPAControllerConfiguration, production factor 2). */
export const DEFAULT_CONTROLLER_CONFIG: Readonly<ControllerConfig> = Object.freeze({
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  initialReadinessDelayMs: 30_000,
  downscaleStabilizationWindowMs: 5 * 60_000,
  syncPeriodMs: 15_000,
  scaleUpLimitFactor: 2,
  scaleUpLimitMinimum: 4,
  configurableTolerance: true,
  podLevelResources: true,
});

/** Controller memory of a freshly (re)started controller: no history. */
export function emptyState(): HpaState {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

/** One reconcile of one HPA at `input.now` (horizontal.go reconcileAutoscaler). */
export function reconcile(input: ReconcileInput): ReconcileResult {
  void input;
  throw new Error("reconcile: being implemented");
}
