/**
 * Shared helpers for tests that start real processes on loopback: free ports, spawning with a readiness
 * wait, and guaranteed cleanup. Reuse these; do not copy them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (asks the kernel for an ephemeral port, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (for assertions and failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `cmd args`, then polls `ready()` every 100 ms until it returns true or `timeoutMs` passes.
 * Throws with the process output when it exits early or never becomes ready.
 */
export async function startProcess(
  cmd: string,
  args: string[],
  opts: { ready: () => Promise<boolean>; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<Started> {
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  const exitP = new Promise<void>((r) =>
    child.on("exit", () => {
      exited = true;
      r();
    }),
  );
  const started: Started = {
    child,
    output: () => out,
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exitP;
      clearTimeout(t);
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${cmd} exited before it was ready:\n${out.slice(-4000)}`);
    if (await opts.ready().catch(() => false)) return started;
    await new Promise((r) => setTimeout(r, 100));
  }
  await started.stop();
  throw new Error(`${cmd} was not ready within ${opts.timeoutMs ?? 30_000} ms:\n${out.slice(-4000)}`);
}

/** True when an HTTP GET to `url` answers with a 2xx status. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}
