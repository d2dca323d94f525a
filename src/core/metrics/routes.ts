/**
 * Routing of the metrics API paths (custom-metrics-apiserver's installer and metrics-server's
 * pkg/api). The path is split on `/` and each segment percent-decoded before routing,
 * because the aggregator forwards `*` as `%2A`.
 *
 * Router outcomes as upstream: 2- or 4-segment custom paths that are not `namespaces/{ns}/metrics/{m}` are
 * 404; a 3-segment path under `namespaces/` is 400 "invalid request path"; external data paths need
 * `namespaces/{ns}/{metric}`. Better than upstream: a segment longer than 253 characters, an empty
 * segment, or undecodable percent-encoding is a 400 that says so.
 */

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

/** Routes `method path` (the path without the query string). */
export function route(method: string, path: string): Route {
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
