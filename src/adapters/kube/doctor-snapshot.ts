/**
 * Collects `tidescale doctor`'s Kubernetes snapshot: metrics APIServices, their discovery documents and
 * the adapters' readiness through kube-apiserver, HPAs with their recent Warning events and the requests
 * of their pods, and EHPAs/TSPs when those CRDs are installed. Read-only GETs with the kubeconfig's
 * identity; Prometheus is read by adapters/prometheus/doctor-probe.ts.
 */

import type { AdapterReadiness, MetricsApiRead } from "../../core/doctor/adapter.js";
import { METRICS_GROUPS } from "../../core/doctor/apiservices.js";
import {
  apiServiceFromObject,
  conditions,
  type DoctorSnapshot,
  hasResourceMetric,
  hpaFromObject,
  missingRequests,
  servedNames,
} from "../../core/doctor/diagnose.js";
import type { EhpaSnapshot, TspSnapshot } from "../../core/doctor/ehpa.js";
import type { HpaSnapshot } from "../../core/doctor/hpa.js";
import { managedName } from "../../core/ehpa/identifiers.js";
import { ToolkitError } from "../../core/errors.js";
import { type KubeApi, statusMessage } from "../http/auth/kube-client.js";

export interface SnapshotOptions {
  namespace?: string | undefined;
  hpa?: string | undefined;
}

type KubeSnapshot = Pick<
  DoctorSnapshot,
  "kubeServer" | "apiServices" | "discovery" | "readiness" | "hpas" | "ehpas" | "tsps"
>;

async function getOk(api: KubeApi, path: string): Promise<unknown> {
  const r = await api.get(path);
  if (r.status !== 200)
    throw new ToolkitError("UNAVAILABLE", path, `${api.server} answered ${r.status}: ${statusMessage(r)}`);
  return r.body;
}

const items = (body: unknown): unknown[] => {
  const list = (body as { items?: unknown } | undefined)?.items;
  return Array.isArray(list) ? list : [];
};
const meta = (o: unknown) => (o as { metadata?: { namespace?: string; name?: string } }).metadata ?? {};
const enc = encodeURIComponent;

async function hpaVersion(api: KubeApi): Promise<string> {
  return (await api.get("/apis/autoscaling/v2")).status === 200 ? "v2" : "v2beta2";
}

/** HPAs through autoscaling/v2 (Kubernetes 1.23+), else autoscaling/v2beta2. */
async function listHpas(api: KubeApi, version: string, o: SnapshotOptions): Promise<unknown[]> {
  const scope = o.namespace ? `/namespaces/${enc(o.namespace)}` : "";
  if (!o.hpa) return items(await getOk(api, `/apis/autoscaling/${version}${scope}/horizontalpodautoscalers`));
  const r = await api.get(`/apis/autoscaling/${version}${scope}/horizontalpodautoscalers/${enc(o.hpa)}`);
  if (r.status === 404)
    throw new ToolkitError("NOT_FOUND", "--hpa", `horizontalpodautoscaler ${o.namespace}/${o.hpa} not found`);
  if (r.status !== 200)
    throw new ToolkitError("UNAVAILABLE", "--hpa", `${api.server} answered ${r.status}: ${statusMessage(r)}`);
  return [r.body];
}

async function hpaEvents(api: KubeApi, namespace: string, name: string): Promise<unknown[]> {
  const selector = `involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=${name}`;
  const r = await api.get(`/api/v1/namespaces/${enc(namespace)}/events?fieldSelector=${enc(selector)}`);
  return r.status === 200 ? items(r.body) : [];
}

/**
 * The containers without requests among the pods of the HPA's target: the target's scale subresource
 * gives the pod selector (`status.selector`), as for the HPA controller. Undefined when it cannot be read.
 */
async function podsMissingRequests(api: KubeApi, hpa: unknown): Promise<HpaSnapshot["missingRequests"]> {
  const { namespace = "" } = meta(hpa);
  const ref = ((hpa as { spec?: { scaleTargetRef?: Record<string, string> } }).spec?.scaleTargetRef ??
    {}) as {
    apiVersion?: string;
    kind?: string;
    name?: string;
  };
  if (!ref.kind || !ref.name) return undefined;
  const apiVersion = ref.apiVersion ?? "apps/v1";
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const plural = `${ref.kind.toLowerCase()}s`;
  const scale = await api.get(`${base}/namespaces/${enc(namespace)}/${plural}/${enc(ref.name)}/scale`);
  const selector = (scale.body as { status?: { selector?: string } } | undefined)?.status?.selector;
  if (scale.status !== 200 || !selector) return undefined;
  const pods = await api.get(`/api/v1/namespaces/${enc(namespace)}/pods?labelSelector=${enc(selector)}`);
  return pods.status === 200 ? missingRequests(items(pods.body)) : undefined;
}

async function collectHpas(
  api: KubeApi,
  version: string,
  o: SnapshotOptions,
  nowMs: number,
): Promise<HpaSnapshot[]> {
  const hpas: HpaSnapshot[] = [];
  for (const raw of await listHpas(api, version, o)) {
    const { namespace = "", name = "" } = meta(raw);
    const h = hpaFromObject(raw, await hpaEvents(api, namespace, name), nowMs);
    if (hasResourceMetric(raw)) h.missingRequests = await podsMissingRequests(api, raw);
    hpas.push(h);
  }
  return hpas;
}

/** GET /apis/<group>/<version> of each registered metrics API through kube-apiserver. */
async function readDiscovery(
  api: KubeApi,
  apiServices: DoctorSnapshot["apiServices"],
): Promise<MetricsApiRead[]> {
  return Promise.all(
    apiServices.map(async (a): Promise<MetricsApiRead> => {
      const base = { group: a.group, version: a.version };
      try {
        const r = await api.get(`/apis/${a.group}/${a.version}`);
        if (r.status === 200) return { ...base, status: 200, names: servedNames(r.body) };
        return { ...base, status: r.status, error: statusMessage(r), names: [] };
      } catch (e) {
        return { ...base, error: (e as Error).message, names: [] };
      }
    }),
  );
}

const isStatus = (body: unknown) => (body as { kind?: string } | undefined)?.kind === "Status";

/**
 * The `/readyz` of each adapter Service behind an Available metrics APIService, through the apiserver's
 * service proxy. Left out when the apiserver itself answers (a `Status`: no endpoints to proxy to, e.g. an
 * ExternalName Service, or no `services/proxy` permission): then nothing is known about readiness.
 */
async function readReadiness(
  api: KubeApi,
  apiServices: DoctorSnapshot["apiServices"],
): Promise<AdapterReadiness[]> {
  const services = new Map<string, { namespace: string; name: string; port: number }>();
  for (const a of apiServices) {
    const available = a.conditions.some((c) => c.type === "Available" && c.status === "True");
    if (a.service && available)
      services.set(`${a.service.namespace}/${a.service.name}`, { ...a.service, port: a.service.port ?? 443 });
  }
  const out: AdapterReadiness[] = [];
  for (const [key, s] of services) {
    const path = `/api/v1/namespaces/${enc(s.namespace)}/services/https:${enc(s.name)}:${s.port}/proxy/readyz`;
    const r = await api.get(path).catch(() => undefined);
    if (!r || isStatus(r.body)) continue;
    out.push({
      service: key,
      status: r.status,
      body: typeof r.body === "string" ? r.body : JSON.stringify(r.body),
    });
  }
  return out;
}

const EHPA_BASE = "/apis/autoscaling.tidescale.dev/v1alpha1";
const TSP_BASE = "/apis/prediction.tidescale.dev/v1alpha1";

/** EHPAs and TSPs when their CRDs are installed (undefined otherwise). */
async function collectPredictive(
  api: KubeApi,
  version: string,
  o: SnapshotOptions,
): Promise<Pick<DoctorSnapshot, "ehpas" | "tsps">> {
  const scope = o.namespace ? `/namespaces/${enc(o.namespace)}` : "";
  const list = await api.get(`${EHPA_BASE}${scope}/effectivehorizontalpodautoscalers`);
  if (list.status !== 200) return {};
  const ehpas: EhpaSnapshot[] = [];
  for (const e of items(list.body)) {
    const { namespace = "", name = "" } = meta(e);
    const hpaName = managedName(name);
    const hpa = await api.get(
      `/apis/autoscaling/${version}/namespaces/${enc(namespace)}/horizontalpodautoscalers/${enc(hpaName)}`,
    );
    ehpas.push({
      namespace,
      name,
      conditions: conditions((e as { status?: unknown }).status),
      managedHpa: { name: hpaName, exists: hpa.status === 200 },
    });
  }
  const tspList = await api.get(`${TSP_BASE}${scope}/timeseriespredictions`);
  const tsps: TspSnapshot[] = items(tspList.status === 200 ? tspList.body : undefined).map((t) => {
    const owners =
      (t as { metadata?: { ownerReferences?: Array<{ kind?: string }> } }).metadata?.ownerReferences ?? [];
    return {
      namespace: meta(t).namespace ?? "",
      name: meta(t).name ?? "",
      conditions: conditions((t as { status?: unknown }).status),
      ownedByEhpa: owners.some((r) => r.kind === "EffectiveHorizontalPodAutoscaler"),
    };
  });
  return { ehpas, tsps };
}

export async function collectKubeSnapshot(
  api: KubeApi,
  o: SnapshotOptions,
  nowMs: number,
): Promise<KubeSnapshot> {
  const apiServices = items(await getOk(api, "/apis/apiregistration.k8s.io/v1/apiservices"))
    .map(apiServiceFromObject)
    .filter((a) => METRICS_GROUPS.includes(a.group));
  const version = await hpaVersion(api);
  const [discovery, readiness, hpas, predictive] = await Promise.all([
    readDiscovery(api, apiServices),
    readReadiness(api, apiServices),
    collectHpas(api, version, o, nowMs),
    collectPredictive(api, version, o),
  ]);
  return { kubeServer: api.server, apiServices, discovery, readiness, hpas, ...predictive };
}
