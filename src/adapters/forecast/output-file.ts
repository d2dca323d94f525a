/**
 * Writes the files `tidescale forecast` and `backtest` produce (`--output`, `--svg`). A path that cannot
 * be written (a directory, a missing parent, no permission) is an input error naming the flag, exit 2.
 */
import { writeFileSync } from "node:fs";
import { writeFileError } from "../files/file-error.js";

/** Writes `text` to `path`; failures become `error: <flag>: cannot write <path>: <why>`. */
export function writeOutputFile(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw writeFileError(e, path, flag);
  }
}
