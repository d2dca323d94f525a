/**
 * Calendar dates from day counts, without `Date` (src/core reads no clock and stays free of host time
 * zones): the proleptic Gregorian calendar in UTC, as RFC 3339 timestamps and Go's `time.Time.UTC()` use.
 */

/** A calendar date: year (astronomical, may be 0 or negative), month 1-12, day 1-31. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/**
 * The UTC calendar date `days` whole days after 1970-01-01 (negative before it), by Howard Hinnant's
 * public-domain `civil_from_days` algorithm:
 * shift the epoch to 0000-03-01 so leap days fall last, then split into 400-year eras.
 */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
