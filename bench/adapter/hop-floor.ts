/**
 * How much one extra HTTP hop in Node costs at best, to put the adapter's overhead on the minimal query
 * in context (`npx tsx bench/adapter/hop-floor.ts`). The same Prometheus query (100 pods, 1 series each,
 * rate over [10s]) is sent directly and through four single-purpose proxies, each in its own process:
 *
 * - `http+undici`: node:http server, undici Agent client (what bare-proxy.ts and the adapter use);
 * - `http+node`: node:http server, node:http keep-alive client;
 * - `http+raw`: node:http server, a raw keep-alive socket client (HTTP written by hand, one request at a
 *   time: a measuring device, not something to ship);
 * - `raw+raw`: raw sockets on both sides (the floor for any Node process in the path).
 *
 * 2,000 rounds (after 400 warm-up), one request per path per round, order rotating; p50 per path.
 */
import { createServer as httpServer, Agent as NodeAgent, request as nodeRequest } from "node:http";
import { connect, createServer as netServer, type Socket } from "node:net";
import { join } from "node:path";
import { Agent, request } from "undici";
import { startAdapterExporter } from "../../test/fixtures/adapter/exporter.js";
import { freePort, startProcess } from "../../test/support/process.js";
import { startPrometheus, waitForQuery } from "../../test/support/prometheus.js";

const VARIANTS = ["http+undici", "http+node", "http+raw", "raw+raw"] as const;
type Variant = (typeof VARIANTS)[number];

/** Child mode: `hop-floor.ts serve <variant> <port> <prometheus origin> <path?query>`. */
async function serve(variant: Variant, port: number, origin: string, pathQuery: string): Promise<void> {
  const u = new URL(origin);
  const target = () => `${pathQuery}&time=${(Date.now() / 1000).toFixed(3)}`;
  const undiciAgent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  const nodeAgent = new NodeAgent({ keepAlive: true, maxSockets: 64 });
  let sock: Socket | undefined;
  // Raw client: Prometheus answers this query chunked; read until the last chunk and join the chunks.
  const rawGet = (path: string) =>
    new Promise<Buffer>((resolve) => {
      sock ??= connect(Number(u.port), u.hostname).setNoDelay(true);
      const s = sock;
      let buf: Buffer = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        buf = buf.length > 0 ? Buffer.concat([buf, d]) : d;
        const headEnd = buf.indexOf("\r\n\r\n");
        if (headEnd < 0 || buf.subarray(buf.length - 5).toString("latin1") !== "0\r\n\r\n") return;
        s.off("data", onData);
        const parts: Buffer[] = [];
        for (let i = headEnd + 4; ; ) {
          const e = buf.indexOf("\r\n", i);
          const n = Number.parseInt(buf.subarray(i, e).toString("latin1"), 16);
          if (n === 0) break;
          parts.push(buf.subarray(e + 2, e + 2 + n));
          i = e + 2 + n + 2;
        }
        resolve(Buffer.concat(parts));
      };
      s.on("data", onData);
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: application/json\r\n\r\n`);
    });
  const nodeGet = (path: string) =>
    new Promise<Buffer>((resolve, reject) => {
      const req = nodeRequest(
        {
          host: u.hostname,
          port: Number(u.port),
          path,
          agent: nodeAgent,
          headers: { accept: "application/json" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks)));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
  const upstream = async (): Promise<Buffer> => {
    if (variant === "http+undici") {
      const r = await request(origin + target(), {
        dispatcher: undiciAgent,
        headers: { accept: "application/json" },
      });
      return Buffer.from(await r.body.arrayBuffer());
    }
    if (variant === "http+node") return nodeGet(target());
    return rawGet(target());
  };
  if (variant === "raw+raw") {
    netServer((c) => {
      c.setNoDelay(true);
      let pending = "";
      c.on("data", (d) => {
        pending += d.toString("latin1");
        const headEnd = pending.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        pending = pending.slice(headEnd + 4);
        void upstream().then((body) => {
          c.write(
            `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
          );
          c.write(body);
        });
      });
    }).listen(port, "127.0.0.1");
  } else {
    httpServer((_req, res) => {
      void upstream().then((body) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.end(body);
      });
    }).listen(port, "127.0.0.1");
  }
}

async function main(): Promise<void> {
  const pods = Array.from({ length: 100 }, (_, i) => `pod-${String(i).padStart(3, "0")}`);
  const exporter = await startAdapterExporter({ namespace: "bench", pods });
  const prom = await startPrometheus({ targets: [exporter.target] });
  const client = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  const children: Array<Awaited<ReturnType<typeof startProcess>>> = [];
  try {
    await waitForQuery(
      prom.url,
      'count(count_over_time(http_requests_total{namespace="bench"}[10s]) >= 10)',
      {
        timeoutMs: 60_000,
        accept: (s) => Number(s[0]?.value[1]) === pods.length,
      },
    );
    const query = `sum(rate(http_requests_total{namespace="bench",pod=~"${pods.join("|")}"}[10s])) by (pod)`;
    const pathQuery = `/api/v1/query?${new URLSearchParams([["query", query]])}`;
    const timed = async (url: string): Promise<number> => {
      const t0 = performance.now();
      const r = await request(url, { dispatcher: client, headers: { accept: "application/json" } });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`${url}: HTTP ${r.statusCode}`);
      return performance.now() - t0;
    };
    const targets: Array<() => string> = [
      () => `${prom.url}${pathQuery}&time=${(Date.now() / 1000).toFixed(3)}`,
    ];
    for (const v of VARIANTS) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/`;
      children.push(
        await startProcess(
          join(import.meta.dirname, "../../node_modules/.bin/tsx"),
          [import.meta.filename, "serve", v, String(port), prom.url, pathQuery],
          { timeoutMs: 30_000, ready: async () => (await fetch(url)).ok },
        ),
      );
      targets.push(() => url);
    }
    const lat = targets.map(() => [] as number[]);
    for (let i = 0; i < 2400; i++)
      for (let k = 0; k < targets.length; k++) {
        const j = (i + k) % targets.length;
        const x = await timed(targets[j]!());
        if (i >= 400) lat[j]!.push(x);
      }
    const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const direct = p50(lat[0]!);
    const rows = [
      "| path | p50 | added by the hop |",
      "|---|---|---|",
      `| direct to Prometheus | ${direct.toFixed(3)} ms | - |`,
    ];
    VARIANTS.forEach((v, k) => {
      const x = p50(lat[k + 1]!);
      rows.push(
        `| ${v} | ${x.toFixed(3)} ms | ${(x - direct).toFixed(3)} ms (${(((x - direct) / direct) * 100).toFixed(0)}%) |`,
      );
    });
    process.stdout.write(`${new Date().toISOString().slice(0, 16)}Z\n${rows.join("\n")}\n`);
  } finally {
    await client.close();
    for (const c of children) await c.stop();
    await prom.stop();
    await exporter.stop();
  }
}

const [mode, variant, port, origin, pathQuery] = process.argv.slice(2);
if (mode === "serve") await serve(variant as Variant, Number(port), origin!, pathQuery!);
else await main();
