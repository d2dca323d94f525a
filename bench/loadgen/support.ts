/** Shared by bench/loadgen's run.ts and ab.ts: child processes, the target server, noise floor, stats. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface RunOptions {
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Killed after this long (ms). */
  timeoutMs: number;
}

/** Runs a command to its end; its stdout and stderr as text. */
export function run(
  cmd: string,
  args: string[],
  o: RunOptions,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, out, err });
    });
    child.stdin.end(o.input ?? "");
  });
}

/** The target: a minimal node:http server in its own process on loopback (12-byte body, keep-alive). */
export async function startServer(port: number): Promise<ChildProcess> {
  const code = `require("node:http").createServer((q,s)=>{s.writeHead(200,{"content-type":"text/plain","content-length":"12"});s.end("hello world\\n")}).listen(${port},"127.0.0.1",()=>console.log("ready"))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", () => reject(new Error("server exited")));
  });
  return child;
}

/** Context for lateness: how late a bare 1 ms Node timer fires on this machine right now (p99, ms). */
export async function timerBaselineP99(): Promise<number> {
  const code =
    "const l=[];let last=performance.now();const end=last+2000;" +
    "function t(){const n=performance.now();l.push(n-last-1);last=n;if(n<end)setTimeout(t,1);else{l.sort((a,b)=>a-b);console.log(l[Math.floor(l.length*0.99)])}}setTimeout(t,1)";
  const r = await run(process.execPath, ["-e", code], { timeoutMs: 30_000 });
  return Number(r.out.trim());
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const fmt = (x: number, d = 0): string => x.toFixed(d);

const p99 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.ceil(0.99 * s.length) - 1]! : 0;
};

/** Send lateness (ms) of an attack's JSON-lines results: whole run, first second, after it. */
export interface LatenessStats {
  p99: number;
  firstSecondP99: number;
  steadyP99: number;
  /** Requests actually sent within the first second after the first send. */
  sentFirstSecond: number;
}

export function latenessStats(resultsFile: string): LatenessStats {
  const sent = readFileSync(resultsFile, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as { timestamp: string; lateness: number; dropped: boolean })
    .filter((r) => !r.dropped)
    .map((r) => ({ at: Date.parse(r.timestamp), late: r.lateness / 1e6 }));
  const t0 = sent.reduce((m, r) => Math.min(m, r.at), Number.POSITIVE_INFINITY);
  const first = sent.filter((r) => r.at - t0 < 1000).map((r) => r.late);
  return {
    p99: p99(sent.map((r) => r.late)),
    firstSecondP99: p99(first),
    steadyP99: p99(sent.filter((r) => r.at - t0 >= 1000).map((r) => r.late)),
    sentFirstSecond: first.length,
  };
}
