/**
 * Waiting helpers for end-to-end tests on loaded machines: poll until the state a step needs is there,
 * never assume a transient state holds.
 */
import { request as httpsRequest } from "node:https";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes; the
 * error names `what`, the last error `check` threw and, when given, `detail()` (logs).
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; everyMs?: number; detail?: () => Promise<string> },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    await sleep(opts.everyMs ?? 1000);
  }
  const detail = opts.detail ? await opts.detail().catch((e) => String(e)) : "";
  throw new Error(`${what}: not reached within ${opts.timeoutMs} ms ${lastError}\n${detail}`);
}

/** One HTTPS GET trusting `ca`; resolves with the status and body text. */
export function httpsGetText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, timeout: 10_000, headers: { accept: "application/json" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on("error", reject);
    req.end();
  });
}
