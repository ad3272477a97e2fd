/**
 * Terraform reads every string attribute as a template: `${` starts an interpolation and `%{` a
 * directive. Rendered manifests are literal text, so they are escaped before any Terraform
 * expression is spliced in (escaping afterwards would break the expressions).
 */

/** Literal text as a Terraform template: `${` -> `$${`, `%{` -> `%%{`. */
export function escapeTemplate(text: string): string {
  // Function replacements: in a replacement string `$$` would mean a single `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** The inverse of `escapeTemplate`, for reading synthesized configuration back. */
export function unescapeTemplate(text: string): string {
  return text.replace(/\$\$\{/g, () => '${').replace(/%%\{/g, () => '%{');
}

/**
 * A quoted HCL string literal for use inside an interpolation (`"a\"b"`). JSON's escapes are
 * HCL's for `"`, `\` and control characters; template sequences are escaped as in any string.
 */
export function hclStringLiteral(text: string): string {
  return escapeTemplate(JSON.stringify(text));
}

/** A deep copy of plain JSON with `fn` applied to every string (map keys stay as they are). */
export function mapStrings<T>(value: T, fn: (text: string) => string): T {
  if (typeof value === 'string') return fn(value) as T;
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)])) as T;
  }
  return value;
}
