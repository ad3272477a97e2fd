/** Reads a YAML config file, keeping the document so problems can be reported with their line. */
import fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from './issues';
import { show } from './fields';
import { isPlainObject } from './layers';

export interface YamlConfigFile {
  readonly file: string;
  readonly value: Record<string, unknown>;
  /** The 1-based line of the key (or item) at `path`, or of its closest present parent. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export function readYamlConfig(file: string): YamlConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError([{ path: '', problem: `config file ${file} cannot be read: ${reason}` }], { cause: err });
  }
  return parseYamlConfig(text, file);
}

export function parseYamlConfig(text: string, file: string): YamlConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    const reason = syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError([{ path: '', problem: `YAML syntax error: ${reason}`, origin: { label: `file ${file} line ${line}, column ${col}` } }]);
  }
  const value: unknown = doc.toJS();
  if (value !== null && value !== undefined && !isPlainObject(value)) {
    const line = doc.contents?.range === undefined ? 1 : lineCounter.linePos(doc.contents.range[0]).line;
    throw new ConfigError([{ path: '', problem: `the configuration must be a mapping of configuration keys, got ${show(value)}`, origin: { label: `file ${file} line ${line}` } }]);
  }
  return {
    file,
    value: (value ?? {}) as Record<string, unknown>,
    lineOf: (path) => lineOf(doc, lineCounter, path),
  };
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let mark: Node | undefined = isNode(node) ? node : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      if (isNode(pair.key)) mark = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (!isNode(node)) break;
      mark = node;
    } else break;
  }
  return mark?.range === undefined || mark.range === null ? undefined : counter.linePos(mark.range[0]).line;
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value);
}
