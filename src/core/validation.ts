/**
 * Turns zod validation failures into our one-line errors that name the field path, with a
 * "did you mean" suggestion for unknown keys. Pure: schemas and values come in, strings go out.
 */
import type { z } from "zod";
import { invalidInput, type ToolkitError } from "./errors.js";

/** Formats a path like `["spec","metrics",1,"pods"]` as `spec.metrics[1].pods`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate to `word`, if one is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Known keys of the object schema at `path` inside `schema`, when it can be found (for suggestions). */
function knownKeysAt(schema: z.ZodType, value: unknown, path: ReadonlyArray<PropertyKey>): string[] {
  // Walk the value to find the object holding the unknown key, then ask the schema for its shape.
  let s: unknown = schema;
  for (const part of path) {
    s = unwrap(s);
    const def = (s as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } }).def;
    if (def?.type === "object" && typeof part === "string") s = def.shape?.[part];
    else if (def?.type === "array") s = def.element;
    else return [];
    value = (value as Record<PropertyKey, unknown> | undefined)?.[part];
  }
  s = unwrap(s);
  const def = (s as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(s: unknown): unknown {
  for (let i = 0; i < 10; i++) {
    const def = (s as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined)?.def;
    if (!def) return s;
    if (
      def.type === "optional" ||
      def.type === "nullable" ||
      def.type === "default" ||
      def.type === "readonly"
    )
      s = def.innerType;
    else if (def.type === "pipe") s = def.in;
    else return s;
  }
  return s;
}

/**
 * Validates `value` against `schema`. On failure throws a ToolkitError (INVALID_INPUT) whose `where` is
 * `<prefix>` joined with the first failing field path, e.g. `seed.yaml: spec.metrics[1].type`.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ""): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw issueToError(schema, value, r.error.issues[0]!, prefix);
}

function issueToError(
  schema: z.ZodType,
  value: unknown,
  issue: z.core.$ZodIssue,
  prefix: string,
): ToolkitError {
  const join = (p: string) => (prefix && p ? `${prefix}: ${p}` : prefix || p || "(root)");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const path = formatPath([...issue.path, key]);
    const hint = suggest(key, knownKeysAt(schema, value, issue.path));
    return invalidInput(join(path), `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}`);
  }
  let message = issue.message;
  if (issue.code === "invalid_type" && /received undefined/.test(message))
    message = "required field is missing";
  return invalidInput(join(formatPath(issue.path)), message);
}
