/**
 * Cron floors of an EHPA. A cron is active at time t when, in its timezone, the next `end` occurs no later
 * than the next `start` (t lies between a start and its end). The cron metric is the largest
 * `targetReplicas` among active crons, else the EHPA's minReplicas; with target AverageValue 1 the HPA
 * desires exactly that many replicas, and because the HPA takes the maximum over its metrics a cron acts
 * as a floor under the other metrics.
 *
 * Expressions are the standard 5-field crontab (minute hour day-of-month month day-of-week, names such as
 * MON or JAN allowed, `?` = `*`); day-of-month and day-of-week both restricted means either matches
 * (Vixie cron). Extensions some parsers accept (seconds field, L, W, #, H, @descriptors) are refused so
 * every accepted expression means the same everywhere. The timezone defaults to UTC and must be an IANA
 * name known to Intl. Next occurrences come from `cron-parser` (strictly after t).
 */
import { CronExpressionParser } from "cron-parser";
import { err, ok, type Result } from "../errors.js";
import type { CronSpec } from "./types.js";

/** Zone used when `timezone` is omitted. */
export const DEFAULT_CRON_TIMEZONE = "UTC";

const ATOM = String.raw`(?:\*|\?|\d+|[A-Za-z]{3})`;
const RANGE = String.raw`${ATOM}(?:-(?:\d+|[A-Za-z]{3}))?(?:\/\d+)?`;
const FIELD = new RegExp(`^${RANGE}(?:,${RANGE})*$`);
const FIELD_NAMES = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const;

/** Checks an IANA timezone name with Intl; returns a message when it is not one. */
export function timezoneProblem(zone: string): string | undefined {
  if (zone === "Local") return 'use an IANA zone name such as "Europe/Berlin" ("Local" depends on the host)';
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return undefined;
  } catch {
    return `unknown timezone "${zone}" (use an IANA zone name such as "Europe/Berlin" or "UTC")`;
  }
}

/** Checks a 5-field crontab expression; returns a message naming the bad field, or undefined. */
export function cronExpressionProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (expr.trim() === "" || fields.length !== 5)
    return `must have 5 fields (minute hour day-of-month month day-of-week), got ${expr.trim() === "" ? 0 : fields.length}`;
  for (let i = 0; i < 5; i++) {
    if (!FIELD.test(fields[i]!))
      return `${FIELD_NAMES[i]} field "${fields[i]}" is not a crontab field (digits, names, * ? , - /)`;
  }
  try {
    CronExpressionParser.parse(fields.join(" "), { tz: "UTC", currentDate: new Date(0) });
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** Unix seconds of the first occurrence of `expr` strictly after `nowSec` in `zone`. */
export function nextOccurrence(expr: string, zone: string, nowSec: number): number {
  const it = CronExpressionParser.parse(expr.trim().split(/\s+/).join(" "), {
    tz: zone,
    currentDate: new Date(nowSec * 1000),
  });
  return Math.floor(it.next().getTime() / 1000);
}

/** Why a cron entry is invalid, per field (`start`, `end`, `timezone`), or the entry is fine. */
export function cronProblems(cron: CronSpec): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const s = cronExpressionProblem(cron.start);
  if (s) out.push({ field: "start", message: s });
  const e = cronExpressionProblem(cron.end);
  if (e) out.push({ field: "end", message: e });
  if (!s && !e && cron.start.trim().split(/\s+/).join(" ") === cron.end.trim().split(/\s+/).join(" "))
    out.push({ field: "end", message: "must differ from start" });
  if (cron.timezone !== undefined) {
    const z = timezoneProblem(cron.timezone);
    if (z) out.push({ field: "timezone", message: z });
  }
  return out;
}

/** Whether `cron` (already validated) is active at `nowSec`. */
export function isCronActive(cron: CronSpec, nowSec: number): boolean {
  const zone = cron.timezone ?? DEFAULT_CRON_TIMEZONE;
  return nextOccurrence(cron.end, zone, nowSec) <= nextOccurrence(cron.start, zone, nowSec);
}

/** The cron metric value at `nowSec` and the crons that are active. */
export interface CronValue {
  replicas: number;
  active: string[];
}

/** Largest targetReplicas among active crons, else minReplicas (crons already validated). */
export function cronMetricValue(crons: readonly CronSpec[], minReplicas: number, nowSec: number): CronValue {
  let replicas: number | undefined;
  const active: string[] = [];
  for (const c of crons) {
    if (!isCronActive(c, nowSec)) continue;
    active.push(c.name);
    replicas = replicas === undefined ? c.targetReplicas : Math.max(replicas, c.targetReplicas);
  }
  return { replicas: replicas ?? minReplicas, active };
}

/** Validates then evaluates; an invalid entry is an error naming `crons[i].<field>`. */
export function tryCronMetricValue(
  crons: readonly CronSpec[],
  minReplicas: number,
  nowSec: number,
): Result<CronValue, { field: string; message: string }> {
  for (const [i, c] of crons.entries()) {
    const p = cronProblems(c)[0];
    if (p) return err({ field: `spec.crons[${i}].${p.field}`, message: p.message });
  }
  return ok(cronMetricValue(crons, minReplicas, nowSec));
}
