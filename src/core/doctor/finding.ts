/**
 * A `tidescale doctor` finding: one problem, with what was seen (the object and the condition, message or
 * query), why it happens, and the fix (a command or a manifest snippet). Findings come from pure rules
 * over a snapshot of the cluster; collecting the snapshot is I/O and lives in adapters.
 */
export interface Finding {
  /**
   * `error`: something needs fixing (exit 1). `info`: decoded state that is working as designed but worth
   * knowing (e.g. the HPA held at minReplicas); shown, but the setup still counts as healthy.
   */
  severity: "error" | "info";
  /** Stable identifier of the rule, e.g. `apiservice.failed-discovery-check`. */
  id: string;
  /** The object, e.g. `apiservice/v1beta1.custom.metrics.k8s.io` or `hpa/shop/web`. */
  object: string;
  /** What was seen: condition reason and message, event, or query. */
  seen: string;
  /** Why it happens. */
  why: string;
  /** What to do: a command or a manifest snippet. */
  fix: string;
}

/** A status condition as the API returns it. */
export interface Condition {
  type: string;
  status: string;
  reason?: string | undefined;
  message?: string | undefined;
}

/** "reason: message" of a condition, for `seen`. */
export function describeCondition(c: Condition): string {
  const head = `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}`;
  return c.message ? `${head}: ${c.message}` : head;
}
