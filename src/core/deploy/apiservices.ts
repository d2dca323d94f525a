/**
 * The adapter's APIService objects and its serving-certificate Secret, as data (what `tidescale certs`
 * writes and what deploy/06-apiservices.yaml and deploy/07-apiservice-resource-metrics.yaml ship).
 * The aggregator verifies the adapter's certificate for `<service>.<namespace>.svc` against `caBundle`.
 */

export interface ApiServiceVersion {
  group: string;
  version: string;
  groupPriorityMinimum: number;
  versionPriority: number;
}

/** The groups and versions the adapter serves. v1beta2 of custom metrics is preferred by the HPA. */
export const ADAPTER_API_VERSIONS: readonly ApiServiceVersion[] = [
  { group: "custom.metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
  { group: "custom.metrics.k8s.io", version: "v1beta2", groupPriorityMinimum: 100, versionPriority: 200 },
  { group: "external.metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
  // metrics.k8s.io is also metrics-server's: optional (see `resourceMetrics`).
  { group: "metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
];

export interface AdapterServiceRef {
  namespace: string;
  service: string;
  /** The Service port the aggregator connects to (443 in deploy/). */
  port: number;
}

/** DNS names of the Service, the first being the one the aggregator verifies. */
export function serviceDnsNames(ref: Pick<AdapterServiceRef, "namespace" | "service">): string[] {
  const { namespace, service } = ref;
  return [
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    `${service}.${namespace}`,
    service,
  ];
}

/** The APIService objects, verified with `caBundlePem` (PEM; stored base64 as the API wants). */
export function apiServiceManifests(
  ref: AdapterServiceRef,
  caBundlePem: string,
  opts: { resourceMetrics: boolean },
): Record<string, unknown>[] {
  const caBundle = base64Ascii(caBundlePem);
  return ADAPTER_API_VERSIONS.filter((v) => opts.resourceMetrics || v.group !== "metrics.k8s.io").map(
    (v) => ({
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: `${v.version}.${v.group}`, labels: { "app.kubernetes.io/name": "tidescale" } },
      spec: {
        group: v.group,
        version: v.version,
        service: { name: ref.service, namespace: ref.namespace, port: ref.port },
        caBundle,
        groupPriorityMinimum: v.groupPriorityMinimum,
        versionPriority: v.versionPriority,
      },
    }),
  );
}

/** A `kubernetes.io/tls` Secret with the serving pair (and the CA, for clients that want it). */
export function servingSecretManifest(
  ref: { namespace: string; secret: string },
  pem: { cert: string; key: string; ca: string },
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: ref.secret,
      namespace: ref.namespace,
      labels: { "app.kubernetes.io/name": "tidescale" },
    },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": base64Ascii(pem.cert),
      "tls.key": base64Ascii(pem.key),
      "ca.crt": base64Ascii(pem.ca),
    },
  };
}

/** Base64 of PEM text (ASCII by definition; anything else is a caller bug). */
function base64Ascii(pem: string): string {
  if (/[^\t\n\r -~]/.test(pem)) throw new Error("PEM text must be printable ASCII");
  return btoa(pem);
}
