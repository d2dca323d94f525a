/**
 * An informer over object metadata only (PartialObjectMetadata): LIST with
 * `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` (paged), then WATCH from the
 * list's resourceVersion with `as=PartialObjectMetadata` and bookmarks, re-watching from the last seen
 * resourceVersion when the apiserver ends a watch, relisting on `410 Gone` (resourceVersion too old), on
 * errors (with backoff) and every `relistMs` as a resync. @kubernetes/client-node 1.4's Watch/ListWatch
 * cannot be used: its watch request sets no Accept header (full objects would stream) and it keeps whole
 * objects in its cache.
 */
import { groupResourceString, type ResourceInfo } from "../../core/metrics/resources.js";
import type { KubeConnection } from "./connection.js";
import { type ObjectMeta, ObjectStore } from "./object-store.js";

const LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
const PAGE = 500;

/** The log calls the informer makes (pino's Logger satisfies it). */
export interface InformerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface InformerOptions {
  /** `status.phase=Running` for running pods; the apiserver sends DELETED when an object stops matching. */
  fieldSelector?: string | undefined;
  /** Full relist period (resync). */
  relistMs: number;
  /** Server-side watch timeout (the apiserver ends the watch; the informer re-watches). */
  watchTimeoutSeconds: number;
  log: InformerLog;
}

interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: { metadata?: ObjectMeta; code?: number; message?: string; reason?: string };
}

class Gone extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MetadataInformer {
  readonly store = new ObjectStore();
  readonly name: string;
  private rv = "";
  private stopped = false;
  private abortWatch: (() => void) | undefined;
  private syncedFlag = false;
  private resolveSynced: () => void = () => {};
  /** Resolves after the first complete list. */
  readonly synced: Promise<void>;
  /** The last error of a list or watch (cleared by a successful list). */
  lastError: string | undefined;
  /** Counters for tests and benchmarks. */
  readonly stats = { lists: 0, watches: 0, events: 0, gone: 0 };
  private loop: Promise<void> | undefined;

  constructor(
    private readonly conn: KubeConnection,
    readonly resource: ResourceInfo,
    private readonly opts: InformerOptions,
  ) {
    this.name = `${groupResourceString(resource)}${opts.fieldSelector ? ` (${opts.fieldSelector})` : ""}`;
    this.synced = new Promise((r) => {
      this.resolveSynced = r;
    });
  }

  get hasSynced(): boolean {
    return this.syncedFlag;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    await this.loop;
  }

  private path(extra: URLSearchParams): string {
    const r = this.resource;
    const base = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
    if (this.opts.fieldSelector) extra.set("fieldSelector", this.opts.fieldSelector);
    return `${base}/${r.resource}?${extra.toString()}`;
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      try {
        await this.list();
        backoff = 500;
        const until = Date.now() + this.opts.relistMs;
        while (!this.stopped && Date.now() < until) await this.watchOnce();
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof Gone) {
          this.stats.gone++;
          continue;
        }
        this.lastError = (e as Error).message;
        this.opts.log.warn(
          { resource: this.name, err: this.lastError },
          "object cache: list/watch failed; retrying",
        );
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /** A paged LIST of metadata; replaces the store and sets the resourceVersion to watch from. */
  private async list(): Promise<void> {
    const items: ObjectMeta[] = [];
    let cont = "";
    let rv = "";
    do {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (cont) q.set("continue", cont);
      const r = await this.conn.getJson(this.path(q), LIST_ACCEPT);
      if (r.status !== 200) throw new Error(`list ${this.name}: ${describe(r.status, r.body)}`);
      const body = r.body as {
        metadata?: { continue?: string; resourceVersion?: string };
        items?: Array<{ metadata?: ObjectMeta }>;
      };
      for (const it of body.items ?? []) if (it.metadata) items.push(it.metadata);
      cont = body.metadata?.continue ?? "";
      rv = body.metadata?.resourceVersion ?? rv;
    } while (cont && !this.stopped);
    this.store.replace(items);
    this.rv = rv;
    this.stats.lists++;
    this.lastError = undefined;
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.resolveSynced();
      this.opts.log.info({ resource: this.name, objects: items.length }, "object cache synced");
    }
  }

  /** One WATCH from the current resourceVersion until the apiserver ends it; throws Gone on 410. */
  private async watchOnce(): Promise<void> {
    const q = new URLSearchParams({
      watch: "1",
      resourceVersion: this.rv,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.opts.watchTimeoutSeconds),
    });
    let gone = false;
    let failure: string | undefined;
    const h = await this.conn.stream(
      this.path(q),
      WATCH_ACCEPT,
      (line) => {
        let ev: WatchEvent;
        try {
          ev = JSON.parse(line) as WatchEvent;
        } catch {
          failure = `watch ${this.name}: not a JSON event: ${line.slice(0, 200)}`;
          this.abortWatch?.();
          return;
        }
        if (ev.type === "ERROR") {
          if (ev.object.code === 410) gone = true;
          else failure = `watch ${this.name}: ${ev.object.message ?? JSON.stringify(ev.object)}`;
          this.abortWatch?.();
          return;
        }
        const m = ev.object.metadata;
        if (!m) return;
        if (m.resourceVersion) this.rv = m.resourceVersion;
        this.stats.events++;
        if (ev.type === "ADDED" || ev.type === "MODIFIED") this.store.put(m);
        else if (ev.type === "DELETED") this.store.remove(m);
      },
      (status, body) => {
        if (status === 410) gone = true;
        else failure = `watch ${this.name}: ${describe(status, body)}`;
      },
      // No byte for longer than the server-side timeout (plus slack): the connection is dead.
      (this.opts.watchTimeoutSeconds + 30) * 1000,
    );
    this.abortWatch = h.abort;
    this.stats.watches++;
    await h.done;
    this.abortWatch = undefined;
    if (gone) throw new Gone();
    if (failure) throw new Error(failure);
  }
}

function describe(status: number, body: unknown): string {
  let b = body;
  if (typeof body === "string") {
    try {
      b = JSON.parse(body);
    } catch {
      return `HTTP ${status}: ${body.slice(0, 200)}`;
    }
  }
  if (b && typeof b === "object" && "message" in b) return `HTTP ${status}: ${String(b.message)}`;
  return `HTTP ${status}`;
}
