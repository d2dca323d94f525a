/**
 * What `tidescale up` prints while it runs: `kubectl get hpa -w` rows (a header, then a row whenever a
 * column other than AGE changes) and `kubectl get events -w`-style event lines. Columns have fixed widths
 * so lines printed one at a time stay aligned.
 */
import { humanDuration } from "../sim/kubectl-format.js";
import type { UpEvent } from "./feed.js";

export interface HpaRow {
  name: string;
  reference: string;
  targets: string;
  minPods: number;
  maxPods: number;
  replicas: number;
  /** Age of the HPA in ms. */
  ageMs: number;
}

const pad = (cells: readonly string[], widths: readonly number[]): string =>
  cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(Math.max(widths[i] ?? 0, c.length + 1))))
    .join("")
    .trimEnd();

/** Column widths for the HPA rows: kubectl's minimum of 10, 3 spaces of padding, room for the targets. */
function hpaWidths(name: string, reference: string): number[] {
  return [Math.max(10, name.length + 3), Math.max(10, reference.length + 3), 22, 10, 10, 11, 0];
}

export function hpaHeader(name: string, reference: string): string {
  return pad(
    ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
    hpaWidths(name, reference),
  );
}

export function hpaLine(r: HpaRow): string {
  return pad(
    [
      r.name,
      r.reference,
      r.targets,
      String(r.minPods),
      String(r.maxPods),
      String(r.replicas),
      humanDuration(r.ageMs),
    ],
    hpaWidths(r.name, r.reference),
  );
}

/** True when `b` differs from `a` in a column other than AGE (kubectl -w prints a row then). */
export function hpaRowChanged(a: HpaRow | undefined, b: HpaRow): boolean {
  return a === undefined || a.targets !== b.targets || a.replicas !== b.replicas;
}

const EVENT_WIDTHS = [9, 30, 22, 0];

/** One event line under the HPA rows (indented, `kubectl get events` columns without LAST SEEN). */
export function eventLine(e: UpEvent): string {
  return `  ${pad([e.type, e.reason, e.object, e.message], EVENT_WIDTHS)}`;
}
