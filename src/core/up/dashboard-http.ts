/**
 * The pure parts of the `tidescale up` dashboard's HTTP server: which handler a request goes to, the
 * server-sent-event frames of the feed's records, where a reconnecting browser resumes, and the export's
 * file name. The server (src/adapters/up/dashboard.ts) only does the I/O around these.
 */
import type { UpRecord, UpRunInfo } from "./feed.js";

export type DashboardRoute =
  | { kind: "page" }
  | { kind: "events" }
  | { kind: "export" }
  | { kind: "not-found"; path: string }
  | { kind: "method-not-allowed"; allow: string }
  | { kind: "bad-request"; message: string };

/** Methods every dashboard path accepts. */
export const DASHBOARD_METHODS = "GET, HEAD";

const PATHS: Record<string, DashboardRoute["kind"]> = {
  "/": "page",
  "/events": "events",
  "/export": "export",
};

/** Routes a request line; the query string is ignored, an unknown path is 404, another method 405. */
export function dashboardRoute(method: string | undefined, rawUrl: string | undefined): DashboardRoute {
  const url = rawUrl ?? "";
  if (!url.startsWith("/")) return { kind: "bad-request", message: "request target must be a path" };
  const path = url.split(/[?#]/, 1)[0]!;
  const kind = Object.hasOwn(PATHS, path) ? PATHS[path] : undefined;
  if (kind === undefined) return { kind: "not-found", path };
  if (method !== "GET" && method !== "HEAD") return { kind: "method-not-allowed", allow: DASHBOARD_METHODS };
  return { kind } as DashboardRoute;
}

/** How long a browser waits before reconnecting a dropped event stream, in milliseconds. */
export const SSE_RETRY_MS = 2000;

/** The first bytes of an event stream: the reconnect delay. */
export const sseOpening = (): string => `retry: ${SSE_RETRY_MS}\n\n`;

/**
 * One record as a server-sent event: `id` is the record's 1-based position in the feed (a reconnecting
 * EventSource sends it back as Last-Event-ID), the event type is the record's kind. JSON has no raw
 * newlines, so the data fits one `data:` line.
 */
export function sseRecordFrame(record: UpRecord, id: number): string {
  return `id: ${id}\nevent: ${record.kind}\ndata: ${JSON.stringify(record)}\n\n`;
}

/** A comment line (ignored by EventSource): keeps idle connections and proxies from timing out. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/**
 * Where to resume the history for a request with `lastEventId` (the Last-Event-ID header): the number of
 * records the browser already has. Absent, malformed or out-of-range ids (a browser of an earlier run)
 * resume from the start.
 */
export function resumeIndex(lastEventId: string | string[] | undefined, historyLength: number): number {
  const raw = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (raw === undefined || !/^\d{1,15}$/.test(raw.trim())) return 0;
  const n = Number(raw.trim());
  return n <= historyLength ? n : 0;
}

/** `tidescale-up-<namespace>-<hpa>-<start, UTC>.json`, with only file-name-safe characters. */
export function exportFileName(info: UpRunInfo): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");
  const started =
    Number.isFinite(info.startedAt) && Math.abs(info.startedAt) <= 8.64e15
      ? new Date(info.startedAt)
          .toISOString()
          .replace(/[:.]/g, "")
          .replace(/\d{3}Z$/, "Z")
      : "run";
  return `tidescale-up-${safe(info.namespace)}-${safe(info.hpaName)}-${started}.json`;
}
