/**
 * The subset of Go `text/template` that prometheus-adapter configs use, with its `<<` `>>` delimiters:
 *
 * - field access on the data and on variables: `<<.Series>>`, `<<.LabelValuesByName.pod>>`, `<<$v>>`, `<<.>>`;
 * - `<<range .GroupBySlice>>…<<end>>`, `<<range $i, $v := .X>>…<<else>>…<<end>>` over lists and maps (maps in
 *   sorted key order, as Go does);
 * - `<<if PIPE>>…<<else if PIPE>>…<<else>>…<<end>>` (Go truthiness: empty string/list/map, 0, false, nil);
 * - `<<with PIPE>>…<<end>>`;
 * - functions: `join LIST SEP` (strings.Join, also as `<<.GroupBySlice | join ",">>`), `index M K`, `len X`,
 *   `printf FMT ARGS` (%s %d %v %q), `eq`, `ne`, `and`, `or`, `not`, `print`;
 * - trim markers `<<-` and `->>`, and comment actions (a slash-star comment between the delimiters).
 *
 * Printing follows Go's fmt `%v`: a list prints as `[a b]`, a map as `map[k:v k2:v2]` (sorted keys), nil as
 * `<no value>`. A missing field on a struct-like value is an execution error, as in Go
 * ("can't evaluate field Foo"). Pure: text in, text out.
 */

export type TemplateValue = string | number | boolean | null | undefined | TemplateValue[] | TemplateMap;
export interface TemplateMap {
  [k: string]: TemplateValue;
}

type Expr =
  | { t: "field"; base: "dot" | { variable: string }; path: string[] }
  | { t: "str"; v: string }
  | { t: "num"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "call"; fn: string; args: Expr[] }
  | { t: "pipe"; cmds: Expr[] };

type Node =
  | { t: "text"; v: string }
  | { t: "print"; e: Expr }
  | { t: "if"; cond: Expr; body: Node[]; else: Node[] }
  | { t: "with"; cond: Expr; body: Node[]; else: Node[] }
  | { t: "range"; e: Expr; keyVar?: string; valVar?: string; body: Node[]; else: Node[] };

/** A parse or execution failure with a position-free, Go-like message. */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

/** A parsed template, executed with `render`. */
export interface CompiledTemplate {
  readonly source: string;
  /** Renders with `data` as `.`; throws TemplateError on an execution error. */
  render(data: TemplateValue): string;
}

const FUNCS = new Set(["join", "index", "len", "printf", "print", "eq", "ne", "and", "or", "not"]);

/** Parses `source` with delimiters `left`/`right` (default `<<`/`>>`). Throws TemplateError on bad syntax. */
export function compileTemplate(source: string, left = "<<", right = ">>"): CompiledTemplate {
  const tokens = lex(source, left, right);
  let pos = 0;
  function parseList(stopAt: string[]): { nodes: Node[]; stop: string; stopArg: string } {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++]!;
      if (tok.kind === "text") {
        if (tok.v !== "") nodes.push({ t: "text", v: tok.v });
        continue;
      }
      const action = tok.v.trim();
      if (action.startsWith("/*")) continue;
      const word = /^(\w+)\b\s*(.*)$/s.exec(action);
      const kw = word?.[1] ?? "";
      const rest = word?.[2] ?? "";
      if (kw === "end" || kw === "else") {
        if (!stopAt.includes(kw)) throw new TemplateError(`unexpected <<${action}>>`);
        return { nodes, stop: kw, stopArg: rest };
      }
      if (kw === "if" || kw === "with") {
        nodes.push(parseBranch(kw, rest));
        continue;
      }
      if (kw === "range") {
        let keyVar: string | undefined;
        let valVar: string | undefined;
        let exprText = rest;
        const decl = /^(\$\w*)\s*(?:,\s*(\$\w*)\s*)?:=\s*(.*)$/s.exec(rest);
        if (decl) {
          if (decl[2]) {
            keyVar = decl[1];
            valVar = decl[2];
          } else valVar = decl[1];
          exprText = decl[3] ?? "";
        }
        const e = parseExpr(exprText);
        const body = parseList(["end", "else"]);
        let elseNodes: Node[] = [];
        if (body.stop === "else") elseNodes = parseList(["end"]).nodes;
        const node: Node = { t: "range", e, body: body.nodes, else: elseNodes };
        if (keyVar !== undefined) node.keyVar = keyVar;
        if (valVar !== undefined) node.valVar = valVar;
        nodes.push(node);
        continue;
      }
      if (kw === "define" || kw === "template" || kw === "block")
        throw new TemplateError(`<<${kw}>> is not supported`);
      nodes.push({ t: "print", e: parseExpr(action) });
    }
    if (stopAt.length > 0) throw new TemplateError(`unexpected EOF: missing <<end>>`);
    return { nodes, stop: "", stopArg: "" };
  }
  function parseBranch(kw: "if" | "with", condText: string): Node {
    const cond = parseExpr(condText);
    const body = parseList(["end", "else"]);
    let elseNodes: Node[] = [];
    if (body.stop === "else") {
      const m = /^if\b\s*(.*)$/s.exec(body.stopArg);
      if (m && kw === "if") elseNodes = [parseBranch("if", m[1] ?? "")];
      else if (body.stopArg.trim() !== "") throw new TemplateError(`unexpected <<else ${body.stopArg}>>`);
      else elseNodes = parseList(["end"]).nodes;
    }
    return { t: kw, cond, body: body.nodes, else: elseNodes };
  }
  const root = parseList([]).nodes;
  return {
    source,
    render(data) {
      const out: string[] = [];
      execList(root, data, new Map([["$", data]]), out);
      return out.join("");
    },
  };
}

type Token = { kind: "text" | "action"; v: string };

function lex(src: string, left: string, right: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf(left, i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open < 0) {
      out.push({ kind: "text", v: text });
      break;
    }
    let start = open + left.length;
    // `<<- ` trims the preceding whitespace (Go requires a space after the dash).
    if (src.startsWith("- ", start) || src.startsWith("-\t", start) || src.startsWith("-\n", start)) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    out.push({ kind: "text", v: text });
    const close = findClose(src, start, right);
    if (close < 0) throw new TemplateError(`unclosed action (missing "${right}")`);
    let end = close;
    trimNext = false;
    if (src[close - 1] === "-" && /\s/.test(src[close - 2] ?? "")) {
      end = close - 1;
      trimNext = true;
    }
    out.push({ kind: "action", v: src.slice(start, end) });
    i = close + right.length;
  }
  return out;
}

/** Finds the closing delimiter, skipping over quoted strings inside the action. */
function findClose(src: string, from: number, right: string): number {
  let i = from;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "`") {
      const q = c;
      i++;
      while (i < src.length && src[i] !== q) {
        if (q === '"' && src[i] === "\\") i++;
        i++;
      }
      i++;
      continue;
    }
    if (src.startsWith(right, i)) return i;
    i++;
  }
  return -1;
}

// ---- expressions ----

type ETok = { k: "word" | "str" | "num" | "pipe" | "lp" | "rp"; v: string };

function lexExpr(s: string): ETok[] {
  const out: ETok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "|") {
      out.push({ k: "pipe", v: c });
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      out.push({ k: c === "(" ? "lp" : "rp", v: c });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = "";
      while (j < s.length && s[j] !== '"') {
        if (s[j] === "\\") {
          const n = s[j + 1];
          v += n === "n" ? "\n" : n === "t" ? "\t" : (n ?? "");
          j += 2;
        } else v += s[j++];
      }
      if (j >= s.length) throw new TemplateError("unterminated quoted string");
      out.push({ k: "str", v });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = s.indexOf("`", i + 1);
      if (j < 0) throw new TemplateError("unterminated raw quoted string");
      out.push({ k: "str", v: s.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const m = /^[^\s|()"`]+/.exec(s.slice(i));
    const w = m![0];
    out.push({ k: /^-?\d+(\.\d+)?$/.test(w) ? "num" : "word", v: w });
    i += w.length;
  }
  return out;
}

function parseExpr(text: string): Expr {
  const toks = lexExpr(text);
  if (toks.length === 0) throw new TemplateError("missing value for command");
  let p = 0;
  function pipeline(): Expr {
    const cmds: Expr[] = [command()];
    while (toks[p]?.k === "pipe") {
      p++;
      cmds.push(command());
    }
    return cmds.length === 1 ? cmds[0]! : { t: "pipe", cmds };
  }
  function command(): Expr {
    const args: Expr[] = [];
    while (p < toks.length && toks[p]!.k !== "pipe" && toks[p]!.k !== "rp") args.push(operand());
    if (args.length === 0) throw new TemplateError("missing value for command");
    const first = args[0]!;
    if (first.t === "call" && first.args.length === 0)
      return { t: "call", fn: first.fn, args: args.slice(1) };
    if (args.length > 1) throw new TemplateError(`can't give argument to non-function`);
    return first;
  }
  function operand(): Expr {
    const tok = toks[p++]!;
    if (tok.k === "lp") {
      const e = pipeline();
      if (toks[p++]?.k !== "rp") throw new TemplateError("unclosed left paren");
      return e;
    }
    if (tok.k === "str") return { t: "str", v: tok.v };
    if (tok.k === "num") return { t: "num", v: Number(tok.v) };
    if (tok.k !== "word") throw new TemplateError(`unexpected "${tok.v}" in command`);
    const w = tok.v;
    if (w === "true" || w === "false") return { t: "bool", v: w === "true" };
    if (w === "nil") return { t: "str", v: "" };
    if (w === ".") return { t: "field", base: "dot", path: [] };
    if (w.startsWith(".")) return { t: "field", base: "dot", path: w.slice(1).split(".") };
    if (w.startsWith("$")) {
      const [name, ...path] = w.split(".");
      return { t: "field", base: { variable: name! }, path };
    }
    if (FUNCS.has(w)) return { t: "call", fn: w, args: [] };
    throw new TemplateError(`function "${w}" not defined`);
  }
  const e = pipeline();
  if (p < toks.length) throw new TemplateError(`unexpected "${toks[p]!.v}" in operand`);
  return e;
}

// ---- execution ----

function execList(nodes: Node[], dot: TemplateValue, vars: Map<string, TemplateValue>, out: string[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case "text":
        out.push(n.v);
        break;
      case "print":
        out.push(formatValue(evalExpr(n.e, dot, vars)));
        break;
      case "if": {
        const v = evalExpr(n.cond, dot, vars);
        execList(truthy(v) ? n.body : n.else, dot, vars, out);
        break;
      }
      case "with": {
        const v = evalExpr(n.cond, dot, vars);
        if (truthy(v)) execList(n.body, v, vars, out);
        else execList(n.else, dot, vars, out);
        break;
      }
      case "range": {
        const v = evalExpr(n.e, dot, vars);
        const entries: Array<[TemplateValue, TemplateValue]> = [];
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) entries.push([i, v[i]]);
        } else if (v && typeof v === "object")
          for (const k of Object.keys(v).sort()) entries.push([k, (v as TemplateMap)[k]]);
        else if (typeof v === "number") for (let i = 0; i < v; i++) entries.push([i, i]);
        else if (v !== null && v !== undefined && v !== "")
          throw new TemplateError(`range can't iterate over ${formatValue(v)}`);
        if (entries.length === 0) {
          execList(n.else, dot, vars, out);
          break;
        }
        for (const [k, x] of entries) {
          const scope = new Map(vars);
          if (n.keyVar) scope.set(n.keyVar, k);
          if (n.valVar) scope.set(n.valVar, x);
          execList(n.body, x, scope, out);
        }
        break;
      }
    }
  }
}

function truthy(v: TemplateValue): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function evalExpr(
  e: Expr,
  dot: TemplateValue,
  vars: Map<string, TemplateValue>,
  piped?: TemplateValue[],
): TemplateValue {
  switch (e.t) {
    case "str":
      return e.v;
    case "num":
      return e.v;
    case "bool":
      return e.v;
    case "field": {
      let v: TemplateValue;
      if (e.base === "dot") v = dot;
      else {
        if (!vars.has(e.base.variable)) throw new TemplateError(`undefined variable "${e.base.variable}"`);
        v = vars.get(e.base.variable);
      }
      for (const part of e.path) {
        if (v && typeof v === "object" && !Array.isArray(v)) {
          if (!(part in v)) {
            // Go: a missing map key yields <no value>; an unknown struct field is an error. Our data
            // objects are all "structs" at the top level, maps below (LabelValuesByName).
            if ((v as TemplateMap)[STRUCT] === true) throw new TemplateError(`can't evaluate field ${part}`);
            v = undefined;
          } else v = (v as TemplateMap)[part];
        } else throw new TemplateError(`can't evaluate field ${part} in type ${typeName(v)}`);
      }
      return v;
    }
    case "pipe": {
      let acc: TemplateValue = evalExpr(e.cmds[0]!, dot, vars);
      for (const cmd of e.cmds.slice(1)) {
        if (cmd.t !== "call") throw new TemplateError("non-function in pipeline");
        acc = evalExpr(cmd, dot, vars, [acc]);
      }
      return acc;
    }
    case "call": {
      const args = e.args.map((a) => evalExpr(a, dot, vars));
      if (piped) args.push(...piped);
      return callFunc(e.fn, args);
    }
  }
}

/** Marks an object as a Go struct (unknown fields are errors rather than `<no value>`). */
export const STRUCT = "\u0000struct";

function typeName(v: TemplateValue): string {
  if (Array.isArray(v)) return "[]string";
  if (v === null || v === undefined) return "<nil>";
  return typeof v;
}

function callFunc(fn: string, args: TemplateValue[]): TemplateValue {
  const need = (n: number) => {
    if (args.length !== n)
      throw new TemplateError(`wrong number of args for ${fn}: want ${n} got ${args.length}`);
  };
  switch (fn) {
    case "join": {
      need(2);
      // Both `join LIST SEP` and sprig's `join SEP LIST` (which is what `LIST | join SEP` gives).
      let [list, sep] = args;
      if (!Array.isArray(list) && Array.isArray(sep)) [list, sep] = [sep, list];
      if (!Array.isArray(list)) throw new TemplateError(`join: one argument must be a list`);
      return list.map((x) => formatValue(x)).join(formatValue(sep));
    }
    case "index": {
      if (args.length < 2) throw new TemplateError("wrong number of args for index");
      let v = args[0];
      for (const k of args.slice(1)) {
        if (Array.isArray(v) && typeof k === "number") {
          if (k < 0 || k >= v.length) throw new TemplateError(`index out of range: ${k}`);
          v = v[k];
        } else if (v && typeof v === "object" && !Array.isArray(v)) v = (v as TemplateMap)[String(k)];
        else throw new TemplateError(`can't index item of type ${typeName(v)}`);
      }
      return v ?? "";
    }
    case "len": {
      need(1);
      const v = args[0];
      if (Array.isArray(v) || typeof v === "string") return v.length;
      if (v && typeof v === "object") return Object.keys(v).length;
      throw new TemplateError(`len of type ${typeName(v)}`);
    }
    case "print":
      return args.map((a) => formatValue(a)).join("");
    case "printf": {
      const [fmt, ...rest] = args;
      let i = 0;
      return formatValue(fmt).replace(/%([sdvq%])/g, (_m, verb: string) => {
        if (verb === "%") return "%";
        const a = rest[i++];
        if (verb === "q") return goQuote(formatValue(a));
        return formatValue(a);
      });
    }
    case "eq":
      return args.length >= 2 && args.slice(1).some((a) => a === args[0]);
    case "ne":
      need(2);
      return args[0] !== args[1];
    case "not":
      need(1);
      return !truthy(args[0]);
    case "and": {
      for (const a of args) if (!truthy(a)) return a;
      return args[args.length - 1];
    }
    case "or": {
      for (const a of args) if (truthy(a)) return a;
      return args[args.length - 1];
    }
  }
  throw new TemplateError(`function "${fn}" not defined`);
}

/** Go fmt `%v` of a template value. */
export function formatValue(v: TemplateValue): string {
  if (v === null || v === undefined) return "<no value>";
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x)).join(" ")}]`;
  if (typeof v === "object")
    return `map[${Object.keys(v)
      .filter((k) => k !== STRUCT)
      .sort()
      .map((k) => `${k}:${formatValue((v as TemplateMap)[k])}`)
      .join(" ")}]`;
  return String(v);
}

/**
 * Go `strconv.Quote` (what `%q` prints): double quotes, backslash escapes for `"` and `\`, `\n` `\t` `\r`
 * `\a` `\b` `\f` `\v`, `\xNN` for other control bytes, `\uNNNN` for other non-printable code points. The
 * output is also a valid PromQL double-quoted string literal, so any value placed through it cannot end
 * the string early.
 */
export function goQuote(s: string): string {
  // Fast path: printable ASCII without quote or backslash needs no escaping (object names, label values).
  if (!/[^\x20-\x7e]|["\\]/.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\u0007":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    // A lone UTF-16 surrogate is no character at all (Go would see invalid UTF-8): U+FFFD stands in.
    else if (cp >= 0xd800 && cp < 0xe000) out += "\\ufffd";
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff)
      out +=
        cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
