/**
 * Delegated authentication, as the generic Kubernetes apiserver's delegating authenticator does it
 * (k8s.io/apiserver `DelegatingAuthenticationOptions`), in this order:
 *
 * 1. requestheader (front-proxy): a client certificate that chains to the requestheader client CA and
 *    whose CN is in the allowed names (any CN when the list is empty). Only then is the identity taken
 *    from X-Remote-User / X-Remote-Group / X-Remote-Extra-*. Those headers on any other request are
 *    ignored and removed.
 * 2. x509: a client certificate that chains to the client CA: user = CN, groups = O.
 * 3. bearer token: TokenReview (authentication.k8s.io/v1) against the apiserver, cached for a short TTL.
 *
 * Every authenticated user, whichever way it authenticated, gets the group `system:authenticated`
 * (k8s.io/apiserver wraps its union authenticator in `AuthenticatedGroupAdder`): RBAC bound to that group
 * (e.g. `system:discovery`, which grants kube-apiserver's own OpenAPI fetch as `system:aggregator`) then
 * applies. Anonymous requests are rejected (401). The always-allowed health paths are not authenticated
 * at all (see `alwaysAllowPath`).
 */
import { createHash, type X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Authenticator, AuthnResult, UserInfo } from "../security.js";
import { peerChain, verifyClientChain } from "./client-cert.js";
import { type KubeApi, statusMessage } from "./kube-client.js";

/** What the front proxy's headers and certificate must look like (`--requestheader-*`). */
export interface RequestHeaderConfig {
  /** Roots for the front proxy's client certificate (`--requestheader-client-ca-file`). */
  ca: X509Certificate[];
  /** Allowed CNs of the front proxy's certificate; empty allows any CN signed by `ca`. */
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
  /** Newer apiservers also send X-Remote-Uid. */
  uidHeaders: string[];
}

export const DEFAULT_REQUEST_HEADERS = {
  usernameHeaders: ["X-Remote-User"],
  groupHeaders: ["X-Remote-Group"],
  extraHeaderPrefixes: ["X-Remote-Extra-"],
  uidHeaders: ["X-Remote-Uid"],
} as const;

export interface AuthenticationConfig {
  requestHeader?: RequestHeaderConfig;
  /** Roots for x509 client-certificate users (`--client-ca-file`). */
  clientCA?: X509Certificate[];
  /** TokenReview for bearer tokens; undefined disables token authentication. */
  tokenReviewer?: TokenReviewer;
}

export interface TokenReviewer {
  review(token: string): Promise<AuthnResult>;
}

/** The delegating authenticator. `update()` swaps the configuration (CA files or ConfigMap changed). */
export class DelegatingAuthenticator implements Authenticator {
  constructor(
    private config: AuthenticationConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  update(config: AuthenticationConfig): void {
    this.config = config;
  }

  current(): AuthenticationConfig {
    return this.config;
  }

  async authenticate(req: IncomingMessage): Promise<AuthnResult> {
    const r = await this.authenticateOnce(req);
    return r.ok ? { ok: true, user: withAuthenticatedGroup(r.user) } : r;
  }

  private async authenticateOnce(req: IncomingMessage): Promise<AuthnResult> {
    const cfg = this.config;
    const errors: string[] = [];
    const chain = peerChain(req);
    const rh = cfg.requestHeader;
    let result: AuthnResult | undefined;
    if (rh && chain) {
      const check = verifyClientChain(chain, rh.ca, this.now());
      if (check.ok) {
        const cn = check.identity.commonName;
        if (rh.allowedNames.length > 0 && !rh.allowedNames.includes(cn)) {
          errors.push(`front-proxy client certificate CN "${cn}" is not in the requestheader allowed names`);
        } else {
          const user = userFromHeaders(req, rh);
          if (user) result = { ok: true, user };
        }
      } else if (!cfg.clientCA) {
        errors.push(`front proxy: ${check.reason}`);
      }
    }
    // Never let front-proxy headers travel further unless they came from the verified front proxy
    // (and even then the identity now lives in UserInfo, not in the headers).
    if (rh) stripRequestHeaders(req, rh);
    else stripRequestHeaders(req, DEFAULT_REQUEST_HEADERS);
    if (result) return result;

    if (cfg.clientCA && chain) {
      const check = verifyClientChain(chain, cfg.clientCA, this.now());
      if (check.ok) {
        const { commonName, organizations } = check.identity;
        if (commonName) return { ok: true, user: { name: commonName, groups: organizations } };
        errors.push("client certificate has no CN");
      } else errors.push(`x509: ${check.reason}`);
    } else if (chain && !rh) {
      errors.push("client certificate presented but no client CA is configured");
    }

    const token = bearerToken(req);
    if (token !== undefined) {
      if (!cfg.tokenReviewer) errors.push("bearer tokens are not accepted (no authentication kubeconfig)");
      else {
        const r = await cfg.tokenReviewer.review(token);
        if (r.ok) return r;
        errors.push(r.reason);
      }
    }
    if (errors.length === 0) return { ok: false, reason: "anonymous requests are not allowed" };
    return { ok: false, reason: errors.join("; ") };
  }
}

const ANONYMOUS = "system:anonymous";
const ALL_AUTHENTICATED = "system:authenticated";
const ALL_UNAUTHENTICATED = "system:unauthenticated";

/**
 * `user` with `system:authenticated` appended, as k8s.io/apiserver's `AuthenticatedGroupAdder`: unchanged
 * for `system:anonymous` and for a user already in `system:authenticated` or `system:unauthenticated`.
 */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.name === ANONYMOUS) return user;
  if (user.groups.some((g) => g === ALL_AUTHENTICATED || g === ALL_UNAUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headersDistinct[name.toLowerCase()];
  return v ? v.filter((s) => s !== "") : [];
}

function userFromHeaders(req: IncomingMessage, rh: RequestHeaderConfig): UserInfo | undefined {
  let name: string | undefined;
  for (const h of rh.usernameHeaders) {
    name = headerValues(req, h)[0];
    if (name) break;
  }
  if (!name) return undefined;
  const groups = rh.groupHeaders.flatMap((h) => headerValues(req, h));
  const user: UserInfo = { name, groups };
  for (const h of rh.uidHeaders) {
    const uid = headerValues(req, h)[0];
    if (uid) {
      user.uid = uid;
      break;
    }
  }
  const extra: Record<string, string[]> = {};
  for (const [header, values] of Object.entries(req.headersDistinct)) {
    for (const prefix of rh.extraHeaderPrefixes) {
      const p = prefix.toLowerCase();
      if (!header.startsWith(p) || header.length === p.length || !values) continue;
      // The key is percent-encoded by the front proxy and lower-cased, as in k8s.io/apiserver.
      let key = header.slice(p.length);
      try {
        key = decodeURIComponent(key);
      } catch {
        // keep the raw key
      }
      extra[key] = [...(extra[key] ?? []), ...values];
    }
  }
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}

function stripRequestHeaders(
  req: IncomingMessage,
  rh: {
    usernameHeaders: readonly string[];
    groupHeaders: readonly string[];
    extraHeaderPrefixes: readonly string[];
    uidHeaders: readonly string[];
  },
): void {
  for (const h of [...rh.usernameHeaders, ...rh.groupHeaders, ...rh.uidHeaders]) {
    delete req.headers[h.toLowerCase()];
  }
  for (const name of Object.keys(req.headers)) {
    if (rh.extraHeaderPrefixes.some((p) => name.startsWith(p.toLowerCase()))) delete req.headers[name];
  }
}

/** The token of an `Authorization: Bearer <token>` header (upstream's bearertoken authenticator). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** A bounded map whose entries expire. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(
    private readonly maxEntries: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: this.clock() + ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface TokenReviewOptions {
  /** How long a successful review is cached (upstream default 10s). */
  successTtlMs?: number;
  /** How long a rejected token is cached (upstream default 10s). */
  failureTtlMs?: number;
  /** `spec.audiences` of the review (empty: the apiserver's audiences). */
  audiences?: string[];
}

/** TokenReview (authentication.k8s.io/v1) against the apiserver, with success and failure TTL caches. */
export class TokenReviewAuthenticator implements TokenReviewer {
  private readonly cache = new TtlCache<AuthnResult>(4096);
  private readonly inflight = new Map<string, Promise<AuthnResult>>();
  private readonly successTtl: number;
  private readonly failureTtl: number;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: TokenReviewOptions = {},
  ) {
    this.successTtl = opts.successTtlMs ?? 10_000;
    this.failureTtl = opts.failureTtlMs ?? 10_000;
  }

  async review(token: string): Promise<AuthnResult> {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = this.cache.get(key);
    if (hit) return hit;
    // Concurrent requests with the same token share one TokenReview.
    let p = this.inflight.get(key);
    if (!p) {
      p = this.reviewNow(key, token).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async reviewNow(key: string, token: string): Promise<AuthnResult> {
    const body = {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token, ...(this.opts.audiences?.length ? { audiences: this.opts.audiences } : {}) },
    };
    let res: Awaited<ReturnType<KubeApi["post"]>>;
    try {
      res = await this.api.post("/apis/authentication.k8s.io/v1/tokenreviews", body);
    } catch (e) {
      // Not cached: the apiserver may be back on the next request.
      return { ok: false, reason: `token review failed: ${(e as Error).message}` };
    }
    if (res.status !== 201 && res.status !== 200) {
      return { ok: false, reason: `token review failed: ${statusMessage(res)}` };
    }
    const status = (res.body as { status?: TokenReviewStatus }).status ?? {};
    let result: AuthnResult;
    if (status.authenticated && status.user?.username) {
      const u = status.user;
      const user: UserInfo = { name: u.username ?? "", groups: u.groups ?? [] };
      if (u.uid) user.uid = u.uid;
      if (u.extra && Object.keys(u.extra).length > 0) user.extra = u.extra;
      result = { ok: true, user };
      this.cache.set(key, result, this.successTtl);
    } else {
      result = {
        ok: false,
        reason: `bearer token rejected by TokenReview: ${status.error || "not authenticated"}`,
      };
      this.cache.set(key, result, this.failureTtl);
    }
    return result;
  }
}

interface TokenReviewStatus {
  authenticated?: boolean;
  error?: string;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}
