#!/usr/bin/env node
/** The `tidescale` binary: runs the program and sets the exit code (0 ok, 1 runtime failure, 2 bad input). */
import { reportError } from "./errors.js";
import { main } from "./program.js";

// `tidescale ... | head`: a reader that goes away is not an error. Commands that watch stdout
// themselves (attack stops its load) add their own listener and handle it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    if (stream.listenerCount("error") === 1) process.exit(0);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = reportError(e, process.argv.includes("--debug"));
  },
);
