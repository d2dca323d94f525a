/**
 * The one place where failures become exit codes and stderr lines:
 * 0 success, 1 runtime failure, 2 usage or input error; `error: <where>: <what>`.
 */
import { CommanderError } from "commander";
import { exitCodeFor, ToolkitError } from "../core/errors.js";

/** Prints one line for `e` (plus a stack with --debug) and returns the exit code. */
export function reportError(
  e: unknown,
  debug: boolean,
  write: (s: string) => void = (s) => process.stderr.write(s),
): number {
  if (e instanceof CommanderError) {
    // commander already printed its message (e.g. "error: unknown option '--x'"); help/version exit 0.
    if (e.exitCode === 0) return 0;
    return 2;
  }
  if (e instanceof ToolkitError) {
    write(`error: ${e.oneLine()}\n`);
    if (debug && e.stack) write(`${e.stack}\n`);
    return exitCodeFor(e.code);
  }
  const message = e instanceof Error ? e.message : String(e);
  write(`error: ${message.split("\n")[0]}\n`);
  if (debug && e instanceof Error && e.stack) write(`${e.stack}\n`);
  return 1;
}
