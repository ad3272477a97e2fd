/**
 * Reads the config schema's structure, so the environment mapping and the "did you mean" lists
 * are derived from the one schema instead of kept beside it.
 */
import type { z } from 'zod';

/** How an environment string becomes a value for a leaf. */
export type LeafKind = 'boolean' | 'number' | 'string' | 'scalar' | 'map' | `list:${'boolean' | 'number' | 'string' | 'scalar'}`;

export interface Leaf {
  readonly path: readonly string[];
  readonly kind: LeafKind;
}

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly element?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

function defOf(schema: z.ZodType): Def {
  let def = schema._zod.def as unknown as Def;
  for (;;) {
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) def = def.innerType._zod.def as unknown as Def;
    else if (def.type === 'pipe' && def.in !== undefined) def = def.in._zod.def as unknown as Def;
    else return def;
  }
}

/** The keys of the object at `path`, or undefined when there is no object there. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let def = defOf(schema);
  for (const segment of path) {
    const next = def.type === 'object' ? def.shape?.[String(segment)] : undefined;
    if (next === undefined) return undefined;
    def = defOf(next);
  }
  return def.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : undefined;
}

/** Every non-object value of the schema with its path, in declaration order. */
export function leaves(schema: z.ZodType, path: readonly string[] = []): Leaf[] {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape !== undefined) {
    return Object.entries(def.shape).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  if (def.type === 'array' && def.element !== undefined) {
    const element = scalarKind(defOf(def.element));
    return [{ path, kind: `list:${element}` }];
  }
  if (def.type === 'record') return [{ path, kind: 'map' }];
  return [{ path, kind: scalarKind(def) }];
}

function scalarKind(def: Def): 'boolean' | 'number' | 'string' | 'scalar' {
  switch (def.type) {
    case 'boolean': return 'boolean';
    case 'number': return 'number';
    case 'string':
    case 'enum': return 'string';
    default: return 'scalar';
  }
}
