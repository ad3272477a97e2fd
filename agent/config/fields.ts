/**
 * Field builders for the config schema. Every invalid value yields one message form,
 * "must be <form>, got <value>"; the loader puts the key's path in front. Free of Node imports:
 * infra/ imports the schema to render ConfigMaps.
 */
import { z } from 'zod';
import { parseDuration, formatDuration } from './duration';

/** Zod params whose message is "must be <form>, got <input>", for the type and every check. */
export function must(form: string): { error: (issue: { readonly input?: unknown }) => string } {
  return { error: (issue) => `must be ${form}, got ${show(issue.input)}` };
}

/** A value as it appears in messages: strings quoted, long values cut. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function bool(): z.ZodBoolean {
  return z.boolean(must('true or false'));
}

export function intIn(lo: number, hi: number, form = `an integer from ${lo} to ${hi}`): z.ZodNumber {
  return z.int(must(form)).min(lo, must(form)).max(hi, must(form));
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, must(`one of ${values.join(', ')}`));
}

export function absolutePath(form = 'an absolute path', maxBytes = 4095) {
  return z.string(must(form)).refine((v) => v.startsWith('/') && utf8Bytes(v) <= maxBytes && !v.includes('\0'), must(form));
}

/** A power of two in [lo, hi]. */
export function powerOfTwo(lo: number, hi: number, unit: string) {
  const form = `a power of two from ${lo} to ${hi} (${unit})`;
  return z.int(must(form)).refine((v) => v >= lo && v <= hi && (v & (v - 1)) === 0, must(form));
}

/** RFC 9110 token: what a header name may contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_FORM = "an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)";

export function headerName() {
  return z.string(must(HEADER_FORM)).regex(TOKEN, must(HEADER_FORM));
}

/** Header name -> value; values may not hold CR, LF or NUL (they would split the header). */
export function headerMap() {
  const form = 'a mapping of HTTP header names to values';
  return z.record(headerName(), z.string(must('a header value without CR, LF or NUL')).regex(/^[^\r\n\0]*$/, must('a header value without CR, LF or NUL')), must(form));
}

export function httpUrl(example: string) {
  const form = `a URL like ${example}`;
  return z.string(must(form)).refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, must(form));
}

/** `host:port` with an explicit host, so the metrics endpoint never binds everywhere by accident. */
export function hostPort(example: string) {
  const form = `host:port like ${example}`;
  return z.string(must(form)).refine((v) => {
    const m = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-_]+):(\d{1,5})$/.exec(v);
    return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 65535;
  }, must(form));
}

/**
 * A duration (`60s`, `1m`, `1m30s`, `500ms`) or a number of seconds, parsed to milliseconds.
 * Bounds are in milliseconds.
 */
export function duration(loMs: number, hiMs: number) {
  const form = `a duration like 60s, 1m or 1m30s (from ${formatDuration(loMs)} to ${formatDuration(hiMs)})`;
  const { error } = must(form);
  return z.union([z.string(), z.number()], must(form)).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms < loMs || ms > hiMs) {
      ctx.addIssue({ code: 'custom', input: value, message: error({ input: value }) });
      return z.NEVER;
    }
    return ms;
  });
}

/** Process name as the kernel keeps it: TASK_COMM_LEN is 16 bytes with the NUL, so a longer name never matches. */
export function comm() {
  const form = 'a process name of 1 to 15 bytes (the kernel keeps 15)';
  return z.string(must(form)).refine((v) => v.length > 0 && utf8Bytes(v) <= 15, must(form));
}

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A Kubernetes label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function k8sKey() {
  const form = 'a Kubernetes label or annotation key like example.com/name';
  return z.string(must(form)).refine((v) => {
    const slash = v.lastIndexOf('/');
    const prefix = slash < 0 ? '' : v.slice(0, slash);
    const name = slash < 0 ? v : v.slice(slash + 1);
    const nameOk = name.length >= 1 && name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
    const prefixOk = slash < 0 || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix));
    return nameOk && prefixOk;
  }, must(form));
}
