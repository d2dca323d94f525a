#!/usr/bin/env node
/** The `tidescale` binary: runs the program and sets the exit code (0 ok, 1 runtime failure, 2 bad input). */
import { reportError } from "./errors.js";
import { main } from "./program.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = reportError(e, process.argv.includes("--debug"));
  },
);
