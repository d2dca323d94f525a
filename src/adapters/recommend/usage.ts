/**
 * Reads a workload's usage history from Prometheus: two range queries (CPU rate and working-set memory,
 * from configurable templates, every value escaped) over the window, answers checked (one series per pod
 * and container) and joined with the workload's containers from the API.
 */
import { ToolkitError } from "../../core/errors.js";
import {
  DEFAULT_QUERIES,
  renderQuery,
  seriesByContainer,
  type UsageQueries,
} from "../../core/recommend/queries.js";
import type { PodSeries, WorkloadUsage } from "../../core/recommend/types.js";
import type { WorkloadInfo } from "../../core/recommend/workload.js";
import type { PrometheusClient } from "../prometheus/client.js";

export interface UsageFetchOptions {
  /** End of the window (ms since the epoch); aligned down to the step. */
  readonly endMs: number;
  /** Window length (default 7 days). */
  readonly windowMs?: number;
  /** Query step (default 1 minute). */
  readonly stepMs?: number;
  /** `{{rate}}` of the CPU template (default `5m`). */
  readonly rate?: string;
  readonly queries?: UsageQueries;
  /** Names of the templates' flags, for errors (default `--cpu-query`, `--memory-query`). */
  readonly where?: { readonly cpu: string; readonly memory: string };
  /** Called once per range query (benchmarks count them). */
  readonly onQuery?: (expr: string) => void;
}

/** Prometheus' limit of points per series in one range query. */
const MAX_POINTS = 11_000;

/** The usage of one workload: at most two range queries. */
export async function fetchWorkloadUsage(
  prom: PrometheusClient,
  info: WorkloadInfo,
  o: UsageFetchOptions,
): Promise<WorkloadUsage> {
  const stepMs = o.stepMs ?? 60_000;
  const windowMs = o.windowMs ?? 7 * 86_400_000;
  const end = Math.floor(o.endMs / stepMs) * stepMs;
  const start = end - windowMs;
  if (windowMs / stepMs + 1 > MAX_POINTS)
    throw new ToolkitError(
      "INVALID_INPUT",
      "--window",
      `${windowMs / stepMs + 1} points per series at a ${stepMs / 1000}s step; Prometheus answers at most ${MAX_POINTS} (lengthen --step or shorten --window)`,
    );
  const queries = o.queries ?? DEFAULT_QUERIES;
  const where = o.where ?? { cpu: "--cpu-query", memory: "--memory-query" };
  const rate = o.rate ?? "5m";
  const run = async (template: string, at: string) => {
    const expr = renderQuery(template, info.ref, rate, at);
    o.onQuery?.(expr);
    return seriesByContainer(await prom.queryRange(expr, start / 1000, end / 1000, stepMs / 1000), at);
  };
  // both queries in flight at once; a failure is reported for the CPU query first whichever ends first
  const settled = await Promise.allSettled([run(queries.cpu, where.cpu), run(queries.memory, where.memory)]);
  const [cpu, memory] = settled.map((r) => {
    if (r.status === "rejected") throw r.reason;
    return r.value;
  }) as [Map<string, PodSeries[]>, Map<string, PodSeries[]>];
  return {
    workload: info.ref,
    windowStartMs: start,
    windowEndMs: end,
    stepMs,
    currentReplicas: info.replicas,
    containers: info.containers.map((c) => ({
      ...c,
      cpu: cpu.get(c.name) ?? [],
      memory: memory.get(c.name) ?? [],
    })),
    ...(info.currentHpa ? { currentHpa: info.currentHpa } : {}),
  };
}

/** Whether the usage has no sample at all (neither CPU nor memory of any container). */
export function hasNoSeries(usage: WorkloadUsage): boolean {
  return usage.containers.every((c) => c.cpu.length === 0 && c.memory.length === 0);
}
