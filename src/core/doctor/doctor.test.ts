import { describe, expect, it } from "vitest";
import { type ApiServiceSnapshot, checkApiServices } from "./apiservices.js";
import { checkHpa, type HpaSnapshot, nearestNames } from "./hpa.js";

function apiService(
  reason: string | undefined,
  message = "",
  group = "custom.metrics.k8s.io",
): ApiServiceSnapshot {
  return {
    name: `v1beta1.${group}`,
    group,
    version: "v1beta1",
    service: { namespace: "monitoring", name: "prometheus-adapter", port: 443 },
    conditions: reason === undefined ? [] : [{ type: "Available", status: "False", reason, message }],
  };
}

describe("checkApiServices", () => {
  it.each([
    [
      "FailedDiscoveryCheck 404",
      apiService(
        "FailedDiscoveryCheck",
        "failing or missing response from https://10.96.0.5:443/apis/custom.metrics.k8s.io/v1beta1: bad status from https://10.96.0.5:443/apis/custom.metrics.k8s.io/v1beta1: 404",
      ),
      "apiservice.failed-discovery-check",
      "does not serve custom.metrics.k8s.io/v1beta1",
      "kubectl delete apiservice v1beta1.custom.metrics.k8s.io",
    ],
    [
      "FailedDiscoveryCheck 403",
      apiService(
        "FailedDiscoveryCheck",
        "failing or missing response from https://10.96.0.5:443/apis/custom.metrics.k8s.io/v1beta1: bad status from https://10.96.0.5:443/apis/custom.metrics.k8s.io/v1beta1: 403",
      ),
      "apiservice.failed-discovery-check",
      "front-proxy client certificate",
      "extension-apiserver-authentication-reader",
    ],
    [
      "FailedDiscoveryCheck timeout",
      apiService(
        "FailedDiscoveryCheck",
        'failing or missing response from https://10.0.0.9:6443/apis/custom.metrics.k8s.io/v1beta1: Get "https://10.0.0.9:6443/apis/custom.metrics.k8s.io/v1beta1": context deadline exceeded',
      ),
      "apiservice.failed-discovery-check",
      "cannot reach the adapter behind monitoring/prometheus-adapter",
      "kubectl -n monitoring get pods,endpoints prometheus-adapter",
    ],
    [
      "MissingEndpoints",
      apiService(
        "MissingEndpoints",
        'endpoints for service/prometheus-adapter in "monitoring" have no addresses with port name "https"',
      ),
      "apiservice.missing-endpoints",
      "has no ready endpoint",
      "kubectl -n monitoring get endpoints prometheus-adapter",
    ],
    [
      "ServiceNotFound",
      apiService("ServiceNotFound", 'service/prometheus-adapter in "monitoring" is not present'),
      "apiservice.service-not-found",
      "Service monitoring/prometheus-adapter, which does not exist",
      "deploy/05-service.yaml",
    ],
    [
      "no condition yet",
      apiService(undefined),
      "apiservice.not-available",
      "does not consider custom.metrics.k8s.io/v1beta1 available",
      "kubectl get apiservice v1beta1.custom.metrics.k8s.io -o yaml",
    ],
  ])("%s", (_case, a, id, why, fix) => {
    const [f, ...rest] = checkApiServices([a]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id, object: `apiservice/${a.name}` });
    expect(f?.seen).toContain(a.conditions[0]?.message ?? "no Available condition");
    expect(f?.why).toContain(why);
    expect(f?.fix).toContain(fix);
  });

  it("reports nothing for an Available metrics APIService or another group", () => {
    const ok = apiService(undefined);
    ok.conditions = [{ type: "Available", status: "True", reason: "Passed" }];
    const other = apiService("MissingEndpoints", "x", "apps");
    expect(checkApiServices([ok, other])).toEqual([]);
  });
});

function hpa(conditions: HpaSnapshot["conditions"], events: HpaSnapshot["events"] = []): HpaSnapshot {
  return {
    namespace: "shop",
    name: "web",
    scaleTargetRef: { kind: "Deployment", name: "web" },
    conditions,
    events,
  };
}
const served = {
  custom: ["http_requests_qps", "http_requests_per_second", "jobs_processed_qps"],
  external: ["queue_messages_ready"],
  resource: true,
};

describe("checkHpa", () => {
  it.each([
    [
      "FailedGetScale (condition)",
      hpa([
        {
          type: "AbleToScale",
          status: "False",
          reason: "FailedGetScale",
          message: `the HPA controller was unable to get the target's current scale: deployments/scale.apps "web" not found`,
        },
      ]),
      "hpa.failed-get-scale",
      "the scale target deployment/web cannot be read",
      "kubectl -n shop get deployment/web",
    ],
    [
      "FailedGetResourceMetric: missing cpu request",
      hpa([
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetResourceMetric",
          message:
            "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu",
        },
      ]),
      "hpa.missing-resource-request",
      "has no cpu request",
      "kubectl -n shop set resources deployment/web --requests=cpu=100m",
    ],
    [
      "FailedGetResourceMetric: no metrics (event only)",
      hpa(
        [],
        [
          {
            reason: "FailedGetResourceMetric",
            message:
              "failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)",
          },
        ],
      ),
      "hpa.resource-metric-unavailable",
      "metrics.k8s.io has no usage",
      "kubectl get apiservice v1beta1.metrics.k8s.io",
    ],
    [
      "FailedGetPodsMetric: misspelled name, nearest served suggested",
      hpa([
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetPodsMetric",
          message:
            "the HPA was unable to compute the replica count: unable to get metric http_request_qps: unable to fetch metrics from custom metrics API: the server could not find the metric http_request_qps for pods",
        },
      ]),
      "hpa.pods-metric-not-served",
      "does not serve a metric named http_request_qps; nearest served: http_requests_qps",
      "set spec.metrics[].pods.metric.name to http_requests_qps",
    ],
    [
      "FailedGetExternalMetric: misspelled name",
      hpa(
        [],
        [
          {
            reason: "FailedGetExternalMetric",
            message:
              "unable to get external metric shop/queue_mesages_ready/&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: unable to fetch metrics from external metrics API: the server could not find the requested resource",
          },
        ],
      ),
      "hpa.external-metric-not-served",
      "external.metrics.k8s.io does not serve a metric named queue_mesages_ready; nearest served: queue_messages_ready",
      "set spec.metrics[].external.metric.name to queue_messages_ready",
    ],
    [
      "FailedGetPodsMetric: a served name without data",
      hpa([
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetPodsMetric",
          message:
            "the HPA was unable to compute the replica count: unable to get metric jobs_processed_qps: no metrics returned from custom metrics API",
        },
      ]),
      "hpa.pods-metric-not-served",
      "jobs_processed_qps is listed by custom.metrics.k8s.io but the query for it returned nothing",
      "tidescale rules test",
    ],
  ])("%s", (_case, h, id, why, fix) => {
    const [f, ...rest] = checkHpa(h, served);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id, object: "hpa/shop/web" });
    expect(f?.seen).toContain(h.conditions[0]?.message ?? h.events[0]?.message);
    expect(f?.why).toContain(why);
    expect(f?.fix).toContain(fix);
  });

  it("reports one finding when the condition and the event say the same, none for a healthy HPA", () => {
    const message = `the HPA controller was unable to get the target's current scale: deployments/scale.apps "web" not found`;
    const both = hpa(
      [{ type: "AbleToScale", status: "False", reason: "FailedGetScale", message }],
      [{ reason: "FailedGetScale", message: `deployments/scale.apps "web" not found` }],
    );
    expect(checkHpa(both, served).map((f) => f.id)).toEqual(["hpa.failed-get-scale"]);
    const healthy = hpa([
      { type: "AbleToScale", status: "True", reason: "ReadyForNewScale" },
      { type: "ScalingActive", status: "True", reason: "ValidMetricFound" },
      { type: "ScalingLimited", status: "False", reason: "DesiredWithinRange" },
    ]);
    expect(checkHpa(healthy, served)).toEqual([]);
  });
});

describe("checkHpa: more reasons", () => {
  const limited = (reason: string) =>
    checkHpa(
      {
        ...hpa([{ type: "ScalingLimited", status: "True", reason, message: "m" }]),
        minReplicas: 2,
        maxReplicas: 5,
        currentReplicas: 5,
        desiredReplicas: 5,
      },
      served,
    );

  it.each([
    [
      "TooManyReplicas",
      "error",
      "hpa.scaling-limited.too-many-replicas",
      "spec.maxReplicas (5)",
      '"maxReplicas":10',
    ],
    ["ScaleUpLimit", "info", "hpa.scaling-limited.scale-up-limit", "rate limited", "spec.behavior.scaleUp"],
    [
      "TooFewReplicas",
      "info",
      "hpa.scaling-limited.too-few-replicas",
      "spec.minReplicas (2)",
      "lower spec.minReplicas",
    ],
    [
      "ScaleDownLimit",
      "info",
      "hpa.scaling-limited.scale-down-limit",
      "rate limited",
      "spec.behavior.scaleDown",
    ],
  ])("ScalingLimited=True %s is decoded (%s)", (reason, severity, id, why, fix) => {
    const [f, ...rest] = limited(reason);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity, id });
    expect(f?.seen).toContain("(current 5, desired 5)");
    expect(f?.why).toContain(why);
    expect(f?.fix).toContain(fix);
  });

  it("names the containers without a cpu request and sets requests on those only", () => {
    const h: HpaSnapshot = {
      ...hpa([
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetResourceMetric",
          message:
            "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu",
        },
      ]),
      missingRequests: [
        { pod: "web-1", container: "app", resources: ["cpu", "memory"] },
        { pod: "web-1", container: "sidecar", resources: ["memory"] },
        { pod: "web-2", container: "app", resources: ["cpu"] },
      ],
    };
    const [f] = checkHpa(h, served);
    expect(f?.seen).toContain("containers without a cpu request: web-1/app, web-2/app");
    expect(f?.fix).toContain("kubectl -n shop set resources deployment/web -c app --requests=cpu=100m");
  });

  it("decodes an Object metric not served with the nearest name", () => {
    const [f] = checkHpa(
      hpa([
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetObjectMetric",
          message:
            "the HPA was unable to compute the replica count: unable to get metric jobs_procesed_qps: Deployment on shop web/unable to fetch metrics from custom metrics API: the server could not find the metric jobs_procesed_qps for deployments.apps web",
        },
      ]),
      served,
    );
    expect(f).toMatchObject({ id: "hpa.object-metric-not-served" });
    expect(f?.why).toContain("nearest served: jobs_processed_qps");
    expect(f?.fix).toContain("object.metric.name to jobs_processed_qps");
  });

  it.each([
    ["InvalidSelector", "hpa.invalid-selector", "labelSelectorPath"],
    ["SelectorRequired", "hpa.invalid-selector", "labelSelectorPath"],
    ["AmbiguousSelector", "hpa.ambiguous-selector", "one HPA per workload"],
    ["FailedRescale", "hpa.failed-rescale", "deployments/scale"],
    ["FailedUpdateStatus", "hpa.failed-update-status", "horizontalpodautoscalers/status"],
    ["InvalidMetricSourceType", "hpa.invalid-metric-source", "Resource, Pods, Object or External"],
  ])("event %s is decoded", (reason, id, fix) => {
    const [f, ...rest] = checkHpa(hpa([], [{ reason, message: "m" }]), served);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "error", id, seen: `event ${reason}: m` });
    expect(f?.fix).toContain(fix);
  });

  it("leaves metric failures to the APIService finding when the API cannot be read", () => {
    const pods = hpa([
      {
        type: "ScalingActive",
        status: "False",
        reason: "FailedGetPodsMetric",
        message:
          "unable to get metric http_requests_qps: unable to fetch metrics from custom metrics API: the server is currently unable to handle the request",
      },
    ]);
    expect(checkHpa(pods, { custom: undefined, external: undefined })).toEqual([]);
    const cpu = hpa(
      [],
      [{ reason: "FailedGetResourceMetric", message: "unable to get metrics for resource cpu: x" }],
    );
    expect(checkHpa(cpu, { custom: [], external: [], resource: false })).toEqual([]);
    // FailedComputeMetricsReplicas repeats the per-metric event: no finding of its own.
    expect(checkHpa(hpa([], [{ reason: "FailedComputeMetricsReplicas", message: "x" }]), served)).toEqual([]);
  });
});

describe("nearestNames", () => {
  it.each([
    ["http_request_qps", ["http_requests_qps"]],
    ["http_requests", ["http_requests_qps"]],
    ["cpu_usage", []],
  ])("%s -> %j", (name, want) => {
    expect(nearestNames(name, served.custom)).toEqual(want);
  });
});
