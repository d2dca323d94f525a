/**
 * Binds a compiled config to the cluster's resources: every `resources` block (rules, externalRules,
 * resourceRules) is compiled again against a `ResourceCatalog` built from API discovery, so overrides and
 * templates map to the cluster's real groups, preferred versions, plural names and scopes. An override
 * naming a resource the cluster lacks is an INVALID_INPUT error naming the rule and the field.
 */
import { invalidInput } from "../errors.js";
import type { CompiledConfig, CompiledResourceQuery, CompiledRule } from "./config.js";
import {
  compileResources,
  type ResourceCatalog,
  ResourceConfigError,
  type ResourceMapper,
} from "./resources.js";

function rebind(mapper: ResourceMapper, catalog: ResourceCatalog, where: (field: string) => string) {
  try {
    return compileResources(mapper.config, catalog);
  } catch (e) {
    if (e instanceof ResourceConfigError) throw invalidInput(where(`resources.${e.field}`), e.message);
    throw e;
  }
}

/**
 * The same config with every resource mapping resolved through `catalog`; `prefix` (the file name)
 * starts every error's `where`, as in `compileConfig`.
 */
export function bindConfigResources(
  config: CompiledConfig,
  catalog: ResourceCatalog,
  prefix = "",
): CompiledConfig {
  const at = (field: string) => (prefix ? `${prefix}: ${field}` : field);
  const rule = (r: CompiledRule): CompiledRule => ({
    ...r,
    resources: rebind(r.resources, catalog, (f) => at(`${r.id}.${f}`)),
  });
  const query = (q: CompiledResourceQuery, key: string): CompiledResourceQuery => ({
    ...q,
    resources: rebind(q.resources, catalog, (f) => at(`resourceRules.${key}.${f}`)),
  });
  const rr = config.resourceRules;
  return {
    ...config,
    rules: config.rules.map(rule),
    externalRules: config.externalRules.map(rule),
    resourceRules: rr && { ...rr, cpu: query(rr.cpu, "cpu"), memory: query(rr.memory, "memory") },
    resourceCatalog: catalog,
  };
}
