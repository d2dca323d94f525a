/**
 * The sample app's manifests and Prometheus scrape example: the Deployment has what a CPU-based HPA and
 * the pod/namespace labels need, and a real Prometheus scraping the app with the example's local job
 * stores `http_requests_total` with `namespace` and `pod` labels (from relabeling, or from the app's own
 * POD_NAME/POD_NAMESPACE via honor_labels) and the same count the attack sent.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml, stringify } from "yaml";
import { REPO_ROOT as ROOT, runCli, runCommand, startCli } from "../support/cli.js";
import { freePort, httpOk, type Started } from "../support/process.js";
import { type RunningPrometheus, startPrometheus, waitForQuery } from "../support/prometheus.js";

const started: Started[] = [];
let prom: RunningPrometheus | undefined;

afterAll(async () => {
  await prom?.stop();
  await Promise.all(started.map((s) => s.stop()));
});

// biome-ignore lint/suspicious/noExplicitAny: parsed manifests are navigated freely; the assertions check the shapes.
type Obj = Record<string, any>;

describe("deploy/examples/sample-app.yaml", () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, "deploy/examples/sample-app.yaml"), "utf8")).map(
    (d) => d.toJS() as Obj,
  );
  const deployment = docs.find((d) => d.kind === "Deployment")!;
  const service = docs.find((d) => d.kind === "Service")!;
  const container = deployment.spec.template.spec.containers[0];

  it("runs the sample app on all interfaces with requests, limits, probes and a drain-friendly grace period", () => {
    expect(deployment.apiVersion).toBe("apps/v1");
    expect(container.args.slice(0, 3)).toEqual(["sample-app", "--address=0.0.0.0", "--port=8080"]);
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    const drain = container.args.find((a: string) => a.startsWith("--drain-timeout="));
    expect(Number.parseInt(drain.split("=")[1], 10)).toBeLessThan(
      deployment.spec.template.spec.terminationGracePeriodSeconds,
    );
  });

  it("takes POD_NAME and POD_NAMESPACE from the downward API, and the Service selects its pods", () => {
    expect(container.env).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ]);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
  });
});

describe("deploy/examples/prometheus-scrape.yaml with a real Prometheus", () => {
  const config = parseYaml(readFileSync(join(ROOT, "deploy/examples/prometheus-scrape.yaml"), "utf8")) as Obj;
  const local = config.scrape_configs.find((j: Obj) => j.job_name === "sample-app-local");

  it("relabels namespace and pod in the pod-discovery job", () => {
    const k8s = config.scrape_configs.find((j: Obj) => j.job_name === "sample-app");
    expect(k8s.kubernetes_sd_configs).toEqual([{ role: "pod" }]);
    expect(k8s.relabel_configs).toEqual(
      expect.arrayContaining([
        { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      ]),
    );
  });

  it("stores the app's requests under namespace/pod, counting what the attack sent", async () => {
    const start = async (env: NodeJS.ProcessEnv) => {
      const port = await freePort();
      const app = await startCli(["sample-app", "--port", String(port), "--service-time", "0"], {
        ready: () => httpOk(`http://127.0.0.1:${port}/readyz`),
        env: { ...process.env, ...env },
      });
      started.push(app);
      return port;
    };
    const plain = await start({});
    const labelled = await start({ POD_NAME: "web-0", POD_NAMESPACE: "shop" });
    const job = (name: string, port: number): Obj => ({
      ...local,
      job_name: name,
      static_configs: [{ ...local.static_configs[0], targets: [`127.0.0.1:${port}`] }],
    });
    const scrape = stringify({ scrape_configs: [job("plain", plain), job("labelled", labelled)] });
    // promtool accepts the job as written in the example (this Debian build has no Kubernetes discovery).
    const dir = mkdtempSync(join(tmpdir(), "tidescale-scrape-"));
    writeFileSync(join(dir, "prometheus.yml"), scrape);
    const check = await runCommand(["/usr/bin/promtool", "check", "config", join(dir, "prometheus.yml")]);
    expect(check.code, check.out + check.err).toBe(0);

    prom = await startPrometheus({ extraConfig: scrape });
    for (const port of [plain, labelled]) {
      const a = await runCli(["attack", "-rate", "40/s", "-duration", "1s"], {
        stdin: `GET http://127.0.0.1:${port}/hpa\n`,
      });
      expect(a.code, a.err).toBe(0);
    }
    const plainSamples = await waitForQuery(prom.url, 'http_requests_total{job="plain",path="/hpa"}', {
      accept: (s) => s[0]?.value[1] === "40",
    });
    expect(plainSamples[0]!.metric).toMatchObject({ namespace: "demo", pod: "sample-app-0", status: "200" });
    const labelledSamples = await waitForQuery(prom.url, 'http_requests_total{job="labelled",path="/hpa"}', {
      accept: (s) => s[0]?.value[1] === "40",
    });
    expect(labelledSamples[0]!.metric).toMatchObject({ namespace: "shop", pod: "web-0", status: "200" });
    expect(Object.keys(labelledSamples[0]!.metric).filter((k) => k.startsWith("exported_"))).toEqual([]);
  });
});
