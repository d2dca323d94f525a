/**
 * Ports between the metrics API server (adapters/http/metrics-api-server) and the parts that secure and
 * extend it: delegated authentication, delegated authorization, and the remote adapter that serves the
 * metrics we do not. The generic Kubernetes apiserver does the same three steps in this order:
 * authenticate (401), authorize (403), then handle or forward.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The caller, as authenticated (front-proxy headers after a verified client cert, or TokenReview). */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type AuthnResult = { ok: true; user: UserInfo } | { ok: false; reason: string };

export interface Authenticator {
  /** Decides who sent `req`. `ok: false` becomes a 401 Status with `reason` in the message. */
  authenticate(req: IncomingMessage): Promise<AuthnResult>;
}

/** What a SubjectAccessReview asks about (resource requests and non-resource paths). */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  path: string;
  isResourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export type AuthzDecision = { allowed: true } | { allowed: false; reason: string };

export interface Authorizer {
  /** `allowed: false` becomes a 403 Status. */
  authorize(attrs: RequestAttributes): Promise<AuthzDecision>;
}

/** A discovery entry of an APIResourceList (`/apis/<group>/<version>`). */
export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

export interface RemoteAdapter {
  /** The remote's resources for `group/version` from its last discovery refresh (undefined if unknown). */
  resources(groupVersion: string): APIResource[] | undefined;
  /** True when the remote's discovery lists `resource` (e.g. `pods/http_requests_qps`) in `groupVersion`. */
  serves(groupVersion: string, resource: string): boolean;
  /** Proxies `req` to the remote adapter as `user` and streams the answer to `res`. */
  forward(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void>;
  /** Stops background refreshes. */
  close(): void;
}

/** `--insecure-dev`: everybody is `system:anonymous`-like dev user and everything is allowed. */
export const INSECURE_DEV_USER: UserInfo = {
  name: "tidescale:insecure-dev",
  groups: ["system:authenticated"],
};

export const allowAll: Authenticator & Authorizer = {
  async authenticate() {
    return { ok: true, user: INSECURE_DEV_USER };
  },
  async authorize() {
    return { allowed: true };
  },
};
