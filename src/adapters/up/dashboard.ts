/**
 * The `tidescale up` dashboard server (node:http, loopback by default): `GET /` the live page, `GET
 * /events` the run as server-sent events (the whole history, then each record as it is published),
 * `GET /export` the run as JSON for `tidescale plot`. One subscription to the feed fans each record out
 * to every connected browser; a comment every `heartbeatMs` keeps idle streams open; a browser that stops
 * reading is dropped (its EventSource reconnects and resumes from Last-Event-ID). `close()` ends every
 * stream and frees the port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ToolkitError } from "../../core/errors.js";
import {
  DASHBOARD_METHODS,
  dashboardRoute,
  exportFileName,
  resumeIndex,
  sseComment,
  sseOpening,
  sseRecordFrame,
} from "../../core/up/dashboard-http.js";
import { defaultUpTitle, renderUpPage } from "../../core/up/dashboard-page.js";
import type { UpFeed } from "../../core/up/feed.js";
import { type UplotSources, uplotSources } from "../files/uplot-sources.js";

export interface DashboardOptions {
  host: string;
  port: number;
  /** The flag or setting that chooses the port, named in a listen error (default "dashboard"). */
  flag?: string;
  /** Interval of the keep-alive comment on event streams (default 15 s). */
  heartbeatMs?: number;
  /** Bytes a browser may leave unread before it is dropped (default 8 MiB). */
  maxBufferedBytes?: number;
  /** The uPlot sources (default: read from the installed package). */
  uplot?: UplotSources;
}

export interface Dashboard {
  /** `http://host:port/` of the page. */
  url: string;
  /** How many event streams (browsers following the run) are open. */
  streams(): number;
  /** Ends every event stream and closes the server; resolves when the port is free. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" };

/** Starts the dashboard for `feed`; rejects with a ToolkitError naming host:port when it cannot listen. */
export async function startDashboard(feed: UpFeed, options: DashboardOptions): Promise<Dashboard> {
  const uplot = options.uplot ?? (await uplotSources());
  const page = renderUpPage({
    info: feed.info,
    title: defaultUpTitle(feed.info),
    uplotJs: uplot.js,
    uplotCss: uplot.css,
  });
  const streams = new Set<ServerResponse>();
  const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  let published = feed.history().length;

  const send = (res: ServerResponse, chunk: string) => {
    res.write(chunk);
    if (res.writableLength > maxBuffered) res.destroy();
  };
  const unsubscribe = feed.subscribe((record) => {
    published++;
    const frame = sseRecordFrame(record, published);
    for (const res of streams) send(res, frame);
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) send(res, sseComment("heartbeat"));
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const history = feed.history();
    let chunk = sseOpening();
    for (let i = resumeIndex(req.headers["last-event-id"], history.length); i < history.length; i++) {
      chunk += sseRecordFrame(history[i]!, i + 1);
    }
    res.write(chunk);
    streams.add(res);
    res.on("close", () => streams.delete(res));
  };

  const server = createServer((req, res) => {
    const route = dashboardRoute(req.method, req.url);
    switch (route.kind) {
      case "page":
        return reply(res, 200, "text/html; charset=utf-8", page, { "cache-control": "no-store" });
      case "events":
        return openStream(req, res);
      case "export":
        return reply(res, 200, "application/json", JSON.stringify(feed.export()), {
          "content-disposition": `attachment; filename="${exportFileName(feed.info)}"`,
          "cache-control": "no-store",
        });
      case "method-not-allowed":
        return reply(res, 405, "text/plain; charset=utf-8", `method ${req.method} not allowed\n`, {
          allow: DASHBOARD_METHODS,
        });
      case "bad-request":
        return reply(res, 400, "text/plain; charset=utf-8", `${route.message}\n`);
      case "not-found":
        return reply(
          res,
          404,
          "text/plain; charset=utf-8",
          "not found: the dashboard serves /, /events, /export\n",
        );
    }
  });
  server.on("clientError", (_e, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  try {
    await listen(server, options.host, options.port);
  } catch (e) {
    unsubscribe();
    clearInterval(heartbeat);
    throw listenError(e, options);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}/`,
    streams: () => streams.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        clearInterval(heartbeat);
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function reply(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    "content-type": type,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function listenError(e: unknown, o: DashboardOptions): ToolkitError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "EADDRINUSE"
      ? `port ${o.port} is already in use`
      : code === "EADDRNOTAVAIL"
        ? `address ${o.host} is not available on this machine`
        : code === "EACCES"
          ? `permission denied for port ${o.port}`
          : e instanceof Error
            ? e.message
            : String(e);
  return new ToolkitError(
    "UNAVAILABLE",
    o.flag ?? "dashboard",
    `cannot listen on ${o.host}:${o.port}: ${why}`,
    {
      cause: e,
    },
  );
}
