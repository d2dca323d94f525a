/**
 * PromQL rendering of label matchers, the string prometheus-adapter passes as `.LabelMatchers`.
 *
 * Order as upstream (series_registry "selection using labels" test): the metric selector's requirements
 * sorted by key, then the namespace matcher, then the resource-name matcher. Matchers are joined with `,`
 * and no spaces; values are Go-`%q` quoted, which is also a valid PromQL string literal, so no value can
 * close the string and inject query text.
 *
 * Better than upstream: label names are checked against the PromQL grammar (a Kubernetes key such as
 * `app.kubernetes.io/name` is rejected with a 400 instead of producing a broken query), and every value
 * that ends up inside a regex matcher (`in`, `notin`, several object names) is regex-escaped, so a pod
 * named `a.b` or `.*` matches only itself.
 *
 * `.LabelValuesByName` values are placed by the rule's own template, inside quotes the template writes:
 * they come escaped for the inside of a PromQL string literal (`promStringBody`), so they cannot end the
 * string whichever quote the template uses. Several values are joined by `|` (the upstream shape, meant
 * for `=~"<<.LabelValuesByName.pod>>"`), each regex-escaped first, so the alternatives match only the
 * values themselves.
 */
import { err, ok, type Result } from "../errors.js";
import { goQuote } from "./template.js";

/** Label selector operators (Kubernetes `selection.Operator`). */
export type SelectorOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

/** One requirement of a label selector. */
export interface LabelRequirement {
  key: string;
  operator: SelectorOperator;
  values: readonly string[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** True when `name` is a valid Prometheus label name. */
export function isPromLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** True when `name` can stand unquoted as a metric name in PromQL (what `<<.Series>>{…}` needs). */
export function isPromMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** Quotes a value as a PromQL (and Go `%q`) string literal. */
export function promString(value: string): string {
  return goQuote(value);
}

const NEEDS_ESCAPE = /[^\x20-\x7e]|["'`\\]/;
const QUOTE_HEX: Readonly<Record<string, string>> = { '"': "\\x22", "'": "\\x27", "`": "\\x60" };

/**
 * The inside of a PromQL string literal for `value`, valid between double quotes and between single
 * quotes alike: Go `%q` escaping, with the three quote characters written as `\x22`, `\x27`, `\x60`
 * (a raw backtick string cannot be closed by it either).
 */
export function promStringBody(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value
    .split(/(["'`])/)
    .map((part) => QUOTE_HEX[part] ?? goQuote(part).slice(1, -1))
    .join("");
}

/** Go `regexp.QuoteMeta`: escapes RE2 metacharacters so that `s` matches only itself. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** `a|b|c` with each value regex-escaped, as one anchored PromQL regex alternative list. */
export function regexAlternatives(values: readonly string[]): string {
  return values.map((v) => quoteMeta(v)).join("|");
}

/** A `.LabelValuesByName` value: one value as is, several regex-escaped and joined by `|`; string-escaped. */
export function templateValues(values: readonly string[]): string {
  return promStringBody(values.length === 1 ? values[0]! : regexAlternatives(values));
}

/** One requirement as a PromQL matcher, following upstream's table; `gt`/`lt` are an error. */
export function requirementMatcher(req: LabelRequirement): Result<string, string> {
  if (!isPromLabelName(req.key))
    return err(`label "${req.key}" is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
  const values = [...req.values].sort();
  switch (req.operator) {
    case "=":
    case "==":
      return ok(`${req.key}=${promString(values[0] ?? "")}`);
    case "!=":
      return ok(`${req.key}!=${promString(values[0] ?? "")}`);
    case "in":
      return ok(`${req.key}=~${promString(regexAlternatives(values))}`);
    case "notin":
      return ok(`${req.key}!~${promString(regexAlternatives(values))}`);
    case "exists":
      return ok(`${req.key}!=""`);
    case "!":
      return ok(`${req.key}=""`);
    case "gt":
    case "lt":
      return err(`operator "${req.operator}" in requirement on "${req.key}" is not supported by Prometheus`);
  }
}

/** What a query's label matchers are built from. */
export interface MatcherInput {
  /** The metric selector (`metricLabelSelector`, or the external `labelSelector`). */
  requirements: readonly LabelRequirement[];
  /** `nsLabel="NS"`, added after the requirements. */
  namespace?: { label: string; value: string } | undefined;
  /** `resLabel="n"` for one name, `resLabel=~"n1|n2"` for several. */
  resource?: { label: string; names: readonly string[] } | undefined;
}

/** Renders `.LabelMatchers` (and the values for `.LabelValuesByName`). */
export function renderLabelMatchers(
  input: MatcherInput,
): Result<{ matchers: string; valuesByName: Record<string, string> }, string> {
  const parts: string[] = [];
  const valuesByName: Record<string, string> = {};
  const reqs = [...input.requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const r of reqs) {
    const m = requirementMatcher(r);
    if (!m.ok) return m;
    parts.push(m.value);
    if (r.operator !== "exists" && r.operator !== "!")
      valuesByName[r.key] = templateValues([...r.values].sort());
  }
  if (input.namespace) {
    if (!isPromLabelName(input.namespace.label))
      return err(`namespace label "${input.namespace.label}" is not a valid Prometheus label name`);
    parts.push(`${input.namespace.label}=${promString(input.namespace.value)}`);
    valuesByName[input.namespace.label] = templateValues([input.namespace.value]);
  }
  if (input.resource) {
    const { label, names } = input.resource;
    if (!isPromLabelName(label)) return err(`resource label "${label}" is not a valid Prometheus label name`);
    if (names.length === 0) return err("no object names to query for");
    parts.push(
      names.length === 1
        ? `${label}=${promString(names[0]!)}`
        : `${label}=~${promString(regexAlternatives(names))}`,
    );
    valuesByName[label] = templateValues(names);
  }
  return ok({ matchers: parts.join(","), valuesByName });
}
