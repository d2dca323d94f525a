/**
 * The remote adapter: requests for metrics this adapter does not serve go to another metrics adapter,
 * so that two adapters can share one APIService (Kubernetes allows one backend per APIService).
 *
 * Crane's `--remote-adapter` solved the same problem with flaws this implementation avoids:
 * - TLS verification is on (the remote's CA from `--remote-adapter-ca-file`, or the system roots);
 *   skipping it takes an explicit `--remote-adapter-insecure-skip-tls-verify`.
 * - The caller's identity is preserved: we call the remote as a front proxy (a client certificate the
 *   remote trusts as requestheader CA) and send X-Remote-User/Group/Uid/Extra-* from the authenticated
 *   UserInfo, never the client's own X-Remote-* headers. The remote authorizes the real caller.
 * - Discovery is refreshed on an interval (Crane cached it forever).
 * - Requests are proxied as they are (path, query, status and body), so a remote 404 stays a 404 Status,
 *   root-scoped wildcards and multi-item answers work, and a down remote gives a 503 Status that says so.
 */
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import { createSecureContext } from "node:tls";
import { ToolkitError } from "../../core/errors.js";
import { status } from "../../core/metrics/api-objects.js";
import type { KubeApi } from "./auth/kube-client.js";
import { assertKeyMatchesCert, type SecurityLog, silentLog } from "./auth/tls.js";
import type { APIResource, RemoteAdapter, UserInfo } from "./security.js";

/** The group-versions whose discovery is fetched from the remote by default. */
export const DEFAULT_REMOTE_GROUP_VERSIONS = [
  "custom.metrics.k8s.io/v1beta1",
  "custom.metrics.k8s.io/v1beta2",
  "external.metrics.k8s.io/v1beta1",
  "metrics.k8s.io/v1beta1",
];

/** Header counting forwards, to stop A -> B -> A loops. */
export const HOPS_HEADER = "x-tidescale-remote-hops";
const MAX_HOPS = 4;

export type RemoteTarget =
  | { kind: "url"; url: URL }
  | { kind: "service"; namespace: string; name: string; port: number };

/** Parses `--remote-adapter`: an https URL, or a Service reference `namespace/name:port`. */
export function parseRemoteTarget(value: string): RemoteTarget {
  const flag = "--remote-adapter";
  if (/^[a-z]+:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ToolkitError("INVALID_INPUT", flag, `not a valid URL: ${JSON.stringify(value)}`);
    }
    if (url.protocol !== "https:") {
      throw new ToolkitError(
        "INVALID_INPUT",
        flag,
        `must be an https:// URL (metrics adapters serve TLS), got ${url.protocol}`,
      );
    }
    if (url.search || url.hash)
      throw new ToolkitError("INVALID_INPUT", flag, "must not have a query or fragment");
    return { kind: "url", url };
  }
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?::(\d+))?$/.exec(value);
  if (!m) {
    throw new ToolkitError(
      "INVALID_INPUT",
      flag,
      `expected https://host:port or a Service reference namespace/name:port, got ${JSON.stringify(value)}`,
    );
  }
  const port = m[5] ? Number(m[5]) : 443;
  if (!(port >= 1 && port <= 65535))
    throw new ToolkitError("INVALID_INPUT", flag, `port ${port} out of range 1-65535`);
  return { kind: "service", namespace: m[1] ?? "", name: m[3] ?? "", port };
}

export interface RemoteAdapterOptions {
  target: RemoteTarget;
  /** Resolves Service references (the adapter's kubeconfig or in-cluster config). */
  kube?: KubeApi | undefined;
  /** `--remote-adapter-ca-file`: PEM bundle that signs the remote's serving certificate. */
  caFile?: string | undefined;
  /** `--remote-adapter-insecure-skip-tls-verify`. */
  insecureSkipTLSVerify?: boolean | undefined;
  /** `--remote-adapter-client-cert` / `--remote-adapter-client-key`: our front-proxy client certificate. */
  clientCertFile?: string | undefined;
  clientKeyFile?: string | undefined;
  /** `--remote-adapter-discovery-interval` (default 1m). */
  discoveryIntervalMs?: number;
  groupVersions?: string[];
  /** The identity discovery requests are made as (default tidescale:remote-discovery, system:authenticated). */
  discoveryUser?: UserInfo;
  /** Per-request timeout (default 30s). */
  timeoutMs?: number;
  log?: SecurityLog;
}

/** Local discovery entries plus the remote's, local first; a name served locally is not duplicated. */
export function mergeResources(local: APIResource[], remote: APIResource[] | undefined): APIResource[] {
  if (!remote || remote.length === 0) return local;
  const seen = new Set(local.map((r) => r.name));
  return [...local, ...remote.filter((r) => !seen.has(r.name))];
}

interface Endpoint {
  base: URL;
  /** TLS server name to verify (`<name>.<namespace>.svc` for Services, as the aggregator does). */
  servername?: string;
  description: string;
}

function sendStatus(res: ServerResponse, code: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(status(code, message));
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const PASSED_RESPONSE_HEADERS = ["content-type", "content-encoding", "cache-control", "warning", "audit-id"];

/** Front-proxy headers for `user` (k8s.io/apiserver's requestheader format; extra keys percent-encoded). */
export function frontProxyHeaders(user: UserInfo): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = { "x-remote-user": user.name };
  if (user.groups.length > 0) h["x-remote-group"] = [...user.groups];
  if (user.uid) h["x-remote-uid"] = user.uid;
  for (const [key, values] of Object.entries(user.extra ?? {})) {
    if (values.length > 0) h[`x-remote-extra-${encodeURIComponent(key.toLowerCase())}`] = [...values];
  }
  return h;
}

/** Kubernetes' "is this a TLS verification failure" for Node's error codes. */
function isTlsError(e: NodeJS.ErrnoException): boolean {
  const c = e.code ?? "";
  return (
    c.startsWith("ERR_TLS") ||
    c.startsWith("ERR_SSL") ||
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(c)
  );
}

/** The remote adapter over HTTPS. Create with `createRemoteAdapter`. */
export class HttpRemoteAdapter implements RemoteAdapter {
  private discovered = new Map<string, APIResource[]>();
  private agent: https.Agent;
  private endpoint: Endpoint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly watched: string[] = [];
  private refreshing: Promise<void> | undefined;
  /** The outcome of the last discovery refresh (for logs and readiness). */
  lastError: string | undefined;
  lastRefresh: Date | undefined;

  constructor(private readonly opts: RemoteAdapterOptions) {
    this.agent = this.makeAgent();
    for (const f of [opts.caFile, opts.clientCertFile, opts.clientKeyFile]) {
      if (!f) continue;
      watchFile(f, { interval: 1000, persistent: false }, this.onFileChange);
      this.watched.push(f);
    }
  }

  private readonly onFileChange = () => {
    try {
      const next = this.makeAgent();
      this.agent.destroy();
      this.agent = next;
      this.log.info({}, "remote adapter TLS files reloaded");
    } catch (e) {
      this.log.error(
        { err: (e as Error).message },
        "remote adapter TLS files not reloaded; keeping the old ones",
      );
    }
  };

  private get log(): SecurityLog {
    return this.opts.log ?? silentLog;
  }

  private makeAgent(): https.Agent {
    const o = this.opts;
    const read = (f: string, flag: string) => {
      try {
        return readFileSync(f);
      } catch (e) {
        throw new ToolkitError("INVALID_INPUT", flag, `cannot read ${f}: ${(e as Error).message}`);
      }
    };
    const agentOpts: https.AgentOptions = {
      keepAlive: true,
      maxSockets: 64,
      rejectUnauthorized: !o.insecureSkipTLSVerify,
    };
    if (o.caFile) {
      const ca = read(o.caFile, "--remote-adapter-ca-file");
      // Node accepts a bundle without any certificate and then fails every handshake; say so at start.
      if (!ca.toString("latin1").includes("-----BEGIN CERTIFICATE-----"))
        throw new ToolkitError(
          "INVALID_INPUT",
          "--remote-adapter-ca-file",
          `${o.caFile} holds no PEM certificate`,
        );
      agentOpts.ca = ca;
    }
    if (o.clientCertFile) agentOpts.cert = read(o.clientCertFile, "--remote-adapter-client-cert");
    if (o.clientKeyFile) agentOpts.key = read(o.clientKeyFile, "--remote-adapter-client-key");
    if (agentOpts.cert && agentOpts.key) {
      try {
        createSecureContext({ cert: agentOpts.cert, key: agentOpts.key });
        assertKeyMatchesCert(agentOpts.cert as Buffer, agentOpts.key as Buffer);
      } catch (e) {
        throw new ToolkitError(
          "INVALID_INPUT",
          "--remote-adapter-client-key",
          `cannot use ${o.clientCertFile} with ${o.clientKeyFile}: ${(e as Error).message}`,
        );
      }
    }
    return new https.Agent(agentOpts);
  }

  /** Resolves the target (Services are looked up on every refresh, so a changed ClusterIP is followed). */
  private async resolve(): Promise<Endpoint> {
    const t = this.opts.target;
    if (t.kind === "url") {
      const base = new URL(t.url.href.replace(/\/+$/, ""));
      return { base, description: base.href };
    }
    const kube = this.opts.kube;
    const ref = `${t.namespace}/${t.name}:${t.port}`;
    if (!kube) {
      throw new ToolkitError(
        "INVALID_INPUT",
        "--remote-adapter",
        `Service reference ${ref} needs a kubeconfig (--kubeconfig / --authentication-kubeconfig, or in-cluster config)`,
      );
    }
    const res = await kube.get(
      `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/services/${encodeURIComponent(t.name)}`,
    );
    if (res.status !== 200) {
      const msg = (res.body as { message?: string })?.message ?? `HTTP ${res.status}`;
      throw new ToolkitError("UNAVAILABLE", "--remote-adapter", `cannot look up Service ${ref}: ${msg}`);
    }
    const spec =
      (
        res.body as {
          spec?: { type?: string; clusterIP?: string; externalName?: string; ports?: { port?: number }[] };
        }
      ).spec ?? {};
    let host: string | undefined;
    if (spec.type === "ExternalName") host = spec.externalName;
    else {
      if (!(spec.ports ?? []).some((p) => p.port === t.port)) {
        throw new ToolkitError("INVALID_INPUT", "--remote-adapter", `Service ${ref} has no port ${t.port}`);
      }
      host = spec.clusterIP && spec.clusterIP !== "None" ? spec.clusterIP : undefined;
    }
    if (!host)
      throw new ToolkitError(
        "INVALID_INPUT",
        "--remote-adapter",
        `Service ${ref} has no ClusterIP or externalName`,
      );
    const h = host.includes(":") ? `[${host}]` : host;
    return {
      base: new URL(`https://${h}:${t.port}`),
      servername: `${t.name}.${t.namespace}.svc`,
      description: `Service ${ref} (https://${h}:${t.port})`,
    };
  }

  resources(groupVersion: string): APIResource[] | undefined {
    return this.discovered.get(groupVersion);
  }

  serves(groupVersion: string, resource: string): boolean {
    return this.discovered.get(groupVersion)?.some((r) => r.name === resource) ?? false;
  }

  /** Fetches the remote's discovery documents now. Failures keep the last known documents. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    let ep: Endpoint;
    try {
      ep = await this.resolve();
      this.endpoint = ep;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log.warn({ err: this.lastError }, "remote adapter: cannot resolve the target");
      return;
    }
    const user = this.opts.discoveryUser ?? {
      name: "tidescale:remote-discovery",
      groups: ["system:authenticated"],
    };
    const errors: string[] = [];
    await Promise.all(
      (this.opts.groupVersions ?? DEFAULT_REMOTE_GROUP_VERSIONS).map(async (gv) => {
        try {
          const { status, body } = await this.getJson(ep, `/apis/${gv}`, user);
          if (status === 404)
            this.discovered.set(gv, []); // the remote does not serve this group-version
          else if (status === 200) {
            const resources = (body as { resources?: unknown }).resources;
            if (!Array.isArray(resources)) throw new Error("not an APIResourceList");
            this.discovered.set(gv, resources.filter(isApiResource));
          } else {
            const msg = (body as { message?: string })?.message ?? String(body).slice(0, 200);
            throw new Error(`HTTP ${status}: ${msg}`);
          }
        } catch (e) {
          errors.push(`${gv}: ${(e as Error).message}`);
        }
      }),
    );
    this.lastRefresh = new Date();
    this.lastError = errors.length > 0 ? errors.join("; ") : undefined;
    if (this.lastError) {
      this.log.warn(
        { remote: ep.description, err: this.lastError },
        "remote adapter discovery failed; keeping the last known lists",
      );
    }
  }

  private getJson(ep: Endpoint, path: string, user: UserInfo): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        this.requestOptions(ep, "GET", path, { accept: "application/json", ...frontProxyHeaders(user) }),
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > 16 << 20) req.destroy(new Error("discovery document larger than 16 MiB"));
            else chunks.push(c);
          });
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
            } catch {
              resolve({ status: res.statusCode ?? 0, body: text });
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", reject);
      req.end();
    });
  }

  private requestOptions(
    ep: Endpoint,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
  ): https.RequestOptions {
    const base = ep.base;
    const o: https.RequestOptions = {
      protocol: "https:",
      hostname: base.hostname.replace(/^\[|\]$/g, ""),
      port: base.port || 443,
      method,
      path: (base.pathname === "/" ? "" : base.pathname) + path,
      headers,
      agent: this.agent,
      timeout: this.opts.timeoutMs ?? 30_000,
    };
    if (ep.servername) o.servername = ep.servername;
    return o;
  }

  async forward(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
    const hops = Number(req.headers[HOPS_HEADER] ?? "0") || 0;
    if (hops >= MAX_HOPS) {
      sendStatus(
        res,
        500,
        `remote adapter: request already forwarded ${hops} times; check for a --remote-adapter loop`,
      );
      return;
    }
    let ep = this.endpoint;
    if (!ep) {
      await this.refresh();
      ep = this.endpoint;
    }
    if (!ep) {
      sendStatus(
        res,
        503,
        `remote adapter ${this.describeTarget()} is unavailable: ${this.lastError ?? "not resolved"}`,
      );
      return;
    }
    const headers: Record<string, string | string[]> = {
      accept: req.headers.accept ?? "application/json",
      ...frontProxyHeaders(user),
      [HOPS_HEADER]: String(hops + 1),
    };
    copyHeader(req.headers, headers, "content-type");
    copyHeader(req.headers, headers, "user-agent");
    copyHeader(req.headers, headers, "audit-id");
    const endpoint = ep;
    await new Promise<void>((resolve) => {
      const up = https.request(
        this.requestOptions(endpoint, req.method ?? "GET", req.url ?? "/", headers),
        (ur) => {
          const code = ur.statusCode ?? 502;
          const type = String(ur.headers["content-type"] ?? "");
          if (code >= 400 && !type.includes("json")) {
            // Aggregator-style text/plain errors become Status objects.
            const chunks: Buffer[] = [];
            ur.on("data", (c: Buffer) => {
              if (chunks.length < 64) chunks.push(c);
            });
            ur.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8").trim().slice(0, 500);
              sendStatus(
                res,
                code,
                `remote adapter ${endpoint.description} answered ${code}: ${text || "(empty body)"}`,
              );
              resolve();
            });
            ur.on("error", () => {
              sendStatus(res, 502, `remote adapter ${endpoint.description}: response aborted`);
              resolve();
            });
            return;
          }
          const out: Record<string, string | string[]> = {};
          for (const h of PASSED_RESPONSE_HEADERS) copyHeader(ur.headers, out, h);
          res.writeHead(code, out);
          ur.pipe(res);
          ur.on("end", () => resolve());
          ur.on("error", () => {
            res.destroy();
            resolve();
          });
        },
      );
      up.on("timeout", () => up.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
      up.on("error", (e: NodeJS.ErrnoException) => {
        if (isTlsError(e)) {
          sendStatus(
            res,
            503,
            `remote adapter ${endpoint.description} is unavailable: TLS verification failed: ${e.message}` +
              " (give the CA that signed its serving certificate with --remote-adapter-ca-file)",
          );
        } else if (e.code === "ETIMEDOUT") {
          sendStatus(
            res,
            504,
            `remote adapter ${endpoint.description} did not answer within ${this.opts.timeoutMs ?? 30_000} ms`,
          );
        } else {
          sendStatus(
            res,
            503,
            `remote adapter ${endpoint.description} is unavailable: ${e.message || e.code}`,
          );
        }
        resolve();
      });
      res.on("close", () => {
        if (!res.writableFinished) up.destroy();
      });
      if (req.method === "GET" || req.method === "HEAD") up.end();
      else req.pipe(up);
    });
  }

  private describeTarget(): string {
    const t = this.opts.target;
    return t.kind === "url" ? t.url.href : `Service ${t.namespace}/${t.name}:${t.port}`;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const f of this.watched) unwatchFile(f, this.onFileChange);
    this.agent.destroy();
  }

  /** Starts the periodic discovery refresh. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.opts.discoveryIntervalMs ?? 60_000);
    this.timer.unref();
  }
}

function copyHeader(from: IncomingHttpHeaders, to: Record<string, string | string[]>, name: string): void {
  const v = from[name];
  if (v !== undefined) to[name] = v;
}

function isApiResource(r: unknown): r is APIResource {
  return !!r && typeof r === "object" && typeof (r as { name?: unknown }).name === "string";
}

/**
 * Builds the remote adapter, fetches discovery once (a failure is logged, not fatal: the remote may
 * start later) and starts the refresh loop.
 */
export async function createRemoteAdapter(opts: RemoteAdapterOptions): Promise<HttpRemoteAdapter> {
  if (opts.insecureSkipTLSVerify && opts.caFile) {
    throw new ToolkitError(
      "INVALID_INPUT",
      "--remote-adapter-insecure-skip-tls-verify",
      "cannot be combined with --remote-adapter-ca-file (as APIService's insecureSkipTLSVerify and caBundle)",
    );
  }
  if (!!opts.clientCertFile !== !!opts.clientKeyFile) {
    throw new ToolkitError(
      "INVALID_INPUT",
      opts.clientCertFile ? "--remote-adapter-client-key" : "--remote-adapter-client-cert",
      "--remote-adapter-client-cert and --remote-adapter-client-key go together",
    );
  }
  const ra = new HttpRemoteAdapter(opts);
  const log = opts.log ?? silentLog;
  if (opts.insecureSkipTLSVerify)
    log.warn({}, "remote adapter: TLS verification is OFF (--remote-adapter-insecure-skip-tls-verify)");
  if (!opts.clientCertFile) {
    log.warn(
      {},
      "remote adapter: no --remote-adapter-client-cert; forwarded requests carry no client certificate, so the remote cannot trust the forwarded identity",
    );
  }
  await ra.refresh();
  ra.start();
  return ra;
}
