/**
 * Metric naming (prometheus-adapter `name.matches` / `name.as`) and series filters (`seriesFilters`).
 *
 * The patterns are Go RE2 regexps and run on RE2 itself (`re2js`): the same syntax as prometheus-adapter
 * (`[[:alpha:]]`, `(?P<name>…)`, `(?i)`, `\pL`, `\Q…\E`), the same refusals (lookaround,
 * backreferences: a config error naming the rule and field), and matching in time linear in the input,
 * so no pattern can stall the event loop. Matching is unanchored (Go `MatchString`).
 * `as` is a Go `Regexp.ExpandString` template over the first match: `$1`, `${1}`, `$name`, `${name}`, `$$`.
 * `$name` takes the longest run of letters, digits and `_`, so `$1_per_second` names the group
 * `1_per_second` and expands to empty; we reject that at load time instead of silently serving
 * an empty name (upstream issue #503).
 */
import { RE2JS } from "re2js";

/** A compiled Go regexp; `test` remembers its answers (series names repeat across thousands of series). */
export interface GoRegex {
  readonly source: string;
  /** Go `MatchString`: true when the pattern matches anywhere in `s`. */
  test(s: string): boolean;
  /** The first match with its groups (`[0]` whole match, `[i]` group i, `groups` by name), or null. */
  exec(s: string): GoMatch | null;
  /** Number of capture groups (Go `NumSubexp`). */
  readonly groupCount: number;
  /** Names of the named groups. */
  readonly groupNames: readonly string[];
}

/** A match: indexed groups (undefined when a group did not take part) and named groups. */
export interface GoMatch {
  readonly [i: number]: string | undefined | null;
  readonly groups?: Readonly<Record<string, string | undefined | null>> | undefined;
}

const TEST_MEMO_MAX = 10_000;

/** Compiles a Go RE2 regexp. Throws an Error with RE2's reason when the pattern is not valid RE2. */
export function compileGoRegex(src: string): GoRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(src);
  } catch (e) {
    throw new Error(String((e as Error).message).replace(/^error parsing regexp: /, ""));
  }
  const memo = new Map<string, boolean>();
  return {
    source: src,
    groupCount: re.groupCount(),
    groupNames: Object.keys(re.namedGroups()),
    test(s) {
      let v = memo.get(s);
      if (v === undefined) {
        v = re.test(s);
        if (memo.size >= TEST_MEMO_MAX) memo.clear();
        memo.set(s, v);
      }
      return v;
    },
    exec(s) {
      return re.exec(s) as GoMatch | null;
    },
  };
}

/** Number of capture groups of `re` (as Go `NumSubexp`). */
export function countGroups(re: GoRegex): number {
  return re.groupCount;
}

type ExpandPart = { lit: string } | { ref: string };

/** Parses a Go expansion template into literal and reference parts. */
function parseExpansion(tmpl: string): ExpandPart[] {
  const out: ExpandPart[] = [];
  let lit = "";
  let i = 0;
  while (i < tmpl.length) {
    const c = tmpl[i]!;
    if (c !== "$") {
      lit += c;
      i++;
      continue;
    }
    const next = tmpl[i + 1];
    if (next === "$") {
      lit += "$";
      i += 2;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    if (next === "{") {
      const close = tmpl.indexOf("}", i + 2);
      const inner = close < 0 ? "" : tmpl.slice(i + 2, close);
      if (close >= 0 && /^\w+$/.test(inner)) {
        name = inner;
        len = close - i + 1;
      }
    } else {
      const m = /^\w+/.exec(tmpl.slice(i + 1));
      if (m) {
        name = m[0];
        len = m[0].length + 1;
      }
    }
    if (name === undefined) {
      // Go: a malformed reference is copied through as is.
      lit += "$";
      i++;
      continue;
    }
    if (lit) out.push({ lit });
    lit = "";
    out.push({ ref: name });
    i += len;
  }
  if (lit) out.push({ lit });
  return out;
}

/** The group names referenced by an `as` template that the regexp does not define. */
export function undefinedReferences(re: GoRegex, tmpl: string): string[] {
  const n = re.groupCount;
  const names = new Set(re.groupNames);
  const bad: string[] = [];
  for (const p of parseExpansion(tmpl)) {
    if (!("ref" in p)) continue;
    if (/^\d+$/.test(p.ref)) {
      if (Number(p.ref) > n) bad.push(p.ref);
    } else if (!names.has(p.ref)) bad.push(p.ref);
  }
  return bad;
}

/** Go `Regexp.ExpandString(nil, tmpl, src, match)` for a JS match. Unknown references expand to "". */
export function expandMatch(tmpl: string, match: GoMatch): string {
  let out = "";
  for (const p of parseExpansion(tmpl)) {
    if ("lit" in p) out += p.lit;
    else if (/^\d+$/.test(p.ref)) out += match[Number(p.ref)] ?? "";
    else out += match.groups?.[p.ref] ?? "";
  }
  return out;
}

/** A compiled `name` block. */
export interface NameMatcher {
  matches: GoRegex;
  as: string;
  /** The API metric name for a series name, or undefined when `matches` does not match. */
  apiName(seriesName: string): string | undefined;
}

/**
 * Compiles `name.matches` (default `.*`) and `name.as`. Empty `as`: `$0` with no groups, `$1` with one,
 * error with two or more (as upstream). Throws Error with a message for the field at fault: the message
 * starts with `matches:` or `as:`.
 */
export function compileName(
  cfg: { matches?: string | undefined; as?: string | undefined } | undefined,
): NameMatcher {
  let re: GoRegex;
  try {
    re = compileGoRegex(cfg?.matches ?? ".*");
  } catch (e) {
    throw new Error(`matches: invalid regex: ${(e as Error).message}`);
  }
  const groups = countGroups(re);
  let as = cfg?.as ?? "";
  if (as === "") {
    if (groups === 0) as = "$0";
    else if (groups === 1) as = "$1";
    else throw new Error(`as: must be set when "matches" has ${groups} capture groups`);
  }
  const bad = undefinedReferences(re, as);
  if (bad.length > 0) {
    const hint = bad.find((b) => /^\d+\w+$/.test(b));
    throw new Error(
      `as: "${as}" refers to group ${bad.map((b) => `"${b}"`).join(", ")} that "matches" does not define` +
        (hint
          ? ` (write \${${hint.match(/^\d+/)![0]}}${hint.replace(/^\d+/, "")} to use group ${hint.match(/^\d+/)![0]})`
          : ""),
    );
  }
  const memo = new Map<string, string | undefined>();
  return {
    matches: re,
    as,
    apiName(seriesName) {
      if (memo.has(seriesName)) return memo.get(seriesName);
      const m = re.exec(seriesName);
      const name = m ? expandMatch(as, m) : undefined;
      if (memo.size >= TEST_MEMO_MAX) memo.clear();
      memo.set(seriesName, name);
      return name;
    },
  };
}

/** A compiled `seriesFilters` list (each `{is}` or `{isNot}`), applied to the series name. */
export type SeriesFilter = { is: GoRegex } | { isNot: GoRegex };

/** True when `name` passes every filter. */
export function passesFilters(name: string, filters: readonly SeriesFilter[]): boolean {
  for (const f of filters) {
    if ("is" in f) {
      if (!f.is.test(name)) return false;
    } else if (f.isNot.test(name)) return false;
  }
  return true;
}

/** Kubernetes-safe API metric names: what may appear as the last path segment. */
export function isValidApiMetricName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && !/[/%\s]/.test(name) && name !== "." && name !== "..";
}
