/**
 * Kubernetes label selectors (k8s.io/apimachinery/pkg/labels and metav1.LabelSelector): the string syntax
 * `kubectl -l` and `?labelSelector=` use, the object form HPAs and Deployments carry, matching, and the
 * canonical string form. Keys and values are validated exactly as upstream, so every value that reaches
 * a PromQL matcher is already a plain label value (no quotes, braces or backslashes).
 */
import { err, invalidInput, ok, type Result } from "../errors.js";
import { DNS1123_SUBDOMAIN } from "./names.js";

/**
 * Requirement operators, with the string values of upstream `selection.Operator`.
 * `=` and `==` are distinct only in the printed form, as upstream.
 */
export type SelectorOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

/**
 * One requirement of a selector (upstream `labels.Requirement`): `key operator values`.
 * `values` has one entry for `=`, `==`, `!=`, `gt`, `lt`; one or more for `in`/`notin` (sorted and
 * de-duplicated when parsed from a string); none for `exists` and `!` (does not exist).
 */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/**
 * A parsed selector: requirements ANDed together, sorted by key (stable), as upstream
 * `internalSelector`. `matchesNothing` is upstream's `labels.Nothing()` (from a nil LabelSelector).
 */
export interface Selector {
  readonly requirements: readonly Requirement[];
  readonly matchesNothing: boolean;
}

/** Where and why a selector string failed to parse. `position` is a 0-based character offset. */
export interface SelectorParseError {
  readonly position: number;
  readonly message: string;
}

/** metav1.LabelSelectorRequirement operators. */
export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** The metav1.LabelSelector object shape (`spec.selector` of Deployments, HPA metric selectors). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>> | null | undefined;
  readonly matchExpressions?:
    | ReadonlyArray<{
        readonly key: string;
        readonly operator: LabelSelectorOperator | string;
        readonly values?: readonly string[] | null | undefined;
      }>
    | null
    | undefined;
}

/** A failure converting a LabelSelector object: the field path (relative to the object) and the reason. */
export interface LabelSelectorError {
  readonly field: string;
  readonly message: string;
}

/** Upstream `labels.Everything()`: no requirements, matches every label set. */
export const everything: Selector = Object.freeze({ requirements: Object.freeze([]), matchesNothing: false });

/** Upstream `labels.Nothing()`: matches no label set (what a nil LabelSelector converts to). */
export const nothing: Selector = Object.freeze({ requirements: Object.freeze([]), matchesNothing: true });

/** Upstream `Selector.Empty()`: true when the selector has no requirements and so matches everything. */
export function isEmpty(selector: Selector): boolean {
  return !selector.matchesNothing && selector.requirements.length === 0;
}

// ---------------------------------------------------------------------------------------------------
// Validation (k8s.io/apimachinery/pkg/util/validation)

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_RULE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/**
 * Validates a label key as upstream `validation.IsQualifiedName`: an optional DNS-1123 subdomain prefix
 * (≤253 chars) and `/`, then a name of ≤63 chars of `[A-Za-z0-9-_.]` starting and ending alphanumeric.
 * Returns the first problem, or undefined when valid.
 */
export function validateLabelKey(key: string): string | undefined {
  const parts = key.split("/");
  let name: string;
  if (parts.length === 1) name = key;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return "prefix part must be non-empty";
    if (prefix.length > 253) return "prefix part must be no more than 253 characters";
    if (!DNS1123_SUBDOMAIN.test(prefix))
      return "prefix part must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')";
  } else
    return `a qualified name ${NAME_RULE}, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`;
  if (name.length === 0) return "name part must be non-empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!QUALIFIED_NAME.test(name)) return `name part ${NAME_RULE} (e.g. 'MyName', 'my.name' or '123-abc')`;
  return undefined;
}

/**
 * Validates a label value as upstream `validation.IsValidLabelValue`: empty, or ≤63 chars of
 * `[A-Za-z0-9-_.]` starting and ending alphanumeric. Returns the problem, or undefined when valid.
 */
export function validateLabelValue(value: string): string | undefined {
  if (value.length > 63) return "must be no more than 63 characters";
  if (!LABEL_VALUE.test(value))
    return `a valid label value must be an empty string or ${NAME_RULE.replace("must ", "")} (e.g. 'MyValue', 'my_value' or '12345')`;
  return undefined;
}

const GO_INT64 = /^[+-]?\d+$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Go's strconv.ParseInt(s, 10, 64), or undefined. */
function parseInt64(text: string): bigint | undefined {
  if (!GO_INT64.test(text)) return undefined;
  const v = BigInt(text);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/**
 * Builds a requirement with upstream `labels.NewRequirement` validation: the key, the number of values
 * for the operator, integer values for `gt`/`lt`, and every value. On failure returns the problem and
 * the index of the offending value (when a single value is at fault).
 */
export function newRequirement(
  key: string,
  operator: SelectorOperator,
  values: readonly string[],
): Result<Requirement, { message: string; valueIndex?: number }> {
  const keyProblem = validateLabelKey(key);
  if (keyProblem) return err({ message: `invalid label key ${JSON.stringify(key)}: ${keyProblem}` });
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0)
        return err({ message: "for 'in', 'notin' operators, values set can't be empty" });
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) return err({ message: "exact-match compatibility requires one single value" });
      break;
    case "exists":
    case "!":
      if (values.length !== 0)
        return err({ message: "values set must be empty for exists and does not exist" });
      break;
    case "gt":
    case "lt":
      if (values.length !== 1)
        return err({ message: "for 'Gt', 'Lt' operators, exactly one value is required" });
      if (parseInt64(values[0]!) === undefined)
        return err({
          message: `for 'Gt', 'Lt' operators, the value must be an integer, got ${JSON.stringify(values[0])}`,
          valueIndex: 0,
        });
      break;
    default:
      return err({ message: `unsupported operator ${JSON.stringify(operator)}` });
  }
  for (let i = 0; i < values.length; i++) {
    const problem = validateLabelValue(values[i]!);
    if (problem)
      return err({ message: `invalid label value ${JSON.stringify(values[i])}: ${problem}`, valueIndex: i });
  }
  return ok(Object.freeze({ key, operator, values: Object.freeze([...values]) }));
}

// ---------------------------------------------------------------------------------------------------
// Lexer and parser (upstream labels.Lexer / labels.Parser), with token positions for error messages.

type TokenKind =
  | "end"
  | "error"
  | ")"
  | ","
  | "!"
  | "=="
  | "="
  | ">"
  | "<"
  | "!="
  | "("
  | "in"
  | "notin"
  | "identifier";

interface Token {
  kind: TokenKind;
  text: string;
  start: number;
}

const KEYWORDS: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  [")", ")"],
  [",", ","],
  ["!", "!"],
  ["==", "=="],
  ["=", "="],
  [">", ">"],
  ["in", "in"],
  ["<", "<"],
  ["!=", "!="],
  ["notin", "notin"],
  ["(", "("],
]);

const isWhitespace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isSpecial = (c: string | undefined) =>
  c === "=" || c === "!" || c === "(" || c === ")" || c === "," || c === ">" || c === "<";

function lex(s: string): Token[] | SelectorParseError {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (isWhitespace(s[pos])) pos++;
    const start = pos;
    const c = s[pos];
    if (c === undefined) {
      tokens.push({ kind: "end", text: "", start });
      return tokens;
    }
    // Upstream's lexer treats a NUL byte as the end of input and silently ignores the rest; reject it.
    if (c === "\0") return { position: start, message: "unexpected NUL character" };
    if (isSpecial(c)) {
      // Longest run of special characters that is still a known token (`!=`, `==`).
      let buffer = "";
      let last: Token | undefined;
      while (isSpecial(s[pos])) {
        buffer += s[pos];
        const kind = KEYWORDS.get(buffer);
        if (kind) last = { kind, text: buffer, start };
        else if (last) break;
        pos++;
      }
      if (!last) return { position: start, message: `expected a keyword, found '${buffer}'` };
      pos = start + last.text.length;
      tokens.push(last);
    } else {
      while (pos < s.length && !isSpecial(s[pos]) && !isWhitespace(s[pos]) && s[pos] !== "\0") pos++;
      const text = s.slice(start, pos);
      tokens.push({ kind: KEYWORDS.get(text) ?? "identifier", text, start });
    }
  }
}

class SelectorSyntaxError {
  constructor(
    readonly position: number,
    readonly message: string,
  ) {}
}

const tokenText = (t: Token): string => (t.kind === "end" ? "end of string" : `'${t.text}'`);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Upstream lookahead/consume: in the Values context the keywords `in`/`notin` are identifiers. */
  private peek(values: boolean): Token {
    const t = this.tokens[this.i]!;
    return values && (t.kind === "in" || t.kind === "notin") ? { ...t, kind: "identifier" } : t;
  }
  private next(values: boolean): Token {
    const t = this.peek(values);
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }
  private fail(t: Token, expected: string): never {
    throw new SelectorSyntaxError(t.start, `found ${tokenText(t)}, expected: ${expected}`);
  }

  parse(): Requirement[] {
    const out: Requirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.kind === "end") return out;
      if (t.kind !== "identifier" && t.kind !== "!") this.fail(t, "!, identifier, or end of string");
      out.push(this.requirement());
      const sep = this.next(true);
      if (sep.kind === "end") return out;
      if (sep.kind !== ",") this.fail(sep, "',' or end of string");
      const after = this.peek(true);
      if (after.kind !== "identifier" && after.kind !== "!") this.fail(after, "identifier after ','");
    }
  }

  private requirement(): Requirement {
    let t = this.next(true);
    let operator: SelectorOperator | undefined;
    if (t.kind === "!") {
      operator = "!";
      t = this.next(true);
    }
    if (t.kind !== "identifier") this.fail(t, "identifier");
    const keyToken = t;
    const keyProblem = validateLabelKey(keyToken.text);
    if (keyProblem)
      throw new SelectorSyntaxError(
        keyToken.start,
        `invalid label key ${JSON.stringify(keyToken.text)}: ${keyProblem}`,
      );
    const after = this.peek(true);
    if (operator === "!" || after.kind === "end" || after.kind === ",") {
      if (operator === "!" && after.kind !== "end" && after.kind !== ",")
        this.fail(after, "',' or end of string");
      return this.build(keyToken, operator ?? "exists", []);
    }
    const opToken = this.next(false);
    switch (opToken.kind) {
      case "in":
      case "notin":
        return this.build(keyToken, opToken.kind, this.valueList());
      case "=":
      case "==":
      case "!=":
        return this.build(keyToken, opToken.kind, [this.exactValue()]);
      case ">":
        return this.build(keyToken, "gt", [this.exactValue()]);
      case "<":
        return this.build(keyToken, "lt", [this.exactValue()]);
      default:
        return this.fail(opToken, "in, notin, =, ==, !=, >, <");
    }
  }

  /** Validates as NewRequirement; errors point at the offending value (or the key). */
  private build(keyToken: Token, operator: SelectorOperator, valueTokens: Token[]): Requirement {
    // Upstream stores in/notin values as a sorted set.
    let values = valueTokens.map((v) => v.text);
    if (operator === "in" || operator === "notin") values = [...new Set(values)].sort();
    const r = newRequirement(keyToken.text, operator, values);
    if (r.ok) return r.value;
    const bad = r.error.valueIndex === undefined ? undefined : values[r.error.valueIndex];
    const at = valueTokens.find((v) => v.text === bad) ?? keyToken;
    throw new SelectorSyntaxError(at.start, r.error.message);
  }

  /** Upstream parseExactValue: `a=` gives the empty value. */
  private exactValue(): Token {
    const t = this.peek(true);
    if (t.kind === "end" || t.kind === ",") return { kind: "identifier", text: "", start: t.start };
    const v = this.next(true);
    if (v.kind !== "identifier") this.fail(v, "identifier");
    return v;
  }

  /** Upstream parseValues/parseIdentifiersList, including its empty-value quirks: `()`, `(,a)`, `(a,)`. */
  private valueList(): Token[] {
    const open = this.next(true);
    if (open.kind !== "(") this.fail(open, "'('");
    const first = this.peek(true);
    const empty = (t: Token): Token => ({ kind: "identifier", text: "", start: t.start });
    if (first.kind === ")") {
      this.next(true);
      return [empty(first)];
    }
    if (first.kind !== "identifier" && first.kind !== ",") this.fail(first, "',', ')' or identifier");
    const out: Token[] = [];
    for (;;) {
      const t = this.next(true);
      if (t.kind === "identifier") {
        out.push(t);
        const t2 = this.peek(true);
        if (t2.kind === ",") continue;
        if (t2.kind === ")") break;
        this.fail(t2, "',' or ')'");
      } else if (t.kind === ",") {
        if (out.length === 0) out.push(empty(t));
        const t2 = this.peek(true);
        if (t2.kind === ")") {
          out.push(empty(t2));
          break;
        }
        if (t2.kind === ",") {
          this.next(true);
          out.push(empty(t2));
        }
      } else this.fail(t, "',' or identifier");
    }
    const close = this.next(true);
    if (close.kind !== ")") this.fail(close, "')'");
    return out;
  }
}

function sortByKey(requirements: Requirement[]): Requirement[] {
  // Upstream sorts by key only (sort.Sort(ByKey)); JS sort is stable, so equal keys keep their order.
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Parses a selector string exactly as upstream `labels.Parse`, without throwing: comma-separated
 * requirements `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>1`, `k<1`, with spaces,
 * tabs and newlines allowed between tokens. The empty string selects everything. Keys and values are
 * validated (see {@link validateLabelKey}, {@link validateLabelValue}); the error carries the 0-based
 * position of the offending token. Requirements come back sorted by key.
 *
 * One deliberate difference: upstream stops reading at a NUL character; we reject it.
 */
export function tryParseSelector(text: string): Result<Selector, SelectorParseError> {
  const tokens = lex(text);
  if (!Array.isArray(tokens)) return err(tokens);
  try {
    const requirements = sortByKey(new Parser(tokens).parse());
    return ok(Object.freeze({ requirements: Object.freeze(requirements), matchesNothing: false }));
  } catch (e) {
    if (e instanceof SelectorSyntaxError) return err({ position: e.position, message: e.message });
    throw e;
  }
}

/**
 * Parses a selector string as upstream `labels.Parse` (see {@link tryParseSelector}); throws
 * INVALID_INPUT naming `where` with `position N: <problem>` when it is malformed.
 */
export function parseSelector(text: string, where: string): Selector {
  const r = tryParseSelector(text);
  if (!r.ok)
    throw invalidInput(
      where,
      `invalid label selector ${JSON.stringify(text)}: position ${r.error.position}: ${r.error.message}`,
    );
  return r.value;
}

/**
 * Upstream `Requirement.Matches`: `=`/`==`/`in` need the key present with a listed value; `!=`/`notin`
 * match when the key is absent or its value is not listed; `gt`/`lt` need the key present with an
 * int64 value strictly greater/less than the requirement's.
 */
export function matchesRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return has && r.values.includes(value!);
    case "!=":
    case "notin":
      return !has || !r.values.includes(value!);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || r.values.length !== 1) return false;
      const actual = parseInt64(value!);
      const bound = parseInt64(r.values[0]!);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === "gt" ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/** Upstream `Selector.Matches`: every requirement matches (Everything matches all, Nothing matches none). */
export function matches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  if (selector.matchesNothing) return false;
  return selector.requirements.every((r) => matchesRequirement(r, labels));
}

/** Upstream `Requirement.String()`: `k=v`, `k in (a,b)` (values sorted), `!k`, `k>5`. */
export function formatRequirement(r: Requirement): string {
  const values = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(",");
  switch (r.operator) {
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${values})`;
    case "gt":
      return `${r.key}>${values}`;
    case "lt":
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

/**
 * Upstream `Selector.String()`: the requirements (already sorted by key) joined with `,`, e.g.
 * `app=web,tier in (a,b)`. Everything and Nothing both print as the empty string, as upstream.
 * Parsing the result gives an equal selector.
 */
export function formatSelector(selector: Selector): string {
  return selector.requirements.map(formatRequirement).join(",");
}

const LABEL_SELECTOR_OPERATORS: Readonly<Record<string, SelectorOperator>> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/** Formats a matchLabels key as a field path segment: `matchLabels.app` or `matchLabels["a.b/c"]`. */
function labelField(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `matchLabels.${key}` : `matchLabels[${JSON.stringify(key)}]`;
}

/**
 * Converts a metav1.LabelSelector as upstream `metav1.LabelSelectorAsSelector`, without throwing:
 * null/undefined gives {@link nothing}; an object with no labels and no expressions gives
 * {@link everything}; matchLabels become `=` requirements; matchExpressions In/NotIn/Exists/DoesNotExist
 * become `in`/`notin`/`exists`/`!`. The error names the field (`matchExpressions[1].values[0]`).
 */
export function trySelectorFromLabelSelector(
  ls: LabelSelector | null | undefined,
): Result<Selector, LabelSelectorError> {
  if (ls === null || ls === undefined) return ok(nothing);
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(ls.matchLabels ?? {})) {
    const r = newRequirement(key, "=", [value]);
    if (!r.ok) return err({ field: labelField(key), message: r.error.message });
    requirements.push(r.value);
  }
  const expressions = ls.matchExpressions ?? [];
  for (let i = 0; i < expressions.length; i++) {
    const e = expressions[i]!;
    const field = `matchExpressions[${i}]`;
    const operator = Object.hasOwn(LABEL_SELECTOR_OPERATORS, e.operator)
      ? LABEL_SELECTOR_OPERATORS[e.operator]
      : undefined;
    if (operator === undefined)
      return err({
        field: `${field}.operator`,
        message: `${JSON.stringify(e.operator)} is not a valid label selector operator (use In, NotIn, Exists or DoesNotExist)`,
      });
    const values = e.values ?? [];
    const r = newRequirement(e.key, operator, values);
    if (!r.ok) {
      const where =
        r.error.valueIndex !== undefined
          ? `${field}.values[${r.error.valueIndex}]`
          : r.error.message.startsWith("invalid label key")
            ? `${field}.key`
            : `${field}.values`;
      return err({ field: where, message: r.error.message });
    }
    requirements.push(r.value);
  }
  if (requirements.length === 0) return ok(everything);
  return ok(Object.freeze({ requirements: Object.freeze(sortByKey(requirements)), matchesNothing: false }));
}

/**
 * Converts a metav1.LabelSelector as upstream `metav1.LabelSelectorAsSelector` (see
 * {@link trySelectorFromLabelSelector}); throws INVALID_INPUT at `<where>.<field>` when invalid.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined, where: string): Selector {
  const r = trySelectorFromLabelSelector(ls);
  if (!r.ok) throw invalidInput(where ? `${where}.${r.error.field}` : r.error.field, r.error.message);
  return r.value;
}

/**
 * Upstream `metav1.ParseToLabelSelector` applied to a parsed selector: `=`/`==` requirements go to
 * `matchLabels`, `in`/`notin`/`exists`/`!` to `matchExpressions` (values sorted). prometheus-adapter
 * fills `metric.selector` of custom-metrics responses this way. `!=`, `gt` and `lt` have no LabelSelector
 * form, so they give an error, as upstream. Both fields are always present (possibly empty).
 */
export function toLabelSelector(selector: Selector): Result<
  {
    matchLabels: Record<string, string>;
    matchExpressions: Array<{ key: string; operator: LabelSelectorOperator; values: string[] }>;
  },
  string
> {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: Array<{ key: string; operator: LabelSelectorOperator; values: string[] }> = [];
  for (const r of selector.requirements) {
    switch (r.operator) {
      case "=":
      case "==":
        matchLabels[r.key] = r.values[0]!;
        break;
      case "in":
        matchExpressions.push({ key: r.key, operator: "In", values: [...r.values].sort() });
        break;
      case "notin":
        matchExpressions.push({ key: r.key, operator: "NotIn", values: [...r.values].sort() });
        break;
      case "exists":
        matchExpressions.push({ key: r.key, operator: "Exists", values: [] });
        break;
      case "!":
        matchExpressions.push({ key: r.key, operator: "DoesNotExist", values: [] });
        break;
      case "gt":
      case "lt":
        return err(`"${r.operator}" isn't supported in label selectors`);
      default:
        return err(`"${r.operator}" is not a valid label selector operator`);
    }
  }
  return ok({ matchLabels, matchExpressions });
}

/**
 * Upstream `Selector.RequiresExactMatch(label)`: the single value the selector pins `key` to (an `=`,
 * `==` or one-value `in` requirement), or undefined when it does not pin it.
 */
export function requiresExactMatch(selector: Selector, key: string): string | undefined {
  for (const r of selector.requirements) {
    if (r.key !== key) continue;
    if ((r.operator === "=" || r.operator === "==" || r.operator === "in") && r.values.length === 1)
      return r.values[0];
  }
  return undefined;
}
