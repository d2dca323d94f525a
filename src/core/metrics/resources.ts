/**
 * Kubernetes resources as the metrics APIs name them, and the mapping between Prometheus labels and
 * resources (prometheus-adapter's `resources.overrides` / `resources.template`).
 *
 * prometheus-adapter normalizes resource names through the cluster's RESTMapper. Here a
 * `ResourceCatalog` plays that role: `catalogFromDiscovery` builds one from a snapshot of the cluster's
 * API discovery (groups, preferred versions, plural names, scope), and `BUILTIN_CATALOG` is the static
 * table of built-in resources used when there is no cluster (`--insecure-dev` without a kubeconfig).
 * A discovery catalog is authoritative: an override naming a resource it lacks is a config error. The
 * built-in table is not: an override with a group declares a custom resource it cannot check.
 * `GroupResource.String()` is `resource` for the core group and `resource.group` otherwise.
 */
import { quoteMeta } from "./promql.js";
import { compileTemplate, STRUCT, type TemplateError } from "./template.js";

/** A resource the adapter can attach metrics to. */
export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, lower case (`pods`, `deployments`). */
  resource: string;
  singular: string;
  kind: string;
  /** Cluster-scoped resources (nodes, namespaces, persistentvolumes) are registered as root-scoped. */
  namespaced: boolean;
}

const R = (
  group: string,
  version: string,
  resource: string,
  singular: string,
  kind: string,
  namespaced = true,
) => ({
  group,
  version,
  resource,
  singular,
  kind,
  namespaced,
});

/** The built-in resources (what a RESTMapper of a plain cluster knows, minus the rarely used ones). */
export const KNOWN_RESOURCES: readonly ResourceInfo[] = [
  R("", "v1", "pods", "pod", "Pod"),
  R("", "v1", "namespaces", "namespace", "Namespace", false),
  R("", "v1", "nodes", "node", "Node", false),
  R("", "v1", "services", "service", "Service"),
  R("", "v1", "endpoints", "endpoints", "Endpoints"),
  R("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim"),
  R("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false),
  R("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController"),
  R("", "v1", "configmaps", "configmap", "ConfigMap"),
  R("", "v1", "secrets", "secret", "Secret"),
  R("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount"),
  R("apps", "v1", "deployments", "deployment", "Deployment"),
  R("apps", "v1", "statefulsets", "statefulset", "StatefulSet"),
  R("apps", "v1", "replicasets", "replicaset", "ReplicaSet"),
  R("apps", "v1", "daemonsets", "daemonset", "DaemonSet"),
  R("batch", "v1", "jobs", "job", "Job"),
  R("batch", "v1", "cronjobs", "cronjob", "CronJob"),
  R("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress"),
  R("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler"),
  R("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget"),
];

/** `resource` for the core group, `resource.group` otherwise (Kubernetes `GroupResource.String()`). */
export function groupResourceString(r: { group: string; resource: string }): string {
  return r.group === "" ? r.resource : `${r.resource}.${r.group}`;
}

/** `group/version`, or `/version`... as prometheus-adapter writes `describedObject.apiVersion` (`/v1` for core). */
export function describedApiVersion(r: ResourceInfo): string {
  return `${r.group}/${r.version}`;
}

/** Splits `deployments.apps` into resource and group when no group is given (RESTMapper input form). */
function splitName(name: string, group: string | undefined): { res: string; grp: string | undefined } {
  let res = name.toLowerCase();
  let grp = group?.toLowerCase();
  if (grp === undefined) {
    const dot = res.indexOf(".");
    if (dot >= 0) {
      grp = res.slice(dot + 1);
      res = res.slice(0, dot);
    }
  }
  if (grp === "core") grp = "";
  return { res, grp };
}

/** The first resource of `lists` that `name` (plural, singular or kind) and `group` name. */
function findIn(
  lists: ReadonlyArray<readonly ResourceInfo[]>,
  name: string,
  group: string | undefined,
): ResourceInfo | undefined {
  const { res, grp } = splitName(name, group);
  for (const list of lists) {
    for (const r of list) {
      if (res !== r.resource && res !== r.singular && res !== r.kind.toLowerCase()) continue;
      if (grp !== undefined && grp !== r.group) continue;
      return r;
    }
  }
  return undefined;
}

/**
 * Resolves what a request path or config names (`pods`, `pod`, `Pod`, `deployments.apps`,
 * `deployment.apps`) to a built-in resource, like the RESTMapper's `ResourceFor`. `extra` holds custom
 * resources declared in the config.
 */
export function lookupResource(
  name: string,
  group?: string,
  extra: readonly ResourceInfo[] = [],
): ResourceInfo | undefined {
  return findIn([extra, KNOWN_RESOURCES], name, group);
}

/** Every known resource name, for "did you mean" hints. */
export function knownResourceNames(extra: readonly ResourceInfo[] = []): string[] {
  return [...extra, ...KNOWN_RESOURCES].map((r) => groupResourceString(r));
}

/** The resources a mapping may name: the cluster's (from discovery) or the built-in table. */
export interface ResourceCatalog {
  /** Where the resources come from, for messages (`built-in table`, `discovery of https://…`). */
  readonly source: string;
  /** True for the cluster's discovery: a resource it lacks does not exist. */
  readonly authoritative: boolean;
  readonly resources: readonly ResourceInfo[];
  /** Resolves a name as the RESTMapper does (plural, singular or kind; `name.group` or a separate group). */
  lookup(name: string, group?: string): ResourceInfo | undefined;
}

function makeCatalog(
  source: string,
  authoritative: boolean,
  resources: readonly ResourceInfo[],
): ResourceCatalog {
  // Request paths repeat the same few names: remember answers (bounded).
  const memo = new Map<string, ResourceInfo | undefined>();
  return {
    source,
    authoritative,
    resources,
    lookup(name, group) {
      const key = `${name}\u0000${group ?? "\u0000"}`;
      if (memo.has(key)) return memo.get(key);
      const r = findIn([resources], name, group);
      if (memo.size < 1000) memo.set(key, r);
      return r;
    },
  };
}

/** The built-in table, used without a cluster. */
export const BUILTIN_CATALOG: ResourceCatalog = makeCatalog("built-in table", false, KNOWN_RESOURCES);

/** One entry of an `APIResourceList` as discovery serves it. */
export interface DiscoveredResource {
  name: string;
  singularName?: string | undefined;
  namespaced: boolean;
  kind: string;
  verbs?: readonly string[] | undefined;
}

/** One API group at its preferred version, with the resources discovery lists for it (`""` is core). */
export interface DiscoveredGroup {
  group: string;
  version: string;
  resources: readonly DiscoveredResource[];
}

/**
 * The cluster's discovery as a catalog. Groups keep their discovery order, so that a name served by two
 * groups (`events`, `ingresses` on older clusters) resolves to the first, as the RESTMapper's priority
 * does. Subresources (`pods/status`) are left out; an empty `singularName` (most built-in resources
 * before 1.27) becomes the lower-case kind, as the RESTMapper derives it.
 */
export function catalogFromDiscovery(groups: readonly DiscoveredGroup[], source: string): ResourceCatalog {
  const out: ResourceInfo[] = [];
  for (const g of groups) {
    for (const r of g.resources) {
      if (r.name.includes("/")) continue;
      out.push({
        group: g.group,
        version: g.version,
        resource: r.name,
        singular: r.singularName || r.kind.toLowerCase(),
        kind: r.kind,
        namespaced: r.namespaced,
      });
    }
  }
  return makeCatalog(source, true, out);
}

/** A few resource names of a catalog (for hints), the custom ones of `group` first when given. */
function someNames(catalog: ResourceCatalog, group: string | undefined): string {
  const inGroup = group ? catalog.resources.filter((r) => r.group === group.toLowerCase()) : [];
  const pool = inGroup.length > 0 ? inGroup : catalog.resources;
  const pick = pool.slice(0, 8).map(groupResourceString);
  return `${pick.join(", ")}${pool.length > pick.length ? ", …" : ""}`;
}

/**
 * A compiled `resources` block: label → resource (for discovery) and resource → label (for queries).
 * Overrides win over the template. Unlike prometheus-adapter, two labels mapped to one resource are a
 * config error (upstream picks one at random per run, issue #398).
 */
export interface ResourceMapper {
  /** The resource a series label names, if any. */
  resourceForLabel(label: string): ResourceInfo | undefined;
  /** The Prometheus label holding names of `r`, if any. */
  labelForResource(r: ResourceInfo): string | undefined;
  /** Custom resources declared by overrides (built-in catalog only: discovery knows its resources). */
  readonly custom: readonly ResourceInfo[];
  /** The block this mapper was compiled from (to compile it again against a newer catalog). */
  readonly config: ResourcesConfig | undefined;
  readonly catalog: ResourceCatalog;
}

export interface ResourcesConfig {
  overrides?: Record<string, { group?: string | undefined; resource: string }> | undefined;
  template?: string | undefined;
}

/** Thrown by `compileResources` with the field (relative to the `resources` block) that is wrong. */
export class ResourceConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Compiles a `resources` block against `catalog`. An override naming a resource the catalog lacks is an
 * error, except with the built-in table when a group is given: then it declares a custom resource
 * (`plural.group`) that cannot be checked without a cluster (upstream exits at startup on any unknown).
 */
export function compileResources(
  cfg: ResourcesConfig | undefined,
  catalog: ResourceCatalog = BUILTIN_CATALOG,
): ResourceMapper {
  const byLabel = new Map<string, ResourceInfo>();
  const byResource = new Map<string, string>();
  const custom: ResourceInfo[] = [];
  for (const [label, ov] of Object.entries(cfg?.overrides ?? {})) {
    let info = catalog.lookup(ov.resource, ov.group);
    if (!info) {
      if (catalog.authoritative) {
        const what = ov.group ? `"${ov.resource}" in group "${ov.group}"` : `"${ov.resource}"`;
        throw new ResourceConfigError(
          `overrides.${label}.resource`,
          `the cluster has no resource ${what} (${catalog.source}; some: ${someNames(catalog, ov.group)})`,
        );
      }
      if (!ov.group) {
        throw new ResourceConfigError(
          `overrides.${label}.resource`,
          `unknown resource "${ov.resource}" (known: ${knownResourceNames().slice(0, 8).join(", ")}, …; give "group" for a custom resource)`,
        );
      }
      const plural = ov.resource.toLowerCase();
      const singular = plural.endsWith("s") ? plural.slice(0, -1) : plural;
      info = {
        group: ov.group,
        version: "v1",
        resource: plural,
        singular,
        kind: singular.charAt(0).toUpperCase() + singular.slice(1),
        namespaced: true,
      };
      custom.push(info);
    }
    const key = groupResourceString(info);
    const prev = byResource.get(key);
    if (prev !== undefined)
      throw new ResourceConfigError(
        `overrides.${label}`,
        `labels "${prev}" and "${label}" both map to ${key}; keep one (the query could use either)`,
      );
    byResource.set(key, label);
    byLabel.set(label, info);
  }
  let tmpl: { parse(label: string): ResourceInfo | undefined; label(r: ResourceInfo): string } | undefined;
  if (cfg?.template !== undefined) {
    if (!cfg.template.includes(".Resource"))
      throw new ResourceConfigError("template", "must contain <<.Resource>>");
    let compiled: ReturnType<typeof compileTemplate>;
    try {
      compiled = compileTemplate(cfg.template);
    } catch (e) {
      throw new ResourceConfigError("template", (e as Error).message);
    }
    // Run the template with placeholders to learn its shape, then turn it into an anchored regex.
    const G = "\uE000G\uE000";
    const RS = "\uE000R\uE000";
    let shape: string;
    try {
      shape = compiled.render({ [STRUCT]: true, Group: G, Resource: RS });
    } catch (e) {
      throw new ResourceConfigError("template", (e as TemplateError).message);
    }
    const pattern = shape
      .split(/(\uE000[GR]\uE000)/)
      .map((p) => (p === G ? "(?<group>.+?)" : p === RS ? "(?<resource>.+?)" : quoteMeta(p)))
      .join("");
    const re = new RegExp(`^${pattern}$`);
    tmpl = {
      parse(label) {
        const m = re.exec(label);
        if (!m?.groups) return undefined;
        const res = m.groups.resource ?? "";
        const grp = m.groups.group;
        if (grp !== undefined) {
          return catalog.lookup(res, grp.replace(/_/g, ".")) ?? catalog.lookup(res, grp);
        }
        return catalog.lookup(res);
      },
      label(r) {
        return compiled.render({
          [STRUCT]: true,
          Group: r.group.replace(/[.-]/g, "_"),
          Resource: r.singular,
        });
      },
    };
  }
  // Labels repeat across series: remember each answer (discovery of 100k series asks ~1M times).
  const labelMemo = new Map<string, ResourceInfo | undefined>();
  return {
    custom,
    config: cfg,
    catalog,
    resourceForLabel(label) {
      const o = byLabel.get(label);
      if (o) return o;
      if (!tmpl) return undefined;
      if (labelMemo.has(label)) return labelMemo.get(label);
      const r = tmpl.parse(label);
      if (labelMemo.size < 10_000) labelMemo.set(label, r);
      return r;
    },
    labelForResource(r) {
      const o = byResource.get(groupResourceString(r));
      if (o !== undefined) return o;
      if (!tmpl) return undefined;
      // A label produced by the template only counts when it maps back to the same resource.
      const l = tmpl.label(r);
      const back = tmpl.parse(l);
      return back && groupResourceString(back) === groupResourceString(r) ? l : undefined;
    },
  };
}
