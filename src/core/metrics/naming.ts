/**
 * Metric naming (prometheus-adapter `name.matches` / `name.as`) and series filters (`seriesFilters`).
 *
 * Go RE2 regexps are translated to JavaScript: `(?P<name>…)` becomes `(?<name>…)`, and leading inline
 * flags `(?i)`, `(?s)`, `(?m)` become RegExp flags. Matching is unanchored (Go `MatchString`).
 * `as` is a Go `Regexp.ExpandString` template over the first match: `$1`, `${1}`, `$name`, `${name}`, `$$`.
 * `$name` takes the longest run of letters, digits and `_`, so `$1_per_second` names the group
 * `1_per_second` and expands to empty; we reject that at load time instead of silently serving
 * an empty name (upstream issue #503).
 */

/** Compiles a Go RE2 regexp into a JavaScript RegExp. Throws with a readable message when invalid. */
export function compileGoRegex(src: string): RegExp {
  let flags = "";
  let body = src;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m) {
    for (const f of m[1]!) {
      if (f === "U") throw new Error("flag (?U) is not supported");
      if (!flags.includes(f)) flags += f;
    }
    body = body.slice(m[0].length);
  }
  body = body.replace(/\(\?P</g, "(?<");
  if (/\\[CpPzQE]/.test(body.replace(/\\\\/g, ""))) {
    // \p{…} and \z etc. need the u flag; \C, \Q…\E are not supported by JS.
    if (/\\[CQE]/.test(body.replace(/\\\\/g, ""))) throw new Error("\\C, \\Q and \\E are not supported");
    body = body.replace(/\\z/g, "$(?![\\s\\S])");
    flags += "u";
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    throw new Error(String((e as Error).message).replace(/^Invalid regular expression: /, ""));
  }
}

/** Number of capture groups of `re` (as Go `NumSubexp`). */
export function countGroups(re: RegExp): number {
  return (new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, "")).exec("")?.length ?? 1) - 1;
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
export function undefinedReferences(re: RegExp, tmpl: string): string[] {
  const n = countGroups(re);
  const names = new Set(Object.keys(new RegExp(`${re.source}|`, re.flags).exec("")?.groups ?? {}));
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
export function expandMatch(tmpl: string, match: RegExpExecArray): string {
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
  matches: RegExp;
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
  let re: RegExp;
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
  return {
    matches: re,
    as,
    apiName(seriesName) {
      const m = re.exec(seriesName);
      if (!m) return undefined;
      return expandMatch(as, m);
    },
  };
}

/** A compiled `seriesFilters` list (each `{is}` or `{isNot}`), applied to the series name. */
export type SeriesFilter = { is: RegExp } | { isNot: RegExp };

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
