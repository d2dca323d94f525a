/**
 * Reads YAML (and JSON) input files. Errors name the file and line; schema errors name the field path.
 */
import { readFile } from "node:fs/promises";
import { parseAllDocuments, parseDocument } from "yaml";
import type { z } from "zod";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import { parseWith } from "../../core/validation.js";

/** Reads a whole file as UTF-8; an unreadable file is an INVALID_INPUT error naming the path. */
export async function readTextFile(path: string, where = path): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "is a directory"
            : String((e as Error).message);
    throw invalidInput(where, `cannot read file: ${why}`);
  }
}

/** Parses one YAML document; syntax errors become `file:line: message`. */
export function parseYamlText(text: string, name: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    throw invalidInput(line ? `${name}:${line}` : name, `invalid YAML: ${first.message.split("\n")[0]}`);
  }
  return doc.toJS();
}

/** Parses every document of a multi-document YAML stream (`---` separated). */
export function parseYamlDocuments(text: string, name: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0]?.line;
      throw invalidInput(line ? `${name}:${line}` : name, `invalid YAML: ${first.message.split("\n")[0]}`);
    }
    const v = doc.toJS();
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
