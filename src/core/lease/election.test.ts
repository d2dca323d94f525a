import { describe, expect, it } from "vitest";
import {
  DEFAULT_ELECTION_TIMING,
  decideLease,
  type LeaseSpec,
  microTime,
  releasedSpec,
  timingProblem,
} from "./election.js";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const none = { record: undefined, atMs: 0 };

describe("decideLease", () => {
  it("creates a missing Lease holding it", () => {
    const { action } = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current: undefined,
      previous: none,
      nowMs: T0,
    });
    expect(action).toEqual({
      kind: "create",
      spec: {
        holderIdentity: "a",
        leaseDurationSeconds: 15,
        acquireTime: "2026-01-01T00:00:00.000000Z",
        renewTime: "2026-01-01T00:00:00.000000Z",
        leaseTransitions: 0,
      },
    });
  });

  it("renews its own lease keeping acquireTime and transitions", () => {
    const current: LeaseSpec = {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: microTime(T0),
      renewTime: microTime(T0),
      leaseTransitions: 3,
    };
    const { action } = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current,
      previous: none,
      nowMs: T0 + 2000,
    });
    expect(action).toEqual({
      kind: "update",
      takeover: false,
      spec: { ...current, renewTime: microTime(T0 + 2000) },
    });
  });

  it("follows a live holder and takes over only after the record stood still for the lease duration (local clock)", () => {
    // The holder's renewTime is from a skewed clock far in the past: it must not matter.
    const current: LeaseSpec = {
      holderIdentity: "b",
      leaseDurationSeconds: 15,
      acquireTime: "2000-01-01T00:00:00.000000Z",
      renewTime: "2000-01-01T00:00:00.000000Z",
      leaseTransitions: 1,
    };
    const first = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current,
      previous: none,
      nowMs: T0,
    });
    expect(first.action).toEqual({ kind: "follow", holder: "b", expiresAtMs: T0 + 15_000 });
    const later = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current,
      previous: first.observation,
      nowMs: T0 + 14_999,
    });
    expect(later.action.kind).toBe("follow");
    // The holder renewed: the record changed, so the expiry moves.
    const renewed = { ...current, renewTime: "2000-01-01T00:00:10.000000Z" };
    const seen = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current: renewed,
      previous: later.observation,
      nowMs: T0 + 14_000,
    });
    expect(seen.action).toEqual({ kind: "follow", holder: "b", expiresAtMs: T0 + 29_000 });
    const expired = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current: renewed,
      previous: seen.observation,
      nowMs: T0 + 29_001,
    });
    expect(expired.action).toEqual({
      kind: "update",
      takeover: true,
      spec: {
        holderIdentity: "a",
        leaseDurationSeconds: 15,
        acquireTime: microTime(T0 + 29_001),
        renewTime: microTime(T0 + 29_001),
        leaseTransitions: 2,
      },
    });
  });

  it("takes a released lease at once", () => {
    const released = releasedSpec({ holderIdentity: "b", leaseDurationSeconds: 15, leaseTransitions: 4 }, T0);
    expect(released.holderIdentity).toBe("");
    const { action } = decideLease({
      identity: "a",
      leaseDurationSeconds: 15,
      current: released,
      previous: none,
      nowMs: T0 + 1,
    });
    expect(action.kind).toBe("update");
    if (action.kind === "update") expect(action.spec.leaseTransitions).toBe(5);
  });
});

describe("timingProblem", () => {
  it("accepts client-go's defaults and names the flag of a bad combination", () => {
    expect(timingProblem(DEFAULT_ELECTION_TIMING)).toBeUndefined();
    expect(
      timingProblem({ leaseDurationSeconds: 10, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 })?.field,
    ).toBe("--leader-elect-lease-duration");
    expect(
      timingProblem({ leaseDurationSeconds: 15, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })?.field,
    ).toBe("--leader-elect-renew-deadline");
  });
});
