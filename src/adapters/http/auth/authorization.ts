/**
 * Delegated authorization, as the generic Kubernetes apiserver's delegating authorizer does it:
 * always allow `--authorization-always-allow-paths` (default /healthz, /readyz, /livez) and the group
 * system:masters, otherwise ask the apiserver with a SubjectAccessReview (authorization.k8s.io/v1),
 * caching allowed and denied answers separately (upstream default 10s each).
 */
import { createHash } from "node:crypto";
import type { Authorizer, AuthzDecision, RequestAttributes } from "../security.js";
import { TtlCache } from "./authentication.js";
import { type KubeApi, statusMessage } from "./kube-client.js";

/** The upstream default of `--authorization-always-allow-paths`. */
export const DEFAULT_ALWAYS_ALLOW_PATHS = ["/healthz", "/readyz", "/livez"];
/** The upstream default of `--authorization-always-allow-groups` (hard-wired to system:masters). */
export const DEFAULT_ALWAYS_ALLOW_GROUPS = ["system:masters"];

/**
 * True when `path` matches one of the always-allowed paths. A trailing `*` is a prefix match, as
 * upstream's path authorizer does (`/healthz/*`).
 */
export function alwaysAllowPath(path: string, allowed: string[] = DEFAULT_ALWAYS_ALLOW_PATHS): boolean {
  const p = path.split("?")[0] ?? "";
  return allowed.some((a) => (a.endsWith("*") ? p.startsWith(a.slice(0, -1)) : p === a));
}

export interface SarOptions {
  allowedTtlMs?: number;
  deniedTtlMs?: number;
  alwaysAllowPaths?: string[];
  alwaysAllowGroups?: string[];
}

/** SubjectAccessReview authorizer. */
export class SubjectAccessReviewAuthorizer implements Authorizer {
  private readonly cache = new TtlCache<AuthzDecision>(8192);
  private readonly inflight = new Map<string, Promise<AuthzDecision>>();
  private readonly allowedTtl: number;
  private readonly deniedTtl: number;
  private readonly paths: string[];
  private readonly groups: string[];

  constructor(
    private readonly api: KubeApi,
    opts: SarOptions = {},
  ) {
    this.allowedTtl = opts.allowedTtlMs ?? 10_000;
    this.deniedTtl = opts.deniedTtlMs ?? 10_000;
    this.paths = opts.alwaysAllowPaths ?? DEFAULT_ALWAYS_ALLOW_PATHS;
    this.groups = opts.alwaysAllowGroups ?? DEFAULT_ALWAYS_ALLOW_GROUPS;
  }

  async authorize(attrs: RequestAttributes): Promise<AuthzDecision> {
    if (!attrs.isResourceRequest && alwaysAllowPath(attrs.path, this.paths)) return { allowed: true };
    if (attrs.user.groups.some((g) => this.groups.includes(g))) return { allowed: true };
    const body = subjectAccessReview(attrs);
    const key = createHash("sha256").update(JSON.stringify(body.spec)).digest("hex");
    const hit = this.cache.get(key);
    if (hit) return hit;
    // Concurrent identical requests (the HPA, the aggregator's parallel checks) share one review.
    let p = this.inflight.get(key);
    if (!p) {
      p = this.review(key, body, attrs).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async review(
    key: string,
    body: ReturnType<typeof subjectAccessReview>,
    attrs: RequestAttributes,
  ): Promise<AuthzDecision> {
    let res: Awaited<ReturnType<KubeApi["post"]>>;
    try {
      res = await this.api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", body);
    } catch (e) {
      return {
        allowed: false,
        reason: forbiddenMessage(attrs, `authorization failed: ${(e as Error).message}`),
      };
    }
    if (res.status !== 201 && res.status !== 200) {
      return {
        allowed: false,
        reason: forbiddenMessage(attrs, `authorization failed: ${statusMessage(res)}`),
      };
    }
    const st =
      (
        res.body as {
          status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
        }
      ).status ?? {};
    let decision: AuthzDecision;
    if (st.allowed && !st.denied) {
      decision = { allowed: true };
      this.cache.set(key, decision, this.allowedTtl);
    } else {
      decision = { allowed: false, reason: forbiddenMessage(attrs, st.reason || st.evaluationError || "") };
      this.cache.set(key, decision, this.deniedTtl);
    }
    return decision;
  }
}

/** The SubjectAccessReview body for `attrs` (resourceAttributes or nonResourceAttributes). */
export function subjectAccessReview(attrs: RequestAttributes): {
  apiVersion: string;
  kind: string;
  spec: Record<string, unknown>;
} {
  const spec: Record<string, unknown> = { user: attrs.user.name, groups: attrs.user.groups };
  if (attrs.user.uid) spec.uid = attrs.user.uid;
  if (attrs.user.extra) spec.extra = attrs.user.extra;
  if (attrs.isResourceRequest) {
    const ra: Record<string, string> = { verb: attrs.verb };
    if (attrs.namespace !== undefined) ra.namespace = attrs.namespace;
    if (attrs.apiGroup !== undefined) ra.group = attrs.apiGroup;
    if (attrs.apiVersion !== undefined) ra.version = attrs.apiVersion;
    if (attrs.resource !== undefined) ra.resource = attrs.resource;
    if (attrs.subresource !== undefined) ra.subresource = attrs.subresource;
    if (attrs.name !== undefined) ra.name = attrs.name;
    spec.resourceAttributes = ra;
  } else {
    spec.nonResourceAttributes = { path: attrs.path, verb: attrs.verb };
  }
  return { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec };
}

/**
 * The Forbidden message in the apiserver's wording:
 * `User "alice" cannot get resource "pods/http_requests" in API group "custom.metrics.k8s.io" in the
 * namespace "default": <reason>`, or `User "alice" cannot get path "/metrics"`.
 */
export function forbiddenMessage(attrs: RequestAttributes, reason: string): string {
  const who = `User "${attrs.user.name}"`;
  let msg: string;
  if (attrs.isResourceRequest) {
    const res = attrs.subresource ? `${attrs.resource ?? ""}/${attrs.subresource}` : (attrs.resource ?? "");
    msg = `${who} cannot ${attrs.verb} resource "${res}" in API group "${attrs.apiGroup ?? ""}"`;
    msg += attrs.namespace ? ` in the namespace "${attrs.namespace}"` : " at the cluster scope";
  } else {
    msg = `${who} cannot ${attrs.verb} path "${attrs.path}"`;
  }
  return reason ? `${msg}: ${reason}` : msg;
}
