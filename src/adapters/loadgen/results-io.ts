/**
 * Reading and writing result streams: JSON lines (or CSV) from files or stdin, decoded line by line so
 * large files and concatenations of several attacks stream through; and a buffered writer for the
 * attack's output (large writes instead of one syscall per result).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { access, constants } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import { type AttackResult, decodeResultLine } from "../../core/loadgen/result.js";
import { readFileError } from "../files/file-error.js";

/** Checks that a file can be read; throws INVALID_INPUT naming it otherwise. */
export async function checkReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (e) {
    throw readFileError(e, path);
  }
}

/** Streams the results of `paths` (stdin when empty or "-") to `onResult`, in input order. */
export async function readResults(paths: string[], onResult: (r: AttackResult) => void): Promise<void> {
  const inputs = paths.length === 0 ? ["-"] : paths;
  for (const p of inputs) if (p !== "-") await checkReadable(p);
  for (const p of inputs) {
    const name = p === "-" ? "stdin" : p;
    const stream = p === "-" ? process.stdin : createReadStream(p);
    const failed = new Promise<never>((_, reject) => {
      stream.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          invalidInput(name, `cannot read results: ${e.code === "EISDIR" ? "is a directory" : e.message}`),
        ),
      );
    });
    const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNo = 0;
    const lines = (async () => {
      for await (const line of rl) {
        lineNo++;
        if (line.trim() === "") continue;
        onResult(decodeResultLine(line, `${name}:${lineNo}`));
      }
    })();
    await Promise.race([lines, failed]);
  }
}

/** Reads all results of `paths` into an array. */
export async function readAllResults(paths: string[]): Promise<AttackResult[]> {
  const out: AttackResult[] = [];
  await readResults(paths, (r) => out.push(r));
  return out;
}

/** Opens `path` for writing ("" or "stdout" = stdout). */
export function openOutput(path: string): Writable {
  if (path === "" || path === "stdout" || path === "-") return process.stdout;
  return createWriteStream(path);
}

/** Writes a whole report to `path`, or to stdout when empty; a reader that went away (EPIPE) is not an error. */
export async function writeText(text: string, path = ""): Promise<void> {
  const w = new BufferedWriter(openOutput(path));
  w.write(text);
  await w.close();
}

/**
 * Collects text and writes it in large chunks: at 64 KiB, every 50 ms, and on close. When the reader of
 * a pipe goes away (EPIPE, as with `| head`), further output is dropped and `onClosed` is called once;
 * other write errors surface from `close()`.
 */
export class BufferedWriter {
  private pending = "";
  private readonly timer: NodeJS.Timeout;
  private closedByReader = false;
  private failure: Error | undefined;

  constructor(
    private readonly out: Writable,
    private readonly onClosed: () => void = () => {},
  ) {
    this.timer = setInterval(() => this.flush(), 50);
    this.timer.unref();
    out.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") {
        if (!this.closedByReader) {
          this.closedByReader = true;
          this.onClosed();
        }
      } else this.failure ??= e;
    });
  }

  write(s: string): void {
    if (this.closedByReader) return;
    this.pending += s;
    if (this.pending.length >= 65_536) this.flush();
  }

  flush(): void {
    if (this.pending === "" || this.closedByReader) return;
    this.out.write(this.pending);
    this.pending = "";
  }

  /** Flushes and waits until the data is handed to the OS (stdout stays open). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    if (!this.closedByReader) {
      await new Promise<void>((resolve) => {
        if (this.out === process.stdout) this.out.write("", () => resolve());
        else this.out.end(() => resolve());
        this.out.once("error", () => resolve());
      });
    }
    if (this.failure)
      throw new ToolkitError("UNAVAILABLE", "output", `cannot write: ${this.failure.message}`);
  }
}
