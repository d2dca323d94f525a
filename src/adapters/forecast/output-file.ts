/**
 * Writes the files `tidescale forecast` and `backtest` produce (`--output`, `--svg`). A path that cannot
 * be written (a directory, a missing parent, no permission) is an input error naming the flag, exit 2.
 */
import { writeFileSync } from "node:fs";
import { invalidInput } from "../../core/errors.js";

/** Writes `text` to `path`; failures become `error: <flag>: cannot write <path>: <why>`. */
export function writeOutputFile(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "EISDIR"
        ? "is a directory"
        : code === "ENOENT"
          ? "no such directory"
          : code === "EACCES"
            ? "permission denied"
            : code === "ENOTDIR"
              ? "a parent is not a directory"
              : String(code ?? (e as Error).message);
    throw invalidInput(flag, `cannot write ${path}: ${why}`);
  }
}
