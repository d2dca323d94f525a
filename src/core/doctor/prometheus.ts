/**
 * Doctor rules for the Prometheus the adapter reads: reachability, scrape targets that are down (a
 * Kubernetes API refusing Prometheus' identity decoded into the ClusterRole fix), and Kubernetes service
 * discovery failing (its list/watch refused).
 */
import type { Finding } from "./finding.js";

/** One active target of `/api/v1/targets`. */
export interface PrometheusTarget {
  job: string;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

/** What the doctor read from Prometheus. */
export interface PrometheusSnapshot {
  url: string;
  /** Set when `/-/ready` failed: nothing else was read. */
  error?: string | undefined;
  targets?: PrometheusTarget[] | undefined;
  /** Prometheus' own counters of failed service-discovery requests, by metric name (only those > 0). */
  sdFailures?: Record<string, number> | undefined;
}

/** The ClusterRole and binding that let Prometheus discover targets in every namespace (deploy/kube-prometheus). */
export const DISCOVERY_CLUSTERROLE = `kubectl apply -f deploy/kube-prometheus/00-prometheus-k8s-rbac.yaml   # or:
        kind: ClusterRole, rules: [{apiGroups: [""], resources: [services, endpoints, pods], verbs: [get, list, watch]},
                                   {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}]
        bound (ClusterRoleBinding) to Prometheus' ServiceAccount (kube-prometheus: monitoring/prometheus-k8s);
        check: kubectl auth can-i list pods -A --as=system:serviceaccount:monitoring:prometheus-k8s`;

/** A lastError that means the server refused Prometheus' credentials (HTTP 401/403, Kubernetes' forbidden). */
export function isAuthError(lastError: string): boolean {
  return /\b40[13]\b|forbidden|unauthorized|unknown \(get [a-z]+\)/i.test(lastError);
}

/** What a scrape of a Kubernetes API path needs: `list pods` for /api/v1/pods, `get nodes/proxy` for a node proxy. */
export function kubernetesPermission(scrapeUrl: string): string | undefined {
  let path: string;
  try {
    path = new URL(scrapeUrl).pathname;
  } catch {
    return undefined;
  }
  const proxy =
    /^\/api\/v1\/(nodes|services|pods)\/[^/]+\/proxy\b/.exec(path) ??
    /^\/api\/v1\/namespaces\/[^/]+\/(services|pods)\/[^/]+\/proxy\b/.exec(path);
  if (proxy) return `get ${proxy[1]}/proxy`;
  const list = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)\/?$/.exec(path);
  if (list) return `list ${list[2]}${list[1] ? ` in namespace ${list[1]}` : " (all namespaces)"}`;
  if (path === "/metrics" || path.startsWith("/metrics/")) return `get ${path} (nonResourceURL)`;
  return undefined;
}

function groupDown(targets: readonly PrometheusTarget[]): Map<string, PrometheusTarget[]> {
  const groups = new Map<string, PrometheusTarget[]>();
  for (const t of targets) {
    if (t.health === "up") continue;
    // `unknown` is a target not scraped yet: not a problem.
    if (t.health !== "down") continue;
    const key = `${t.job}\u0000${t.lastError}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return groups;
}

const urls = (ts: readonly PrometheusTarget[]) =>
  ts
    .slice(0, 3)
    .map((t) => t.scrapeUrl)
    .join(", ") + (ts.length > 3 ? ` and ${ts.length - 3} more` : "");

/** One finding per job and error among the targets that are down. */
export function checkTargets(p: PrometheusSnapshot, kubeApiServer?: string): Finding[] {
  const findings: Finding[] = [];
  for (const ts of groupDown(p.targets ?? []).values()) {
    const t = ts[0]!;
    const seen = `job ${t.job}: ${ts.length} target${ts.length === 1 ? "" : "s"} down (${urls(ts)}): ${t.lastError}`;
    if (isAuthError(t.lastError)) {
      const onKubeApi = kubeApiServer !== undefined && t.scrapeUrl.startsWith(kubeApiServer);
      const permission = kubernetesPermission(t.scrapeUrl);
      findings.push({
        severity: "error",
        id: "prometheus.target-forbidden",
        object: `prometheus ${p.url}`,
        seen,
        why: onKubeApi
          ? `kube-apiserver refuses Prometheus' identity${permission ? `: it may not ${permission}` : ""}; its ServiceAccount's Roles do not grant it (kube-prometheus grants Roles in a few namespaces only)`
          : "the target refuses Prometheus' credentials (401/403): a missing or wrong bearer token, or an identity its RBAC does not allow",
        fix: onKubeApi
          ? DISCOVERY_CLUSTERROLE
          : `check the job's authorization/bearer_token_file and the target's RBAC: kubectl auth can-i get /metrics --as=system:serviceaccount:monitoring:prometheus-k8s`,
      });
      continue;
    }
    findings.push({
      severity: "error",
      id: "prometheus.target-down",
      object: `prometheus ${p.url}`,
      seen,
      why: "Prometheus cannot scrape these targets, so their series go stale and the metrics built on them disappear",
      fix: `curl -s '${p.url}/api/v1/targets?state=active' | jq '.data.activeTargets[] | select(.health=="down") | {scrapeUrl, lastError}' ; check the pod, its port and path`,
    });
  }
  return findings;
}

/** Kubernetes (or HTTP) service discovery whose requests fail: the targets of whole namespaces are missing. */
export function checkServiceDiscovery(p: PrometheusSnapshot): Finding[] {
  return Object.entries(p.sdFailures ?? {}).map(([metric, count]) => ({
    severity: "error" as const,
    id: "prometheus.discovery-failing",
    object: `prometheus ${p.url}`,
    seen: `${metric} = ${count}`,
    why: metric.includes("kubernetes")
      ? "Prometheus' Kubernetes discovery cannot list/watch (its log says `Failed to watch *v1.Pod: unknown (get pods)` or `pods is forbidden`): its ServiceAccount lacks a ClusterRole, so targets outside the namespaces it may read are never found"
      : "Prometheus' service discovery requests fail, so the targets it should find are missing (its log names the error)",
    fix: metric.includes("kubernetes")
      ? DISCOVERY_CLUSTERROLE
      : "kubectl logs <prometheus pod> | grep -i discovery",
  }));
}

/** Every Prometheus finding: unreachable (and nothing else), or down targets and failing discovery. */
export function checkPrometheus(p: PrometheusSnapshot, kubeApiServer?: string): Finding[] {
  if (p.error !== undefined)
    return [
      {
        severity: "error",
        id: "prometheus.unreachable",
        object: `prometheus ${p.url}`,
        seen: p.error,
        why: "the adapter's metrics come from this Prometheus; while it does not answer, every metric is missing",
        fix: `curl -s ${p.url}/-/ready ; check --prometheus-url and that Prometheus runs`,
      },
    ];
  return [...checkTargets(p, kubeApiServer), ...checkServiceDiscovery(p)];
}
