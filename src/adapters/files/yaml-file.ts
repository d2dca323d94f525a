/**
 * Reads YAML (and JSON) input files. Errors name the file and line; schema errors name the field path.
 */
import { readFile } from "node:fs/promises";
import { parseAllDocuments, parseDocument } from "yaml";
import type { z } from "zod";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import { parseWith } from "../../core/validation.js";
import { readFileError } from "./file-error.js";

/** Reads a whole file as UTF-8; an unreadable file is an INVALID_INPUT error naming the path. */
export async function readTextFile(path: string, where = path): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw readFileError(e, where);
  }
}

/** The yaml library's parse error as one line and the place it points at. */
function syntaxError(
  error: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] },
  name: string,
) {
  const line = error.linePos?.[0]?.line;
  let message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  if (/multiple documents/.test(message))
    message = "the file holds several YAML documents (---); expected one";
  return invalidInput(line ? `${name}:${line}` : name, `invalid YAML: ${message}`);
}

/** What a top-level value is, for "expected a mapping" errors. */
function describeKind(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  return typeof v === "string" ? "a string (is this a YAML file?)" : `a ${typeof v}`;
}

/**
 * Parses one YAML document whose top level must be a mapping (or empty, which gives null).
 * Syntax errors become `file:line: invalid YAML: ...`.
 */
export function parseYamlText(text: string, name: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw syntaxError(first, name);
  const value = doc.toJS({ maxAliasCount: 1000 });
  if (value !== null && value !== undefined && (typeof value !== "object" || Array.isArray(value)))
    throw invalidInput(name, `expected a YAML mapping at the top level, got ${describeKind(value)}`);
  return value;
}

/** Parses every document of a multi-document YAML stream (`---` separated); empty documents are skipped. */
export function parseYamlDocuments(text: string, name: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const first = doc.errors[0];
    if (first) throw syntaxError(first, name);
    const v = doc.toJS({ maxAliasCount: 1000 });
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** Reads a YAML file and validates it against a zod schema; errors are `file: field.path: what`. */
export async function readYamlFile<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  const value = parseYamlText(await readTextFile(path), path);
  if (value === null || value === undefined) throw invalidInput(path, "file is empty");
  return parseWith(schema, value, path);
}

export { ToolkitError };
