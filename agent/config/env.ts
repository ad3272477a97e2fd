/**
 * Environment overrides. Every key of the config has one variable, derived from the schema:
 *
 *   SOCKTAP_ + the key's path in upper case, nested keys joined by `__`
 *   log_level                 -> SOCKTAP_LOG_LEVEL=debug
 *   max_body_bytes            -> SOCKTAP_MAX_BODY_BYTES=4096
 *   stats_interval            -> SOCKTAP_STATS_INTERVAL=30s
 *   exporters.otlp.endpoint   -> SOCKTAP_EXPORTERS__OTLP__ENDPOINT=http://collector:4318
 *   redact_headers (list)     -> SOCKTAP_REDACT_HEADERS=Authorization,Cookie   (comma-separated)
 *   targets.pids (list)       -> SOCKTAP_TARGETS__PIDS=1234,5678
 *   exporters.otlp.headers    -> SOCKTAP_EXPORTERS__OTLP__HEADERS=x-api-key=abc,x-tenant=t1
 *
 * `__` separates levels because keys themselves contain `_`. Booleans are `true`/`false` (or
 * `1`/`0`). An empty variable is ignored, as shells leave `FOO=` behind. Values that do not convert
 * are passed on as strings so the schema reports them with the variable's name.
 */
import type { z } from 'zod';
import { closest } from './suggest';
import { leaves, type Leaf, type LeafKind } from './walk';

export const ENV_PREFIX = 'SOCKTAP_';

export interface EnvVar {
  /** e.g. `SOCKTAP_EXPORTERS__OTLP__ENDPOINT` */
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: LeafKind;
}

/** Every configuration variable, in schema order (for help text and docs). */
export function configEnvVars(schema: z.ZodType): EnvVar[] {
  return leaves(schema).map((leaf: Leaf) => ({ name: envName(leaf.path), path: leaf.path, kind: leaf.kind }));
}

export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.toUpperCase()).join('__');
}

export interface EnvLayer {
  /** The overrides, nested like the config file. */
  readonly value: Record<string, unknown>;
  /** Variables used, with the path each one set. */
  readonly used: readonly EnvVar[];
  /** SOCKTAP_* variables that look like misspelled configuration variables. */
  readonly notices: readonly string[];
}

export function envLayer(schema: z.ZodType, env: NodeJS.ProcessEnv): EnvLayer {
  const vars = configEnvVars(schema);
  const byName = new Map(vars.map((v) => [v.name, v]));
  const value: Record<string, unknown> = {};
  const used: EnvVar[] = [];
  const notices: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const v = byName.get(name);
    if (v === undefined) {
      // Other SOCKTAP_* variables exist (e.g. SOCKTAP_LIBBPF_DEBUG), so only likely typos are reported.
      const guess = closest(name.slice(ENV_PREFIX.length), vars.map((x) => x.name.slice(ENV_PREFIX.length)));
      if (guess !== undefined) notices.push(`${name} is not a configuration variable (did you mean ${ENV_PREFIX}${guess}?)`);
      continue;
    }
    if (raw.trim() === '') continue;
    setIn(value, v.path, convert(raw, v.kind));
    used.push(v);
  }
  return { value, used, notices };
}

function convert(raw: string, kind: LeafKind): unknown {
  if (kind.startsWith('list:')) {
    const element = kind.slice('list:'.length) as LeafKind;
    return raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => convert(s, element));
  }
  const text = raw.trim();
  switch (kind) {
    case 'boolean':
      if (/^(true|1)$/i.test(text)) return true;
      if (/^(false|0)$/i.test(text)) return false;
      return text;
    case 'number':
    case 'scalar':
      return /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    case 'map': {
      const pairs = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (!pairs.every((p) => p.indexOf('=') > 0)) return text;
      return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]));
    }
    default:
      return text;
  }
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.slice(0, -1).forEach((key) => {
    const next = node[key];
    node = (next !== null && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
  });
  node[path[path.length - 1] as string] = value;
}
