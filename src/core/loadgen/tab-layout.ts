/**
 * Column alignment as Go's `text/tabwriter` does it for vegeta's reports (minwidth 0, padding 2, pad with
 * spaces, left-aligned): tab-terminated cells form columns; a column's width is fixed per block of
 * consecutive lines that have a cell in it; the last cell of a line is never padded.
 */

interface Options {
  padding?: number;
  /** Minimum width per column index (ours; Go has one global minwidth). */
  minWidths?: number[];
}

/** Aligns tab-separated text; returns the laid-out text. */
export function layoutTabs(text: string, opts: Options = {}): string {
  const padding = opts.padding ?? 2;
  const minWidths = opts.minWidths ?? [];
  const endsWithNewline = text.endsWith("\n");
  const rawLines = (endsWithNewline ? text.slice(0, -1) : text).split("\n");
  const lines = rawLines.map((l) => l.split("\t"));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = "";
      for (let j = 0; j < cells.length; j++) {
        const c = cells[j]!;
        if (j < cells.length - 1 && j < widths.length) s += c.padEnd(widths[j]!, " ");
        else s += c;
      }
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(start, i);
      start = i;
      let width = minWidths[column] ?? 0;
      for (; i < line1; i++) {
        const cells = lines[i]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, cells[column]!.length + padding);
      }
      widths.push(width);
      format(start, i);
      widths.pop();
      start = i;
      i--;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join("\n") + (endsWithNewline ? "\n" : "");
}
