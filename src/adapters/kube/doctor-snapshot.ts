/**
 * Collects `tidescale doctor`'s snapshot: metrics APIServices, HPAs with their events, the served metric
 * names and Prometheus' readiness. Read-only GETs with the kubeconfig's identity.
 */

import { METRICS_GROUPS } from "../../core/doctor/apiservices.js";
import {
  apiServiceFromObject,
  type DoctorSnapshot,
  hpaFromObject,
  servedNames,
} from "../../core/doctor/diagnose.js";
import { ToolkitError } from "../../core/errors.js";
import { type KubeApi, statusMessage } from "../http/auth/kube-client.js";

export interface SnapshotOptions {
  namespace?: string | undefined;
  hpa?: string | undefined;
  prometheusUrl?: string | undefined;
}

async function getOk(api: KubeApi, path: string): Promise<unknown> {
  const r = await api.get(path);
  if (r.status !== 200)
    throw new ToolkitError("UNAVAILABLE", path, `${api.server} answered ${r.status}: ${statusMessage(r)}`);
  return r.body;
}

const items = (body: unknown): unknown[] => {
  const list = (body as { items?: unknown }).items;
  return Array.isArray(list) ? list : [];
};

/** HPAs through autoscaling/v2 (Kubernetes 1.23+), else autoscaling/v2beta2. */
async function listHpas(api: KubeApi, o: SnapshotOptions): Promise<unknown[]> {
  const version = (await api.get("/apis/autoscaling/v2")).status === 200 ? "v2" : "v2beta2";
  const scope = o.namespace ? `/namespaces/${encodeURIComponent(o.namespace)}` : "";
  if (!o.hpa) return items(await getOk(api, `/apis/autoscaling/${version}${scope}/horizontalpodautoscalers`));
  const r = await api.get(
    `/apis/autoscaling/${version}${scope}/horizontalpodautoscalers/${encodeURIComponent(o.hpa)}`,
  );
  if (r.status === 404)
    throw new ToolkitError("NOT_FOUND", "--hpa", `horizontalpodautoscaler ${o.namespace}/${o.hpa} not found`);
  if (r.status !== 200)
    throw new ToolkitError("UNAVAILABLE", "--hpa", `${api.server} answered ${r.status}: ${statusMessage(r)}`);
  return [r.body];
}

async function hpaEvents(api: KubeApi, namespace: string, name: string): Promise<unknown[]> {
  const selector = `involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=${name}`;
  const r = await api.get(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/events?fieldSelector=${encodeURIComponent(selector)}`,
  );
  return r.status === 200 ? items(r.body) : [];
}

async function served(api: KubeApi, path: string): Promise<string[]> {
  const r = await api.get(path).catch(() => undefined);
  return r?.status === 200 ? servedNames(r.body) : [];
}

async function prometheusReady(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(`${url.replace(/\/+$/, "")}/-/ready`, { signal: AbortSignal.timeout(5000) });
    return r.ok ? undefined : `GET /-/ready answered ${r.status}`;
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    return `GET /-/ready failed: ${cause ?? (e as Error).message}`;
  }
}

export async function collectSnapshot(api: KubeApi, o: SnapshotOptions): Promise<DoctorSnapshot> {
  const apiServices = items(await getOk(api, "/apis/apiregistration.k8s.io/v1/apiservices"))
    .map(apiServiceFromObject)
    .filter((a) => METRICS_GROUPS.includes(a.group));
  const hpas = [];
  for (const raw of await listHpas(api, o)) {
    const meta = (raw as { metadata?: { namespace?: string; name?: string } }).metadata ?? {};
    hpas.push(hpaFromObject(raw, await hpaEvents(api, meta.namespace ?? "", meta.name ?? "")));
  }
  return {
    apiServices,
    hpas,
    served: {
      custom: await served(api, "/apis/custom.metrics.k8s.io/v1beta1"),
      external: await served(api, "/apis/external.metrics.k8s.io/v1beta1"),
    },
    prometheus: o.prometheusUrl
      ? { url: o.prometheusUrl, error: await prometheusReady(o.prometheusUrl) }
      : undefined,
  };
}
