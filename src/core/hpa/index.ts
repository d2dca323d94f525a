/**
 * The exact autoscaling/v2 HorizontalPodAutoscaler engine (kube-controller-manager
 * `pkg/controller/podautoscaler`), as pure functions.
 *
 * - `parseHpa(obj, where)`: validate and API-default an HPA object (errors name the field path).
 * - `reconcile(input)`: one reconcile of one HPA at instant `input.now`; returns the decision, conditions,
 *   events, status and the next controller memory.
 * - `emptyState()`, `DEFAULT_CONTROLLER_CONFIG`: starting points for loops such as the simulator.
 * - `parseSnapshot(doc, where)`: a `tidescale hpa explain` snapshot (docs/hpa-explain.md) as a ReconcileInput.
 *
 * Re-exports: the reconcile entry points, the snapshot parser, the HPA parser and every public type.
 */
export { DEFAULT_CONTROLLER_CONFIG, emptyState, reconcile } from "./reconcile.js";
export { parseSnapshot } from "./snapshot.js";
export { type ParseHpaOptions, parseHpa } from "./spec.js";
export type * from "./types.js";
