/**
 * A plain-HTTP server for a controller's probes: /healthz and /livez (the process answers), /readyz (the
 * caller's readiness checks), /metrics (optional gauges). GET and HEAD only; anything else is 404/405.
 * It carries no data of the cluster, so it has no authentication, like the kubelet probes it serves
 * (bind it to the pod IP or loopback, never expose it through a Service).
 */
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { invalidInput } from "../../core/errors.js";
import { type HealthCheck, healthAnswer } from "../../core/health.js";

export interface HealthServerOptions {
  /** Checks of /readyz, evaluated on every request. */
  readiness: () => HealthCheck[];
  /** Body of /metrics in the Prometheus text format; without it /metrics is 404. */
  metrics?: () => string;
}

export interface HealthServer {
  /** The port it listens on (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/** Host and port of a `--health-probe-bind-address` value (`:8081`, `127.0.0.1:8081`, `[::1]:8081`). */
export function parseBindAddress(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw invalidInput(flag, `want HOST:PORT or :PORT with a port 0-65535 (or 0 to disable), got "${text}"`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/**
 * Starts the server on `host:port`; rejects when it cannot listen. The server does not keep the process
 * alive (a command that fails after starting it still exits).
 */
export async function startHealthServer(
  host: string,
  port: number,
  o: HealthServerOptions,
): Promise<HealthServer> {
  const server: Server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    if (path === "/healthz" || path === "/livez") {
      const a = healthAnswer(path.slice(1), [{ name: "ping", ok: true }]);
      return send(a.status, a.body);
    }
    if (path === "/readyz") {
      const a = healthAnswer("readyz", o.readiness());
      return send(a.status, a.body);
    }
    if (path === "/metrics" && o.metrics) return send(200, o.metrics(), "text/plain; version=0.0.4");
    return send(404, "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      server.unref();
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
