/**
 * Reading a custom.metrics.k8s.io MetricValueList the way the HPA controller's custom metrics client
 * does (metrics/client.go GetRawMetric): one sample per item, keyed by the described object's name,
 * value as milli-units, timestamp, and window (default 60 s when the item has none).
 */

import type { MetricSample } from "../hpa/index.js";
import { tryParseQuantity } from "../quantity/quantity.js";

/** The controller's default metric window when an item carries no windowSeconds. */
const DEFAULT_WINDOW_MS = 60_000;

/** Samples of a MetricValueList body, or an error naming what is wrong with it. */
export function metricSamples(body: unknown): { samples: MetricSample[] } | { error: string } {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return { error: "metric list: no items array" };
  const samples: MetricSample[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as {
      describedObject?: { name?: unknown };
      value?: unknown;
      timestamp?: unknown;
      windowSeconds?: unknown;
    };
    const name = item?.describedObject?.name;
    if (typeof name !== "string" || name === "")
      return { error: `metric list: items[${i}].describedObject.name is missing` };
    const q = typeof item.value === "string" ? tryParseQuantity(item.value) : undefined;
    if (!q?.ok) return { error: `metric list: items[${i}].value is not a quantity` };
    const ts = typeof item.timestamp === "string" ? Date.parse(item.timestamp) : Number.NaN;
    if (!Number.isFinite(ts)) return { error: `metric list: items[${i}].timestamp is not RFC 3339` };
    const windowMs =
      typeof item.windowSeconds === "number" && Number.isFinite(item.windowSeconds)
        ? item.windowSeconds * 1000
        : DEFAULT_WINDOW_MS;
    samples.push({ pod: name, value: q.value.milliValue(), timestamp: ts, windowMs });
  }
  return { samples };
}
