/**
 * "Does the object in the cluster already say what we want?" for controllers that must not rewrite an
 * unchanged spec (every write bumps resourceVersion and wakes every watcher).
 *
 * The apiserver adds defaults (an HPA's behavior policies, a CRD schema's defaults) and canonicalises
 * quantities ("0.5" is stored as "500m"), so byte equality would report drift forever. `covers` asks
 * instead whether every field we set is present with the same meaning:
 * - objects: every key of `desired` is covered in `actual`; keys only in `actual` are defaults, ignored;
 * - arrays: same length, element by element (an extra or a missing list entry is drift);
 * - strings: equal, or both Kubernetes quantities with the same value;
 * - numbers, booleans, null: equal.
 * A key whose desired value is `undefined` is ignored (it was not set).
 */
import { tryParseQuantity } from "../quantity/quantity.js";

/** True when `actual` already holds every field of `desired` (see the module comment). */
export function covers(desired: unknown, actual: unknown): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual) || actual.length !== desired.length) return false;
    return desired.every((d, i) => covers(d, actual[i]));
  }
  if (desired !== null && typeof desired === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => covers(v, a[k]));
  }
  if (typeof desired === "string" && typeof actual === "string") {
    return desired === actual || sameQuantity(desired, actual);
  }
  return desired === actual;
}

/** Both texts are quantities ("1", "1000m", "1k") with the same value. */
function sameQuantity(a: string, b: string): boolean {
  // Only number-led texts can be quantities; names and enums never reach the parser.
  if (!/^[+-]?[0-9.]/.test(a) || !/^[+-]?[0-9.]/.test(b)) return false;
  const qa = tryParseQuantity(a);
  const qb = tryParseQuantity(b);
  return qa.ok && qb.ok && qa.value.equals(qb.value);
}

/**
 * Paths (dotted, with `[i]` for list entries) where `actual` does not cover `desired`, for logs and
 * events ("spec.metrics[1].external.target.averageValue"). Empty when `covers` holds.
 */
export function driftPaths(desired: unknown, actual: unknown, path = ""): string[] {
  if (covers(desired, actual)) return [];
  if (Array.isArray(desired) && Array.isArray(actual) && actual.length === desired.length) {
    return desired.flatMap((d, i) => driftPaths(d, actual[i], `${path}[${i}]`));
  }
  if (
    desired !== null &&
    typeof desired === "object" &&
    !Array.isArray(desired) &&
    actual !== null &&
    typeof actual === "object" &&
    !Array.isArray(actual)
  ) {
    const a = actual as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).flatMap(([k, v]) =>
      driftPaths(v, a[k], path ? `${path}.${k}` : k),
    );
  }
  return [path || "(root)"];
}
