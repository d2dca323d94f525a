/**
 * Routing of the metrics API paths (custom-metrics-apiserver's installer and metrics-server's
 * pkg/api). The path is split on `/` and each segment percent-decoded before routing,
 * because the aggregator forwards `*` as `%2A`.
 *
 * Router outcomes as upstream: 2- or 4-segment custom paths that are not `namespaces/{ns}/metrics/{m}` are
 * 404; a 3-segment path under `namespaces/` is 400 "invalid request path"; external data paths need
 * `namespaces/{ns}/{metric}`. Better than upstream: a segment longer than 253 characters, an empty
 * segment, or undecodable percent-encoding is a 400 that says so.
 *
 * Every name taken from the path is then checked by Kubernetes' own rules before anything else reads it
 * (`validateRoute`): the namespace is a DNS-1123 label; an object name follows its resource's rule (a
 * DNS-1123 subdomain for pods, nodes, deployments and custom resources, a DNS-1035 label for services,
 * a DNS-1123 label for namespaces, a path segment for HorizontalPodAutoscalers), `*` being the wildcard
 * of custom-metrics paths; the resource segment is a DNS-1123 subdomain (`pods`, `deployments.apps`);
 * a metric name is a path segment without whitespace or control characters. A bad one is a 400
 * (reason BadRequest) that names it.
 */

import {
  validateDns1035Label,
  validateDns1123Label,
  validateDns1123Subdomain,
  validatePathSegmentName,
} from "../labels/names.js";
import { CUSTOM_GROUP, EXTERNAL_GROUP, RESOURCE_GROUP, SERVED_GROUPS } from "./api-objects.js";

export type Route =
  | { t: "apis" }
  | { t: "group"; group: string }
  | { t: "discovery"; group: string; version: string }
  | {
      t: "custom";
      version: string;
      /** Namespace from the path; undefined for root-scoped requests. */
      namespace?: string | undefined;
      /** The resource as written (`pods`, `pod`, `deployments.apps`); `namespaces` for the namespace-metric path. */
      resource: string;
      /** Object name, or `*` for a wildcard. */
      name: string;
      metric: string;
      /** `namespaces/{ns}/metrics/{m}`: the Namespace object's own metric. */
      namespaceMetric: boolean;
    }
  | { t: "external"; namespace: string; metric: string }
  | { t: "nodes"; name?: string | undefined }
  | { t: "pods"; namespace?: string | undefined; name?: string | undefined }
  | { t: "error"; code: 400 | 404 | 405; message: string };

const MAX_SEGMENT = 253;

/** Splits and decodes a URL path; returns an error route for bad encodings or oversize segments. */
export function decodeSegments(path: string): string[] | { t: "error"; code: 400; message: string } {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return [];
  const out: string[] = [];
  for (const raw of trimmed.split("/")) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return {
        t: "error",
        code: 400,
        message: `invalid request path: bad percent-encoding in "${raw.slice(0, 64)}"`,
      };
    }
    if (seg === "") return { t: "error", code: 400, message: "invalid request path: empty path segment" };
    if (seg.length > MAX_SEGMENT)
      return {
        t: "error",
        code: 400,
        message: `invalid request path: segment of ${seg.length} characters (at most ${MAX_SEGMENT})`,
      };
    if (seg.includes("/"))
      return { t: "error", code: 400, message: "invalid request path: encoded '/' in a path segment" };
    out.push(seg);
  }
  return out;
}

/** Routes `method path` (the path without the query string); names in the path are validated. */
export function route(method: string, path: string): Route {
  return validateRoute(routePath(method, path));
}

function routePath(method: string, path: string): Route {
  const segs = decodeSegments(path);
  if (!Array.isArray(segs)) return segs;
  if (segs[0] !== "apis")
    return { t: "error", code: 404, message: "the server could not find the requested resource" };
  if (method !== "GET" && method !== "HEAD")
    return {
      t: "error",
      code: 405,
      message: `the server does not allow this method on the requested resource`,
    };
  if (segs.length === 1) return { t: "apis" };
  const group = segs[1]!;
  const served = SERVED_GROUPS.find((g) => g.group === group);
  if (!served) return { t: "error", code: 404, message: "the server could not find the requested resource" };
  if (segs.length === 2) return { t: "group", group };
  const version = segs[2]!;
  if (!served.versions.includes(version))
    return { t: "error", code: 404, message: "the server could not find the requested resource" };
  const rest = segs.slice(3);
  if (rest.length === 0) return { t: "discovery", group, version };
  if (group === CUSTOM_GROUP) return routeCustom(version, rest);
  if (group === EXTERNAL_GROUP) return routeExternal(rest);
  if (group === RESOURCE_GROUP) return routeResource(rest);
  return { t: "error", code: 404, message: "the server could not find the requested resource" };
}

const notFound = (): Route => ({
  t: "error",
  code: 404,
  message: "the server could not find the requested resource",
});
const badPath = (): Route => ({ t: "error", code: 400, message: "invalid request path" });

function routeCustom(version: string, rest: string[]): Route {
  if (rest.length === 3) {
    if (rest[0] === "namespaces") return badPath();
    return {
      t: "custom",
      version,
      resource: rest[0]!,
      name: rest[1]!,
      metric: rest[2]!,
      namespaceMetric: false,
    };
  }
  if (rest.length === 4 && rest[0] === "namespaces" && rest[2] === "metrics")
    return {
      t: "custom",
      version,
      resource: "namespaces",
      name: rest[1]!,
      metric: rest[3]!,
      namespaceMetric: true,
    };
  if (rest.length === 5 && rest[0] === "namespaces")
    return {
      t: "custom",
      version,
      namespace: rest[1]!,
      resource: rest[2]!,
      name: rest[3]!,
      metric: rest[4]!,
      namespaceMetric: false,
    };
  return notFound();
}

function routeExternal(rest: string[]): Route {
  if (rest.length === 3 && rest[0] === "namespaces")
    return { t: "external", namespace: rest[1]!, metric: rest[2]! };
  return notFound();
}

function routeResource(rest: string[]): Route {
  if (rest[0] === "nodes" && rest.length <= 2) return { t: "nodes", name: rest[1] };
  if (rest[0] === "pods" && rest.length === 1) return { t: "pods" };
  if (rest[0] === "namespaces" && rest[2] === "pods" && (rest.length === 3 || rest.length === 4))
    return { t: "pods", namespace: rest[1]!, name: rest[3] };
  return notFound();
}

// ---------- names from the path ----------

type Validator = (value: string) => string | undefined;

/** Resources whose names follow another rule than the DNS-1123 subdomain (apimachinery's default). */
const NAME_RULES: ReadonlyArray<{ group: string; names: readonly string[]; rule: Validator }> = [
  { group: "", names: ["namespaces", "namespace"], rule: validateDns1123Label },
  { group: "", names: ["services", "service"], rule: validateDns1035Label },
  {
    group: "autoscaling",
    names: ["horizontalpodautoscalers", "horizontalpodautoscaler"],
    rule: validatePathSegmentName,
  },
];

/** The name rule of the resource as written in the path (`pods`, `service`, `deployments.apps`). */
export function nameRuleFor(resource: string): Validator {
  const lower = resource.toLowerCase();
  const dot = lower.indexOf(".");
  const plural = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  const hit = NAME_RULES.find(
    (r) =>
      r.names.includes(plural) &&
      (group === undefined || group === r.group || (group === "core" && r.group === "")),
  );
  return hit?.rule ?? validateDns1123Subdomain;
}

const shown = (v: string) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);

function check(what: string, value: string | undefined, rule: Validator): string | undefined {
  if (value === undefined) return undefined;
  const problem = rule(value);
  return problem === undefined ? undefined : `invalid ${what} ${shown(value)}: ${problem}`;
}

/** The first bad name of a routed request, or undefined. */
function badName(r: Route): string | undefined {
  switch (r.t) {
    case "custom": {
      // Resource names are matched case-insensitively (as the RESTMapper does): check the lower case.
      const resource = check("resource", r.resource, (v) => validateDns1123Subdomain(v.toLowerCase()));
      const rule = r.namespaceMetric ? validateDns1123Label : nameRuleFor(r.resource);
      return (
        check("namespace", r.namespace, validateDns1123Label) ??
        resource ??
        (r.name === "*"
          ? undefined
          : check(r.namespaceMetric ? "namespace" : `${r.resource} name`, r.name, rule)) ??
        check("metric name", r.metric, validatePathSegmentName)
      );
    }
    case "external":
      return (
        check("namespace", r.namespace, validateDns1123Label) ??
        check("metric name", r.metric, validatePathSegmentName)
      );
    case "nodes":
      return check("node name", r.name, validateDns1123Subdomain);
    case "pods":
      return (
        check("namespace", r.namespace, validateDns1123Label) ??
        check("pod name", r.name, validateDns1123Subdomain)
      );
    default:
      return undefined;
  }
}

/** `r`, or a 400 error route naming the first name in it that breaks its Kubernetes rule. */
export function validateRoute(r: Route): Route {
  const problem = badName(r);
  return problem === undefined ? r : { t: "error", code: 400, message: problem };
}
