/**
 * Doctor rules for the metrics adapter itself: the discovery document of each Available metrics API read
 * through kube-apiserver (what the HPA controller and kubectl see), and the adapter's readiness endpoint
 * read through the apiserver's service proxy.
 */
import type { ApiServiceSnapshot } from "./apiservices.js";
import type { Finding } from "./finding.js";

/** One metrics API discovery read (`GET /apis/<group>/<version>` through kube-apiserver). */
export interface MetricsApiRead {
  group: string;
  version: string;
  /** HTTP status; undefined when the request itself failed. */
  status?: number | undefined;
  /** The Status message or transport error when not 200. */
  error?: string | undefined;
  /** Metric names listed (`pods/http_requests_qps` -> `http_requests_qps`). */
  names: string[];
}

/** The adapter's `/readyz` through `.../services/https:<name>:<port>/proxy/readyz`. */
export interface AdapterReadiness {
  /** `namespace/name` of the Service behind the APIService. */
  service: string;
  status: number;
  body: string;
}

const available = (a: ApiServiceSnapshot) =>
  a.conditions.some((c) => c.type === "Available" && c.status === "True");

/** An Available APIService whose discovery document cannot be read through kube-apiserver. */
export function checkDiscovery(
  apiServices: readonly ApiServiceSnapshot[],
  reads: readonly MetricsApiRead[],
): Finding[] {
  const findings: Finding[] = [];
  for (const r of reads) {
    if (r.status === 200) continue;
    const a = apiServices.find((x) => x.group === r.group && x.version === r.version);
    // Not registered, or not Available: the APIService rules already say why.
    if (!a || !available(a)) continue;
    const ns = a.service?.namespace ?? "<namespace>";
    const name = a.service?.name ?? "<adapter>";
    findings.push({
      severity: "error",
      id: "adapter.discovery-failed",
      object: `apiservice/${a.name}`,
      seen: `GET /apis/${r.group}/${r.version} answered ${r.status ?? "nothing"}: ${r.error ?? ""}`.trimEnd(),
      why: "the APIService is Available but its discovery document fails now: the adapter is restarting or failing requests",
      fix: `kubectl -n ${ns} logs deploy/${name} ; kubectl get --raw /apis/${r.group}/${r.version}`,
    });
  }
  return findings;
}

/** An adapter whose `/readyz` does not answer 200: the failing checks (`[-]name failed`) are the reason. */
export function checkReadiness(readiness: readonly AdapterReadiness[]): Finding[] {
  return readiness
    .filter((r) => r.status !== 200)
    .map((r) => {
      const failing = r.body
        .split("\n")
        .filter((l) => l.startsWith("[-]"))
        .join("; ");
      const [ns, name] = r.service.split("/");
      return {
        severity: "error" as const,
        id: "adapter.not-ready",
        object: `service/${r.service}`,
        seen: `GET /readyz answered ${r.status}${failing ? `: ${failing}` : r.body ? `: ${r.body.trim().slice(0, 200)}` : ""}`,
        why: "the adapter runs but is not ready: its first Prometheus relist or its Kubernetes caches have not completed, so it answers with old or no metrics",
        fix: `kubectl -n ${ns} logs deploy/${name} ; check --prometheus-url and the adapter's RBAC (deploy/02-rbac.yaml)`,
      };
    });
}
