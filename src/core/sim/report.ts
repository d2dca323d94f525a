/**
 * Everything the simulator prints: the `kubectl get hpa -w` table, the events in `kubectl get events`
 * style, the summary, and the CSV and JSON timelines. Pure: a run in, strings and plain objects out.
 */
import { civilFromDays } from "../civil-date.js";
import type { MetricSpec, MetricStatus, MetricValueStatus } from "../hpa/index.js";
import { Quantity, tryParseQuantity } from "../quantity/quantity.js";
import { compactDuration } from "./chart-svg.js";
import { formatTable, humanDuration } from "./kubectl-format.js";
import type { LoadComponent } from "./load.js";
import type { SimulationRun, SimulationSummary } from "./simulate.js";
import { currentOf, isUtilization, type StepRecord, type Timeline } from "./timeline.js";

/** Canonical printing of a target quantity, as the API server stores it and kubectl shows it. */
function canonicalQuantity(text: string | undefined): string {
  if (text === undefined) return "<unset>";
  const q = tryParseQuantity(text);
  return q.ok ? q.value.canonical() : text;
}

/**
 * The TARGETS column of `kubectl get hpa` (kubectl's `formatHPAMetrics`): per metric `current/target`,
 * `<unknown>` before a value exists, `%` for utilization, `(avg)` for per-pod Object/External targets,
 * the resource name before Resource/ContainerResource entries (`cpu: 41%/50%`), at most two entries and
 * then `+ N more...`.
 */
export function formatTargets(
  specs: readonly MetricSpec[],
  statuses: readonly MetricStatus[] | undefined,
): string {
  return formatTargetsWith(specs, (i) => currentOf(specs[i]!, statuses?.[i]));
}

/** {@link formatTargets} with the current values given per metric index. */
export function formatTargetsWith(
  specs: readonly MetricSpec[],
  currentAt: (i: number) => MetricValueStatus | undefined,
): string {
  if (specs.length === 0) return "<none>";
  const list: string[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const cur = currentAt(i);
    switch (spec.type) {
      case "External":
      case "Object": {
        const src = spec.type === "External" ? spec.external : spec.object;
        if (src.target.averageValue !== undefined) {
          list.push(
            `${cur?.averageValue ?? "<unknown>"}/${canonicalQuantity(src.target.averageValue)} (avg)`,
          );
        } else {
          list.push(`${cur?.value ?? "<unknown>"}/${canonicalQuantity(src.target.value)}`);
        }
        break;
      }
      case "Pods":
        list.push(`${cur?.averageValue ?? "<unknown>"}/${canonicalQuantity(spec.pods.target.averageValue)}`);
        break;
      case "Resource":
      case "ContainerResource": {
        const src = spec.type === "Resource" ? spec.resource : spec.containerResource;
        if (src.target.averageValue !== undefined) {
          list.push(
            `${src.name}: ${cur?.averageValue ?? "<unknown>"}/${canonicalQuantity(src.target.averageValue)}`,
          );
        } else {
          const current = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : "<unknown>";
          const target =
            src.target.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : "<auto>";
          list.push(`${src.name}: ${current}/${target}`);
        }
        break;
      }
      default:
        list.push("<unknown type>");
    }
  }
  if (list.length > 2) return `${list.slice(0, 2).join(", ")} + ${list.length - 2} more...`;
  return list.join(", ");
}

/** The TARGETS column for row `k` of a timeline (quantities printed as the status prints them). */
export function targetsAt(specs: readonly MetricSpec[], timeline: Timeline, k: number): string {
  return formatTargetsWith(specs, currentsAt(specs, timeline, k));
}

/** Per metric index, the `current` status block of row `k`, rebuilt from the timeline's columns. */
export function currentsAt(
  specs: readonly MetricSpec[],
  timeline: Timeline,
  k: number,
): (i: number) => MetricValueStatus | undefined {
  return (i) => {
    const v = timeline.rawValue(k, i);
    if (Number.isNaN(v)) return undefined;
    if (isUtilization(specs[i]!)) return { averageUtilization: v };
    const text = milliText(v);
    return { averageValue: text, value: text };
  };
}

const milliTexts = new Map<number, string>();

/** `NewMilliQuantity(v, DecimalSI).String()`, memoized. */
function milliText(v: number): string {
  let t = milliTexts.get(v);
  if (t === undefined) {
    if (milliTexts.size > 10_000) milliTexts.clear();
    t = Quantity.fromMilli(v).toString();
    milliTexts.set(v, t);
  }
  return t;
}

/** One printed line of the watch table, with the simulated time it was printed at. */
export interface WatchRow {
  readonly tMs: number;
  readonly targets: string;
  readonly minPods: number;
  readonly maxPods: number;
  /** `status.currentReplicas` (0 before the first reconcile, as for a freshly created HPA). */
  readonly replicas: number;
}

/**
 * The rows `kubectl get hpa -w` would print, started right after `kubectl apply`: the new HPA
 * (`<unknown>` targets, 0 replicas), then a row after each reconcile that changed any column but AGE.
 * REPLICAS is `status.currentReplicas`, the count the reconcile read, so it trails a rescale by one sync.
 */
export function watchRows(run: SimulationRun): WatchRow[] {
  const spec = run.hpa.spec;
  const rows: WatchRow[] = [
    {
      tMs: 0,
      targets: formatTargets(spec.metrics, undefined),
      minPods: spec.minReplicas,
      maxPods: spec.maxReplicas,
      replicas: 0,
    },
  ];
  const tl = run.timeline;
  const n = spec.metrics.length;
  let prevK = -1;
  let prevReplicas = 0;
  for (let k = 0; k < tl.length; k++) {
    let changed = prevK < 0 || tl.currentReplicas[k] !== prevReplicas;
    for (let i = 0; i < n && !changed; i++) {
      const a = tl.rawValue(k, i);
      const b = tl.rawValue(prevK, i);
      changed = !(a === b || (Number.isNaN(a) && Number.isNaN(b)));
    }
    if (!changed) continue;
    rows.push({
      tMs: tl.tMs[k]!,
      targets: targetsAt(spec.metrics, tl, k),
      minPods: spec.minReplicas,
      maxPods: spec.maxReplicas,
      replicas: tl.currentReplicas[k]!,
    });
    prevK = k;
    prevReplicas = tl.currentReplicas[k]!;
  }
  return rows;
}

/** `Kind/name` of the scale target, as the REFERENCE column prints it. */
export function referenceOf(run: SimulationRun): string {
  const ref = run.hpa.spec.scaleTargetRef;
  return `${ref.kind}/${ref.name}`;
}

/**
 * Renders watch rows as kubectl's aligned table. With `maxRows`, long tables keep the first and last rows
 * and say how many were left out.
 */
export function renderWatchTable(run: SimulationRun, rows: readonly WatchRow[], maxRows?: number): string {
  const name = run.hpa.metadata.name;
  const ref = referenceOf(run);
  const cells = (r: WatchRow) => [
    name,
    ref,
    r.targets,
    String(r.minPods),
    String(r.maxPods),
    String(r.replicas),
    humanDuration(r.tMs),
  ];
  const header = ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"];
  if (maxRows === undefined || rows.length <= maxRows) return formatTable([header, ...rows.map(cells)]);
  const head = Math.ceil(maxRows / 2);
  const tail = maxRows - head;
  const table = formatTable([
    header,
    ...rows.slice(0, head).map(cells),
    ...rows.slice(rows.length - tail).map(cells),
  ]);
  const lines = table.split("\n");
  lines.splice(
    head + 1,
    0,
    `... ${rows.length - maxRows} more rows (write them all with --csv/--json or --all-rows)`,
  );
  return lines.join("\n");
}

/**
 * The events in `kubectl get events` style. LAST SEEN is replaced by AT, the simulated time of the event
 * in Go duration form (`21m15s`), so that events a sync period apart stay distinguishable.
 */
export function renderEventsTable(run: SimulationRun): string {
  if (run.events.length === 0) return "No events: the HPA never rescaled.\n";
  const object = `horizontalpodautoscaler/${run.hpa.metadata.name}`;
  return formatTable([
    ["AT", "TYPE", "REASON", "OBJECT", "MESSAGE"],
    ...run.events.map((e) => [goDuration(e.tMs), e.type, e.reason, object, e.message]),
  ]);
}

/** Numbers printed in the summary, in stable order (the JSON summary uses the same keys). */
export function renderSummary(run: SimulationRun): string {
  const s = run.summary;
  const fmt = (v: number, digits: number) => (Number.isInteger(v) ? String(v) : v.toFixed(digits));
  const lines: [string, string][] = [
    [
      "simulated",
      `${goDuration(s.durationMs)} (${s.reconciles} reconciles, one every ${goDuration(run.syncPeriodMs)})`,
    ],
    ["pod-hours", fmt(s.podHours, 2)],
  ];
  if (s.underProvisionedMinutes === undefined) {
    lines.push(["under-provisioned", "n/a (set spec.workload.capacityPerPod)"]);
  } else {
    const pct = s.offeredTotal > 0 ? ((s.unservedTotal ?? 0) / s.offeredTotal) * 100 : 0;
    lines.push(
      [
        "under-provisioned",
        `${fmt(s.underProvisionedMinutes, 2)} min with load above the ready pods' capacity`,
      ],
      [
        "unserved load",
        `${fmt(s.unservedTotal ?? 0, 0)} of ${fmt(s.offeredTotal, 0)} (load x seconds, e.g. requests; ${pct.toFixed(2)}%)`,
      ],
    );
  }
  lines.push(
    ["peak replicas", `${s.peakReplicas} (lowest ${s.minReplicasSeen})`],
    ["scale events", `${s.scaleEvents} (${s.scaleUps} up, ${s.scaleDowns} down)`],
  );
  if (s.warnings > 0) lines.push(["warnings", String(s.warnings)]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join("\n") + "\n";
}

/** Column names of the CSV timeline (per-metric columns are appended as `m<i>_value`, `m<i>_proposal`). */
export const TIMELINE_COLUMNS = [
  "time",
  "t_seconds",
  "load",
  "served",
  "capacity",
  "ready_pods",
  "pods",
  "current_replicas",
  "desired_replicas",
  "replicas",
  "targets",
  "conditions",
  "event",
] as const;

/**
 * The CSV timeline, one row per reconcile. `time` is RFC 3339 when the scenario sets `spec.start`,
 * else the offset in Go duration form; `capacity` is empty without a capacity model; per metric the
 * current value (percent for Utilization) and the replica proposal follow.
 */
export function timelineCsv(run: SimulationRun): string {
  const nm = run.hpa.spec.metrics.length;
  const header: string[] = [...TIMELINE_COLUMNS];
  for (let i = 0; i < nm; i++) header.push(`m${i}_value`, `m${i}_proposal`);
  const events = eventsByTime(run);
  const out: string[] = [header.join(",")];
  const steps = run.steps;
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    const cells = [
      timeText(run, s.tMs),
      String(s.tMs / 1000),
      num(s.load),
      num(s.served),
      Number.isFinite(s.capacity) ? num(s.capacity) : "",
      String(s.readyPods),
      String(s.pods),
      String(s.currentReplicas),
      String(s.desiredReplicas),
      String(s.replicas),
      csvCell(targetsAt(run.hpa.spec.metrics, run.timeline, k)),
      csvCell(s.conditions),
      csvCell(events.get(s.tMs) ?? ""),
    ];
    for (let i = 0; i < nm; i++) {
      const v = s.values[i];
      const p = s.proposals[i];
      cells.push(v === undefined ? "" : num(v), p === undefined ? "" : String(p));
    }
    out.push(cells.join(","));
  }
  return `${out.join("\n")}\n`;
}

/** Version tag of the JSON document (`-o json`, `--json`); bump on incompatible changes. */
export const SIMULATION_JSON_VERSION = "tidescale.simulation/v1";

/**
 * The JSON document of a run (documented in docs/simulate.md). `extra` keys (e.g. the predictive
 * comparison) come after the run's own keys, before `timeline`.
 */
export function simulationJson(
  run: SimulationRun,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...simulationJsonHead(run, extra), timeline: run.steps.map(timelineEntry) };
}

/** The `summary` block of the JSON document (undefined totals as null). */
export function summaryJson(s: SimulationSummary): Record<string, unknown> {
  return {
    ...s,
    underProvisionedMinutes: s.underProvisionedMinutes ?? null,
    unservedTotal: s.unservedTotal ?? null,
  };
}

/** {@link simulationJson} without its `timeline` (the last key). */
function simulationJsonHead(run: SimulationRun, extra: Record<string, unknown>): Record<string, unknown> {
  const spec = run.hpa.spec;
  return {
    version: SIMULATION_JSON_VERSION,
    name: run.name,
    hpa: { name: run.hpa.metadata.name, namespace: run.hpa.metadata.namespace, reference: referenceOf(run) },
    start: run.startEpochMs === 0 ? null : isoTime(run.startEpochMs),
    syncPeriodSeconds: run.syncPeriodMs / 1000,
    durationSeconds: run.durationMs / 1000,
    startReplicas: run.startReplicas,
    capacityPerPod: Number.isFinite(run.capacityPerPod) ? run.capacityPerPod : null,
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    metrics: spec.metrics.map((m, i) => ({ index: i, type: m.type, name: metricLabel(m) })),
    summary: summaryJson(run.summary),
    underProvisioned: run.underProvisioned.map(([a, b]) => ({ fromSeconds: a / 1000, toSeconds: b / 1000 })),
    events: run.events.map((e) => ({
      tSeconds: e.tMs / 1000,
      type: e.type,
      reason: e.reason,
      message: e.message,
    })),
    watch: watchRows(run).map((r) => ({
      tSeconds: r.tMs / 1000,
      targets: r.targets,
      minPods: r.minPods,
      maxPods: r.maxPods,
      replicas: r.replicas,
    })),
    ...extra,
  };
}

/** One `timeline[]` entry of the JSON document. */
function timelineEntry(s: StepRecord): Record<string, unknown> {
  return {
    tSeconds: s.tMs / 1000,
    load: round(s.load),
    served: round(s.served),
    capacity: Number.isFinite(s.capacity) ? round(s.capacity) : null,
    readyPods: s.readyPods,
    pods: s.pods,
    currentReplicas: s.currentReplicas,
    desiredReplicas: s.desiredReplicas,
    replicas: s.replicas,
    metrics: s.values.map((v, i) => ({
      value: v === undefined ? null : round(v),
      proposal: s.proposals[i] ?? null,
    })),
    conditions: s.conditions,
  };
}

/**
 * `JSON.stringify(simulationJson(run), null, 2)` in pieces, for runs whose document is larger than one
 * JavaScript string can hold (a year at 15 s is about 2.1 million timeline entries): the top-level arrays
 * are emitted element by element and the timeline is built one step at a time from the columnar record.
 * Concatenated, the pieces are exactly that string.
 */
export function* simulationJsonChunks(
  run: SimulationRun,
  extra: Record<string, unknown> = {},
): Generator<string> {
  const doc = simulationJsonHead(run, extra);
  yield "{";
  let first = true;
  for (const [key, value] of Object.entries(doc)) {
    yield `${first ? "" : ","}\n  ${JSON.stringify(key)}: `;
    first = false;
    if (Array.isArray(value)) yield* arrayChunks(value.length, (i) => value[i]);
    else yield indentJson(value, "  ");
  }
  const tl = run.timeline;
  yield `${first ? "" : ","}\n  "timeline": `;
  yield* arrayChunks(tl.length, (k) => timelineEntry(tl.step(k)));
  yield "\n}";
}

/** An array at depth 1 of a 2-space-indented document, element by element. */
function* arrayChunks(length: number, at: (i: number) => unknown): Generator<string> {
  if (length === 0) {
    yield "[]";
    return;
  }
  yield "[";
  for (let i = 0; i < length; i++) yield `${i ? "," : ""}\n    ${indentJson(at(i) ?? null, "    ")}`;
  yield "\n  ]";
}

/** `JSON.stringify(v, null, 2)` nested at `indent` (JSON text has no raw newlines inside strings). */
function indentJson(v: unknown, indent: string): string {
  return JSON.stringify(v, null, 2).replace(/\n/g, `\n${indent}`);
}

function metricLabel(m: MetricSpec): string {
  switch (m.type) {
    case "Resource":
      return m.resource.name;
    case "ContainerResource":
      return `${m.containerResource.container}/${m.containerResource.name}`;
    case "Pods":
      return m.pods.metric.name;
    case "Object":
      return m.object.metric.name;
    case "External":
      return m.external.metric.name;
  }
}

function eventsByTime(run: SimulationRun): Map<number, string> {
  const m = new Map<number, string>();
  for (const e of run.events) {
    const text = `${e.reason}: ${e.message}`;
    const prev = m.get(e.tMs);
    m.set(e.tMs, prev ? `${prev}; ${text}` : text);
  }
  return m;
}

function timeText(run: SimulationRun, tMs: number): string {
  if (run.startEpochMs !== 0) return isoTime(run.startEpochMs + tMs);
  return goDuration(tMs);
}

/** RFC 3339 in UTC, seconds precision (pure arithmetic, no Date object needed for formatting). */
export function isoTime(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hh = Math.floor(rest / 3_600_000);
  rest -= hh * 3_600_000;
  const mm = Math.floor(rest / 60_000);
  rest -= mm * 60_000;
  const ss = Math.floor(rest / 1000);
  const { year: y, month: m, day: d } = civilFromDays(days);
  const p2 = (v: number) => String(v).padStart(2, "0");
  return `${String(y).padStart(4, "0")}-${p2(m)}-${p2(d)}T${p2(hh)}:${p2(mm)}:${p2(ss)}Z`;
}

/** `0s`, `15s`, `21m0s`, `1h0m15s`: Go's Duration.String for whole seconds. */
function goDuration(ms: number): string {
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function num(v: number): string {
  return String(round(v));
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line describing the load components, e.g. `5 + spike of 235 at 21m for 1m`. */
export function describeLoad(components: readonly LoadComponent[]): string {
  return components.map(describeComponent).join(" + ");
}

function describeComponent(c: LoadComponent): string {
  const d = (ms: number) => compactDuration(ms) || "0";
  switch (c.kind) {
    case "constant":
      return `${num(c.value)}`;
    case "step":
      return `step of ${num(c.value)} at ${d(c.atMs)}`;
    case "ramp":
      return `ramp ${num(c.from)} -> ${num(c.to)} from ${d(c.startMs)} over ${d(c.durationMs)}`;
    case "sine":
      return `sine ${num(c.mean)} +- ${num(c.amplitude)} every ${d(c.periodMs)} (peak at ${d(c.peakAtMs)})`;
    case "spike":
      return `spike of ${num(c.value)} at ${d(c.atMs)} for ${d(c.durationMs)}`;
    case "noise":
      return `noise +- ${num(c.amplitude)}`;
    case "csv":
      return `trace of ${c.points.length} points${c.scale !== 1 ? ` x ${num(c.scale)}` : ""}`;
  }
}
