/**
 * The exact autoscaling/v2 HorizontalPodAutoscaler engine (kube-controller-manager
 * `pkg/controller/podautoscaler`), as pure functions.
 *
 * - `parseHpa(obj, where)`: validate and API-default an HPA object (errors name the field path).
 * - `reconcile(input)`: one reconcile of one HPA at instant `input.now`; returns the decision, conditions,
 *   events, status and the next controller memory.
 * - `emptyState()`, `DEFAULT_CONTROLLER_CONFIG`: starting points for loops such as the simulator.
 */
export { DEFAULT_CONTROLLER_CONFIG, emptyState, reconcile } from "./reconcile.js";
export { parseHpa } from "./spec.js";
export type * from "./types.js";
