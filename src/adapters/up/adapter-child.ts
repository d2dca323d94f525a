/**
 * The tidescale adapter for `tidescale up`: `tidescale adapter` run as a child on loopback (plain HTTP,
 * --insecure-dev: nothing but this machine talks to it), relisting series every 2 s so a new pod's
 * metric is served within seconds.
 */
import { type Child, spawnChild, waitForChildReady } from "./children.js";

export interface LocalAdapter {
  url: string;
  close(): Promise<void>;
}

export async function startLocalAdapter(opts: {
  cli: readonly string[];
  rulesFile: string;
  prometheusUrl: string;
  port: number;
  timeoutMs: number;
}): Promise<LocalAdapter> {
  const child: Child = spawnChild(opts.cli[0]!, [
    ...opts.cli.slice(1),
    "adapter",
    "--config",
    opts.rulesFile,
    "--prometheus-url",
    opts.prometheusUrl,
    "--insecure-dev",
    "--bind-address",
    "127.0.0.1",
    "--secure-port",
    String(opts.port),
    "--metrics-relist-interval",
    "2s",
    "--metrics-max-age",
    "30s",
    "--log-level",
    "warn",
  ]);
  return waitForChildReady(child, "adapter", `http://127.0.0.1:${opts.port}`, "/healthz", opts.timeoutMs);
}

/** The path the HPA controller GETs for a Pods metric of the pods matching `selector`. */
export function podsMetricPath(namespace: string, metric: string, selector: string): string {
  return (
    `/apis/custom.metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods/*/` +
    `${encodeURIComponent(metric)}?labelSelector=${encodeURIComponent(selector)}`
  );
}
