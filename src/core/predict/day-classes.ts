/**
 * Day-of-week classes learned from the data (multi-seasonal, once a week of history exists): days whose
 * hourly profiles differ get their own class, days that look alike are grouped, so a Saturday unlike its
 * Sunday is forecast from Saturdays, and five alike weekdays share their analogs.
 *
 * Profile of a weekday = mean value per local hour over every day of that weekday in the history.
 * Distance of two profiles = sum |a_h - b_h| / sum (a_h + b_h) / 2 over the hours both have.
 * Grouping: agglomerative, average linkage; two groups merge while their distance is below
 * max(MIN_SPLIT, NOISE_FACTOR x the median nearest-neighbour distance), i.e. days differ only when they
 * differ clearly more than the series' ordinary day-to-day noise.
 */

const HOUR = 3600;
const DAY = 86_400;

/** Below this profile distance days are always grouped. */
export const MIN_SPLIT = 0.08;
/** Days are split when their distance exceeds this many times the typical nearest-neighbour distance. */
export const NOISE_FACTOR = 2.5;

/** Names of the weekdays, 0 = Sunday. */
export const WEEKDAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/** Learned classes: `classOfWeekday[d]` is the class id of weekday d (0 = Sunday). */
export interface DayClasses {
  classOfWeekday: number[];
  /** The split threshold used. */
  threshold: number;
  /** Weekdays per class, e.g. "Mon-Fri | Sat | Sun". */
  label: string;
}

/** Local weekday (0 = Sunday) of slot i of a series starting at `start` (Unix s) with `step` seconds. */
export function weekdayOf(start: number, step: number, utcOffsetHours: number): (slot: number) => number {
  return (slot) => {
    const t = start + slot * step + utcOffsetHours * HOUR;
    return (((Math.floor(t / DAY) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  };
}

/** Mean per (weekday, local hour) over the finite values; NaN where there is none. */
function weekdayProfiles(
  x: Float64Array,
  weekday: (slot: number) => number,
  hourOf: (slot: number) => number,
) {
  const sum = new Float64Array(7 * 24);
  const cnt = new Float64Array(7 * 24);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    const k = weekday(i) * 24 + hourOf(i);
    sum[k]! += v;
    cnt[k]! += 1;
  }
  const out: Float64Array[] = [];
  for (let d = 0; d < 7; d++) {
    const p = new Float64Array(24);
    for (let h = 0; h < 24; h++)
      p[h] = cnt[d * 24 + h]! > 0 ? sum[d * 24 + h]! / cnt[d * 24 + h]! : Number.NaN;
    out.push(p);
  }
  return out;
}

/** Profile distance (relative L1 over the hours both profiles have); NaN when they share none. */
export function profileDistance(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let h = 0; h < a.length; h++) {
    const u = a[h]!;
    const v = b[h]!;
    if (Number.isNaN(u) || Number.isNaN(v)) continue;
    num += Math.abs(u - v);
    den += (u + v) / 2;
  }
  if (den > 0) return num / den;
  return num === 0 && den === 0 && a.some((u, h) => !Number.isNaN(u) && !Number.isNaN(b[h]!))
    ? 0
    : Number.NaN;
}

/** Learns the weekday classes of a series (values at `step` seconds from `start`). */
export function learnDayClasses(
  x: Float64Array,
  start: number,
  step: number,
  utcOffsetHours: number,
): DayClasses {
  const weekday = weekdayOf(start, step, utcOffsetHours);
  const hourOf = (slot: number) => {
    const t = start + slot * step + utcOffsetHours * HOUR;
    return Math.floor((((t % DAY) + DAY) % DAY) / HOUR);
  };
  const prof = weekdayProfiles(x, weekday, hourOf);
  const d = (i: number, j: number) => profileDistance(prof[i]!, prof[j]!);
  const nearest: number[] = [];
  for (let i = 0; i < 7; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < 7; j++) if (j !== i && d(i, j) < best) best = d(i, j);
    if (Number.isFinite(best)) nearest.push(best);
  }
  nearest.sort((a, b) => a - b);
  const noise = nearest.length ? nearest[Math.floor((nearest.length - 1) / 2)]! : 0;
  const threshold = Math.max(MIN_SPLIT, NOISE_FACTOR * noise);
  let groups: number[][] = [0, 1, 2, 3, 4, 5, 6].map((i) => [i]);
  const linkage = (a: number[], b: number[]) => {
    let s = 0;
    let n = 0;
    for (const i of a)
      for (const j of b) {
        const v = d(i, j);
        if (!Number.isNaN(v)) {
          s += v;
          n++;
        }
      }
    return n ? s / n : Number.NaN;
  };
  for (;;) {
    let best: [number, number, number] | undefined;
    for (let a = 0; a < groups.length; a++)
      for (let b = a + 1; b < groups.length; b++) {
        const v = linkage(groups[a]!, groups[b]!);
        if (v < threshold && (!best || v < best[2])) best = [a, b, v];
      }
    if (!best) break;
    const [a, b] = best;
    groups = groups.flatMap((g, k) => (k === a ? [[...g, ...groups[b]!]] : k === b ? [] : [g]));
  }
  const classOfWeekday = new Array<number>(7).fill(0);
  groups.forEach((g, k) => {
    for (const w of g) classOfWeekday[w] = k;
  });
  return { classOfWeekday, threshold, label: describeGroups(groups) };
}

/** "Mon-Fri | Sat | Sun": weekdays listed from Monday, consecutive runs joined with a dash. */
function describeGroups(groups: number[][]): string {
  const order = (w: number) => (w + 6) % 7; // Monday first
  return groups
    .map((g) => [...g].sort((a, b) => order(a) - order(b)))
    .sort((a, b) => order(a[0]!) - order(b[0]!))
    .map((g) => {
      const parts: string[] = [];
      for (let i = 0; i < g.length; ) {
        let j = i;
        while (j + 1 < g.length && order(g[j + 1]!) === order(g[j]!) + 1) j++;
        parts.push(
          j - i >= 2
            ? `${WEEKDAY_NAMES[g[i]!]}-${WEEKDAY_NAMES[g[j]!]}`
            : g
                .slice(i, j + 1)
                .map((w) => WEEKDAY_NAMES[w])
                .join(","),
        );
        i = j + 1;
      }
      return parts.join(",");
    })
    .join(" | ");
}
