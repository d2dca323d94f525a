/**
 * The cluster's API discovery as a `ResourceCatalog` (what client-go's discovery RESTMapper reads):
 * `/api/v1` for the core group, then `/apis` (groups in priority order with their preferred version) and
 * each group's `/apis/<group>/<version>` resource list. Kept fresh by `ClusterResources`: refreshed every
 * `--discovery-interval` and, rate-limited, when a request names a resource the catalog lacks (a CRD
 * created after the last refresh).
 */
import { ToolkitError } from "../../core/errors.js";
import { SERVED_GROUPS } from "../../core/metrics/api-objects.js";
import {
  catalogFromDiscovery,
  type DiscoveredGroup,
  type DiscoveredResource,
  groupResourceString,
  type ResourceCatalog,
} from "../../core/metrics/resources.js";
import type { KubeConnection } from "./connection.js";

interface ApiResourceList {
  resources?: DiscoveredResource[];
}
interface ApiGroupList {
  groups?: Array<{
    name: string;
    preferredVersion?: { version: string };
    versions?: Array<{ version: string }>;
  }>;
}

export interface DiscoverySnapshot {
  groups: DiscoveredGroup[];
  /** Groups whose resource list could not be read (an aggregated API that is down), with the reason. */
  failed: Map<string, string>;
}

/** The groups this adapter serves itself: not read back through the aggregator. */
const OWN_GROUPS = new Set(SERVED_GROUPS.map((g) => g.group));

async function getList<T>(conn: KubeConnection, path: string): Promise<T> {
  const r = await conn.getJson(path);
  if (r.status !== 200) {
    const msg =
      r.body && typeof r.body === "object" && "message" in r.body
        ? String(r.body.message)
        : `HTTP ${r.status}`;
    throw new ToolkitError("UNAVAILABLE", `GET ${conn.server}${path}`, msg);
  }
  return r.body as T;
}

/**
 * Reads discovery once. The core list and the group list must be readable; a group whose list fails is
 * reported in `failed` (client-go's partial discovery) and, when `previous` had it, kept as it was.
 */
export async function readDiscovery(
  conn: KubeConnection,
  previous?: DiscoverySnapshot,
): Promise<DiscoverySnapshot> {
  const [core, list] = await Promise.all([
    getList<ApiResourceList>(conn, "/api/v1"),
    getList<ApiGroupList>(conn, "/apis"),
  ]);
  const failed = new Map<string, string>();
  const wanted = (list.groups ?? []).filter((g) => !OWN_GROUPS.has(g.name));
  const groups = await Promise.all(
    wanted.map(async (g): Promise<DiscoveredGroup | undefined> => {
      const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (!version) return undefined;
      try {
        const rl = await getList<ApiResourceList>(conn, `/apis/${g.name}/${version}`);
        return { group: g.name, version, resources: rl.resources ?? [] };
      } catch (e) {
        failed.set(g.name, e instanceof ToolkitError ? e.oneLine() : String(e));
        return previous?.groups.find((p) => p.group === g.name);
      }
    }),
  );
  return {
    groups: [
      { group: "", version: "v1", resources: core.resources ?? [] },
      ...groups.filter((g): g is DiscoveredGroup => g !== undefined),
    ],
    failed,
  };
}

/** A short fingerprint of what a catalog maps (to skip rebinding when nothing changed). */
export function catalogFingerprint(c: ResourceCatalog): string {
  return c.resources
    .map(
      (r) => `${groupResourceString(r)}/${r.version}/${r.namespaced ? "ns" : "root"}/${r.kind}/${r.singular}`,
    )
    .join(",");
}

/** The log calls this module makes (pino's Logger satisfies it). */
export interface DiscoveryRefreshLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ClusterResourcesOptions {
  conn: KubeConnection;
  /** Periodic refresh (`--discovery-interval`). */
  intervalMs: number;
  /** The least time between two refreshes caused by misses. */
  missRefreshMinMs: number;
  log: DiscoveryRefreshLog;
  /** Called with each new catalog that differs from the previous one. */
  onChange?: (catalog: ResourceCatalog) => void;
  now?: () => number;
}

/** The cluster's resources, refreshed periodically and on a miss. */
export class ClusterResources {
  private snapshot: DiscoverySnapshot | undefined;
  private current: ResourceCatalog | undefined;
  private fingerprint = "";
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastMissRefresh = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly opts: ClusterResourcesOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The latest catalog (after `start`). */
  get catalog(): ResourceCatalog {
    if (!this.current) throw new Error("ClusterResources.start() has not finished");
    return this.current;
  }

  /** Reads discovery (errors propagate: without the cluster's resources the config cannot be checked). */
  async start(): Promise<ResourceCatalog> {
    await this.refresh(true);
    this.timer = setInterval(() => void this.refresh(false), this.opts.intervalMs);
    this.timer.unref();
    return this.catalog;
  }

  /** A request named a resource the catalog lacks: refresh, at most once per `missRefreshMinMs`. */
  miss(name: string): void {
    const t = this.now();
    if (t - this.lastMissRefresh < this.opts.missRefreshMinMs) return;
    this.lastMissRefresh = t;
    this.opts.log.info({ resource: name }, "unknown resource requested: refreshing API discovery");
    void this.refresh(false);
  }

  /** Reads discovery again (coalescing concurrent calls); `strict` lets errors propagate. */
  refresh(strict: boolean): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const snap = await readDiscovery(this.opts.conn, this.snapshot);
        for (const [group, err] of snap.failed)
          this.opts.log.warn(
            { group, err },
            "API discovery: group not readable; its resources are kept as before",
          );
        this.snapshot = snap;
        const catalog = catalogFromDiscovery(snap.groups, `discovery of ${this.opts.conn.server}`);
        const fp = catalogFingerprint(catalog);
        if (fp === this.fingerprint) return;
        const first = this.current === undefined;
        this.current = catalog;
        this.fingerprint = fp;
        this.opts.log.info(
          { resources: catalog.resources.length, groups: snap.groups.length },
          first ? "API discovery read" : "API discovery changed",
        );
        if (!first) this.opts.onChange?.(catalog);
      } catch (e) {
        if (strict) throw e;
        const msg = e instanceof ToolkitError ? e.oneLine() : String(e);
        this.opts.log.error({ err: msg }, "API discovery refresh failed; keeping the previous resources");
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
