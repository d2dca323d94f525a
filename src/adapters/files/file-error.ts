/**
 * The one mapping of a failed file operation to a user-facing error, so every command words a missing
 * file the same way: `<where>: cannot read file: no such file`, `<flag>: cannot write <path>: no such
 * directory`. Always INVALID_INPUT (exit 2): the path came from the user.
 */
import { invalidInput, type ToolkitError } from "../../core/errors.js";

/** Why a read or write failed, in a few words (the errno code or message when it is none of the usual). */
export function fileErrorReason(e: unknown, op: "read" | "write"): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return op === "read" ? "no such file" : "no such directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

/**
 * `<where>: cannot read file: <why>` when `where` names the file (its path, or a field and the path);
 * `<where>: cannot read <path>: <why>` when `where` is a flag or a position that does not.
 */
export function readFileError(e: unknown, where: string, path = where): ToolkitError {
  return invalidInput(where, `cannot read ${path === where ? "file" : path}: ${fileErrorReason(e, "read")}`);
}

/** `<flag>: cannot write <path>: <why>`. */
export function writeFileError(e: unknown, path: string, flag: string): ToolkitError {
  return invalidInput(flag, `cannot write ${path}: ${fileErrorReason(e, "write")}`);
}
