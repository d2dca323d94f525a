/**
 * bench/loadgen: in one run against the same server (a minimal node:http server in its own process on
 * loopback, 12-byte body, keep-alive):
 *   1. maximum req/s of `tidescale attack -rate 0 -max-workers 64` vs wrk (-t1 -c64), autocannon and a bare
 *      undici loop (our client's floor: the same Pool recording nothing)
 *      (programmatic, 64 connections), as ratios measured in the same round;
 *   2. rate accuracy of `tidescale attack -rate N/s` at 1k, 5k and 10k req/s: achieved / requested and
 *      p99 send lateness (whole run, and steady state after the first second).
 * Rounds are interleaved and medians reported (the machine is shared and noisy).
 * Usage: npm run bench loadgen  (env ROUNDS=5 SECONDS=5)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/support/process.js";

const ROOT = join(import.meta.dirname, "../..");
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONNECTIONS = 64;
const RATES = [1000, 5000, 10000];
const tmp = mkdtempSync(join(tmpdir(), "tidescale-bench-loadgen-"));

function run(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), (SECONDS + 60) * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, out, err });
    });
    child.stdin.end(input ?? "");
  });
}

async function startServer(port: number): Promise<ChildProcess> {
  const code = `require("node:http").createServer((q,s)=>{s.writeHead(200,{"content-type":"text/plain","content-length":"12"});s.end("hello world\\n")}).listen(${port},"127.0.0.1",()=>console.log("ready"))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", () => reject(new Error("server exited")));
  });
  return child;
}

const CLI = ["--import", "tsx", join(ROOT, "src/cli/main.ts")];

interface Report {
  requests: number;
  rate: number;
  throughput: number;
  success: number;
  duration: number;
  wait: number;
  dropped: number;
  lateness: Record<string, number>;
}

async function tidescaleAttack(
  url: string,
  args: string[],
): Promise<{ report: Report; steadyLatenessP99: number }> {
  const out = join(tmp, "results.jsonl");
  const a = await run(
    process.execPath,
    [...CLI, "attack", ...args, "-duration", `${SECONDS}s`, "-output", out],
    `GET ${url}\n`,
  );
  if (a.code !== 0) throw new Error(`attack failed: ${a.err}`);
  const r = await run(process.execPath, [...CLI, "report", "-type", "json", out]);
  if (r.code !== 0) throw new Error(`report failed: ${r.err}`);
  // Steady state: lateness of requests sent after the first second.
  const lines = readFileSync(out, "utf8").trimEnd().split("\n");
  const parsed = lines.map((l) => JSON.parse(l) as { timestamp: string; lateness: number });
  const t0 = Date.parse(parsed[0]!.timestamp);
  const steady = parsed
    .filter((p) => Date.parse(p.timestamp) - t0 >= 1000)
    .map((p) => p.lateness)
    .sort((x, y) => x - y);
  const p99 = steady.length ? steady[Math.ceil(0.99 * steady.length) - 1]! : 0;
  return { report: JSON.parse(r.out) as Report, steadyLatenessP99: p99 };
}

/** Context for lateness: how late a bare 1 ms Node timer fires on this machine right now (p99, ms). */
async function timerBaselineP99(): Promise<number> {
  const code =
    "const l=[];let last=performance.now();const end=last+2000;" +
    "function t(){const n=performance.now();l.push(n-last-1);last=n;if(n<end)setTimeout(t,1);else{l.sort((a,b)=>a-b);console.log(l[Math.floor(l.length*0.99)])}}setTimeout(t,1)";
  const r = await run(process.execPath, ["-e", code]);
  return Number(r.out.trim());
}

async function wrk(url: string): Promise<number> {
  const r = await run("/usr/bin/wrk", ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, url]);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.out);
  if (!m) throw new Error(`wrk output: ${r.out}${r.err}`);
  return Number(m[1]);
}

/**
 * The floor of our HTTP client: undici's Pool in 64 closed loops with a bare callback handler, recording
 * nothing. The gap between this and `tidescale attack -rate 0` is the cost of recording every result.
 */
async function undiciMax(url: string): Promise<number> {
  const code = `
    const { Pool } = require(${JSON.stringify(join(ROOT, "node_modules/undici"))});
    const pool = new Pool(${JSON.stringify(new URL(url).origin)}, { connections: ${CONNECTIONS} });
    let n = 0; const t0 = performance.now(); const end = t0 + ${SECONDS * 1000};
    class H { constructor(d) { this.d = d } onConnect() {} onHeaders() { return true } onData() { return true }
      onComplete() { this.d() } onError() { this.d() } }
    let live = ${CONNECTIONS};
    const loop = () => { if (performance.now() > end) { if (--live === 0) { console.log(n / ((performance.now() - t0) / 1000)); pool.close() } return }
      pool.dispatch({ path: "/", method: "GET", headers: [] }, new H(() => { n++; loop() })) };
    for (let i = 0; i < ${CONNECTIONS}; i++) loop();`;
  const r = await run(process.execPath, ["-e", code]);
  const v = Number(r.out.trim());
  if (!Number.isFinite(v) || v <= 0) throw new Error(`undici probe failed: ${r.out}${r.err}`);
  return v;
}

/** autocannon's programmatic API in a fresh process (cold, like each `tidescale attack` run). */
async function autocannonMax(url: string): Promise<number> {
  const code =
    `require(${JSON.stringify(join(ROOT, "node_modules/autocannon"))})` +
    `({ url: ${JSON.stringify(url)}, connections: ${CONNECTIONS}, duration: ${SECONDS} })` +
    ".then((r) => console.log(r.requests.total / r.duration))";
  const r = await run(process.execPath, ["-e", code]);
  const v = Number(r.out.trim());
  if (!Number.isFinite(v) || v <= 0) throw new Error(`autocannon failed: ${r.out}${r.err}`);
  return v;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number, d = 0) => x.toFixed(d);

async function main(): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = await startServer(port);
  const rows: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    rows[k] ??= [];
    rows[k].push(v);
  };
  try {
    // Warm the server's JIT.
    await autocannonMax(url).catch(() => 0);
    for (let round = 1; round <= ROUNDS; round++) {
      const base = await timerBaselineP99();
      add("timer", base);
      console.log(`round ${round}: bare 1 ms timer overshoot p99 ${fmt(base, 2)} ms (machine noise floor)`);
      // Rotate the order of the three tools between rounds so none always runs first.
      const tools = [
        async () => {
          w = await wrk(url);
        },
        async () => {
          ac = await autocannonMax(url);
        },
        async () => {
          raw = await undiciMax(url);
        },
        async () => {
          ours = await tidescaleAttack(url, [
            "-rate",
            "0",
            "-max-workers",
            String(CONNECTIONS),
            "-max-connections",
            String(CONNECTIONS),
          ]);
        },
      ];
      let w = 0;
      let ac = 0;
      let raw = 0;
      let ours: Awaited<ReturnType<typeof tidescaleAttack>> | undefined;
      for (let i = 0; i < tools.length; i++) await tools[(i + round) % tools.length]!();
      if (!ours) throw new Error("no tidescale result");
      const oursRps = ours.report.requests / ((ours.report.duration + ours.report.wait) / 1e9);
      add("wrk", w);
      add("autocannon", ac);
      add("undici", raw);
      add("ratio_vs_undici", oursRps / raw);
      add("tidescale", oursRps);
      add("ratio_vs_autocannon", oursRps / ac);
      add("ratio_vs_wrk", oursRps / w);
      console.log(
        `round ${round}: max req/s wrk ${fmt(w)}  autocannon ${fmt(ac)}  raw undici ${fmt(raw)}  tidescale ${fmt(oursRps)} (success ${(ours.report.success * 100).toFixed(2)}%)  ` +
          `ratio vs autocannon ${fmt(oursRps / ac, 2)}  vs wrk ${fmt(oursRps / w, 2)}  vs raw undici ${fmt(oursRps / raw, 2)}`,
      );
      for (const rate of RATES) {
        const r = await tidescaleAttack(url, ["-rate", `${rate}/s`, "-max-connections", String(CONNECTIONS)]);
        // Achieved send rate: N-1 intervals over the span from the first to the last actual send.
        const achieved = (r.report.requests - 1) / (r.report.duration / 1e9) / rate;
        add(`acc_${rate}`, achieved);
        add(`sent_${rate}`, r.report.requests / (r.report.requests + r.report.dropped));
        add(`late_${rate}`, r.report.lateness["99th"]! / 1e6);
        add(`steady_${rate}`, r.steadyLatenessP99 / 1e6);
        console.log(
          `round ${round}: rate ${rate}/s  sent ${r.report.requests}, dropped ${r.report.dropped}  achieved/requested ${fmt(achieved, 4)}  ` +
            `p99 lateness ${fmt(r.report.lateness["99th"]! / 1e6, 2)} ms, steady-state ${fmt(r.steadyLatenessP99 / 1e6, 2)} ms  success ${(r.report.success * 100).toFixed(2)}%`,
        );
      }
    }
  } finally {
    server.kill("SIGTERM");
  }
  const m = (k: string) => median(rows[k] ?? [0]);
  const range = (k: string) =>
    `${fmt(Math.min(...(rows[k] ?? [0])), 2)}-${fmt(Math.max(...(rows[k] ?? [0])), 2)}`;
  console.log(
    `\nmedians over ${ROUNDS} rounds of ${SECONDS}s, ${CONNECTIONS} connections, node:http server in its own process:`,
  );
  console.log(`| tool | max req/s (median) |\n|---|---|`);
  console.log(`| wrk -t1 -c${CONNECTIONS} | ${fmt(m("wrk"))} |`);
  console.log(`| autocannon -c${CONNECTIONS} (programmatic) | ${fmt(m("autocannon"))} |`);
  console.log(`| raw undici Pool, ${CONNECTIONS} closed loops, nothing recorded | ${fmt(m("undici"))} |`);
  console.log(`| tidescale attack -rate 0 -max-workers ${CONNECTIONS} | ${fmt(m("tidescale"))} |`);
  console.log(
    `\nratio tidescale/autocannon ${fmt(m("ratio_vs_autocannon"), 2)} (per-round range ${range("ratio_vs_autocannon")}; goal >= 0.8), ` +
      `tidescale/wrk ${fmt(m("ratio_vs_wrk"), 2)} (range ${range("ratio_vs_wrk")}), ` +
      `tidescale/raw undici ${fmt(m("ratio_vs_undici"), 2)} (range ${range("ratio_vs_undici")})\n`,
  );
  console.log(
    `bare Node 1 ms timer overshoot p99 (noise floor of this machine), median: ${fmt(m("timer"), 2)} ms\n`,
  );
  console.log(
    "| requested | achieved/requested ((N-1) / first-to-last send) | sent/scheduled | p99 lateness (whole run) | p99 lateness (after 1st s) |\n|---|---|---|---|---|",
  );
  for (const rate of RATES) {
    console.log(
      `| ${rate}/s | ${fmt(m(`acc_${rate}`), 4)} | ${fmt(m(`sent_${rate}`), 4)} | ${fmt(m(`late_${rate}`), 2)} ms | ${fmt(m(`steady_${rate}`), 2)} ms |`,
    );
  }
}

await main();
