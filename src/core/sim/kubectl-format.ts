/**
 * kubectl's look for simulator output: the AGE column's duration printing and the aligned table.
 * Mirrors apimachinery `duration.HumanDuration` and kubectl's printer (`tabwriter` with minwidth 10,
 * padding 3, space-padded, last column not padded).
 */

/**
 * Prints an age the way `kubectl get` does (apimachinery `duration.HumanDuration`): `45s`, `119s`, `2m`,
 * `9m59s`, `10m`, `3h`, `7h59m`, `8h`, `2d`, `7d23h`, `8d`, `2y`, `2y3d`. Negative ages below -1 s print
 * `<invalid>`, ages in (-2 s, 0) print `0s`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * Aligns rows like kubectl's printer: every column but the last is padded to
 * `max(10, widest cell + 3)` characters. Lines carry no trailing spaces.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    for (let i = 0; i < row.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, row[i]!.length);
  let out = "";
  for (const row of rows) {
    let line = "";
    for (let i = 0; i < row.length; i++) {
      const cell = row[i]!;
      line += i === row.length - 1 ? cell : cell.padEnd(Math.max(10, widths[i]! + 3));
    }
    out += `${line.trimEnd()}\n`;
  }
  return out;
}
