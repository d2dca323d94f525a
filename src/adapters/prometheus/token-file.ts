/**
 * The Prometheus bearer token from a file (`--prometheus-token-file`), kept current: the file is watched
 * (polled every second, which also sees a Kubernetes Secret volume's atomic symlink swap) and re-read on
 * demand when Prometheus answers 401 (the client then retries once with the new token). A rotated token
 * therefore does not end in 401s until a restart.
 */
import { readFileSync, type Stats, stat, statSync } from "node:fs";
import { invalidInput } from "../../core/errors.js";
import type { TokenSource } from "./client.js";

export class TokenFile implements TokenSource {
  private token: string;
  /** What the file looked like when last read: a poll that sees anything else re-reads it. */
  private seen: string;
  private readonly timer: NodeJS.Timeout;

  /** Reads `file` now (a missing or unreadable file is an error naming `flag`) and starts watching it. */
  constructor(
    readonly file: string,
    flag: string,
    pollMs = 1000,
  ) {
    try {
      this.seen = fingerprint(statSync(file));
      this.token = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw invalidInput(
        flag,
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    // The fingerprint is taken before the first read, so a rewrite racing with the constructor is seen
    // by the first poll (fs.watchFile takes its first stat later and could miss it).
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  private poll(): void {
    stat(this.file, (err, st) => {
      if (err) return; // a rotation caught half-way: the next poll or a 401 reads again
      const now = fingerprint(st);
      if (now === this.seen) return;
      this.seen = now;
      this.reload();
    });
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
    clearInterval(this.timer);
  }
}

function fingerprint(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
