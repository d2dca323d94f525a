/**
 * The small slice of the Kubernetes API the adapter's security needs (TokenReview, SubjectAccessReview,
 * the extension-apiserver-authentication ConfigMap, Service lookup), over plain HTTPS with the
 * kubeconfig's credentials. @kubernetes/client-node 1.4 only loads the kubeconfig (file or in-cluster)
 * and applies its client certificate, CA and token to the request options.
 */
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { ToolkitError } from "../../../core/errors.js";
import { loadKubeConfig } from "../../kube/client.js";

export interface KubeResponse {
  status: number;
  body: unknown;
}

/** A JSON client for one Kubernetes apiserver. */
export interface KubeApi {
  /** The apiserver URL (for messages). */
  readonly server: string;
  get(path: string): Promise<KubeResponse>;
  post(path: string, body: unknown): Promise<KubeResponse>;
}

/**
 * A KubeApi from `kubeconfig` (a file path), or from the in-cluster service account when no path is
 * given and KUBERNETES_SERVICE_HOST is set (client-go's `rest.InClusterConfig`). Returns undefined when
 * neither is available. `flag` names the flag in error messages.
 */
export function kubeApiFromConfig(kubeconfig: string | undefined, flag: string): KubeApi | undefined {
  const kc = loadKubeConfig(kubeconfig, flag);
  const cluster = kc?.getCurrentCluster();
  if (!kc || !cluster) return undefined;
  return new KubeConfigApi(kc, cluster.server.replace(/\/+$/, ""));
}

const TIMEOUT_MS = 10_000;

class KubeConfigApi implements KubeApi {
  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
  ) {}

  get(path: string): Promise<KubeResponse> {
    return this.request("GET", path, undefined);
  }

  post(path: string, body: unknown): Promise<KubeResponse> {
    return this.request("POST", path, JSON.stringify(body));
  }

  private async request(method: string, path: string, body: string | undefined): Promise<KubeResponse> {
    const opts: https.RequestOptions = {
      method,
      headers: { accept: "application/json", "content-type": "application/json" },
      timeout: TIMEOUT_MS,
    };
    await this.kc.applyToHTTPSOptions(opts);
    const url = new URL(this.server + path);
    return new Promise((resolve, reject) => {
      const req = https.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text; callers report it
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`timed out after ${TIMEOUT_MS} ms`)));
      req.on("error", (e) =>
        reject(
          new ToolkitError("UNAVAILABLE", `${method} ${this.server}${path}`, e.message || String(e), {
            cause: e,
          }),
        ),
      );
      req.end(body);
    });
  }
}

/** The `message` of a Kubernetes Status body, or a short rendering of any other body. */
export function statusMessage(res: KubeResponse): string {
  const b = res.body;
  if (b && typeof b === "object" && "message" in b && typeof b.message === "string") return b.message;
  const s = typeof b === "string" ? b : JSON.stringify(b);
  return `HTTP ${res.status}: ${s.slice(0, 300)}`;
}
