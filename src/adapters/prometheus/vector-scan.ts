/**
 * A fast reader for the one answer shape the adapter's hot path gets from `/api/v1/query`: a plain
 * instant vector as Prometheus writes it (no whitespace, keys in Prometheus' order):
 *
 *   {"status":"success","data":{"resultType":"vector","result":[{"metric":{"k":"v",…},"value":[t,"v"]},…]}}
 *
 * It only keeps, per sample, the value text under one label (what a custom-metrics answer needs), so it
 * builds no per-sample objects. Anything else (other result types, warnings, escapes or control
 * characters in strings, an unexpected character anywhere) returns `undefined`, and the caller parses
 * the text with `JSON.parse` as before, so errors and unusual answers behave exactly as they did.
 */

/** A vector answer reduced to the value text per value of one label (the last sample wins). */
export interface LabelValues {
  resultType: "vector";
  /** Samples in the answer (with or without the label). */
  samples: number;
  /** Label value -> the sample's value text (`value[1]`), for samples carrying the label. */
  byLabel: Map<string, string>;
}

const HEAD = '{"status":"success","data":{"resultType":"vector","result":[';
const SAMPLE_HEAD = '{"metric":{';
const VALUE_HEAD = '},"value":[';
// Backslashes (escapes) and raw control characters (invalid JSON): leave those texts to JSON.parse.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it looks for
const UNUSUAL = /[\\\u0000-\u001f]/;
const TIMESTAMP = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const QUOTE = 34;
const COLON = 58;
const COMMA = 44;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/**
 * Reads `text` as a plain instant vector and returns the value text per value of `label`, or
 * `undefined` when the text is anything else (then parse it with `JSON.parse`).
 */
export function scanVectorByLabel(text: string, label: string): LabelValues | undefined {
  if (!text.startsWith(HEAD) || UNUSUAL.test(text)) return undefined;
  const byLabel = new Map<string, string>();
  let samples = 0;
  let i = HEAD.length;
  if (text.charCodeAt(i) !== CLOSE_BRACKET) {
    for (;;) {
      if (!text.startsWith(SAMPLE_HEAD, i)) return undefined;
      i += SAMPLE_HEAD.length;
      let name: string | undefined;
      if (text.charCodeAt(i) !== CLOSE_BRACE) {
        for (;;) {
          // "key":"value" (no escapes anywhere, so every quote delimits a string)
          if (text.charCodeAt(i) !== QUOTE) return undefined;
          const keyEnd = text.indexOf('"', i + 1);
          if (keyEnd < 0 || text.charCodeAt(keyEnd + 1) !== COLON || text.charCodeAt(keyEnd + 2) !== QUOTE)
            return undefined;
          const valueEnd = text.indexOf('"', keyEnd + 3);
          if (valueEnd < 0) return undefined;
          if (keyEnd - i - 1 === label.length && text.startsWith(label, i + 1))
            name = text.slice(keyEnd + 3, valueEnd);
          i = valueEnd + 1;
          const c = text.charCodeAt(i);
          if (c === COMMA) {
            i++;
            continue;
          }
          if (c === CLOSE_BRACE) break;
          return undefined;
        }
      }
      if (!text.startsWith(VALUE_HEAD, i)) return undefined;
      i += VALUE_HEAD.length;
      const comma = text.indexOf(",", i);
      if (comma < 0 || !TIMESTAMP.test(text.slice(i, comma)) || text.charCodeAt(comma + 1) !== QUOTE)
        return undefined;
      const valueEnd = text.indexOf('"', comma + 2);
      if (
        valueEnd < 0 ||
        text.charCodeAt(valueEnd + 1) !== CLOSE_BRACKET ||
        text.charCodeAt(valueEnd + 2) !== CLOSE_BRACE
      )
        return undefined;
      if (name !== undefined) byLabel.set(name, text.slice(comma + 2, valueEnd));
      samples++;
      i = valueEnd + 3;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === CLOSE_BRACKET) break;
      return undefined;
    }
  }
  // "]}}" and nothing after it.
  if (
    text.length !== i + 3 ||
    text.charCodeAt(i + 1) !== CLOSE_BRACE ||
    text.charCodeAt(i + 2) !== CLOSE_BRACE
  )
    return undefined;
  return { resultType: "vector", samples, byLabel };
}
