/**
 * End to end on a real control plane: etcd + kube-apiserver + kube-controller-manager (built from Debian's
 * `kubernetes` source package, see scripts/control-plane.sh), a real Prometheus scraping a test exporter,
 * and the manifests in deploy/ validated by the real apiserver. No kubelet: the test marks pods ready.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ControlPlane,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";
import { type RequestsExporter, startRequestsExporter } from "../support/exporter.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";

const NS = "e2e-web";
const DEPLOY_DIR = join(REPO_ROOT, "deploy");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes. */
async function eventually<T>(
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

let cp: ControlPlane | undefined;
let exporter: RequestsExporter | undefined;
let prom: RunningPrometheus | undefined;
let podLoop: { stop: () => Promise<void> } | undefined;

function plane(): ControlPlane {
  if (!cp) throw new Error("control plane not started");
  return cp;
}

/**
 * Stands in for the kubelet and for the Service spreading load: every 500 ms, marks new pods of the
 * Deployment ready and gives the exporter the current set of ready pods.
 */
function startPodLoop(c: ControlPlane, exp: RequestsExporter): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    // Bounded: the loop ends with the suite (afterAll) or after 20 minutes at the latest.
    const until = Date.now() + 20 * 60_000;
    while (running && Date.now() < until) {
      try {
        await c.markPodsReady(NS, "app=web");
        const r = await c.kubectl(["get", "pods", "-n", NS, "-l", "app=web", "-o", "json"]);
        const pods = (
          JSON.parse(r.stdout) as {
            items: { metadata: { name: string; deletionTimestamp?: string }; status?: { phase?: string } }[];
          }
        ).items
          .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running")
          .map((p) => p.metadata.name);
        exp.setPods(pods);
      } catch {
        // The apiserver may be stopping (afterAll); the next round retries.
      }
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
  exporter = await startRequestsExporter({ namespace: NS });
  prom = await startPrometheus({ targets: [exporter.target] });
}, 1_800_000);

afterAll(async () => {
  await podLoop?.stop();
  await prom?.stop();
  await exporter?.stop();
  await cp?.stop();
});

describe("the control plane (scripts/control-plane.sh)", () => {
  it("serves the API with RBAC, the aggregator's front-proxy config and the controllers", async () => {
    const c = plane();
    expect((await c.kubectl(["get", "--raw", "/readyz"])).stdout.trim()).toBe("ok");
    const version = JSON.parse((await c.kubectl(["get", "--raw", "/version"])).stdout) as {
      gitVersion: string;
    };
    expect(version.gitVersion).toMatch(/^v1\.20\./);
    // The apiserver publishes its requestheader (front-proxy) configuration for aggregated servers.
    const cm = JSON.parse(
      (
        await c.kubectl([
          "get",
          "configmap",
          "-n",
          "kube-system",
          "extension-apiserver-authentication",
          "-o",
          "json",
        ])
      ).stdout,
    ) as { data: Record<string, string> };
    expect(cm.data["requestheader-allowed-names"]).toBe('["front-proxy-client"]');
    expect(cm.data["requestheader-username-headers"]).toBe('["X-Remote-User"]');
    expect(cm.data["requestheader-client-ca-file"]).toBe(await readFile(c.requestheaderClientCAFile, "utf8"));
    // RBAC is on: a ServiceAccount cannot read pods until it is granted.
    const can = await c.kubectl(
      ["auth", "can-i", "list", "pods", "--as", "system:serviceaccount:default:default"],
      {
        allowFail: true,
      },
    );
    expect(can.stdout.trim()).toBe("no");
  });

  it("runs a Deployment whose pods the test marks Running/Ready (no kubelet)", async () => {
    const c = plane();
    await c.kubectl(["create", "namespace", NS]);
    await eventually(
      `ServiceAccount ${NS}/default`,
      async () =>
        (await c.kubectl(["get", "sa", "default", "-n", NS], { allowFail: true })).code === 0
          ? true
          : undefined,
      { timeoutMs: 30_000, everyMs: 250 },
    );
    await c.apply(
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: NS },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [
                {
                  name: "web",
                  image: "registry.invalid/web:1",
                  resources: { requests: { cpu: "10m", memory: "16Mi" } },
                },
              ],
            },
          },
        },
      }),
    );
    const ready = await eventually(
      "one pod marked ready",
      async () => {
        const changed = await c.markPodsReady(NS, "app=web");
        return changed.length === 1 ? changed : undefined;
      },
      { timeoutMs: 60_000, everyMs: 250, detail: () => c.log("kube-controller-manager") },
    );
    const available = await eventually(
      "Deployment available",
      async () => {
        const d = JSON.parse(
          (await c.kubectl(["get", "deployment", "web", "-n", NS, "-o", "json"])).stdout,
        ) as {
          status: { availableReplicas?: number };
        };
        return d.status.availableReplicas === 1 ? d.status.availableReplicas : undefined;
      },
      { timeoutMs: 30_000, everyMs: 250 },
    );
    expect(available).toBe(1);
    const pod = JSON.parse(
      (await c.kubectl(["get", "pod", ready[0] ?? "", "-n", NS, "-o", "json"])).stdout,
    ) as {
      status: { phase: string; conditions: { type: string; status: string }[] };
    };
    expect(pod.status.phase).toBe("Running");
    expect(pod.status.conditions.find((x) => x.type === "Ready")?.status).toBe("True");
  });

  it("feeds Prometheus per-pod request counters for the pods that exist", async () => {
    const c = plane();
    if (!exporter || !prom) throw new Error("not started");
    podLoop = startPodLoop(c, exporter);
    exporter.setTotalRate(300);
    // The per-pod rate settles at the load the test generates (300 req/s, one pod).
    const samples = await waitForQuery(
      prom.url,
      `sum by (pod) (rate(http_requests_total{namespace="${NS}"}[10s]))`,
      {
        timeoutMs: 60_000,
        accept: (s) => s.length === 1 && Math.abs(Number(s[0]?.value[1]) - 300) < 30,
      },
    );
    expect(samples[0]?.metric.pod).toBe(exporter.pods()[0]);
    expect(samples[0]?.metric.pod).toMatch(/^web-/);
  });
});

describe("deploy/ manifests", () => {
  it("are accepted by kube-apiserver (kubectl apply --dry-run=server)", async () => {
    const c = plane();
    const files = (await readdir(DEPLOY_DIR)).filter((f) => f.endsWith(".yaml")).sort();
    expect(files.length).toBeGreaterThanOrEqual(7);
    // Namespaced objects need their namespace to exist for a server-side dry run.
    await c.kubectl(["apply", "-f", join(DEPLOY_DIR, "00-namespace.yaml")]);
    const r = await c.kubectl(["apply", "--dry-run=server", "-f", DEPLOY_DIR]);
    for (const kind of [
      "serviceaccount/tidescale-adapter",
      "clusterrolebinding.rbac.authorization.k8s.io/tidescale-adapter:system:auth-delegator",
      "rolebinding.rbac.authorization.k8s.io/tidescale-adapter-auth-reader",
      "clusterrole.rbac.authorization.k8s.io/tidescale-adapter-resource-reader",
      "clusterrolebinding.rbac.authorization.k8s.io/tidescale-hpa-controller-metrics",
      "configmap/tidescale-adapter-config",
      "deployment.apps/tidescale-adapter",
      "service/tidescale-adapter",
      "apiservice.apiregistration.k8s.io/v1beta1.custom.metrics.k8s.io",
      "apiservice.apiregistration.k8s.io/v1beta2.custom.metrics.k8s.io",
      "apiservice.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io",
      "apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io",
    ]) {
      expect(r.stdout).toContain(`${kind} created (server dry run)`);
    }
  });
});
