/**
 * Reads what `tidescale doctor` checks in Prometheus: readiness, the active scrape targets, failing
 * service discovery (its own counters), and the adapter's rules run once against it (the adapter's
 * discovery, plus a probe of each rule that matched nothing: the series of that name without the
 * rule's label matchers, and the nearest names Prometheus has).
 */

import { nearestNames } from "../../core/doctor/hpa.js";
import type { PrometheusSnapshot, PrometheusTarget } from "../../core/doctor/prometheus.js";
import { type EmptyRuleProbe, type RulesSnapshot, seriesNameOf } from "../../core/doctor/rules.js";
import type { CompiledConfig } from "../../core/metrics/config.js";
import { createPrometheusClient, type PrometheusClient } from "./client.js";
import { relist } from "./discovery.js";

const TIMEOUT_MS = 10_000;

async function getJson(url: string): Promise<unknown> {
  const r = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!r.ok) throw new Error(`GET ${new URL(url).pathname} answered ${r.status}`);
  return r.json();
}

async function ready(base: string): Promise<string | undefined> {
  try {
    const r = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await r.arrayBuffer();
    return r.ok ? undefined : `GET /-/ready answered ${r.status}`;
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    return `GET /-/ready failed: ${cause ?? (e as Error).message}`;
  }
}

async function targets(base: string): Promise<PrometheusTarget[]> {
  const body = (await getJson(`${base}/api/v1/targets?state=active`)) as {
    data?: { activeTargets?: Array<Record<string, unknown>> };
  };
  return (body.data?.activeTargets ?? []).map((t) => ({
    job: String((t.labels as Record<string, string> | undefined)?.job ?? t.scrapePool ?? ""),
    scrapeUrl: String(t.scrapeUrl ?? ""),
    health: String(t.health ?? ""),
    lastError: String(t.lastError ?? ""),
  }));
}

const SD_FAILURES = /^(prometheus_sd_(?:kubernetes|http)_failures_total)(?:\{[^}]*\})?\s+([0-9.eE+]+)/;

/**
 * Failed service-discovery requests: the increase over the last 10 minutes when Prometheus scrapes
 * itself, else its own `/metrics` counters (since it started).
 */
async function sdFailures(base: string, client: PrometheusClient): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const self = await client
    .query('sum by (__name__) (increase({__name__=~"prometheus_sd_(kubernetes|http)_failures_total"}[10m]))')
    .catch(() => undefined);
  if (self?.resultType === "vector" && self.result.length > 0) {
    for (const s of self.result) {
      const v = Number(s.value[1]);
      if (v > 0) out[s.metric.__name__ ?? "prometheus_sd_failures_total"] = Math.round(v);
    }
    return out;
  }
  const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(
    () => undefined,
  );
  if (!r?.ok) return out;
  for (const line of (await r.text()).split("\n")) {
    const m = SD_FAILURES.exec(line);
    if (m?.[1] && Number(m[2]) > 0) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Readiness, then (when ready) the targets and discovery failures. */
export async function probePrometheus(url: string): Promise<PrometheusSnapshot> {
  const base = url.replace(/\/+$/, "");
  const error = await ready(base);
  if (error !== undefined) return { url, error };
  const client = createPrometheusClient({ url: base, retries: 0, timeoutMs: TIMEOUT_MS });
  try {
    return { url, targets: await targets(base), sdFailures: await sdFailures(base, client) };
  } finally {
    await client.close();
  }
}

async function probeEmptyRule(
  client: PrometheusClient,
  seriesQuery: string,
  startS: number,
  allNames: () => Promise<string[]>,
): Promise<EmptyRuleProbe> {
  const seriesName = seriesNameOf(seriesQuery);
  if (!seriesName) return { byName: [], nearest: [] };
  const byName = (await client.series([`{__name__="${seriesName}"}`], startS)).slice(0, 20);
  const nearest = byName.length ? [] : nearestNames(seriesName, await allNames());
  return { seriesName, byName, nearest };
}

/** The adapter's discovery run once over `config` (series newer than `maxAgeMs`), and probes of the empty rules. */
export async function probeRules(
  url: string,
  config: CompiledConfig,
  source: string,
  maxAgeMs: number,
  nowMs: number,
): Promise<RulesSnapshot> {
  const base = url.replace(/\/+$/, "");
  const client = createPrometheusClient({ url: base, retries: 1, timeoutMs: TIMEOUT_MS });
  try {
    const { registry } = await relist(client, config, { nowMs, maxAgeMs });
    const startS = (nowMs - maxAgeMs) / 1000;
    let names: string[] | undefined;
    const allNames = async () => {
      names ??= ((await getJson(`${base}/api/v1/label/__name__/values`)) as { data?: string[] }).data ?? [];
      return names;
    };
    const probes: Record<string, EmptyRuleProbe> = {};
    for (const d of registry.diagnostics)
      if (d.error === undefined && d.seriesReturned === 0)
        probes[d.id] = await probeEmptyRule(client, d.seriesQuery, startS, allNames);
    return { source, window: `${Math.round(maxAgeMs / 60_000)}m`, diagnostics: registry.diagnostics, probes };
  } finally {
    await client.close();
  }
}
