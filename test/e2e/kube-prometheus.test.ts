/**
 * deploy/kube-prometheus/ validated by a real kube-apiserver (scripts/control-plane.sh): the
 * ServiceMonitor CRD is installed from a fixture (prometheus-operator's, trimmed), then
 * `kubectl apply --dry-run=server -f deploy/kube-prometheus/` must accept every object.
 *
 * Decision: the ServiceMonitors live next to the Services they select (tidescale, and the sample app's
 * namespace), not in `monitoring`; kube-prometheus's Prometheus selects ServiceMonitors in every
 * namespace. So only the `tidescale` namespace (deploy/00-namespace.yaml) has to exist, and the
 * ClusterRoleBinding may name monitoring/prometheus-k8s before kube-prometheus creates it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  type ControlPlane,
  ensureControlPlaneBuilt,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane.js";

const DIR = join(REPO_ROOT, "deploy/kube-prometheus");
const CRD = join(REPO_ROOT, "test/fixtures/kube-prometheus/servicemonitor-crd.yaml");

let cp: ControlPlane;

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: unknown;
}

/** The documents of a file in deploy/kube-prometheus/. */
function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => d.toJS() as Manifest);
}

beforeAll(async () => {
  await ensureControlPlaneBuilt();
  cp = await startControlPlane();
}, 1_800_000);

afterAll(async () => {
  await cp?.stop();
});

/** A ServiceMonitor with `endpoint` as its only endpoint, in the default namespace. */
function serviceMonitor(name: string, endpoint: string): string {
  return `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: x}}
  endpoints: [${endpoint}]
`;
}

describe("deploy/kube-prometheus/ on a real kube-apiserver", () => {
  it("is refused before the ServiceMonitor CRD exists", async () => {
    await cp.kubectl(["apply", "-f", join(REPO_ROOT, "deploy/00-namespace.yaml")]);
    const r = await cp.kubectl(["apply", "--dry-run=server", "-f", DIR], { allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"');
  });

  it("is accepted by a server-side dry run once the CRD is installed", async () => {
    await cp.kubectl(["apply", "-f", CRD]);
    await cp.kubectl(
      ["wait", "--for=condition=Established", "crd/servicemonitors.monitoring.coreos.com", "--timeout=60s"],
      { timeoutMs: 70_000 },
    );
    // kubectl's discovery cache may still lack the new group for a moment: retry a few times.
    let r = await cp.kubectl(["apply", "--dry-run=server", "-f", DIR], { allowFail: true });
    for (let i = 0; i < 10 && r.code !== 0 && /no matches for kind/.test(r.stderr); i++) {
      await new Promise((res) => setTimeout(res, 1000));
      r = await cp.kubectl(["apply", "--dry-run=server", "-f", DIR], { allowFail: true });
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").sort()).toEqual(
      [
        "clusterrole.rbac.authorization.k8s.io/tidescale-prometheus-k8s-discovery created (server dry run)",
        "clusterrolebinding.rbac.authorization.k8s.io/tidescale-prometheus-k8s-discovery created (server dry run)",
        "configmap/tidescale-adapter-config created (server dry run)",
        "servicemonitor.monitoring.coreos.com/sample-app created (server dry run)",
        "servicemonitor.monitoring.coreos.com/tidescale-adapter created (server dry run)",
      ].sort(),
    );
    // The apiserver prunes fields its schema does not know instead of refusing them (kube-apiserver 1.20
    // has no strict field validation), so compare what it would store with what the files say.
    const json = await cp.kubectl(["apply", "--dry-run=server", "-f", DIR, "-o", "json"]);
    const answered = (JSON.parse(json.stdout) as { items: Manifest[] }).items;
    for (const file of ["02-servicemonitor-adapter.yaml", "03-servicemonitor-sample-app.yaml"]) {
      const [sent] = manifests(file);
      const got = answered.find((o) => o.kind === sent?.kind && o.metadata.name === sent?.metadata.name);
      expect(got?.spec, file).toEqual(sent?.spec);
    }
    // A dry run stores nothing.
    const list = await cp.kubectl(["get", "servicemonitors", "-A", "-o", "name"]);
    expect(list.stdout.trim()).toBe("");
  });

  it("checks ServiceMonitors against the CRD's schema: a wrong value is refused, an unknown field pruned", async () => {
    // why the test above compares the stored spec: a misspelled field disappears from it
    const unknownField = await cp.kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], {
      input: serviceMonitor("typo", "{port: http, honorLabel: true}"),
    });
    expect((JSON.parse(unknownField.stdout) as Manifest).spec).toEqual({
      selector: { matchLabels: { app: "x" } },
      endpoints: [{ port: "http" }],
    });
    const badScheme = await cp.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: serviceMonitor("scheme", "{port: https, scheme: tls}"),
      allowFail: true,
    });
    expect(badScheme.code).not.toBe(0);
    expect(badScheme.stderr).toContain('spec.endpoints.scheme: Unsupported value: "tls"');
  });
});
