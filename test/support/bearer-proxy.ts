/**
 * A loopback HTTP reverse proxy that admits only `Authorization: Bearer <token>`, where the token is read
 * from a file on every request (the test rewrites the file to rotate it). Real Prometheus checks basic
 * auth only (`--web.config.file`), so tests put this in front of it to play a Prometheus behind a
 * bearer-token gateway (kube-rbac-proxy, an ingress with auth).
 *
 *   const proxy = await startBearerProxy({ target: prom.url, tokenFile });
 *   // --prometheus-url proxy.url
 *   proxy.seen  // every Authorization header received, with the answer code
 *   await proxy.stop();
 */
import { readFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface BearerProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request: the token it carried ("" without one) and whether it was let through. */
  seen: { token: string; admitted: boolean }[];
  stop(): Promise<void>;
}

export async function startBearerProxy(opts: { target: string; tokenFile: string }): Promise<BearerProxy> {
  const target = new URL(opts.target);
  const seen: BearerProxy["seen"] = [];
  const server = createServer((req, res) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    const token = m?.[1] ?? "";
    const expected = readFileSync(opts.tokenFile, "utf8").trim();
    const admitted = token !== "" && token === expected;
    seen.push({ token, admitted });
    if (!admitted) {
      res.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" });
      res.end("Unauthorized\n");
      return;
    }
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", (e) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${e.message}\n`);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
