/**
 * The HAR file's byte layout, chosen so the file is a complete HAR document between any two
 * writes and can be repaired after a kill in the middle of one:
 *
 *     {"log":{"version":"1.2","creator":{...},"pages":[],"entries":[      <- head, one line
 *     {entry 1}                                                           <- one entry per line,
 *     ,{entry 2}                                                             commas leading
 *     ]}}                                                                 <- tail
 *
 * Each batch is one positional write at the tail's offset: its entry lines, then the tail again.
 * The tail starts with `\n` and so does every batch after the first (`\n,{entry}`), so a write
 * torn after any number of bytes never touches the line before it: whole lines stay whole.
 * JSON.stringify never emits a raw newline, so every entry is exactly one line, and `recoverHar`
 * can cut a torn file back to its last whole entry.
 */

import type { HarEntry } from './har-entry';

export const HAR_TAIL = '\n]}}\n';

export interface HarCreator {
  name: string;
  version: string;
}

/** Everything before the first entry: the head line, newline included. */
export function harHead(creator: HarCreator): string {
  const head = JSON.stringify({ log: { version: '1.2', creator, pages: [], entries: [] } });
  // Cut just inside the entries array, which is the last member.
  return `${head.slice(0, -3)}\n`;
}

/** Every entry line starts so (harEntry's first field); a torn line that happens to parse does not. */
const ENTRY_START = '{"startedDateTime":';

/** The bytes one batch writes at the tail's offset (`text`), and those of them before the tail. */
export function batchText(entries: readonly HarEntry[], first: boolean): { text: string; entriesText: string } {
  const entriesText = (first ? '' : '\n,') + entries.map((e) => JSON.stringify(e)).join('\n,');
  return { text: entriesText + HAR_TAIL, entriesText };
}

/**
 * A HAR file cut short (the agent killed during a write, the disk full) back to a valid document:
 * the head, then every entry line that parses, up to the first that does not, then the tail.
 * Returns undefined when not even the head line is intact.
 */
export function recoverHar(text: string): string | undefined {
  const lines = text.split('\n');
  const head = lines[0];
  if (!head.startsWith('{"log":') || !head.endsWith('"entries":[')) return undefined;
  const entries: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].startsWith(',') ? lines[i].slice(1) : lines[i];
    if (!line.startsWith(ENTRY_START) || !parses(line)) break;
    entries.push(line);
  }
  return `${head}\n${entries.join('\n,')}${HAR_TAIL}`;
}

function parses(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
