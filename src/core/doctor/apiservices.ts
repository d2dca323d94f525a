/**
 * Doctor rules for the metrics APIServices: each of custom.metrics.k8s.io, external.metrics.k8s.io and
 * metrics.k8s.io that is registered but not Available, decoded by the aggregator's reason.
 */
import { type Condition, describeCondition, type Finding } from "./finding.js";

/** The metrics API groups the doctor checks. */
export const METRICS_GROUPS = ["custom.metrics.k8s.io", "external.metrics.k8s.io", "metrics.k8s.io"];

/** The fields of an APIService the rules read. */
export interface ApiServiceSnapshot {
  name: string;
  group: string;
  version: string;
  /** spec.service; undefined for a local (built-in) APIService. */
  service?: { namespace: string; name: string; port?: number | undefined } | undefined;
  conditions: Condition[];
}

function serviceRef(a: ApiServiceSnapshot): string {
  return a.service ? `${a.service.namespace}/${a.service.name}` : "(local)";
}

/** Why a FailedDiscoveryCheck happens and its fix, from the HTTP status or error in the message. */
function discoveryCause(a: ApiServiceSnapshot, message: string): { why: string; fix: string } {
  const svc = a.service;
  const ns = svc?.namespace ?? "<namespace>";
  const path = `/apis/${a.group}/${a.version}`;
  if (/bad status from .*: 404/.test(message))
    return {
      why: `the adapter behind ${serviceRef(a)} answers 404 for ${path}: it does not serve ${a.group}/${a.version} (prometheus-adapter installs an API only when its rules for it are non-empty)`,
      fix: `serve the group-version (tidescale serves every metrics API even with no rules), or delete the APIService: kubectl delete apiservice ${a.name}`,
    };
  if (/bad status from .*: 40[13]/.test(message))
    return {
      why: "the adapter refuses the aggregator's request: it does not trust kube-apiserver's front-proxy client certificate",
      fix: `bind Role kube-system/extension-apiserver-authentication-reader to the adapter's ServiceAccount so it reads the front-proxy CA, then: kubectl -n ${ns} rollout restart deploy/${svc?.name ?? "<adapter>"}`,
    };
  return {
    why: `kube-apiserver cannot reach the adapter behind ${serviceRef(a)} (network, firewall or proxy between the control plane and the pod, or a certificate the APIService's caBundle does not verify)`,
    fix: `kubectl -n ${ns} get pods,endpoints ${svc?.name ?? ""} ; kubectl get --raw ${path} ; check the caBundle and that the control plane may reach the pod's port`,
  };
}

/** One finding per metrics APIService that is not Available, with the cause decoded from its reason. */
export function checkApiServices(apiServices: readonly ApiServiceSnapshot[]): Finding[] {
  const findings: Finding[] = [];
  for (const a of apiServices) {
    if (!METRICS_GROUPS.includes(a.group)) continue;
    const available = a.conditions.find((c) => c.type === "Available");
    if (available?.status === "True") continue;
    const object = `apiservice/${a.name}`;
    const seen = available ? describeCondition(available) : "no Available condition yet";
    const message = available?.message ?? "";
    const ns = a.service?.namespace ?? "<namespace>";
    const name = a.service?.name ?? "<service>";
    switch (available?.reason) {
      case "ServiceNotFound":
        findings.push({
          severity: "error",
          id: "apiservice.service-not-found",
          object,
          seen,
          why: `the APIService points at Service ${serviceRef(a)}, which does not exist`,
          fix: `create the Service (kubectl apply -f deploy/05-service.yaml) or point spec.service at the adapter's Service: kubectl get svc -A | grep -i adapter`,
        });
        break;
      case "MissingEndpoints":
        findings.push({
          severity: "error",
          id: "apiservice.missing-endpoints",
          object,
          seen,
          why: `Service ${serviceRef(a)} has no ready endpoint: the adapter's pods are not running or not ready, or the Service's selector matches no pod`,
          fix: `kubectl -n ${ns} get endpoints ${name} ; kubectl -n ${ns} get pods -l <the Service's selector> ; kubectl -n ${ns} logs deploy/${name}`,
        });
        break;
      case "FailedDiscoveryCheck": {
        const cause = discoveryCause(a, message);
        findings.push({ severity: "error", id: "apiservice.failed-discovery-check", object, seen, ...cause });
        break;
      }
      default:
        findings.push({
          severity: "error",
          id: "apiservice.not-available",
          object,
          seen,
          why: `kube-apiserver does not consider ${a.group}/${a.version} available, so every request for it fails with 503`,
          fix: `kubectl get apiservice ${a.name} -o yaml ; kubectl -n ${ns} get pods,endpoints ${name}`,
        });
    }
  }
  return findings;
}
