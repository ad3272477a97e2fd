/**
 * Output helpers: aligned text tables for the terminal, Markdown tables, and rewriting one
 * generated section of a shared Markdown file (docs/benchmarks.md holds one section per
 * benchmark, each between its own markers, so a rerun replaces only its own section).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Columns padded to their widest cell; numbers (and the headers above them) right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^[-+\d.,%x ]+$|^-$/.test(r[c] ?? '')));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export const startMarker = (name: string) => `<!-- ${name}:start -->`;
export const endMarker = (name: string) => `<!-- ${name}:end -->`;

/**
 * Returns `doc` with the text between the `name` markers replaced by `section` (markers kept).
 * Without markers, the section is appended. Throws when the markers are unbalanced, rather
 * than guess and eat someone else's text.
 */
export function replaceSection(doc: string, name: string, section: string): string {
  const start = startMarker(name);
  const end = endMarker(name);
  const block = `${start}\n${section.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 && j < 0) return `${doc.trimEnd()}${doc.trim() ? '\n\n' : ''}${block}\n`;
  if (i < 0 || j < i || doc.indexOf(start, i + 1) >= 0) {
    throw new Error(`the ${name} markers must appear once each, start before end, in the document`);
  }
  return doc.slice(0, i) + block + doc.slice(j + end.length);
}

/** Writes `section` into the Markdown file at `file`, creating it with `title` when missing. */
export function writeSection(file: string, title: string, name: string, section: string): void {
  const doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `${title}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, replaceSection(doc, name, section));
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Writes `svg` beside the results file (`x.json` -> `x.svg`) and returns the Markdown image that
 * shows it from the document at `docs`.
 */
export function writeChart(resultsJson: string, docs: string, svg: string, alt: string): string {
  const file = resultsJson.replace(/\.json$/, '') + '.svg';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, svg);
  return `![${alt}](${path.relative(path.dirname(docs), file).split(path.sep).join('/')})`;
}
