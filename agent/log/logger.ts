/**
 * A small leveled logger. Lines look like the reference agent's (logrus TextFormatter):
 *
 *   time="2026-11-24T20:34:47Z" level=info msg="stats {\"ControlEventReceived\":0,...}"
 *
 * or, with format `json`, `{"time":"2026-11-24T20:34:47Z","level":"info","msg":"..."}`. Each line
 * is one `write()` so lines from concurrent writers never interleave mid-line.
 */
import { LEVEL_LABEL, levelRank, type LogFormat, type LogLevel } from './levels';
import { logfmtValue } from './logfmt';

/** Structured fields written after `msg`, in insertion order. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Anything with a string `write`, e.g. `process.stderr` or a test's collector. */
export interface LogSink {
  write(chunk: string): unknown;
}

export interface LoggerOptions {
  /** Least severe level written. @default 'info' */
  readonly level?: LogLevel;
  /** Line format. @default 'text' */
  readonly format?: LogFormat;
  /** Where lines go. @default process.stderr */
  readonly stream?: LogSink;
  /** Clock, injectable so tests get exact lines. @default () => new Date() */
  readonly now?: () => Date;
  /** Fields added to every line. @default {} */
  readonly fields?: LogFields;
}

export interface Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** True when a line at `level` would be written; guard costly messages with it. */
  isEnabled(level: LogLevel): boolean;
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** A logger writing to the same stream with `fields` added to every line. */
  child(fields: LogFields): Logger;
}

/** One log entry before formatting. */
export interface LogEntry {
  readonly time: Date;
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields?: LogFields;
}

// logrus moves user fields that clash with its own keys to `fields.<key>`; so do we.
const RESERVED = new Set(['time', 'level', 'msg']);

/** RFC 3339 in UTC to the second, as logrus prints it in containers (TZ=UTC). */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function formatTextLine(entry: LogEntry): string {
  let line = `time="${formatTime(entry.time)}" level=${LEVEL_LABEL[entry.level]} msg=${logfmtValue(entry.msg)}`;
  for (const [key, value] of fieldEntries(entry.fields)) line += ` ${key}=${logfmtValue(textOf(value))}`;
  return line;
}

export function formatJsonLine(entry: LogEntry): string {
  const out: Record<string, unknown> = { time: formatTime(entry.time), level: LEVEL_LABEL[entry.level], msg: entry.msg };
  for (const [key, value] of fieldEntries(entry.fields)) out[key] = jsonOf(value);
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'text';
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const minRank = levelRank(level);
  const render = format === 'json' ? formatJsonLine : formatTextLine;

  const log = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (levelRank(lvl) < minRank) return;
    const merged = fields === undefined ? base : { ...base, ...fields };
    stream.write(`${render({ time: now(), level: lvl, msg, fields: merged })}\n`);
  };

  return {
    level,
    format,
    isEnabled: (lvl) => levelRank(lvl) >= minRank,
    trace: (msg, fields) => log('trace', msg, fields),
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    log,
    child: (fields) => createLogger({ level, format, stream, now, fields: { ...base, ...fields } }),
  };
}

function fieldEntries(fields: LogFields | undefined): [string, unknown][] {
  if (fields === undefined) return [];
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [RESERVED.has(k) ? `fields.${k}` : k, v]);
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(jsonOf(value), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function jsonOf(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
