/**
 * Escaping for the self-contained HTML pages the toolkit writes (`plot`, the `up` dashboard): text in
 * markup, code and JSON inlined in a `<script>` element.
 */

/** Escapes text for element content and double-quoted attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Makes script source safe inside `<script>...</script>` (no early `</script`). */
export const inlineScript = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1");

/**
 * JSON for a `<script>` element: every `<` becomes `\u003c` (so neither `</script` nor `<!--` can appear)
 * and U+2028/U+2029 are escaped; the result is still valid JSON and a valid JavaScript expression.
 */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
