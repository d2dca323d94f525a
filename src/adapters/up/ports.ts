/**
 * Port checks before `tidescale up` starts anything: a port in use is reported with the port and the
 * flag that changes it, instead of a child failing later with a less useful message.
 */
import { createServer } from "node:net";
import { ToolkitError } from "../../core/errors.js";

/** Resolves when `host:port` can be bound (then releases it); throws naming `flag` when it cannot. */
export async function checkPortFree(host: string, port: number, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "EADDRINUSE" ? "is already in use" : `cannot be bound (${e.code ?? e.message})`;
      reject(
        new ToolkitError("UNAVAILABLE", flag, `port ${port} on ${host} ${why}; choose another with ${flag}`),
      );
    });
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** A free port on 127.0.0.1 chosen by the kernel (for ports given as 0 that a child must be told). */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
