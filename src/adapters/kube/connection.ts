/**
 * One connection to a Kubernetes apiserver for the adapter's own reads (API discovery, metadata
 * list/watch): @kubernetes/client-node 1.4 loads the kubeconfig (file or in-cluster service account) and
 * applies its client certificate, CA and token to each request; requests are plain HTTPS so that the
 * `Accept` header (PartialObjectMetadata) and streaming (watch) are ours to set.
 */
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { ToolkitError } from "../../core/errors.js";
import { loadKubeConfig } from "./client.js";

export interface StreamHandle {
  /** Resolves when the stream ends (server closed it, error, or `abort`). */
  done: Promise<void>;
  abort(): void;
}

/** GETs and streaming GETs against one apiserver. */
export class KubeConnection {
  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
  ) {}

  /** The kubeconfig file, or in-cluster config, as a connection (undefined when neither is there). */
  static from(kubeconfig: string | undefined, flag: string): KubeConnection | undefined {
    const kc = loadKubeConfig(kubeconfig, flag);
    const cluster = kc?.getCurrentCluster();
    return kc && cluster ? new KubeConnection(kc, cluster.server.replace(/\/+$/, "")) : undefined;
  }

  private async options(accept: string, timeoutMs: number): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = { method: "GET", headers: { accept }, timeout: timeoutMs };
    await this.kc.applyToHTTPSOptions(opts);
    return opts;
  }

  private fail(path: string, e: Error): ToolkitError {
    return new ToolkitError("UNAVAILABLE", `GET ${this.server}${path}`, e.message || String(e), { cause: e });
  }

  /** One GET; the body parsed as JSON (the text when it is not JSON). */
  async getJson(
    path: string,
    accept = "application/json",
    timeoutMs = 30_000,
  ): Promise<{ status: number; body: unknown }> {
    const opts = await this.options(accept, timeoutMs);
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(this.server + path), opts, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => reject(this.fail(path, e)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: callers report the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on("error", (e) => reject(this.fail(path, e)));
      req.end();
    });
  }

  /**
   * A streaming GET (a watch): `onLine` gets every newline-terminated line of a 200 answer; another
   * status resolves `onStatus` with the body instead. `idleMs` ends a stream that stays silent that long
   * (the apiserver closes watches after its own timeout; this guards a dead connection).
   */
  async stream(
    path: string,
    accept: string,
    onLine: (line: string) => void,
    onStatus: (status: number, body: string) => void,
    idleMs: number,
  ): Promise<StreamHandle> {
    const opts = await this.options(accept, idleMs);
    let abort = () => {};
    const done = new Promise<void>((resolve, reject) => {
      const req = https.request(new URL(this.server + path), opts, (res) => {
        let rest = "";
        res.setEncoding("utf8");
        if (res.statusCode !== 200) {
          res.on("data", (c: string) => {
            rest += c;
          });
          res.on("end", () => {
            onStatus(res.statusCode ?? 0, rest);
            resolve();
          });
          return;
        }
        res.on("data", (c: string) => {
          rest += c;
          let nl = rest.indexOf("\n");
          while (nl >= 0) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            if (line.trim() !== "") onLine(line);
            nl = rest.indexOf("\n");
          }
        });
        res.on("end", () => resolve());
        res.on("error", () => resolve());
        res.on("close", () => resolve());
      });
      req.on("timeout", () => req.destroy(new Error(`no data for ${idleMs} ms`)));
      req.on("error", (e) => reject(this.fail(path, e)));
      abort = () => {
        req.destroy();
        resolve();
      };
      req.end();
    });
    return { done, abort: () => abort() };
  }
}
