/**
 * Turns schema issues into one ConfigError whose message names every bad key by its path, what it
 * must be, what it was, and where it came from (file and line, environment variable, flag).
 */
import type { z } from 'zod';
import { SocktapError } from '../util/errors';
import { closest } from './suggest';
import { keysAt } from './walk';

/** Where a value came from, e.g. `{ label: 'file agent.yaml line 3' }` or `{ label: 'env SOCKTAP_MODE' }`. */
export interface ConfigOrigin {
  readonly label: string;
}

/** One problem with one key. */
export interface ConfigIssue {
  /** The key's path, e.g. `exporters.otlp.endpoint` or `redact_headers[2]`; empty for the whole config. */
  readonly path: string;
  /** The problem without its origin, e.g. `mode must be one of all, ingress, egress, got "both"`. */
  readonly problem: string;
  readonly origin?: ConfigOrigin;
}

export class ConfigError extends SocktapError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const lines = issues.map(formatIssue);
    const message =
      lines.length === 1 ? `invalid configuration: ${lines[0]}` : `invalid configuration (${lines.length} problems):\n${lines.map((l) => `  - ${l}`).join('\n')}`;
    super('SOCKTAP_CONFIG', message, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.origin === undefined ? issue.problem : `${issue.problem} (${issue.origin.label})`;
}

/** `['exporters', 'otlp', 'endpoint']` -> `exporters.otlp.endpoint`; indexes as `[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Maps a path to the origin of the value there (the longest set prefix decides). */
export type Locate = (path: readonly PropertyKey[]) => ConfigOrigin | undefined;

export function toConfigError(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], locate: Locate): ConfigError {
  return new ConfigError(issues.flatMap((issue) => describeIssue(schema, issue, locate)));
}

function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue, locate: Locate): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path) ?? [];
    const where = issue.path.length === 0 ? 'top level' : formatPath(issue.path);
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      const hint = guess !== undefined ? `did you mean "${guess}"?` : `expected one of ${known.join(', ')}`;
      return { path: formatPath([...issue.path, key]), problem: `unknown key "${key}" at ${where} (${hint})`, origin: locate([...issue.path, key]) };
    });
  }
  const path = formatPath(issue.path);
  return [{ path, problem: `${path === '' ? 'the configuration' : path} ${issue.message}`, origin: locate(issue.path) }];
}
