/**
 * Reading a PromQL query back with Prometheus' own grammar (`@prometheus-io/lezer-promql`), for tests that
 * check what the adapter sends: whether it parses, its structure, and the label matchers it holds with
 * their string literals decoded as Prometheus decodes them (Go `strconv.Unquote`).
 */
import { parser } from "@prometheus-io/lezer-promql";

/** One label matcher of a vector selector, its value decoded. */
export interface ParsedMatcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

export interface ParsedQuery {
  /** Parse errors (positions); empty when the query parses. */
  errors: number[];
  /**
   * The tree as a list of node names, with the text of every leaf except string literals: two queries
   * with the same shape differ only in the contents of their strings.
   */
  shape: string[];
  /** Every vector selector's matchers, in order. */
  matchers: ParsedMatcher[];
  /** String literals that are not valid Prometheus strings (bad escape, raw newline). */
  badStrings: string[];
}

const ESCAPES: Readonly<Record<string, string>> = {
  a: "\u0007",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** Go `strconv.Unquote` of a PromQL string literal (`"…"`, `'…'` or a raw `` `…` ``); throws when invalid. */
export function unquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q || !(q === '"' || q === "'" || q === "`"))
    throw new Error(`not a string literal: ${lit}`);
  const body = lit.slice(1, -1);
  if (q === "`") {
    if (body.includes("`")) throw new Error("backtick inside a raw string");
    return body;
  }
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === q) throw new Error(`unescaped ${q}`);
    if (c === "\n") throw new Error("raw newline in a string");
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error("trailing backslash");
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === q) out += q;
    else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new Error(`bad \\${e} escape`);
      const cp = Number.parseInt(hex, 16);
      if (e !== "x" && (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))) throw new Error("invalid rune");
      if (e === "x" && cp >= 0x80) throw new Error("\\x escape of a non-ASCII byte");
      out += String.fromCodePoint(cp);
      i += n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error("bad octal escape");
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else throw new Error(`unknown escape \\${e}`);
  }
  return out;
}

const OPS: Readonly<Record<string, ParsedMatcher["op"]>> = {
  EqlSingle: "=",
  Neq: "!=",
  EqlRegex: "=~",
  NeqRegex: "!~",
};

/** Parses `query` and collects its errors, shape and matchers. */
export function parsePromQL(query: string): ParsedQuery {
  const tree = parser.parse(query);
  const out: ParsedQuery = { errors: [], shape: [], matchers: [], badStrings: [] };
  const text = (from: number, to: number) => query.slice(from, to);
  tree.iterate({
    enter(n) {
      if (n.type.isError) out.errors.push(n.from);
      const leaf = !n.node.firstChild;
      if (n.name === "StringLiteral") {
        out.shape.push("StringLiteral");
        try {
          unquote(text(n.from, n.to));
        } catch (e) {
          out.badStrings.push(`${text(n.from, n.to)}: ${(e as Error).message}`);
        }
      } else out.shape.push(leaf ? `${n.name}:${text(n.from, n.to)}` : n.name);
      if (n.name === "UnquotedLabelMatcher" || n.name === "QuotedLabelMatcher") {
        const label = n.node.getChild("LabelName") ?? n.node.getChild("QuotedLabelName");
        const op = n.node.getChild("MatchOp")?.firstChild;
        const lit = n.node.getChild("StringLiteral");
        if (label && op && lit) {
          let value = "";
          try {
            value = unquote(text(lit.from, lit.to));
          } catch {
            // reported in badStrings
          }
          out.matchers.push({ label: text(label.from, label.to), op: OPS[op.name] ?? "=", value });
        }
      }
    },
  });
  return out;
}
