import { describe, expect, it } from "vitest";
import { apiServiceFromObject, diagnose, hpaFromObject, renderFindings, servedNames } from "./diagnose.js";

const apiService = {
  metadata: { name: "v1beta1.custom.metrics.k8s.io" },
  spec: {
    group: "custom.metrics.k8s.io",
    version: "v1beta1",
    service: { namespace: "tidescale", name: "tidescale-adapter", port: 443 },
  },
  status: {
    conditions: [
      {
        type: "Available",
        status: "False",
        reason: "ServiceNotFound",
        message: 'service/tidescale-adapter in "tidescale" is not present',
      },
    ],
  },
};
const hpa = {
  metadata: { namespace: "shop", name: "web" },
  spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" } },
  status: {
    conditions: [
      {
        type: "AbleToScale",
        status: "False",
        reason: "FailedGetScale",
        message: `the HPA controller was unable to get the target's current scale: deployments/scale.apps "web" not found`,
      },
    ],
  },
};

describe("doctor snapshot decoding and diagnosis", () => {
  it("decodes an APIService, an HPA with its Warning events, and discovery names", () => {
    expect(apiServiceFromObject(apiService)).toEqual({
      name: "v1beta1.custom.metrics.k8s.io",
      group: "custom.metrics.k8s.io",
      version: "v1beta1",
      service: { namespace: "tidescale", name: "tidescale-adapter", port: 443 },
      conditions: [
        {
          type: "Available",
          status: "False",
          reason: "ServiceNotFound",
          message: 'service/tidescale-adapter in "tidescale" is not present',
        },
      ],
    });
    const now = Date.parse("2026-12-08T01:00:00Z");
    const h = hpaFromObject(
      hpa,
      [
        { type: "Warning", reason: "FailedGetScale", message: "m", lastTimestamp: "2026-12-08T00:59:00Z" },
        { type: "Normal", reason: "SuccessfulRescale", message: "n", lastTimestamp: "2026-12-08T00:59:00Z" },
        // older than the event window: the problem it reported is gone
        {
          type: "Warning",
          reason: "FailedGetPodsMetric",
          message: "o",
          lastTimestamp: "2026-12-08T00:40:00Z",
        },
      ],
      now,
    );
    expect(h.scaleTargetRef).toEqual({ kind: "Deployment", name: "web" });
    expect(h.events).toEqual([{ reason: "FailedGetScale", message: "m" }]);
    // A metric event from before ScalingActive became True is history; one after it is a metric failing
    // next to a valid one.
    const recovered = {
      ...hpa,
      status: {
        conditions: [
          {
            type: "ScalingActive",
            status: "True",
            reason: "ValidMetricFound",
            lastTransitionTime: "2026-12-08T00:55:00Z",
          },
        ],
      },
    };
    const events = (at: string) => [
      { type: "Warning", reason: "FailedGetPodsMetric", message: at, lastTimestamp: at },
    ];
    expect(hpaFromObject(recovered, events("2026-12-08T00:54:00Z"), now).events).toEqual([]);
    expect(hpaFromObject(recovered, events("2026-12-08T00:56:00Z"), now).events).toHaveLength(1);
    expect(
      servedNames({
        resources: [
          { name: "pods/http_requests_qps" },
          { name: "namespaces/http_requests_qps" },
          { name: "queue" },
        ],
      }),
    ).toEqual(["http_requests_qps", "queue"]);
    expect(servedNames({})).toEqual([]);
  });

  it("lists findings in the order data flows: APIServices, Prometheus, HPAs", () => {
    const findings = diagnose({
      apiServices: [apiServiceFromObject(apiService)],
      discovery: [],
      readiness: [],
      hpas: [hpaFromObject(hpa, [], 0)],
      prometheus: {
        url: "http://127.0.0.1:1",
        error: "GET /-/ready failed: connect ECONNREFUSED 127.0.0.1:1",
      },
    });
    expect(findings.map((f) => f.id)).toEqual([
      "apiservice.service-not-found",
      "prometheus.unreachable",
      "hpa.failed-get-scale",
    ]);
    const text = renderFindings(findings, "1 metrics APIServices, 1 HPAs, Prometheus");
    expect(text).toContain(
      "hpa/shop/web: hpa.failed-get-scale\n  seen: AbleToScale=False (FailedGetScale): ",
    );
    expect(text.trimEnd().split("\n").at(-1)).toBe("3 findings (1 metrics APIServices, 1 HPAs, Prometheus)");
  });

  it("is healthy with nothing to report", () => {
    const findings = diagnose({
      apiServices: [],
      discovery: [],
      readiness: [],
      hpas: [],
      prometheus: { url: "u", targets: [] },
    });
    expect(findings).toEqual([]);
    expect(renderFindings(findings, "0 metrics APIServices, 0 HPAs")).toBe(
      "healthy: 0 metrics APIServices, 0 HPAs\n",
    );
  });
});

describe("renderFindings with notes", () => {
  const note = {
    severity: "info" as const,
    id: "hpa.scaling-limited.too-few-replicas",
    object: "hpa/shop/web",
    seen: "ScalingLimited=True (TooFewReplicas)",
    why: "held at its floor",
    fix: "nothing to do",
  };

  it("shows notes but stays healthy; with a finding, counts both", () => {
    expect(renderFindings([note], "1 HPAs")).toBe(
      "hpa/shop/web: note hpa.scaling-limited.too-few-replicas\n  seen: ScalingLimited=True (TooFewReplicas)\n  why:  held at its floor\n  fix:  nothing to do\n\nhealthy, 1 note: 1 HPAs\n",
    );
    const text = renderFindings([{ ...note, severity: "error", id: "x" }, note], "1 HPAs");
    expect(text.trimEnd().split("\n").at(-1)).toBe("1 finding, 1 note (1 HPAs)");
  });
});
