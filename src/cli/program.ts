/**
 * The program behind the one entry point (main.ts): `tidescale <command>`. Each command lives in
 * `commands/<name>.ts` and exports `register(program)`; registry.ts lists them. Only the command that runs
 * is imported (the top-level help needs just the names and one-line summaries), and failures map to exit
 * codes in cli/errors.ts.
 */
import { Command } from "commander";
import { reportError } from "./errors.js";
import { COMMANDS, findCommand } from "./registry.js";
import { nearest } from "./suggest.js";

/** Options of the program itself (none takes a value), so the command name is the first other word. */
const GLOBAL_FLAGS = new Set(["--debug", "--version", "-h", "--help"]);

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes("--debug");
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
  try {
    const at = argv.findIndex((a) => !GLOBAL_FLAGS.has(a) && !a.startsWith("-"));
    let args = argv;
    if (at >= 0 && argv[at] === "help" && at + 1 < argv.length) {
      // `tidescale help <command> [sub]` is `tidescale <command> [sub] --help`.
      args = [...argv.slice(0, at), ...argv.slice(at + 1), "--help"];
    }
    const name = at >= 0 ? args[at]! : undefined;
    if (name === undefined || (name === "help" && args === argv)) {
      // Only the top-level help (or version) is wanted: list the commands without loading them.
      for (const c of COMMANDS) program.command(c.name).summary(c.summary);
    } else {
      const entry = findCommand(name);
      if (!entry) return unknownCommand(name);
      (await entry.load()).register(program);
    }
    // Every subcommand inherits exitOverride so that usage errors exit 2 through reportError.
    for (const cmd of program.commands) applyExitOverride(cmd);
    await program.parseAsync(args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, debug);
  }
}

/** `error: unknown command 'atack' (did you mean 'attack'? see --help)`, exit 2 (also with --help). */
function unknownCommand(name: string): number {
  const guess = nearest(
    name,
    COMMANDS.map((c) => c.name),
  );
  const hint = guess ? `did you mean '${guess}'? see --help` : "see --help";
  process.stderr.write(`error: unknown command '${name}' (${hint})\n`);
  return 2;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

const VERSION = "0.1.0";
