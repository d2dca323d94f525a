/**
 * Which resources the adapter keeps object caches for: those the discovered custom metrics are attached
 * to (wildcard requests list them) and, with resourceRules, running pods and nodes (metrics.k8s.io lists).
 */
import type { CompiledConfig } from "../../core/metrics/config.js";
import type { Registry } from "../../core/metrics/registry.js";
import { lookupResource, type ResourceInfo } from "../../core/metrics/resources.js";

export function cachedResources(
  registry: Registry,
  config: CompiledConfig,
): Array<{ resource: ResourceInfo; running?: boolean }> {
  const out = new Map<string, { resource: ResourceInfo; running?: boolean }>();
  for (const e of registry.custom.values())
    out.set(`${e.groupResource}/${e.resource.version}`, { resource: e.resource });
  if (config.resourceRules) {
    out.set("pods running", { resource: lookupResource("pods")!, running: true });
    out.set("nodes", { resource: lookupResource("nodes")! });
  }
  return [...out.values()];
}
