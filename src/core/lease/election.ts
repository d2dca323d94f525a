/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules (leaderelection package):
 *
 * - A candidate never trusts another host's clock. It remembers when *it* last saw the Lease record
 *   change (`observedAtMs`, local clock); the holder's lease is expired when that record has not changed
 *   for `leaseDurationSeconds`.
 * - An empty `holderIdentity` (a released lease) can be taken at once.
 * - The holder renews by writing `renewTime`; taking over from another holder sets `acquireTime` and
 *   increments `leaseTransitions`.
 * - The write uses the read's resourceVersion, so two candidates racing for an expired lease cannot both
 *   win (the loser gets a conflict and stays a follower).
 *
 * Pure: the caller passes the Lease spec it read, what it observed before, and the time.
 */

/** `spec` of a coordination.k8s.io/v1 Lease (times are RFC 3339 MicroTime text). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The last distinct record seen and when (local clock, ms). */
export interface Observation {
  record: LeaseSpec | undefined;
  atMs: number;
}

export type LeaseAction =
  /** No Lease exists: create it holding it. */
  | { kind: "create"; spec: LeaseSpec }
  /** Write `spec` over the read Lease (renew, or take over an expired or released one). */
  | { kind: "update"; spec: LeaseSpec; takeover: boolean }
  /** Someone else holds a live lease. */
  | { kind: "follow"; holder: string; expiresAtMs: number };

export interface ElectionInput {
  identity: string;
  leaseDurationSeconds: number;
  /** The Lease's spec as just read, or undefined when it does not exist. */
  current: LeaseSpec | undefined;
  previous: Observation;
  nowMs: number;
}

/** MicroTime text as the apiserver expects it: RFC 3339 with exactly six fraction digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function sameRecord(a: LeaseSpec | undefined, b: LeaseSpec | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** The new observation after reading `current` at `nowMs`. */
export function observe(previous: Observation, current: LeaseSpec | undefined, nowMs: number): Observation {
  return sameRecord(previous.record, current) ? previous : { record: current, atMs: nowMs };
}

/** What to do with the Lease just read (see the module comment). */
export function decideLease(input: ElectionInput): { action: LeaseAction; observation: Observation } {
  const { identity, current, nowMs } = input;
  const now = microTime(nowMs);
  const observation = observe(input.previous, current, nowMs);
  if (!current) {
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: input.leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    return { action: { kind: "create", spec }, observation };
  }
  const holder = current.holderIdentity ?? "";
  if (holder === identity) {
    const spec = { ...current, leaseDurationSeconds: input.leaseDurationSeconds, renewTime: now };
    return { action: { kind: "update", spec, takeover: false }, observation };
  }
  // The holder's own duration decides when its lease ends (client-go reads it from the record).
  const duration = (current.leaseDurationSeconds ?? input.leaseDurationSeconds) * 1000;
  const expiresAtMs = observation.atMs + duration;
  if (holder !== "" && expiresAtMs > nowMs) {
    return { action: { kind: "follow", holder, expiresAtMs }, observation };
  }
  const spec: LeaseSpec = {
    holderIdentity: identity,
    leaseDurationSeconds: input.leaseDurationSeconds,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: (current.leaseTransitions ?? 0) + 1,
  };
  return { action: { kind: "update", spec, takeover: true }, observation };
}

/** The spec that gives the lease up (client-go's ReleaseOnCancel): no holder, 1 s duration. */
export function releasedSpec(current: LeaseSpec, nowMs: number): LeaseSpec {
  const now = microTime(nowMs);
  return { ...current, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
}

/** Election timing; client-go's defaults are 15 s / 10 s / 2 s. */
export interface ElectionTiming {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export const DEFAULT_ELECTION_TIMING: ElectionTiming = {
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

/**
 * client-go's constraints: leaseDuration > renewDeadline > retryPeriod * 1.2 (JitterFactor), all > 0.
 * Returns the first violated rule naming the flag, or undefined.
 */
export function timingProblem(t: ElectionTiming): { field: string; message: string } | undefined {
  if (!(t.retryPeriodSeconds > 0))
    return { field: "--leader-elect-retry-period", message: "must be greater than 0" };
  if (!(t.leaseDurationSeconds > t.renewDeadlineSeconds))
    return {
      field: "--leader-elect-lease-duration",
      message: `must be greater than --leader-elect-renew-deadline (${t.renewDeadlineSeconds}s)`,
    };
  if (!(t.renewDeadlineSeconds > t.retryPeriodSeconds * 1.2))
    return {
      field: "--leader-elect-renew-deadline",
      message: `must be greater than 1.2 x --leader-elect-retry-period (${t.retryPeriodSeconds}s)`,
    };
  return undefined;
}
