import { describe, expect, it } from "vitest";
import { civilFromDays } from "./civil-date.js";

describe("civilFromDays", () => {
  it("matches known dates: epoch, leap days, century rules, before 1970", () => {
    expect(civilFromDays(0)).toEqual({ year: 1970, month: 1, day: 1 });
    expect(civilFromDays(-1)).toEqual({ year: 1969, month: 12, day: 31 });
    expect(civilFromDays(11_016)).toEqual({ year: 2000, month: 2, day: 29 }); // 2000 is a leap year
    expect(civilFromDays(19_782)).toEqual({ year: 2024, month: 2, day: 29 });
    expect(civilFromDays(-25_508)).toEqual({ year: 1900, month: 3, day: 1 }); // 1900 is not
    expect(civilFromDays(2_932_896)).toEqual({ year: 9999, month: 12, day: 31 });
  });

  it("agrees with the JavaScript Date in UTC for every day from 1600 to 2400", () => {
    for (let days = -135_140; days <= 157_000; days++) {
      const d = new Date(days * 86_400_000);
      const c = civilFromDays(days);
      if (c.year !== d.getUTCFullYear() || c.month !== d.getUTCMonth() + 1 || c.day !== d.getUTCDate())
        expect({ days, ...c }).toEqual({
          days,
          year: d.getUTCFullYear(),
          month: d.getUTCMonth() + 1,
          day: d.getUTCDate(),
        });
    }
  });
});
