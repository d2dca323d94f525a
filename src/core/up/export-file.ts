/**
 * Reading a `tidescale up` export (what the dashboard's /export and `up --export` write) back, for
 * `tidescale plot`: recognising one from the first bytes of a file, and validating the whole document
 * with errors that name the field (`run.json: records[12].servedRps`). Fields added by later versions of
 * the same apiVersion are ignored.
 */
import { z } from "zod";
import { invalidInput } from "../errors.js";
import { parseWith } from "../validation.js";
import type { UpExport } from "./feed.js";

export const UP_API_VERSION = "tidescale.dev/up/v1";

/**
 * True when `head` (the first bytes of a file) starts a JSON object whose `apiVersion` is an up export's
 * (any version, so a newer one gets a clear error rather than a results-file parse error). Inside a JSON
 * string every quote is escaped, so the match cannot come from a string value.
 */
export function looksLikeUpExport(head: string): boolean {
  return /^\s*\{/.test(head) && /[{,]\s*"apiVersion"\s*:\s*"tidescale\.dev\/up\//.test(head);
}

const count = z.number().int().nonnegative();
const finite = z.number();
const time = z.number().int();

const podSchema = z.object({
  name: z.string().min(1),
  ip: z.string(),
  phase: z.enum(["Starting", "Ready", "Draining"]),
  metric: finite.optional(),
});

const sampleSchema = z.object({
  kind: z.literal("sample"),
  t: time,
  offeredRps: finite.nonnegative(),
  servedRps: finite.nonnegative(),
  errors: finite.nonnegative(),
  latencyP50Ms: finite.nonnegative().optional(),
  latencyP99Ms: finite.nonnegative().optional(),
  desiredReplicas: count,
  currentReplicas: count,
  readyReplicas: count,
  target: finite,
  pods: z.array(podSchema),
});

const eventSchema = z.object({
  kind: z.literal("event"),
  t: time,
  type: z.enum(["Normal", "Warning"]),
  reason: z.string(),
  object: z.string(),
  message: z.string(),
});

const exportSchema = z.object({
  apiVersion: z.literal(UP_API_VERSION),
  info: z.object({
    mode: z.enum(["local", "control-plane"]),
    namespace: z.string(),
    hpaName: z.string(),
    metricName: z.string(),
    minReplicas: count,
    maxReplicas: count,
    prometheusUrl: z.string(),
    adapterUrl: z.string(),
    startedAt: time,
  }),
  records: z.array(z.discriminatedUnion("kind", [sampleSchema, eventSchema])),
});

/** Parses and validates an export; `where` (the file name) prefixes every error. */
export function parseUpExport(text: string, where: string): UpExport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidInput(where, `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const version = (value as { apiVersion?: unknown } | null)?.apiVersion;
  if (version !== UP_API_VERSION) {
    throw invalidInput(
      `${where}: apiVersion`,
      `unsupported ${JSON.stringify(version)}, this version of tidescale reads ${UP_API_VERSION}`,
    );
  }
  const run = parseWith(exportSchema, value, where) as UpExport;
  run.records.forEach((r, i) => {
    const before = run.records[i - 1];
    if (before !== undefined && r.t < before.t) {
      throw invalidInput(
        `${where}: records[${i}].t`,
        `${r.t} is earlier than the record before it (${before.t})`,
      );
    }
  });
  return run;
}
