/**
 * The adapter's security, assembled from flags as the generic Kubernetes apiserver does it
 * (SecureServingOptions + DelegatingAuthenticationOptions + DelegatingAuthorizationOptions), plus the
 * remote adapter. The `tidescale adapter` command calls `addSecurityFlags(cmd)` and
 * `buildSecurity(opts, log)`, then `security.gate(req)` on every request before routing.
 */
import type { X509Certificate } from "node:crypto";
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { Server as TlsServer } from "node:tls";
import { Option } from "commander";
import { parseDurationMs } from "../../../core/duration.js";
import { ToolkitError } from "../../../core/errors.js";
import { status } from "../../../core/metrics/api-objects.js";
import { createRemoteAdapter, type HttpRemoteAdapter, parseRemoteTarget } from "../remote-adapter.js";
import {
  type Authenticator,
  type Authorizer,
  allowAll,
  INSECURE_DEV_USER,
  type RequestAttributes,
  type UserInfo,
} from "../security.js";
import {
  type AuthenticationConfig,
  DEFAULT_REQUEST_HEADERS,
  DelegatingAuthenticator,
  type RequestHeaderConfig,
  TokenReviewAuthenticator,
} from "./authentication.js";
import {
  alwaysAllowPath,
  DEFAULT_ALWAYS_ALLOW_PATHS,
  SubjectAccessReviewAuthorizer,
} from "./authorization.js";
import { parseCertBundle } from "./client-cert.js";
import { type CraneRemoteFlags, remoteAdapterTarget } from "./crane-remote-flags.js";
import { type KubeApi, kubeApiFromConfig, statusMessage } from "./kube-client.js";
import { requestAttributes } from "./request-info.js";
import { type SecurityLog, type ServingTls, servingTls, silentLog } from "./tls.js";

export type { SecurityLog } from "./tls.js";

/** Parsed values of the flags `addSecurityFlags` adds (commander's camelCase keys). */
export interface SecurityFlags extends CraneRemoteFlags {
  insecureDev?: boolean | undefined;
  certDir?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsPrivateKeyFile?: string | undefined;
  clientCaFile?: string | undefined;
  requestheaderClientCaFile?: string | undefined;
  requestheaderAllowedNames?: string | undefined;
  requestheaderUsernameHeaders?: string | undefined;
  requestheaderGroupHeaders?: string | undefined;
  requestheaderExtraHeadersPrefix?: string | undefined;
  authenticationKubeconfig?: string | undefined;
  authenticationSkipLookup?: boolean | undefined;
  authenticationTolerateLookupFailure?: boolean | undefined;
  authenticationTokenWebhookCacheTtl?: string | undefined;
  authorizationKubeconfig?: string | undefined;
  authorizationAlwaysAllowPaths?: string | undefined;
  authorizationWebhookCacheAuthorizedTtl?: string | undefined;
  authorizationWebhookCacheUnauthorizedTtl?: string | undefined;
  remoteAdapterCaFile?: string | undefined;
  remoteAdapterInsecureSkipTlsVerify?: boolean | undefined;
  remoteAdapterClientCert?: string | undefined;
  remoteAdapterClientKey?: string | undefined;
  remoteAdapterDiscoveryInterval?: string | undefined;
  /** Generic `--kubeconfig` of the command, used when the specific kubeconfig flags are not given. */
  kubeconfig?: string | undefined;
}

/** The default of `--cert-dir` (the generic apiserver's). */
export const DEFAULT_CERT_DIR = "apiserver.local.config/certificates";

/** Anything commander-like that takes an Option. */
export interface OptionTarget {
  addOption(option: Option): unknown;
}

/**
 * Adds the serving, delegated authentication/authorization and remote-adapter flags, with the generic
 * apiserver's names and defaults. Pass `{ insecureDev: false }` when the command defines
 * `--insecure-dev` itself.
 */
export function addSecurityFlags<T extends OptionTarget>(cmd: T, opts: { insecureDev?: boolean } = {}): T {
  const add = (flags: string, description: string, defaultValue?: string) => {
    const o = new Option(flags, description);
    if (defaultValue !== undefined) o.default(defaultValue);
    cmd.addOption(o);
  };
  if (opts.insecureDev !== false) {
    add("--insecure-dev", "local development only: no authentication or authorization (everything allowed)");
  }
  add(
    "--cert-dir <dir>",
    "where a self-signed serving certificate is written when no --tls-cert-file is given",
    DEFAULT_CERT_DIR,
  );
  add(
    "--tls-cert-file <file>",
    "serving certificate (PEM, may include intermediates); reloaded when it changes",
  );
  add("--tls-private-key-file <file>", "serving private key matching --tls-cert-file");
  add("--client-ca-file <file>", "CA bundle for x509 client-certificate users (CN = user, O = groups)");
  add(
    "--requestheader-client-ca-file <file>",
    "CA bundle for the front proxy's client certificate; only then are the requestheader headers trusted",
  );
  add(
    "--requestheader-allowed-names <names>",
    "comma-separated CNs allowed for the front proxy (empty: any)",
  );
  add("--requestheader-username-headers <headers>", "comma-separated user name headers", "X-Remote-User");
  add("--requestheader-group-headers <headers>", "comma-separated group headers", "X-Remote-Group");
  add(
    "--requestheader-extra-headers-prefix <prefixes>",
    "comma-separated extra header prefixes",
    "X-Remote-Extra-",
  );
  add(
    "--authentication-kubeconfig <file>",
    "kubeconfig for TokenReview and the extension-apiserver-authentication ConfigMap (default: --kubeconfig or in-cluster)",
  );
  add("--authentication-skip-lookup", "do not read kube-system/extension-apiserver-authentication");
  add("--authentication-tolerate-lookup-failure", "start even when that ConfigMap cannot be read");
  add(
    "--authentication-token-webhook-cache-ttl <duration>",
    "how long TokenReview answers are cached",
    "10s",
  );
  add(
    "--authorization-kubeconfig <file>",
    "kubeconfig for SubjectAccessReview (default: --kubeconfig or in-cluster)",
  );
  add(
    "--authorization-always-allow-paths <paths>",
    "comma-separated paths allowed without authentication or authorization",
    DEFAULT_ALWAYS_ALLOW_PATHS.join(","),
  );
  add(
    "--authorization-webhook-cache-authorized-ttl <duration>",
    "how long allowed SubjectAccessReviews are cached",
    "10s",
  );
  add(
    "--authorization-webhook-cache-unauthorized-ttl <duration>",
    "how long denied SubjectAccessReviews are cached",
    "10s",
  );
  add(
    "--remote-adapter [url|namespace/name:port]",
    "forward requests for metrics we do not serve to this adapter (https URL or Service reference); " +
      "Crane's spelling --remote-adapter=true takes the Service from the --remote-adapter-service-* flags",
  );
  add(
    "--remote-adapter-service-namespace <namespace>",
    "Crane's spelling: namespace of the remote adapter's Service",
  );
  add("--remote-adapter-service-name <name>", "Crane's spelling: name of the remote adapter's Service");
  add(
    "--remote-adapter-service-port <port>",
    "Crane's spelling: port of the remote adapter's Service (default 6443)",
  );
  add("--remote-adapter-ca-file <file>", "CA bundle that signs the remote adapter's serving certificate");
  add("--remote-adapter-insecure-skip-tls-verify", "do not verify the remote adapter's certificate (unsafe)");
  add(
    "--remote-adapter-client-cert <file>",
    "front-proxy client certificate presented to the remote adapter (it must trust its CA as requestheader CA)",
  );
  add("--remote-adapter-client-key <file>", "private key of --remote-adapter-client-cert");
  add(
    "--remote-adapter-discovery-interval <duration>",
    "how often the remote adapter's discovery is refreshed",
    "1m",
  );
  return cmd;
}

const CONFIGMAP_PATH = "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication";

function list(v: string | undefined): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function durationMs(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  return parseDurationMs(value, flag);
}

/** A refresh period under one second would poll the remote in a tight loop; it is an input error. */
function atLeastOneSecond(ms: number, flag: string): number {
  if (ms < 1000) throw new ToolkitError("INVALID_INPUT", flag, `must be at least 1s, got ${ms}ms`);
  return ms;
}

function readCaFile(file: string, flag: string): { pem: string; certs: X509Certificate[] } {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    throw new ToolkitError("INVALID_INPUT", flag, `cannot read ${file}: ${(e as Error).message}`);
  }
  let certs: X509Certificate[];
  try {
    certs = parseCertBundle(pem);
  } catch (e) {
    throw new ToolkitError(
      "INVALID_INPUT",
      flag,
      `${file}: not a PEM certificate bundle: ${(e as Error).message}`,
    );
  }
  if (certs.length === 0) throw new ToolkitError("INVALID_INPUT", flag, `${file} holds no PEM certificate`);
  return { pem, certs };
}

/** The `requestheader-*` and `client-ca-file` keys of kube-system/extension-apiserver-authentication. */
export interface AuthenticationConfigMap {
  clientCA?: string;
  requestHeaderCA?: string;
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
  uidHeaders: string[];
}

function jsonList(v: string | undefined): string[] {
  if (!v) return [];
  try {
    const parsed = JSON.parse(v) as unknown;
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}

/** Reads kube-system/extension-apiserver-authentication (needs Role extension-apiserver-authentication-reader). */
export async function readAuthenticationConfigMap(api: KubeApi): Promise<AuthenticationConfigMap> {
  const res = await api.get(CONFIGMAP_PATH);
  if (res.status !== 200) {
    const hint =
      res.status === 403
        ? " (bind Role kube-system/extension-apiserver-authentication-reader to the adapter's service account in kube-system)"
        : "";
    throw new ToolkitError(
      "UNAVAILABLE",
      "kube-system/extension-apiserver-authentication",
      `cannot read the ConfigMap from ${api.server}: ${statusMessage(res)}${hint}`,
    );
  }
  const data = (res.body as { data?: Record<string, string> }).data ?? {};
  const cm: AuthenticationConfigMap = {
    allowedNames: jsonList(data["requestheader-allowed-names"]),
    usernameHeaders: jsonList(data["requestheader-username-headers"]),
    groupHeaders: jsonList(data["requestheader-group-headers"]),
    extraHeaderPrefixes: jsonList(data["requestheader-extra-headers-prefix"]),
    uidHeaders: jsonList(data["requestheader-uid-headers"]),
  };
  if (data["client-ca-file"]) cm.clientCA = data["client-ca-file"];
  if (data["requestheader-client-ca-file"]) cm.requestHeaderCA = data["requestheader-client-ca-file"];
  return cm;
}

/**
 * The remote adapter from the `--remote-adapter*` flags (undefined without `--remote-adapter`). A Service
 * reference is resolved with `--authentication-kubeconfig`, `--kubeconfig` or the in-cluster config.
 */
export async function buildRemoteAdapter(
  flags: SecurityFlags,
  log: SecurityLog = silentLog,
): Promise<HttpRemoteAdapter | undefined> {
  const remoteAdapter = remoteAdapterTarget(flags);
  if (!remoteAdapter) {
    for (const [v, flag] of [
      [flags.remoteAdapterCaFile, "--remote-adapter-ca-file"],
      [flags.remoteAdapterClientCert, "--remote-adapter-client-cert"],
      [flags.remoteAdapterClientKey, "--remote-adapter-client-key"],
    ] as const) {
      if (v) throw new ToolkitError("INVALID_INPUT", flag, "needs --remote-adapter");
    }
    return undefined;
  }
  const target = parseRemoteTarget(remoteAdapter);
  const kube =
    target.kind === "service"
      ? kubeApiFromConfig(
          flags.authenticationKubeconfig ?? flags.kubeconfig,
          flags.authenticationKubeconfig ? "--authentication-kubeconfig" : "--kubeconfig",
        )
      : undefined;
  if (target.kind === "service" && !kube) {
    throw new ToolkitError(
      "INVALID_INPUT",
      "--remote-adapter",
      `Service reference ${remoteAdapter} needs --kubeconfig (or in-cluster config) to be resolved`,
    );
  }
  return createRemoteAdapter({
    target,
    kube,
    caFile: flags.remoteAdapterCaFile,
    insecureSkipTLSVerify: flags.remoteAdapterInsecureSkipTlsVerify,
    clientCertFile: flags.remoteAdapterClientCert,
    clientKeyFile: flags.remoteAdapterClientKey,
    discoveryIntervalMs: atLeastOneSecond(
      durationMs(flags.remoteAdapterDiscoveryInterval, "--remote-adapter-discovery-interval", 60_000),
      "--remote-adapter-discovery-interval",
    ),
    log,
  });
}

/** What the server needs from the security parts. */
export interface Security {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  /** The serving certificate: `https.createServer(security.tls.options, handler)`, then `attach(server)`. */
  readonly tls: ServingTls;
  /** The remote adapter, when `--remote-adapter` is given. */
  readonly remote: HttpRemoteAdapter | undefined;
  readonly insecureDev: boolean;
  /** Registers a server for serving-certificate reloads. */
  attach(server: TlsServer): void;
  /**
   * Authenticates and authorizes `req` (always-allowed paths skip both). On failure, `status` is the
   * Kubernetes Status to answer with (401 or 403).
   */
  gate(req: IncomingMessage): Promise<GateResult>;
  close(): void;
}

export type GateResult =
  | { ok: true; user: UserInfo; attributes?: RequestAttributes }
  | { ok: false; code: 401 | 403; status: Record<string, unknown> };

const HEALTH_USER: UserInfo = { name: "system:anonymous", groups: ["system:unauthenticated"] };

/** A metav1.Status for 403, worded as the apiserver's Forbidden errors. */
export function forbiddenStatus(attrs: RequestAttributes, reason: string): Record<string, unknown> {
  if (!attrs.isResourceRequest) return status(403, `forbidden: ${reason}`);
  const qualified = attrs.apiGroup ? `${attrs.resource ?? ""}.${attrs.apiGroup}` : (attrs.resource ?? "");
  return status(403, `${qualified} "${attrs.name ?? ""}" is forbidden: ${reason}`, {
    details: { name: attrs.name ?? "", group: attrs.apiGroup ?? "", kind: attrs.resource ?? "" },
  });
}

/**
 * Builds TLS, the authenticator, the authorizer and the remote adapter from flags. Throws ToolkitError
 * (exit 2) for bad flags and for a missing delegation setup, naming the flag to fix.
 */
export async function buildSecurity(flags: SecurityFlags, log: SecurityLog = silentLog): Promise<Security> {
  const insecureDev = !!flags.insecureDev;
  const watched: { file: string; fn: () => void }[] = [];
  const timers: NodeJS.Timeout[] = [];
  const alwaysAllow = list(flags.authorizationAlwaysAllowPaths ?? DEFAULT_ALWAYS_ALLOW_PATHS.join(","));

  let authenticator: Authenticator;
  let authorizer: Authorizer;
  let delegating: DelegatingAuthenticator | undefined;
  let advertisedCAs: string | undefined;
  const authnKube = () =>
    kubeApiFromConfig(
      flags.authenticationKubeconfig ?? flags.kubeconfig,
      flags.authenticationKubeconfig ? "--authentication-kubeconfig" : "--kubeconfig",
    );

  if (insecureDev) {
    log.warn({}, "--insecure-dev: authentication and authorization are OFF; never use this in a cluster");
    authenticator = allowAll;
    authorizer = allowAll;
  } else {
    const kubeAuthn = authnKube();
    const loadAuthn = async (): Promise<{ config: AuthenticationConfig; cas: string[] }> => {
      let cm: AuthenticationConfigMap | undefined;
      const needLookup = !flags.clientCaFile || !flags.requestheaderClientCaFile;
      if (needLookup && !flags.authenticationSkipLookup && kubeAuthn) {
        try {
          cm = await readAuthenticationConfigMap(kubeAuthn);
        } catch (e) {
          if (!flags.authenticationTolerateLookupFailure) throw e;
          log.warn(
            { err: (e as Error).message },
            "cannot read extension-apiserver-authentication; continuing (--authentication-tolerate-lookup-failure)",
          );
        }
      }
      const config: AuthenticationConfig = {};
      const cas: string[] = [];
      if (flags.requestheaderClientCaFile) {
        const ca = readCaFile(flags.requestheaderClientCaFile, "--requestheader-client-ca-file");
        cas.push(ca.pem);
        config.requestHeader = {
          ca: ca.certs,
          allowedNames: list(flags.requestheaderAllowedNames),
          usernameHeaders: list(flags.requestheaderUsernameHeaders ?? "X-Remote-User"),
          groupHeaders: list(flags.requestheaderGroupHeaders ?? "X-Remote-Group"),
          extraHeaderPrefixes: list(flags.requestheaderExtraHeadersPrefix ?? "X-Remote-Extra-"),
          uidHeaders: [...DEFAULT_REQUEST_HEADERS.uidHeaders],
        };
      } else if (cm?.requestHeaderCA) {
        cas.push(cm.requestHeaderCA);
        const rh: RequestHeaderConfig = {
          ca: parseCertBundle(cm.requestHeaderCA),
          allowedNames: cm.allowedNames,
          usernameHeaders: cm.usernameHeaders.length
            ? cm.usernameHeaders
            : [...DEFAULT_REQUEST_HEADERS.usernameHeaders],
          groupHeaders: cm.groupHeaders.length ? cm.groupHeaders : [...DEFAULT_REQUEST_HEADERS.groupHeaders],
          extraHeaderPrefixes: cm.extraHeaderPrefixes.length
            ? cm.extraHeaderPrefixes
            : [...DEFAULT_REQUEST_HEADERS.extraHeaderPrefixes],
          uidHeaders: cm.uidHeaders.length ? cm.uidHeaders : [...DEFAULT_REQUEST_HEADERS.uidHeaders],
        };
        config.requestHeader = rh;
      }
      if (flags.clientCaFile) {
        const ca = readCaFile(flags.clientCaFile, "--client-ca-file");
        cas.push(ca.pem);
        config.clientCA = ca.certs;
      } else if (cm?.clientCA) {
        cas.push(cm.clientCA);
        config.clientCA = parseCertBundle(cm.clientCA);
      }
      if (kubeAuthn) {
        config.tokenReviewer = new TokenReviewAuthenticator(kubeAuthn, {
          successTtlMs: durationMs(
            flags.authenticationTokenWebhookCacheTtl,
            "--authentication-token-webhook-cache-ttl",
            10_000,
          ),
          failureTtlMs: durationMs(
            flags.authenticationTokenWebhookCacheTtl,
            "--authentication-token-webhook-cache-ttl",
            10_000,
          ),
        });
      }
      return { config, cas };
    };
    const first = await loadAuthn();
    const cfg = first.config;
    if (!cfg.requestHeader && !cfg.clientCA && !cfg.tokenReviewer) {
      throw new ToolkitError(
        "INVALID_INPUT",
        "--requestheader-client-ca-file",
        "no way to authenticate anyone: give --requestheader-client-ca-file, --client-ca-file or " +
          "--authentication-kubeconfig (or run in a cluster); --insecure-dev is for local use only",
      );
    }
    log.info(
      {
        requestheader: cfg.requestHeader
          ? { allowedNames: cfg.requestHeader.allowedNames, cas: cfg.requestHeader.ca.map((c) => c.subject) }
          : "off",
        clientCA: cfg.clientCA ? cfg.clientCA.map((c) => c.subject) : "off",
        tokenReview: kubeAuthn ? kubeAuthn.server : "off",
      },
      "delegated authentication",
    );
    delegating = new DelegatingAuthenticator(cfg);
    advertisedCAs = first.cas.join("\n") || undefined;
    authenticator = delegating;

    const reloadAuthn = () => {
      loadAuthn().then(
        ({ config, cas }) => {
          delegating?.update(config);
          tlsRef?.setClientCAs(cas.join("\n") || undefined);
        },
        (e: Error) =>
          log.error({ err: e.message }, "authentication configuration not reloaded; keeping the old one"),
      );
    };
    for (const file of [flags.requestheaderClientCaFile, flags.clientCaFile]) {
      if (!file) continue;
      watchFile(file, { interval: 1000, persistent: false }, reloadAuthn);
      watched.push({ file, fn: reloadAuthn });
    }
    if (
      kubeAuthn &&
      (!flags.clientCaFile || !flags.requestheaderClientCaFile) &&
      !flags.authenticationSkipLookup
    ) {
      // The generic apiserver watches the ConfigMap; a periodic re-read is enough for CA rotation.
      const t = setInterval(reloadAuthn, 60_000);
      t.unref();
      timers.push(t);
    }

    const kubeAuthz = kubeApiFromConfig(
      flags.authorizationKubeconfig ?? flags.kubeconfig,
      flags.authorizationKubeconfig ? "--authorization-kubeconfig" : "--kubeconfig",
    );
    if (!kubeAuthz) {
      throw new ToolkitError(
        "INVALID_INPUT",
        "--authorization-kubeconfig",
        "SubjectAccessReview needs a kubeconfig (--authorization-kubeconfig or --kubeconfig) or in-cluster config; " +
          "--insecure-dev is for local use only",
      );
    }
    authorizer = new SubjectAccessReviewAuthorizer(kubeAuthz, {
      alwaysAllowPaths: alwaysAllow,
      allowedTtlMs: durationMs(
        flags.authorizationWebhookCacheAuthorizedTtl,
        "--authorization-webhook-cache-authorized-ttl",
        10_000,
      ),
      deniedTtlMs: durationMs(
        flags.authorizationWebhookCacheUnauthorizedTtl,
        "--authorization-webhook-cache-unauthorized-ttl",
        10_000,
      ),
    });
    log.info({ subjectAccessReview: kubeAuthz.server }, "delegated authorization");
  }

  let tlsRef: ServingTls | undefined;
  const tls = servingTls(
    {
      certFile: flags.tlsCertFile,
      keyFile: flags.tlsPrivateKeyFile,
      certDir: flags.certDir ?? DEFAULT_CERT_DIR,
      clientCAs: advertisedCAs,
    },
    log,
  );
  tlsRef = tls;

  const remote = await buildRemoteAdapter(flags, log);

  const authn = authenticator;
  const authz = authorizer;
  return {
    authenticator: authn,
    authorizer: authz,
    tls,
    remote,
    insecureDev,
    attach(server) {
      tls.attach(server);
    },
    async gate(req) {
      const url = req.url ?? "/";
      if (alwaysAllowPath(url, alwaysAllow))
        return { ok: true, user: insecureDev ? INSECURE_DEV_USER : HEALTH_USER };
      const a = await authn.authenticate(req);
      if (!a.ok) return { ok: false, code: 401, status: status(401, `Unauthorized: ${a.reason}`) };
      const attributes = requestAttributes(req.method ?? "GET", url, a.user);
      const d = await authz.authorize(attributes);
      if (!d.allowed) return { ok: false, code: 403, status: forbiddenStatus(attributes, d.reason) };
      return { ok: true, user: a.user, attributes };
    },
    close() {
      tls.close();
      remote?.close();
      for (const w of watched) unwatchFile(w.file, w.fn);
      for (const t of timers) clearInterval(t);
    },
  };
}
