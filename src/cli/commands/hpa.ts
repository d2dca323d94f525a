/**
 * `tidescale hpa explain <snapshot.yaml>`: one reconcile of the exact autoscaling/v2 engine at one instant,
 * with the desired replicas, each metric's proposal, the conditions, the event and a step-by-step
 * explanation (docs/hpa-explain.md documents the snapshot and the JSON output).
 */
import type { Command } from "commander";
import { stringify } from "yaml";
import { parseYamlText, readTextFile } from "../../adapters/files/yaml-file.js";
import { invalidInput } from "../../core/errors.js";
import { reconcile } from "../../core/hpa/reconcile.js";
import { parseSnapshot } from "../../core/hpa/snapshot.js";
import { formatMilli } from "../../core/hpa/status.js";
import type {
  Condition,
  HpaStatus,
  MetricProposal,
  ReconcileInput,
  ReconcileResult,
  TimestampedScaleEvent,
} from "../../core/hpa/types.js";

/** Version of the `-o json` document; bumped only on incompatible changes. */
export const EXPLAIN_FORMAT_VERSION = "tidescale.dev/hpa-explain/v1";

/** RFC 3339 in UTC, without a fraction when it is zero (as Kubernetes prints times). */
const rfc3339 = (ms: number): string =>
  Number.isFinite(ms) && ms > -62_135_596_800_000
    ? new Date(ms).toISOString().replace(".000Z", "Z")
    : "0001-01-01T00:00:00Z";

/** Reads and parses a snapshot file, then runs one reconcile. */
export async function explainFile(file: string): Promise<{ input: ReconcileInput; result: ReconcileResult }> {
  const text = await readTextFile(file);
  const value = parseYamlText(text, file);
  if (value === null || value === undefined) throw invalidInput(file, "file is empty");
  const { input } = parseSnapshot(value, file);
  checkTimes(input, file);
  return { input, result: reconcile(input) };
}

/** The last instant RFC 3339 can print (9999-12-31T23:59:59.999Z), as Go's time.Format does. */
const LATEST_TIME_MS = 253_402_300_799_999;

/**
 * Rejects instants after year 9999: they cannot be printed as RFC 3339 (and JavaScript dates end at
 * year 275760), so `now: 1e20` or a huge Unix time in the history is an input error, not a crash.
 */
function checkTimes(input: ReconcileInput, file: string): void {
  const check = (where: string, ms: number | undefined) => {
    if (ms !== undefined && !(ms <= LATEST_TIME_MS))
      throw invalidInput(`${file}: ${where}`, "time is after 9999-12-31T23:59:59Z");
  };
  check("now", input.now);
  input.state.recommendations.forEach((r, i) => {
    check(`history.recommendations[${i}].time`, r.timestamp);
  });
  input.state.scaleUpEvents.forEach((e, i) => {
    check(`history.scaleUpEvents[${i}].time`, e.timestamp);
  });
  input.state.scaleDownEvents.forEach((e, i) => {
    check(`history.scaleDownEvents[${i}].time`, e.timestamp);
  });
  check("status.lastScaleTime", input.status?.lastScaleTime);
  input.status?.conditions.forEach((c, i) => {
    check(`status.conditions[${i}].lastTransitionTime`, c.lastTransitionTime);
  });
  input.pods.forEach((p, i) => {
    check(`pods[${i}].startTime`, p.startTime);
    check(`pods[${i}].readyTransitionTime`, p.readyTransitionTime);
    check(`pods[${i}].deletionTimestamp`, p.deletionTimestamp);
  });
  input.metrics.forEach((m, i) => {
    if (m && "samples" in m)
      m.samples.forEach((s, j) => {
        check(`metrics[${i}].pods[${j}].timestamp`, s.timestamp);
      });
  });
}

function proposalJson(p: MetricProposal, input: ReconcileInput): Record<string, unknown> {
  const spec = input.hpa.spec.metrics[p.index];
  const utilizationTarget =
    spec && (spec.type === "Resource" || spec.type === "ContainerResource")
      ? (spec.type === "Resource" ? spec.resource.target : spec.containerResource.target).type ===
        "Utilization"
      : false;
  const out: Record<string, unknown> = {
    index: p.index,
    type: p.type,
    name: p.name,
    valid: p.valid,
    replicas: p.replicas ?? null,
    ratio: p.ratio ?? null,
    rebalancedRatio: p.rebalancedRatio ?? null,
    utilization: p.utilization ?? null,
    average: p.rawAverage !== undefined ? formatMilli(p.rawAverage) : null,
    value: p.value !== undefined ? formatMilli(p.value) : null,
    target: p.target === undefined ? null : utilizationTarget ? p.target : formatMilli(p.target),
    path: p.path ?? null,
    pods: p.pods ?? null,
    reason: p.reason ?? null,
    error: p.error ?? null,
  };
  return out;
}

const conditionJson = (c: Condition) => ({
  type: c.type,
  status: c.status,
  reason: c.reason,
  message: c.message,
  lastTransitionTime: rfc3339(c.lastTransitionTime),
});

const eventJson = (e: TimestampedScaleEvent) => ({
  change: e.replicaChange,
  time: rfc3339(e.timestamp),
  ...(e.outdated ? { outdated: true } : {}),
});

function statusJson(s: HpaStatus) {
  return {
    currentReplicas: s.currentReplicas,
    desiredReplicas: s.desiredReplicas,
    lastScaleTime: s.lastScaleTime === undefined ? null : rfc3339(s.lastScaleTime),
    currentMetrics: s.currentMetrics,
    conditions: s.conditions.map(conditionJson),
  };
}

/** The stable `-o json` / `-o yaml` document (docs/hpa-explain.md). */
export function explainJson(input: ReconcileInput, r: ReconcileResult): Record<string, unknown> {
  return {
    format: EXPLAIN_FORMAT_VERSION,
    hpa: {
      namespace: input.hpa.metadata.namespace,
      name: input.hpa.metadata.name,
      scaleTargetRef: input.hpa.spec.scaleTargetRef,
    },
    now: rfc3339(input.now),
    case: r.case,
    currentReplicas: input.currentReplicas,
    desiredReplicas: r.desiredReplicas,
    rescale: r.rescale,
    metricsReplicas: r.metricsReplicas ?? null,
    stabilizedReplicas: r.stabilizedReplicas ?? null,
    rescaleReason: r.rescaleReason ?? null,
    metrics: r.metricProposals.map((p) => proposalJson(p, input)),
    conditions: r.conditions.map(conditionJson),
    event: r.event ?? null,
    events: r.events,
    status: statusJson(r.status),
    nextState: {
      recommendations: r.nextState.recommendations.map((x) => ({
        replicas: x.replicas,
        time: rfc3339(x.timestamp),
      })),
      scaleUpEvents: r.nextState.scaleUpEvents.map(eventJson),
      scaleDownEvents: r.nextState.scaleDownEvents.map(eventJson),
    },
    error: r.error ?? null,
    explanation: r.explanation,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3)))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

/** The human text report. */
export function explainText(input: ReconcileInput, r: ReconcileResult): string {
  const hpa = input.hpa;
  const ref = hpa.spec.scaleTargetRef;
  const lines: string[] = [];
  lines.push(
    `HPA ${hpa.metadata.namespace}/${hpa.metadata.name} on ${ref.kind}/${ref.name} at ${rfc3339(input.now)}`,
  );
  const verdict =
    r.case === "failedGetScale"
      ? `scale subresource unreadable: no scaling; status.desiredReplicas stays ${r.desiredReplicas}`
      : r.case === "metricsFailed"
        ? `metrics failed: no scaling; status.desiredReplicas stays ${r.desiredReplicas}`
        : r.rescale && r.event?.reason === "FailedRescale"
          ? `scale update to ${r.event.message.split(";")[0]?.replace("New size: ", "")} failed`
          : r.rescale
            ? `scale ${input.currentReplicas} -> ${r.desiredReplicas}`
            : `keep ${input.currentReplicas}`;
  lines.push(`Desired replicas: ${r.desiredReplicas} (${verdict})`);
  if (r.metricProposals.length > 0) {
    lines.push("", "Metrics:");
    const rows = [["#", "METRIC", "PROPOSAL", "DETAIL"]];
    for (const p of r.metricProposals) {
      const j = proposalJson(p, input);
      const detail = p.valid
        ? [
            p.utilization !== undefined ? `utilization ${p.utilization}% of target ${j.target}%` : undefined,
            p.utilization === undefined && p.rawAverage !== undefined
              ? `average ${j.average} (target ${j.target})`
              : undefined,
            p.value !== undefined ? `value ${j.value} (target ${j.target})` : undefined,
            p.ratio !== undefined ? `ratio ${+p.ratio.toFixed(4)}` : undefined,
          ]
            .filter(Boolean)
            .join(", ")
        : `${p.reason}: ${p.error}`;
      rows.push([String(p.index), p.valid ? p.name : p.type, p.valid ? String(p.replicas) : "-", detail]);
    }
    lines.push(table(rows));
  }
  lines.push("", "Conditions:");
  lines.push(
    table([
      ["TYPE", "STATUS", "REASON", "MESSAGE"],
      ...r.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    ]),
  );
  lines.push("", "Events:");
  if (r.events.length === 0) lines.push("  (none)");
  for (const e of r.events) lines.push(`  ${e.type.padEnd(8)}${e.reason.padEnd(30)}${e.message}`);
  if (r.error) lines.push("", `Reconcile error: ${r.error}`);
  lines.push("", "Explanation:");
  r.explanation.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s}`);
  });
  return `${lines.join("\n")}\n`;
}

interface ExplainFlags {
  output: string;
}

/** Runs `hpa explain`; exported for in-process tests. */
export async function runExplain(
  file: string,
  o: ExplainFlags,
  write: (s: string) => void = (s) => process.stdout.write(s),
): Promise<ReconcileResult> {
  if (o.output !== "text" && o.output !== "json" && o.output !== "yaml")
    throw invalidInput("--output", `want "text", "json" or "yaml", got "${o.output}"`);
  const { input, result } = await explainFile(file);
  if (o.output === "json") write(`${JSON.stringify(explainJson(input, result), null, 2)}\n`);
  else if (o.output === "yaml") write(stringify(explainJson(input, result), { lineWidth: 0 }));
  else write(explainText(input, result));
  return result;
}

export function register(program: Command): void {
  const hpa = program
    .command("hpa")
    .description("Work with HorizontalPodAutoscalers through the exact autoscaling/v2 engine.")
    .addHelpText(
      "after",
      "\nExample:\n  tidescale hpa explain examples/explain-snapshot.yaml\n" +
        "  tidescale hpa explain --help   # the snapshot format is in docs/hpa-explain.md",
    );
  hpa
    .command("explain")
    .summary("Explain one reconcile of an HPA from a snapshot")
    .description(
      "Run one reconcile of an HPA at one instant from a snapshot of what the controller sees (the HPA, " +
        "the scale target, the pods, the metric values, the controller's memory) and explain the decision: " +
        "desired replicas, each metric's proposal, conditions, events, step by step.",
    )
    .argument("<snapshot>", "snapshot YAML (kind: HpaSnapshot; see docs/hpa-explain.md)")
    .option("-o, --output <format>", "text, json or yaml (the stable format in docs/hpa-explain.md)", "text")
    .addHelpText(
      "after",
      "\nExample:\n  tidescale hpa explain examples/explain-snapshot.yaml\n" +
        "  tidescale hpa explain examples/explain-snapshot.yaml -o json | jq .desiredReplicas",
    )
    .action(async (file: string, o: ExplainFlags) => {
      await runExplain(file, o);
    });
}
