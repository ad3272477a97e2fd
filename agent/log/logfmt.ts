/**
 * logfmt encoding with logrus' TextFormatter rules, so our lines parse with the same tools as the
 * reference agent's: a value is bare when it holds only `A-Za-z0-9-._/@^+`, otherwise it is quoted
 * the way Go's `%q` does (`"` and `\` escaped, control characters as escapes).
 */

const BARE = /^[A-Za-z0-9\-._/@^+]+$/;

/** Quotes `value` when logrus would; an empty value is quoted too, so `msg=""` stays parseable. */
export function logfmtValue(value: string): string {
  return BARE.test(value) ? value : quote(value);
}

/** Go `strconv.Quote`-style quoting: printable text kept as is, everything else escaped. */
export function quote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
        // C1 controls, line/paragraph separators and lone surrogates would break a line-based reader.
        else if ((cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 || (cp >= 0xd800 && cp <= 0xdfff)) {
          out += `\\u${hex(cp, 4)}`;
        } else out += ch;
    }
  }
  return out + '"';
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
