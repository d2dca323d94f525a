import { describe, expect, it } from "vitest";
import { tryParseSelector } from "../labels/selector.js";
import { cronValue, predictionValue, requestTarget } from "./serving.js";
import type { TspMetricStatus } from "./types.js";

const sel = (s: string) => {
  const r = tryParseSelector(s);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const target = { namespace: "ns", kind: "Deployment", name: "web" };
const NOW = 1_800_000_000;

function metric(values: Array<[number, string]>, ready = true): TspMetricStatus {
  return {
    resourceIdentifier: "pods.http_requests_qps",
    ready,
    servedQuantile: "p90",
    prediction: [
      {
        labels: [{ name: "quantile", value: "p90" }],
        samples: values.map(([t, v]) => ({ timestamp: t, value: v })),
      },
    ],
  };
}

describe("requestTarget", () => {
  it("reads the target and identifier the selector pins", () => {
    const r = requestTarget(
      "tidescale_prediction",
      "ns",
      sel(
        "targetKind=Deployment,targetName=web,targetNamespace=ns,resourceIdentifier=pods.http_requests_qps",
      ),
    );
    expect(r).toEqual({ ok: true, value: { target, resourceIdentifier: "pods.http_requests_qps" } });
    expect(requestTarget("tidescale_cron", "ns", sel("targetKind=Deployment,targetName=web"))).toEqual({
      ok: true,
      value: { target },
    });
  });

  it("refuses a selector that does not pin the target, or another namespace", () => {
    const r = requestTarget("tidescale_prediction", "ns", sel("targetKind=Deployment,targetName in (a,b)"));
    expect(r).toEqual({
      ok: false,
      error: {
        code: 400,
        message: "tidescale_prediction: labelSelector must set targetName, resourceIdentifier (key=value)",
      },
    });
    const other = requestTarget(
      "tidescale_cron",
      "ns",
      sel("targetKind=Deployment,targetName=web,targetNamespace=x"),
    );
    expect(other.ok).toBe(false);
  });
});

describe("predictionValue", () => {
  it("serves the window peak in milli precision (never truncated to an integer)", () => {
    const tsp = {
      name: "ehpa-web",
      windowSeconds: 600,
      metrics: [
        metric([
          [NOW - 60, "99"],
          [NOW, "0.9"],
          [NOW + 300, "1.2345"],
          [NOW + 601, "50"],
        ]),
      ],
    };
    expect(predictionValue(tsp, target, "pods.http_requests_qps", NOW)).toEqual({ ok: true, value: 1.235 });
  });

  it("says why nothing is served", () => {
    const base = { name: "ehpa-web", windowSeconds: 600 };
    const notReady = { ...metric([[NOW, "1"]], false), reason: "QueryFailed", message: "prometheus down" };
    const r = predictionValue({ ...base, metrics: [notReady] }, target, "pods.http_requests_qps", NOW);
    expect(r.ok || r.error.message).toContain("not ready (QueryFailed: prometheus down)");
    const old = predictionValue(
      { ...base, metrics: [metric([[NOW - 60, "1"]])] },
      target,
      "pods.http_requests_qps",
      NOW,
    );
    expect(old.ok || old.error.message).toContain("outdated");
    expect(predictionValue(undefined, target, "x", NOW)).toMatchObject({ ok: false, error: { code: 404 } });
  });
});

describe("cronValue", () => {
  it("is the largest active cron's targetReplicas, else minReplicas", () => {
    // Active from Jan 1 00:00 to Dec 31 23:59: the next end comes before the next start.
    const always = { name: "year", start: "0 0 1 1 *", end: "59 23 31 12 *", targetReplicas: 4 };
    const v = cronValue({ name: "e", minReplicas: 2, crons: [always] }, target, NOW);
    expect(v).toEqual({ ok: true, value: 4 });
    expect(cronValue({ name: "e", minReplicas: 2, crons: [] }, target, NOW)).toEqual({ ok: true, value: 2 });
  });
});
