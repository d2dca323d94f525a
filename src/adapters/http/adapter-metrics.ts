/**
 * The adapter's own Prometheus metrics (served on /metrics from a private prom-client registry):
 * requests by code and path group, request latency, Prometheus query latency, series and metrics
 * discovered, relist failures and config reloads.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export type PathGroup =
  | "discovery"
  | "custom"
  | "external"
  | "resource"
  | "health"
  | "openapi"
  | "metrics"
  | "other";

export class AdapterMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "tidescale_adapter_requests_total",
    help: "API requests served, by HTTP code and path group.",
    labelNames: ["code", "path"] as const,
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: "tidescale_adapter_request_duration_seconds",
    help: "API request latency by path group.",
    labelNames: ["path"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly promSeconds = new Histogram({
    name: "tidescale_adapter_prometheus_query_duration_seconds",
    help: "Prometheus API call latency by endpoint and outcome.",
    labelNames: ["endpoint", "outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly seriesDiscovered = new Gauge({
    name: "tidescale_adapter_series_discovered",
    help: "Series returned by the seriesQueries at the last relist.",
    registers: [this.registry],
  });
  readonly metricsDiscovered = new Gauge({
    name: "tidescale_adapter_metrics_discovered",
    help: "Metrics registered at the last relist, by API (custom entries count each resource).",
    labelNames: ["api"] as const,
    registers: [this.registry],
  });
  readonly seriesQueryFailures = new Counter({
    name: "tidescale_adapter_series_query_failures_total",
    help: "seriesQuery calls that failed during relists.",
    registers: [this.registry],
  });
  readonly lastReloadSuccessful = new Gauge({
    name: "tidescale_adapter_config_last_reload_successful",
    help: "1 when the last config (re)load succeeded, 0 when the file was rejected.",
    registers: [this.registry],
  });

  constructor() {
    this.lastReloadSuccessful.set(1);
  }
}
