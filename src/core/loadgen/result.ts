/**
 * One attack result and its encodings. The JSON form is vegeta's (`lib/results.go`: attack, seq, code,
 * timestamp RFC 3339 with ns, latency ns, bytes_out, bytes_in, error, body base64, method, url, headers)
 * plus two fields of ours: `lateness` (ns the request was sent after its intended time) and `dropped`
 * (never sent). Files written by vegeta's `encode -to json` decode as results with zero lateness.
 */
import { invalidInput } from "../errors.js";

/** A point in time as whole Unix seconds plus nanoseconds (exact; a double cannot hold Unix ns). */
export interface Instant {
  sec: number;
  nsec: number;
}

/** One request's outcome. */
export interface AttackResult {
  attack: string;
  seq: number;
  /** HTTP status; 0 when no response arrived (connect/write/timeout error, or dropped). */
  code: number;
  /** Actual send time (the intended time for a dropped request). */
  timestamp: Instant;
  /** From the actual send until the whole response body was read, in ns. */
  latency: number;
  bytesOut: number;
  bytesIn: number;
  /** "" on success; the status line (`503 Service Unavailable`) for a non-2xx/3xx code; else the error. */
  error: string;
  /** Base64 of the kept response body, or null. */
  body: string | null;
  method: string;
  url: string;
  headers: Record<string, string[]> | null;
  /** Actual minus intended send time, in ns (>= 0). Latency from the intended time = latency + lateness. */
  lateness: number;
  /** The request was scheduled but never sent (the attack ended with it still waiting for a free worker). */
  dropped: boolean;
  /**
   * A dropped record may stand for `count` consecutive requests (`seq`, `seq + 1`, ...; the timestamp is the
   * first one's intended time), so an overloaded attack writes one line, not one per request. Written only
   * when more than 1; only on dropped records.
   */
  count?: number;
  /**
   * Sent by a closed-model attack (`-rate 0 -max-workers N`: each loop sends when its previous response
   * ends), so there was no schedule and lateness is 0 by definition. Written only when true.
   */
  closed?: boolean;
}

/** Nanoseconds from `a` to `b` (exact for spans below ~104 days). */
export function nsBetween(a: Instant, b: Instant): number {
  return (b.sec - a.sec) * 1e9 + (b.nsec - a.nsec);
}

/** `t` plus `ns` nanoseconds. */
export function addNs(t: Instant, ns: number): Instant {
  let sec = t.sec + Math.floor(ns / 1e9);
  let nsec = t.nsec + (ns % 1e9 < 0 ? (ns % 1e9) + 1e9 : ns % 1e9);
  if (nsec >= 1e9) {
    sec += 1;
    nsec -= 1e9;
  }
  return { sec, nsec };
}

/** Compares two instants (negative when a < b). */
export function compareInstants(a: Instant, b: Instant): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

/** An instant from Unix milliseconds with a fractional part (as `performance.timeOrigin + now()` gives). */
export function instantFromEpochMs(ms: number): Instant {
  const sec = Math.floor(ms / 1000);
  let nsec = Math.round((ms - sec * 1000) * 1e6);
  if (nsec >= 1e9) nsec = 999_999_999;
  return { sec, nsec };
}

/** Go's RFC3339Nano in UTC: fraction with trailing zeros removed (`2026-11-28T02:00:00.1234Z`). */
export function formatRfc3339Nano(t: Instant): string {
  const base = new Date(t.sec * 1000).toISOString().slice(0, 19);
  if (t.nsec === 0) return `${base}Z`;
  const frac = String(t.nsec).padStart(9, "0").replace(/0+$/, "");
  return `${base}.${frac}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** Parses RFC 3339 (with up to 9 fraction digits and any offset); undefined when malformed. */
export function parseRfc3339(text: string): Instant | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) return undefined;
  let sec = ms / 1000;
  const off = m[8]!;
  if (off !== "Z" && off !== "z") {
    const sign = off[0] === "-" ? -1 : 1;
    sec -= sign * (Number(off.slice(1, 3)) * 3600 + Number(off.slice(4, 6)) * 60);
  }
  const nsec = m[7] ? Number(m[7].padEnd(9, "0")) : 0;
  return { sec, nsec };
}

/** Encodes one result as a JSON line (with trailing newline). */
export function encodeResultJson(r: AttackResult): string {
  return createResultJsonEncoder()(r);
}

/**
 * A JSON-line encoder for a stream of results that caches what repeats from one result to the next
 * (the date-time prefix of the current second, and the JSON of attack names, methods and URLs), so the
 * attack's hot path does not re-format them per request. Output is identical to `encodeResultJson`.
 */
export function createResultJsonEncoder(): (r: AttackResult) => string {
  let prefixSec = Number.NaN;
  let prefix = "";
  const strings = new Map<string, string>();
  const str = (s: string): string => {
    let j = strings.get(s);
    if (j === undefined) {
      j = JSON.stringify(s);
      if (strings.size < 1000) strings.set(s, j);
    }
    return j;
  };
  return (r) => {
    if (r.timestamp.sec !== prefixSec) {
      prefixSec = r.timestamp.sec;
      prefix = new Date(prefixSec * 1000).toISOString().slice(0, 19);
    }
    const ns = r.timestamp.nsec;
    const ts = ns === 0 ? `${prefix}Z` : `${prefix}.${String(ns).padStart(9, "0").replace(/0+$/, "")}Z`;
    return (
      `{"attack":${str(r.attack)},"seq":${r.seq},"code":${r.code},` +
      `"timestamp":"${ts}","latency":${r.latency},` +
      `"bytes_out":${r.bytesOut},"bytes_in":${r.bytesIn},"error":${r.error === "" ? '""' : str(r.error)},` +
      `"body":${r.body === null ? "null" : JSON.stringify(r.body)},"method":${str(r.method)},` +
      `"url":${str(r.url)},"headers":${r.headers === null ? "null" : JSON.stringify(r.headers)},` +
      `"lateness":${r.lateness},"dropped":${r.dropped}${r.closed ? ',"closed":true' : ""}` +
      `${r.count !== undefined && r.count > 1 ? `,"count":${r.count}` : ""}}\n`
    );
  };
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s.startsWith(" ") ? `"${s.replace(/"/g, '""')}"` : s;
}

function headersWire(h: Record<string, string[]> | null): string {
  if (h === null) return "";
  let wire = "";
  for (const [k, vs] of Object.entries(h)) for (const v of vs) wire += `${k}: ${v}\r\n`;
  let bin = "";
  for (const b of new TextEncoder().encode(wire)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Encodes one result as a CSV row in vegeta's column order (unix ns timestamp, code, latency ns,
 * bytes out, bytes in, error, base64 body, attack, seq, method, url, base64 wire headers) followed by our
 * lateness ns and dropped (true/false), and a 15th column: `closed` for closed-model results, or the
 * count of a dropped record that stands for several requests. No header row, as vegeta.
 */
export function encodeResultCsv(r: AttackResult): string {
  const ts = `${r.timestamp.sec}${String(r.timestamp.nsec).padStart(9, "0")}`;
  return (
    [
      ts,
      String(r.code),
      String(r.latency),
      String(r.bytesOut),
      String(r.bytesIn),
      csvField(r.error),
      r.body ?? "",
      csvField(r.attack),
      String(r.seq),
      r.method,
      csvField(r.url),
      headersWire(r.headers),
      String(r.lateness),
      String(r.dropped),
      ...(r.closed ? ["closed"] : r.count !== undefined && r.count > 1 ? [String(r.count)] : []),
    ].join(",") + "\n"
  );
}

function need<T>(v: unknown, ok: (x: unknown) => x is T, where: string, what: string): T {
  if (!ok(v)) throw invalidInput(where, what);
  return v;
}
const isInt = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;
const isStr = (x: unknown): x is string => typeof x === "string";

/** Decodes one JSON result line; `where` is `file:line`. Missing optional fields default as vegeta's. */
export function decodeResultJson(line: string, where: string): AttackResult {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    o = v as Record<string, unknown>;
  } catch {
    throw invalidInput(
      where,
      "malformed result (want one JSON object per line, as `tidescale attack` writes)",
    );
  }
  const tsText = need(o.timestamp, isStr, `${where}: timestamp`, "required RFC 3339 string");
  const timestamp = parseRfc3339(tsText);
  if (!timestamp) throw invalidInput(`${where}: timestamp`, `invalid RFC 3339 time "${tsText}"`);
  const opt = <T>(k: string, ok: (x: unknown) => x is T, dflt: T, what: string): T =>
    o[k] === undefined || o[k] === null ? dflt : need(o[k], ok, `${where}: ${k}`, what);
  const headers = o.headers;
  if (headers !== undefined && headers !== null && (typeof headers !== "object" || Array.isArray(headers))) {
    throw invalidInput(`${where}: headers`, "must map names to arrays of strings");
  }
  const dropped = opt("dropped", (x): x is boolean => typeof x === "boolean", false, "must be true or false");
  const count = opt("count", (x): x is number => isInt(x) && x >= 1, 1, "must be a positive integer");
  if (count > 1 && !dropped) throw invalidInput(`${where}: count`, "only a dropped record has a count");
  return {
    attack: opt("attack", isStr, "", "must be a string"),
    seq: opt("seq", isInt, 0, "must be a non-negative integer"),
    code: need(o.code, isInt, `${where}: code`, "required non-negative integer"),
    timestamp,
    latency: need(o.latency, isInt, `${where}: latency`, "required non-negative integer (ns)"),
    bytesOut: opt("bytes_out", isInt, 0, "must be a non-negative integer"),
    bytesIn: opt("bytes_in", isInt, 0, "must be a non-negative integer"),
    error: opt("error", isStr, "", "must be a string"),
    body: opt<string | null>("body", isStr, null, "must be a base64 string"),
    method: opt("method", isStr, "", "must be a string"),
    url: opt("url", isStr, "", "must be a string"),
    headers: (headers ?? null) as Record<string, string[]> | null,
    lateness: opt("lateness", isInt, 0, "must be a non-negative integer (ns)"),
    dropped,
    ...(count > 1 ? { count } : {}),
    ...(opt("closed", (x): x is boolean => typeof x === "boolean", false, "must be true or false")
      ? { closed: true }
      : {}),
  };
}

/** Splits one CSV row (RFC 4180 quoting, no embedded newlines). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error("unterminated quote");
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
    } else {
      const c = line.indexOf(",", i);
      out.push(c < 0 ? line.slice(i) : line.slice(i, c));
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) return out;
    if (line[i] !== ",") throw new Error("text after a closing quote");
    i++;
  }
}

function decodeWireHeaders(b64: string): Record<string, string[]> | null {
  if (b64 === "") return null;
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const wire = new TextDecoder().decode(bytes);
  const h: Record<string, string[]> = {};
  for (const line of wire.split("\r\n")) {
    const c = line.indexOf(":");
    if (c <= 0) continue;
    const k = line.slice(0, c);
    const values = h[k] ?? [];
    values.push(line.slice(c + 1).trim());
    h[k] = values;
  }
  return h;
}

/** Decodes one CSV result row (vegeta's 12 columns, optionally followed by our lateness and dropped). */
export function decodeResultCsv(line: string, where: string): AttackResult {
  let f: string[];
  try {
    f = splitCsv(line);
  } catch (e) {
    throw invalidInput(where, `malformed CSV result: ${(e as Error).message}`);
  }
  const dropped = f.length >= 14 ? f[13] === "true" : false;
  const count = f.length === 15 && dropped && /^[1-9]\d*$/.test(f[14]!) ? Number(f[14]) : 1;
  if (f.length !== 12 && f.length !== 14 && !(f.length === 15 && (f[14] === "closed" || count > 1))) {
    throw invalidInput(where, `malformed CSV result: want 12 or 14 columns, got ${f.length}`);
  }
  const int = (i: number, name: string): number => {
    const s = f[i]!;
    if (!/^\d+$/.test(s))
      throw invalidInput(where, `column ${i + 1} (${name}): want a non-negative integer, got "${s}"`);
    return Number(s);
  };
  const ts = f[0]!;
  if (!/^\d{10,}$/.test(ts))
    throw invalidInput(where, `column 1 (timestamp): want Unix nanoseconds, got "${ts}"`);
  let headers: Record<string, string[]> | null;
  try {
    headers = decodeWireHeaders(f[11]!);
  } catch {
    throw invalidInput(where, "column 12 (headers): not base64");
  }
  return {
    timestamp: { sec: Number(ts.slice(0, -9)), nsec: Number(ts.slice(-9)) },
    code: int(1, "code"),
    latency: int(2, "latency"),
    bytesOut: int(3, "bytes out"),
    bytesIn: int(4, "bytes in"),
    error: f[5]!,
    body: f[6] === "" ? null : f[6]!,
    attack: f[7]!,
    seq: int(8, "seq"),
    method: f[9]!,
    url: f[10]!,
    headers,
    lateness: f.length >= 14 ? int(12, "lateness") : 0,
    dropped,
    ...(count > 1 ? { count } : f.length === 15 ? { closed: true } : {}),
  };
}

/** Decodes a result line in either encoding (a line starting with `{` is JSON, anything else CSV). */
export function decodeResultLine(line: string, where: string): AttackResult {
  return line.trimStart().startsWith("{") ? decodeResultJson(line, where) : decodeResultCsv(line, where);
}
