/**
 * Attack targets in vegeta's two formats (`lib/targets.go`, `lib/target.schema.json`):
 * - http: `METHOD URL`, then `Header: value` lines, then an optional `@body-file` line; a blank line ends a
 *   target, `#` starts a comment line;
 * - json: one object per line with `method`, `url`, optional `body` (base64) and `header` (name -> [values]);
 *   other keys are an error, as the schema's `additionalProperties: false`.
 * Pure: body files are returned as paths for the caller to read.
 */
import { invalidInput } from "../errors.js";

/** One request template. */
export interface Target {
  method: string;
  url: string;
  /** Header name/value pairs in order; a name may repeat. */
  headers: Array<[string, string]>;
  /** Inline body (json format). */
  body?: Uint8Array;
  /** Body file reference (`@path` in the http format), read by the caller. */
  bodyFile?: string;
}

const METHOD = /^[A-Z][A-Z-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Checks that `text` is an absolute http(s) URL; returns it unchanged or throws naming `where`. */
export function checkTargetUrl(text: string, where: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw invalidInput(where, `invalid URL "${text}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw invalidInput(where, `invalid URL "${text}": scheme must be http or https`);
  }
  if (u.hostname === "") throw invalidInput(where, `invalid URL "${text}": missing host`);
  return text;
}

/** Parses one `Name: value` header (as given to `-header`); throws naming `where`. */
export function parseHeaderLine(line: string, where: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon).trim() : "";
  if (!HEADER_NAME.test(name)) throw invalidInput(where, `invalid header "${line}" (want "Name: value")`);
  return [name, line.slice(colon + 1).trim()];
}

/** Parses the http target format; `source` names the input in errors (`stdin:3: ...`). */
export function parseHttpTargets(text: string, source: string): Target[] {
  const lines = text.split("\n");
  const targets: Target[] = [];
  let current: Target | undefined;
  let bodySeen = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const where = `${source}:${i + 1}`;
    const trimmed = line.trim();
    if (trimmed.startsWith("#")) continue;
    if (trimmed === "") {
      current = undefined;
      continue;
    }
    if (current === undefined) {
      const parts = trimmed.split(/\s+/);
      if (parts.length !== 2 || !METHOD.test(parts[0]!)) {
        throw invalidInput(
          where,
          `malformed target line "${trimmed}" (want "METHOD URL", e.g. "GET http://127.0.0.1:8080/")`,
        );
      }
      current = { method: parts[0]!, url: checkTargetUrl(parts[1]!, where), headers: [] };
      bodySeen = false;
      targets.push(current);
      continue;
    }
    if (trimmed.startsWith("@")) {
      const file = trimmed.slice(1);
      if (file === "") throw invalidInput(where, "empty body file reference");
      if (bodySeen) throw invalidInput(where, "a target can have only one @body line");
      current.bodyFile = file;
      bodySeen = true;
      continue;
    }
    if (bodySeen) throw invalidInput(where, `unexpected line after the @body line: "${trimmed}"`);
    const colon = trimmed.indexOf(":");
    if (colon <= 0 || !HEADER_NAME.test(trimmed.slice(0, colon).trim())) {
      throw invalidInput(
        where,
        `malformed header line "${trimmed}" (want "Name: value", or a blank line between targets)`,
      );
    }
    current.headers.push(parseHeaderLine(trimmed, where));
  }
  if (targets.length === 0) throw invalidInput(source, "no targets");
  return targets;
}

const JSON_KEYS = new Set(["method", "url", "body", "header"]);

function decodeBase64(text: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw invalidInput(where, "body is not valid base64");
  }
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Parses JSON targets, one object per line (vegeta `-format json`). */
export function parseJsonTargets(text: string, source: string): Target[] {
  const targets: Target[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const where = `${source}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw invalidInput(where, "malformed JSON target (want one object per line)");
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      throw invalidInput(where, "a JSON target must be an object");
    }
    const o = obj as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!JSON_KEYS.has(k))
        throw invalidInput(`${where}: ${k}`, "unknown field (allowed: method, url, body, header)");
    }
    if (typeof o.method !== "string" || !METHOD.test(o.method)) {
      throw invalidInput(`${where}: method`, "required, an upper-case HTTP method such as GET");
    }
    if (typeof o.url !== "string") throw invalidInput(`${where}: url`, "required string");
    const t: Target = { method: o.method, url: checkTargetUrl(o.url, `${where}: url`), headers: [] };
    if (o.body !== undefined && o.body !== null) {
      if (typeof o.body !== "string") throw invalidInput(`${where}: body`, "must be a base64 string");
      t.body = decodeBase64(o.body, `${where}: body`);
    }
    if (o.header !== undefined && o.header !== null) {
      if (typeof o.header !== "object" || Array.isArray(o.header)) {
        throw invalidInput(`${where}: header`, "must map names to arrays of strings");
      }
      for (const [name, values] of Object.entries(o.header as Record<string, unknown>)) {
        if (!HEADER_NAME.test(name)) throw invalidInput(`${where}: header`, `invalid header name "${name}"`);
        if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
          throw invalidInput(`${where}: header.${name}`, "must be an array of strings");
        }
        for (const v of values as string[]) t.headers.push([name, v]);
      }
    }
    targets.push(t);
  }
  if (targets.length === 0) throw invalidInput(source, "no targets");
  return targets;
}
