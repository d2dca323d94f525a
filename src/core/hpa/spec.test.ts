import { describe, expect, it } from "vitest";
import { ToolkitError } from "../errors.js";
import { parseHpa } from "./spec.js";

const base = () => ({
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web" },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      {
        type: "Pods",
        pods: { metric: { name: "http_requests_qps" }, target: { type: "AverageValue", averageValue: 50 } },
      },
    ] as unknown[],
  } as Record<string, unknown>,
});

function errorOf(obj: unknown): string {
  try {
    parseHpa(obj, "hpa.yaml");
  } catch (e) {
    if (e instanceof ToolkitError) return e.oneLine();
    throw e;
  }
  throw new Error("expected a validation error");
}

describe("parseHpa: API defaults", () => {
  it("defaults namespace, minReplicas, metrics; keeps quantities as text", () => {
    const h = parseHpa(
      {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "x" },
        spec: { scaleTargetRef: { kind: "Deployment", name: "x" }, maxReplicas: 3 },
      },
      "f",
    );
    expect(h.metadata.namespace).toBe("default");
    expect(h.spec.minReplicas).toBe(1);
    expect(h.spec.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
      },
    ]);
    expect(h.spec.behavior).toBeUndefined();
    const p = parseHpa(base(), "f");
    expect(p.spec.metrics[0]).toEqual({
      type: "Pods",
      pods: { metric: { name: "http_requests_qps" }, target: { type: "AverageValue", averageValue: "50" } },
    });
  });

  it("fills behavior defaults only when behavior is present", () => {
    const b = base();
    b.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    const h = parseHpa(b, "f");
    expect(h.spec.behavior?.scaleUp?.policies).toHaveLength(2);
    expect(h.spec.behavior?.scaleDown).toEqual({
      stabilizationWindowSeconds: 60,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
    });
  });

  it("accepts the read-only metadata of kubectl get -o yaml and a status block", () => {
    const b = base() as Record<string, unknown>;
    b.metadata = {
      name: "web",
      namespace: "prod",
      uid: "1",
      resourceVersion: "7",
      creationTimestamp: "2026-01-01T00:00:00Z",
    };
    b.status = { currentReplicas: 1 };
    expect(parseHpa(b, "f").metadata).toEqual({ name: "web", namespace: "prod" });
  });
});

describe("parseHpa: errors name the field path", () => {
  const cases: [string, (b: ReturnType<typeof base>) => void, string][] = [
    [
      "unknown metric type",
      (b) => {
        b.spec.metrics = [{ type: "Cheese" }];
      },
      'hpa.yaml: spec.metrics[0].type: unsupported metric type "Cheese" (use Resource, ContainerResource, Pods, Object or External)',
    ],
    [
      "target type the source does not allow",
      (b) => {
        b.spec.metrics = [
          {
            type: "Pods",
            pods: { metric: { name: "q" }, target: { type: "Utilization", averageUtilization: 50 } },
          },
        ];
      },
      'hpa.yaml: spec.metrics[0].pods.target.type: target type "Utilization" is not allowed for a Pods metric (use AverageValue)',
    ],
    [
      "Object with Utilization",
      (b) => {
        b.spec.metrics = [
          {
            type: "Object",
            object: {
              describedObject: { kind: "Service", name: "s" },
              metric: { name: "q" },
              target: { type: "Utilization", averageUtilization: 5 },
            },
          },
        ];
      },
      'hpa.yaml: spec.metrics[0].object.target.type: target type "Utilization" is not allowed for a Object metric (use Value or AverageValue)',
    ],
    [
      "negative minReplicas",
      (b) => {
        b.spec.minReplicas = -1;
      },
      "hpa.yaml: spec.minReplicas: must be greater than or equal to 0",
    ],
    [
      "inverted min/max",
      (b) => {
        b.spec.minReplicas = 6;
      },
      "hpa.yaml: spec.maxReplicas: must be greater than or equal to minReplicas (6)",
    ],
    [
      "zero maxReplicas",
      (b) => {
        b.spec.maxReplicas = 0;
        b.spec.minReplicas = undefined;
      },
      "hpa.yaml: spec.maxReplicas: must be greater than 0",
    ],
    [
      "malformed quantity",
      (b) => {
        b.spec.metrics = [
          {
            type: "Pods",
            pods: { metric: { name: "q" }, target: { type: "AverageValue", averageValue: "12xyz" } },
          },
        ];
      },
      "hpa.yaml: spec.metrics[0].pods.target.averageValue: invalid quantity",
    ],
    [
      "non-positive target",
      (b) => {
        b.spec.metrics = [
          {
            type: "Pods",
            pods: { metric: { name: "q" }, target: { type: "AverageValue", averageValue: "0" } },
          },
        ];
      },
      "hpa.yaml: spec.metrics[0].pods.target.averageValue: must be positive",
    ],
    [
      "malformed selector",
      (b) => {
        b.spec.metrics = [
          {
            type: "External",
            external: {
              metric: {
                name: "q",
                selector: { matchExpressions: [{ key: "a", operator: "In", values: ["bad value!"] }] },
              },
              target: { type: "Value", value: "1" },
            },
          },
        ];
      },
      "hpa.yaml: spec.metrics[0].external.metric.selector.matchExpressions[0].values[0]:",
    ],
    [
      "unknown selector operator",
      (b) => {
        b.spec.metrics = [
          {
            type: "External",
            external: {
              metric: { name: "q", selector: { matchExpressions: [{ key: "a", operator: "Near" }] } },
              target: { type: "Value", value: "1" },
            },
          },
        ];
      },
      'hpa.yaml: spec.metrics[0].external.metric.selector.matchExpressions[0].operator: unsupported operator "Near"',
    ],
    [
      "missing maxReplicas",
      (b) => {
        b.spec.maxReplicas = undefined;
      },
      "hpa.yaml: spec.maxReplicas: required field is missing",
    ],
    [
      "missing scaleTargetRef",
      (b) => {
        b.spec.scaleTargetRef = undefined;
      },
      "hpa.yaml: spec.scaleTargetRef: required field is missing",
    ],
    [
      "missing source block",
      (b) => {
        b.spec.metrics = [{ type: "Resource" }];
      },
      "hpa.yaml: spec.metrics[0].resource: must populate information for the given metric source",
    ],
    [
      "missing target value for its type",
      (b) => {
        b.spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization" } } }];
      },
      "hpa.yaml: spec.metrics[0].resource.target.averageUtilization: required for target type Utilization",
    ],
    [
      "unknown field with a suggestion",
      (b) => {
        b.spec.maxReplica = 3;
      },
      'hpa.yaml: spec.maxReplica: unknown field "maxReplica" (did you mean "maxReplicas"?)',
    ],
    [
      "bad policy",
      (b) => {
        b.spec.behavior = { scaleUp: { policies: [{ type: "Pods", value: 0, periodSeconds: 15 }] } };
      },
      "hpa.yaml: spec.behavior.scaleUp.policies[0].value: must be greater than zero",
    ],
    [
      "window too long",
      (b) => {
        b.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 3601 } };
      },
      "hpa.yaml: spec.behavior.scaleDown.stabilizationWindowSeconds: must be less than or equal to 3600",
    ],
    [
      "bad selectPolicy",
      (b) => {
        b.spec.behavior = { scaleDown: { selectPolicy: "Maximum" } };
      },
      'hpa.yaml: spec.behavior.scaleDown.selectPolicy: unsupported selectPolicy "Maximum" (use Max, Min or Disabled)',
    ],
    [
      "wrong apiVersion",
      (b) => {
        (b as Record<string, unknown>).apiVersion = "autoscaling/v1";
      },
      'hpa.yaml: apiVersion: must be "autoscaling/v2"',
    ],
    [
      "scale to zero without Object/External",
      (b) => {
        b.spec.minReplicas = 0;
      },
      "hpa.yaml: spec.metrics: must specify at least one Object or External metric to support scaling to zero replicas",
    ],
  ];
  it.each(cases)("%s", (_n, mutate, expected) => {
    const b = base();
    mutate(b);
    const line = errorOf(JSON.parse(JSON.stringify(b)));
    expect(line.startsWith(expected)).toBe(true);
    expect(line).not.toContain("\n");
  });
});
