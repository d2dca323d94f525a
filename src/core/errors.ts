/**
 * The one error type that crosses layers, and the result type for expected failures.
 *
 * Core functions return `Result` for outcomes a caller must handle (a missing metric, a bad selector);
 * they throw `ToolkitError` only when input validation fails at a boundary or an invariant breaks.
 * The HTTP layer maps `code` to a Kubernetes Status in one place (adapters/http), the CLI maps it to an
 * exit code in one place (cli/main.ts). Never match on message text.
 */

/** Closed set of error codes. */
export type ErrorCode =
  | "INVALID_INPUT" // bad config, flag, file content, request parameter: exit 2, HTTP 400
  | "NOT_FOUND" // a resource or metric that does not exist: exit 1, HTTP 404
  | "UNAUTHORIZED" // HTTP 401
  | "FORBIDDEN" // HTTP 403
  | "UNAVAILABLE" // a dependency (Prometheus, apiserver) is down: exit 1, HTTP 503
  | "TIMEOUT" // HTTP 504
  | "CONFLICT" // HTTP 409
  | "INTERNAL"; // a broken invariant: exit 1, HTTP 500

export class ToolkitError extends Error {
  override readonly name = "ToolkitError";
  /**
   * @param code what kind of failure
   * @param where a file:line, a field path (`spec.metrics[1].pods.target.averageValue`) or a flag (`--rate`)
   * @param message what is wrong, in one line
   */
  constructor(
    readonly code: ErrorCode,
    readonly where: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The one-line form used on stderr and in logs: `<where>: <what>`. */
  oneLine(): string {
    return this.where ? `${this.where}: ${this.message}` : this.message;
  }
}

/** HTTP status for a code (the `code` of a Kubernetes Status). */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case "INVALID_INPUT":
      return 400;
    case "UNAUTHORIZED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
      return 409;
    case "UNAVAILABLE":
      return 503;
    case "TIMEOUT":
      return 504;
    case "INTERNAL":
      return 500;
  }
}

/** Process exit code for a code: 2 for bad input, 1 for every other failure. */
export function exitCodeFor(code: ErrorCode): number {
  return code === "INVALID_INPUT" ? 2 : 1;
}

/** The error of a `Result` that reaches the HTTP or CLI layer: its code decides the status or exit code. */
export interface CodedError {
  code: ErrorCode;
  message: string;
}

export const coded = (code: ErrorCode, message: string): CodedError => ({ code, message });

/** Shorthand for the most common failure: bad input at a named place. */
export function invalidInput(where: string, message: string): ToolkitError {
  return new ToolkitError("INVALID_INPUT", where, message);
}

/** A value or a typed failure reason. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
