/**
 * Doctor rules for predictive autoscaling (when its CRDs are installed): each
 * EffectiveHorizontalPodAutoscaler's Ready and PredictionReady conditions and its managed HPA, and each
 * TimeSeriesPrediction no EHPA owns.
 */

import type { Condition } from "./finding.js";
import { describeCondition, type Finding } from "./finding.js";

export interface EhpaSnapshot {
  namespace: string;
  name: string;
  conditions: Condition[];
  /** The managed HPA's name and whether it exists. */
  managedHpa: { name: string; exists: boolean };
}

export interface TspSnapshot {
  namespace: string;
  name: string;
  conditions: Condition[];
  /** True when an EHPA owns it (its PredictionReady already reports it). */
  ownedByEhpa: boolean;
}

const CONTROLLER_FIX =
  "kubectl -n tidescale get deploy/tidescale-controller ; kubectl -n tidescale logs deploy/tidescale-controller (deploy/08-controller-rbac.yaml, deploy/09-controller-deployment.yaml)";

/** Ready and PredictionReady of one EHPA, and its managed HPA. */
export function checkEhpa(e: EhpaSnapshot): Finding[] {
  const object = `ehpa/${e.namespace}/${e.name}`;
  const ready = e.conditions.find((c) => c.type === "Ready");
  if (!ready)
    return [
      {
        severity: "error",
        id: "ehpa.not-reconciled",
        object,
        seen: "no Ready condition",
        why: "no controller has reconciled this EHPA: tidescale controller is not running, or lacks RBAC for the EHPA API",
        fix: CONTROLLER_FIX,
      },
    ];
  if (ready.status !== "True")
    return [
      {
        severity: "error",
        id: "ehpa.not-ready",
        object,
        seen: describeCondition(ready),
        why:
          ready.reason === "InvalidSpec"
            ? "the EHPA's spec is invalid (the message names the fields): no HPA is managed for it"
            : "the controller could not set up the managed HPA for this EHPA",
        fix: `kubectl -n ${e.namespace} describe ehpa ${e.name} ; correct the fields named, or: ${CONTROLLER_FIX}`,
      },
    ];
  const findings: Finding[] = [];
  if (!e.managedHpa.exists)
    findings.push({
      severity: "error",
      id: "ehpa.managed-hpa-missing",
      object,
      seen: `Ready=True but hpa/${e.namespace}/${e.managedHpa.name} does not exist`,
      why: "the managed HPA was deleted and the controller has not recreated it (it is not running, or its watch is stuck)",
      fix: CONTROLLER_FIX,
    });
  const prediction = e.conditions.find((c) => c.type === "PredictionReady");
  if (prediction && prediction.status !== "True")
    findings.push({
      severity: prediction.status === "Unknown" ? "info" : "error",
      id: "ehpa.prediction-not-ready",
      object,
      seen: describeCondition(prediction),
      why:
        prediction.status === "Unknown"
          ? "no forecast yet: the HPA scales on the live metrics until the first forecast"
          : "the forecast failed or was held back (too little history, Prometheus unreachable, or accuracy below the threshold): the HPA scales on the live metrics only",
      fix: `kubectl -n ${e.namespace} get tsp ${e.managedHpa.name} -o yaml ; tidescale forecast --help (to try the same history offline)`,
    });
  return findings;
}

/** A TimeSeriesPrediction of its own (no EHPA) whose Ready is False. */
export function checkTsp(t: TspSnapshot): Finding[] {
  if (t.ownedByEhpa) return [];
  const ready = t.conditions.find((c) => c.type === "Ready");
  if (!ready || ready.status === "True") return [];
  return [
    {
      severity: "error",
      id: "tsp.not-ready",
      object: `tsp/${t.namespace}/${t.name}`,
      seen: describeCondition(ready),
      why: "the prediction failed for some or all of its metrics (the message names them and why)",
      fix: `kubectl -n ${t.namespace} get tsp ${t.name} -o yaml ; ${CONTROLLER_FIX}`,
    },
  ];
}
