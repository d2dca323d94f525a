/**
 * Child processes of `tidescale up`: how to run `tidescale` itself again (same Node, same loader flags,
 * same entry file, so it works from source under tsx and from the built package), and stopping a child
 * with SIGTERM then SIGKILL. Children get their own process group, so a Ctrl-C in the terminal reaches
 * only `tidescale up`, which then stops them in order (pods drained first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ToolkitError } from "../../core/errors.js";

/** `[node, ...loader flags, entry]`: the command line that runs this CLI again. */
export function selfCommand(): string[] {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error("cannot find the tidescale entry file (process.argv[1])");
  return [process.execPath, ...process.execArgv, entry];
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process has exited. */
  exited: Promise<number | string>;
  /** The last lines the process wrote to stderr/stdout (for error messages). */
  tail(): string;
}

/** Every child started and not yet exited: what a stop at any moment (Ctrl-C during start-up) ends. */
const live = new Set<Child>();

/** Stops every child still running (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopAllChildren(graceMs: number): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, graceMs)));
}

/** SIGKILL to every child still running (a second Ctrl-C). */
export function killAllChildren(): void {
  for (const c of live) c.proc.kill("SIGKILL");
}

/** Spawns `cmd args` in its own process group, keeping the last 8 KiB of its output. */
export function spawnChild(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Child {
  const proc = spawn(cmd, args, {
    env: env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 16_384) out = out.slice(-8192);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | string>((resolve) => {
    proc.once("error", () => resolve("spawn failed"));
    proc.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  const child: Child = { proc, exited, tail: () => out.slice(-2000) };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child: Child, graceMs: number): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null || child.proc.pid === undefined) {
    await child.exited;
    return;
  }
  child.proc.kill("SIGTERM");
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/**
 * Polls `readyUrl` until it answers 2xx, the child exits (an error naming `component` and its last output
 * line) or `timeoutMs` passes (the child is stopped and an error says so). Returns `url` and a stop function.
 */
export async function waitForChildReady(
  child: Child,
  component: string,
  url: string,
  readyPath: string,
  timeoutMs: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      const last = child.tail().trim().split("\n").at(-1) ?? "";
      throw new ToolkitError("UNAVAILABLE", component, `exited at start: ${last}`);
    }
    const ok = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(1000) }).then(
      async (r) => {
        await r.arrayBuffer();
        return r.ok;
      },
      () => false,
    );
    if (ok) return { url, close: () => stopChild(child, 5000) };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child, 5000);
  throw new ToolkitError("UNAVAILABLE", component, `not ready within ${timeoutMs / 1000}s`);
}
