/**
 * Request attributes for authorization, as k8s.io/apiserver's RequestInfoFactory derives them:
 * `/apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]` is a resource request
 * (GET with a name is `get`, without one `list`); everything else (`/apis`, `/apis/<g>/<v>`, `/healthz`,
 * `/metrics`, `/openapi/v2`) is a non-resource request whose verb is the lower-cased HTTP method.
 *
 * For the custom metrics API this gives resource = `pods`, name = `*` or the object name, subresource =
 * the metric; for `namespaces/<ns>/metrics/<m>` resource = `metrics`, name = `<m>`; for external
 * metrics resource = the metric and verb `list`.
 */
import type { RequestAttributes, UserInfo } from "../security.js";

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

function splitPath(path: string): string[] {
  return path
    .split("/")
    .filter((p) => p !== "")
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
}

/** Attributes of `method url` (path plus optional query) for `user`. */
export function requestAttributes(method: string, url: string, user: UserInfo): RequestAttributes {
  const q = url.indexOf("?");
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
  const path = `/${splitPath(rawPath).join("/")}`;
  const m = method.toUpperCase();
  const nonResource: RequestAttributes = {
    user,
    verb: m.toLowerCase(),
    path,
    isResourceRequest: false,
  };
  let parts = splitPath(rawPath);
  const prefix = parts[0];
  if (prefix !== "apis" && prefix !== "api") return nonResource;
  parts = parts.slice(1);
  let apiGroup = "";
  if (prefix === "apis") {
    if (parts.length < 3) return nonResource;
    apiGroup = parts[0] ?? "";
    parts = parts.slice(1);
  } else if (parts.length < 2) return nonResource;
  const apiVersion = parts[0] ?? "";
  parts = parts.slice(1);

  let verb: string;
  switch (m) {
    case "POST":
      verb = "create";
      break;
    case "GET":
    case "HEAD":
      verb = "get";
      break;
    case "PUT":
      verb = "update";
      break;
    case "PATCH":
      verb = "patch";
      break;
    case "DELETE":
      verb = "delete";
      break;
    default:
      verb = "";
  }
  if (parts[0] === "watch") {
    verb = "watch";
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1];
    const next = parts[2];
    if (parts.length > 2 && next !== undefined && !NAMESPACE_SUBRESOURCES.has(next)) parts = parts.slice(2);
  }
  const attrs: RequestAttributes = { user, verb, path, isResourceRequest: true, apiGroup, apiVersion };
  if (namespace !== undefined) attrs.namespace = namespace;
  if (parts[0] !== undefined) attrs.resource = parts[0];
  if (parts[1] !== undefined) attrs.name = parts[1];
  if (parts[2] !== undefined) attrs.subresource = parts[2];
  if (verb === "get" && (query.get("watch") === "true" || query.get("watch") === "1")) attrs.verb = "watch";
  else if (attrs.name === undefined) {
    if (verb === "get") attrs.verb = "list";
    else if (verb === "delete") attrs.verb = "deletecollection";
  }
  return attrs;
}
