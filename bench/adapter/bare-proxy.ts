/**
 * Benchmark peer: a bare Node HTTP server that forwards one fixed Prometheus query with undici and
 * returns the body unchanged. It measures what one extra HTTP hop in Node costs, without any adapter
 * logic. Usage: tsx bench/adapter/bare-proxy.ts <port> <prometheus query URL>
 */
import { createServer } from "node:http";
import { Agent, request } from "undici";

const [portArg, target] = process.argv.slice(2);
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
const server = createServer((_req, res) => {
  // `time` = now per request, as the adapter sends it.
  request(`${target}&time=${(Date.now() / 1000).toFixed(3)}`, {
    dispatcher: agent,
    headers: { accept: "application/json" },
  })
    .then(async (r) => {
      const body = Buffer.from(await r.body.arrayBuffer());
      res.writeHead(r.statusCode, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    })
    .catch((e: unknown) => {
      res.writeHead(502).end(String(e));
    });
});
server.listen(Number(portArg), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
