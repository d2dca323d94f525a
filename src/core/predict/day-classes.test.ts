import { describe, expect, it } from "vitest";
import { seededRandom } from "./crane-dsp.js";
import { learnDayClasses, profileDistance } from "./day-classes.js";
import { MONDAY, synth } from "./test-signals.js";

/** 14 days from a Monday: weekday shape, and the given Saturday and Sunday shapes. */
function week(sat: (m: number) => number, sun: (m: number) => number, seed = 1) {
  const rand = seededRandom(seed);
  return synth(14 * 1440, (i, t) => {
    const dow = Math.floor((t / 86_400 + 4) % 7);
    const m = i % 1440;
    const v = dow === 6 ? sat(m) : dow === 0 ? sun(m) : 50 + 30 * Math.sin((2 * Math.PI * m) / 1440);
    return v * (1 + 0.04 * (rand() - 0.5));
  });
}

describe("learnDayClasses", () => {
  it("groups alike weekdays and keeps a Saturday unlike its Sunday apart", () => {
    const s = week(
      (m) => 80 + 40 * Math.cos((2 * Math.PI * m) / 1440),
      () => 20,
    );
    const c = learnDayClasses(s.values, s.start, s.step, 0);
    expect(c.label).toBe("Mon-Fri | Sat | Sun");
    expect(new Set(c.classOfWeekday.slice(1, 6)).size).toBe(1);
    expect(c.classOfWeekday[6]).not.toBe(c.classOfWeekday[0]);
  });

  it("groups a weekend whose two days are alike, and every day when no day differs", () => {
    const flat = (m: number) => 30 + 10 * Math.sin((2 * Math.PI * m) / 1440);
    expect(learnDayClasses(week(flat, flat).values, MONDAY, 60, 0).label).toBe("Mon-Fri | Sat,Sun");
    const same = (m: number) => 50 + 30 * Math.sin((2 * Math.PI * m) / 1440);
    expect(learnDayClasses(week(same, same).values, MONDAY, 60, 0).label).toBe("Mon-Sun");
  });

  it("profile distance is relative and ignores hours missing on either side", () => {
    const a = Float64Array.from([10, 10, Number.NaN]);
    const b = Float64Array.from([12, 8, 50]);
    expect(profileDistance(a, b)).toBeCloseTo(4 / 20, 12);
  });
});
