/**
 * The program behind the one entry point (main.ts): `tidescale <command>`. Each command lives in `commands/<name>.ts` and exports
 * `register(program)`; this file only wires them and maps failures to exit codes (cli/errors.ts).
 */
import { Command } from "commander";
import { reportError } from "./errors.js";
import { COMMANDS } from "./registry.js";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("tidescale")
    .description(
      "Autoscale Kubernetes workloads on the numbers that matter, and ahead of load.\n" +
        "Run `tidescale <command> --help` for a command's flags and a runnable example.",
    )
    .version(VERSION, "--version")
    .option("--debug", "print stack traces on errors")
    // Usage errors stay one line: "error: unknown option '--x' (see --help)".
    .configureOutput({ outputError: (str, write) => write(`${str.trimEnd()} (see --help)\n`) })
    .exitOverride();
  for (const register of COMMANDS) register(program);
  // Every subcommand inherits exitOverride so that usage errors exit 2 through reportError.
  for (const cmd of program.commands) applyExitOverride(cmd);
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, debug);
  }
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

const VERSION = "0.1.0";
