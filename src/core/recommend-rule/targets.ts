/**
 * Which workloads a rule selects: a workload is a target when its namespace passes the namespace
 * selector (`any`, or listed in `matchNames`) and one resource selector matches it (same apiVersion and
 * kind; the name when given; the label selector when given). Workloads being deleted are not targets.
 * Targets come out once each, sorted by namespace, kind and name.
 */
import { matches } from "../labels/selector.js";
import type {
  NamespaceSelector,
  ResourceSelector,
  RuleSpec,
  Target,
  Workload,
  WorkloadKind,
} from "./types.js";

function namespaceSelected(sel: NamespaceSelector, namespace: string): boolean {
  return sel.any || sel.matchNames.includes(namespace);
}

function resourceSelected(sel: ResourceSelector, w: Workload): boolean {
  if (w.apiVersion !== sel.apiVersion || w.kind !== sel.kind) return false;
  if (sel.name !== undefined && w.name !== sel.name) return false;
  return sel.labelSelector === undefined || matches(sel.labelSelector, w.labels);
}

export function selectTargets(spec: RuleSpec, workloads: readonly Workload[]): Target[] {
  const out = new Map<string, Target>();
  for (const w of workloads) {
    if (w.deleting || !namespaceSelected(spec.namespaceSelector, w.namespace)) continue;
    if (!spec.resourceSelectors.some((s) => resourceSelected(s, w))) continue;
    out.set(`${w.namespace}/${w.kind}/${w.name}`, {
      apiVersion: w.apiVersion,
      kind: w.kind as WorkloadKind,
      namespace: w.namespace,
      name: w.name,
    });
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}
