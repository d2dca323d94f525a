/**
 * The local Service of `tidescale up`: an HTTP proxy on loopback that sends each request to the next
 * Ready pod (round-robin, core/up/service.ts). It counts requests in flight per pod, so a pod being
 * drained is stopped only once the Service has nothing in flight to it: no request is lost while pods
 * come and go. No Ready pod: 503, as a Service without endpoints refuses connections.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalPod } from "../../core/up/pods.js";
import { endpoints, pickEndpoint } from "../../core/up/service.js";

export interface ServiceProxy {
  url: string;
  port: number;
  /** New endpoints (call after every change of the pod set). */
  update(pods: readonly LocalPod[]): void;
  /** Resolves when no request to `podName` is in flight. */
  idle(podName: string): Promise<void>;
  close(): Promise<void>;
}

export async function startServiceProxy(host: string, port: number, podPort: number): Promise<ServiceProxy> {
  let ready: LocalPod[] = [];
  let last = 0;
  const inFlight = new Map<string, number>();
  const idleWaiters = new Map<string, Array<() => void>>();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  const done = (name: string): void => {
    const n = (inFlight.get(name) ?? 1) - 1;
    if (n > 0) {
      inFlight.set(name, n);
      return;
    }
    inFlight.delete(name);
    const waiters = idleWaiters.get(name);
    idleWaiters.delete(name);
    for (const w of waiters ?? []) w();
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const pod = pickEndpoint(ready, last);
    if (!pod) {
      req.resume();
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("no ready endpoints\n");
      return;
    }
    last = pod.ordinal;
    inFlight.set(pod.name, (inFlight.get(pod.name) ?? 0) + 1);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done(pod.name);
    };
    const upstream = request(
      { host: pod.ip, port: podPort, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on("end", finish);
        up.on("error", finish);
      },
    );
    upstream.on("error", (e) => {
      finish();
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`upstream ${pod.name}: ${e.message}\n`);
      } else res.destroy();
    });
    res.on("close", finish);
    req.pipe(upstream);
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, forward);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    update(pods) {
      ready = endpoints(pods);
    },
    idle(podName) {
      if (!inFlight.has(podName)) return Promise.resolve();
      return new Promise((resolve) => {
        const list = idleWaiters.get(podName) ?? [];
        list.push(resolve);
        idleWaiters.set(podName, list);
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
      for (const waiters of idleWaiters.values()) for (const w of waiters) w();
      idleWaiters.clear();
    },
  };
}
