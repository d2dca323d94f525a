/**
 * Running `tidescale` in tests: as a real process (`runCli` to completion, `startCli` for servers,
 * `runCommand` for shell pipelines and other tools) or in-process (`captureMain`, for unit tests of
 * commands). Reuse these; do not copy them.
 */
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Started, startProcess } from "./process.js";

/** The repository root (processes run from here unless `cwd` says otherwise). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The command line that runs the CLI from source: `node --import tsx src/cli/main.ts`. */
export const CLI_COMMAND: readonly string[] = [
  process.execPath,
  "--import",
  "tsx",
  join(REPO_ROOT, "src/cli/main.ts"),
];

/** `CLI_COMMAND` quoted for a `sh -c` script (`${CLI_SHELL} attack ... | ${CLI_SHELL} report`). */
export const CLI_SHELL = CLI_COMMAND.map((a) => `'${a}'`).join(" ");

/** Exit code (-1 when killed by a signal), and everything written to stdout and stderr. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string | undefined;
  /** Replaces the environment (default: this process's). */
  env?: NodeJS.ProcessEnv | undefined;
  /** SIGKILL after this long (default 60 s); the result then has code -1. */
  timeoutMs?: number | undefined;
  /** Working directory (default: the repository root). */
  cwd?: string | undefined;
}

/** Runs `cmd[0] cmd[1..]` to completion and collects its output (bounded by `timeoutMs`). */
export function runCommand(cmd: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(kill);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, out, err });
    });
    // A child that exits without reading its input closes the pipe: not an error for the test.
    child.stdin?.on("error", () => {});
    child.stdin?.end(opts.stdin);
  });
}

/** Runs `tidescale <args>` as a real process from source (see `CLI_COMMAND`). */
export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runCommand([...CLI_COMMAND, ...args], opts);
}

/**
 * Starts `tidescale <args>` as a long-running process from source (servers: `adapter`, `sample-app`)
 * with `startProcess` from process.ts: waits for `ready()`, and `stop()` ends it. Runs in the repository
 * root unless `cwd` says otherwise.
 */
export function startCli(
  args: readonly string[],
  opts: Parameters<typeof startProcess>[2],
): Promise<Started> {
  return startProcess(CLI_COMMAND[0]!, [...CLI_COMMAND.slice(1), ...args], { cwd: REPO_ROOT, ...opts });
}

/**
 * Runs `main(args)` from src/cli/program.ts in this process, capturing what it writes to
 * process.stdout and process.stderr (write callbacks are called, so awaited writes finish).
 * `process.exitCode` is cleared before and after, so one run cannot leak its code into the next.
 */
export async function captureMain(args: string[]): Promise<CliResult> {
  const { main } = await import("../../src/cli/program.js");
  let out = "";
  let err = "";
  const capture =
    (append: (s: string) => void) =>
    (chunk: unknown, enc?: unknown, cb?: unknown): boolean => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
      const done = typeof enc === "function" ? enc : cb;
      if (typeof done === "function") done();
      return true;
    };
  const origOut = process.stdout.write;
  const origErr = process.stderr.write;
  process.stdout.write = capture((s) => {
    out += s;
  }) as typeof process.stdout.write;
  process.stderr.write = capture((s) => {
    err += s;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    process.exitCode = undefined;
  }
}
