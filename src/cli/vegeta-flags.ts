/**
 * vegeta-style flags: Go's flag package accepts `-rate 5`, `-rate=5` and `--rate 5`; commander only
 * knows `--rate`. These helpers rewrite a command's single-dash long flags before commander parses them,
 * and parse Go-style booleans (`-keepalive=false`).
 */
import type { Command } from "commander";
import { invalidInput } from "../core/errors.js";

/** Rewrites `-name`/`-name=v` to `--name`/`--name=v` for the given long names; stops at `--`. */
export function normalizeSingleDashFlags(args: readonly string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of args) {
    if (rest || a === "--") {
      rest = true;
      out.push(a);
      continue;
    }
    const m = /^-([a-z][a-z0-9-]+)(=.*)?$/s.exec(a);
    out.push(m && names.has(m[1]!) ? `-${a}` : a);
  }
  return out;
}

/** Makes `cmd` accept each of its long options with one dash as well (call after defining options). */
export function acceptSingleDashFlags(cmd: Command): void {
  const names = new Set<string>();
  for (const o of cmd.options) if (o.long) names.add(o.long.replace(/^--(no-)?/, ""));
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]) => parse(normalizeSingleDashFlags(argv, names));
}

/** Parses a Go boolean flag value (`true`, `false`, `1`, `0`, `t`, `f`); `flag` names it in errors. */
export function goBool(flag: string): (value: string) => boolean {
  return (value: string) => {
    const v = value.toLowerCase();
    if (["1", "t", "true"].includes(v)) return true;
    if (["0", "f", "false"].includes(v)) return false;
    throw invalidInput(flag, `invalid boolean "${value}" (use true or false)`);
  };
}

/** Parses an integer flag value with a lower bound; `flag` names it in errors. */
export function intFlag(flag: string, min: number, text: string): number {
  if (!/^-?\d+$/.test(text.trim()) || Number(text) < min) {
    throw invalidInput(flag, `want an integer >= ${min}, got "${text}"`);
  }
  return Number(text);
}
