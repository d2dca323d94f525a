import { describe, expect, it } from "vitest";
import { cronMetricValue, isCronActive, nextOccurrence, tryCronMetricValue } from "./cron.js";
import type { CronSpec } from "./types.js";

const t = (iso: string) => Date.parse(iso) / 1000;
const work: CronSpec = { name: "work", start: "0 9 * * *", end: "0 18 * * *", targetReplicas: 5 };

describe("isCronActive", () => {
  it.each([
    ["2026-03-02T08:59:59Z", false],
    ["2026-03-02T09:00:00Z", true], // at the start minute: next end (18:00) comes before next start (tomorrow)
    ["2026-03-02T12:00:00Z", true],
    ["2026-03-02T17:59:59Z", true],
    ["2026-03-02T18:00:00Z", false],
    ["2026-03-02T23:00:00Z", false],
  ])("09:00-18:00 UTC at %s -> %s", (iso, active) => {
    expect(isCronActive(work, t(iso))).toBe(active);
  });

  it("evaluates in the cron's timezone (Berlin is UTC+1 in March before DST)", () => {
    const berlin = { ...work, timezone: "Europe/Berlin" };
    expect(isCronActive(berlin, t("2026-03-02T08:30:00Z"))).toBe(true); // 09:30 Berlin
    expect(isCronActive(berlin, t("2026-03-02T17:30:00Z"))).toBe(false); // 18:30 Berlin
  });

  it("a window crossing midnight", () => {
    const night = { ...work, start: "0 22 * * *", end: "0 6 * * *" };
    expect(isCronActive(night, t("2026-03-02T23:00:00Z"))).toBe(true);
    expect(isCronActive(night, t("2026-03-03T05:59:00Z"))).toBe(true);
    expect(isCronActive(night, t("2026-03-03T12:00:00Z"))).toBe(false);
  });

  it("weekdays only (2026-03-07 is a Saturday)", () => {
    const wd = { ...work, start: "0 9 * * MON-FRI", end: "0 18 * * MON-FRI" };
    expect(isCronActive(wd, t("2026-03-06T10:00:00Z"))).toBe(true);
    expect(isCronActive(wd, t("2026-03-07T10:00:00Z"))).toBe(false);
  });

  it("day-of-month and day-of-week both restricted match either (Vixie cron)", () => {
    // 2026-03-13 is a Friday; the 1st of April 2026 is a Wednesday.
    const from = t("2026-03-10T00:00:00Z");
    expect(nextOccurrence("0 0 1 * FRI", "UTC", from)).toBe(t("2026-03-13T00:00:00Z"));
    expect(nextOccurrence("0 0 1 * FRI", "UTC", t("2026-03-28T00:00:00Z"))).toBe(t("2026-04-01T00:00:00Z"));
  });
});

describe("cronMetricValue", () => {
  const crons: CronSpec[] = [
    work,
    { name: "lunch", start: "0 12 * * *", end: "0 14 * * *", targetReplicas: 8 },
    { name: "small", start: "0 10 * * *", end: "0 11 * * *", targetReplicas: 2 },
  ];
  it.each([
    ["2026-03-02T07:00:00Z", 1, []],
    ["2026-03-02T10:30:00Z", 5, ["work", "small"]],
    ["2026-03-02T13:00:00Z", 8, ["work", "lunch"]],
  ])("at %s -> %i", (iso, replicas, active) => {
    expect(cronMetricValue(crons, 1, t(iso))).toEqual({ replicas, active });
  });

  it("names the invalid entry instead of evaluating it", () => {
    expect(tryCronMetricValue([work, { ...work, name: "b", timezone: "Nowhere/City" }], 1, 0)).toEqual({
      ok: false,
      error: {
        field: "spec.crons[1].timezone",
        message: 'unknown timezone "Nowhere/City" (use an IANA zone name such as "Europe/Berlin" or "UTC")',
      },
    });
  });
});
