/**
 * The Prometheus bearer token from a file (`--prometheus-token-file`), kept current: the file is watched
 * (polled every second, which also sees a Kubernetes Secret volume's atomic symlink swap) and re-read on
 * demand when Prometheus answers 401 (the client then retries once with the new token). A rotated token
 * therefore does not end in 401s until a restart.
 */
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { invalidInput } from "../../core/errors.js";
import type { TokenSource } from "./client.js";

export class TokenFile implements TokenSource {
  private token: string;
  private readonly onChange = () => {
    this.reload();
  };

  /** Reads `file` now (a missing or unreadable file is an error naming `flag`) and starts watching it. */
  constructor(
    readonly file: string,
    flag: string,
    pollMs = 1000,
  ) {
    try {
      this.token = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw invalidInput(
        flag,
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    watchFile(file, { interval: pollMs, persistent: false }, this.onChange);
  }

  current(): string {
    return this.token;
  }

  /**
   * Re-reads the file and returns the token now current. An unreadable or empty file (a rotation caught
   * half-way) keeps the previous token.
   */
  reload(): string {
    try {
      const t = readFileSync(this.file, "utf8").trim();
      if (t !== "") this.token = t;
    } catch {
      // keep the previous token; the next change or 401 reads again
    }
    return this.token;
  }

  close(): void {
    unwatchFile(this.file, this.onChange);
  }
}
