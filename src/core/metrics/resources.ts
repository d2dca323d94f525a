/**
 * Kubernetes resources as the metrics APIs name them, and the mapping between Prometheus labels and
 * resources (prometheus-adapter's `resources.overrides` / `resources.template`).
 *
 * prometheus-adapter normalizes resource names through the cluster RESTMapper. We carry a static table of
 * the built-in resources (the ones metrics are attached to in practice) and accept custom resources in
 * overrides when a group is given. `GroupResource.String()` is `resource` for the core group and
 * `resource.group` otherwise.
 */
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

/**
 * Resolves what a request path or config names (`pods`, `pod`, `Pod`, `deployments.apps`,
 * `deployment.apps`) to a known resource, like the RESTMapper's `ResourceFor`. `extra` holds custom
 * resources declared in the config.
 */
export function lookupResource(
  name: string,
  group?: string,
  extra: readonly ResourceInfo[] = [],
): ResourceInfo | undefined {
  let res = name.toLowerCase();
  let grp = group?.toLowerCase();
  if (grp === undefined) {
    const dot = res.indexOf(".");
    if (dot >= 0) {
      grp = res.slice(dot + 1);
      res = res.slice(0, dot);
    }
  }
  for (const list of [extra, KNOWN_RESOURCES]) {
    for (const r of list) {
      if (res !== r.resource && res !== r.singular && res !== r.kind.toLowerCase()) continue;
      if (grp !== undefined && grp !== r.group && !(grp === "core" && r.group === "")) continue;
      return r;
    }
  }
  return undefined;
}

/** Every known resource name, for "did you mean" hints. */
export function knownResourceNames(extra: readonly ResourceInfo[] = []): string[] {
  return [...extra, ...KNOWN_RESOURCES].map((r) => groupResourceString(r));
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
  /** Custom resources declared by overrides. */
  readonly custom: readonly ResourceInfo[];
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
 * Compiles a `resources` block. Overrides naming an unknown resource without a group are an error
 * (upstream exits at startup); with a group they declare a custom resource (`plural.group`).
 */
export function compileResources(cfg: ResourcesConfig | undefined): ResourceMapper {
  const byLabel = new Map<string, ResourceInfo>();
  const byResource = new Map<string, string>();
  const custom: ResourceInfo[] = [];
  for (const [label, ov] of Object.entries(cfg?.overrides ?? {})) {
    let info = lookupResource(ov.resource, ov.group);
    if (!info) {
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
      .map((p) => (p === G ? "(?<group>.+?)" : p === RS ? "(?<resource>.+?)" : escapeRegex(p)))
      .join("");
    const re = new RegExp(`^${pattern}$`);
    tmpl = {
      parse(label) {
        const m = re.exec(label);
        if (!m?.groups) return undefined;
        const res = m.groups.resource ?? "";
        const grp = m.groups.group;
        if (grp !== undefined) {
          return lookupResource(res, grp.replace(/_/g, ".")) ?? lookupResource(res, grp);
        }
        return lookupResource(res);
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

/** Escapes RE2/JS regex metacharacters so that `s` matches only itself. */
export function escapeRegex(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}
