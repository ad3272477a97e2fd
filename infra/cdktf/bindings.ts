/**
 * Options bound to Terraform expressions (variables), so one synthesized configuration serves
 * every value of the variable. The spec only renders plain values; the expressions are found by
 * rendering with stand-ins and reading what changed:
 *
 * - a string option is rendered with a placeholder, and every occurrence of the placeholder in
 *   the objects is replaced by the expression (`"${var.environment}"`);
 * - a two-valued option (a boolean, or an enum bound to a boolean variable) is rendered both ways
 *   (every combination, when several are bound).
 *   Where only scalar leaves differ (the ConfigMap text, a label, a flag) each leaf becomes a
 *   Terraform conditional, cut down to the part of a string that differs. Where the object's
 *   structure differs (a block present in one rendering only) the object is created in both
 *   forms, each with a `count` that the condition switches; an object rendered one way only gets
 *   the matching `count`.
 *
 * Everything the spec decides stays decided by the spec: this file never builds a field itself.
 */
import { Fn, Token, type TerraformVariable } from 'cdktf';
import { objectList, renderAgentObjects, SpecValidationError, type EbpfAgentOptions, type KubeObject } from '../spec';
import { escapeTemplate, hclStringLiteral, mapStrings, unescapeTemplate } from './terraform-strings';

type Json = unknown;
type JsonObject = Record<string, Json>;
type Path = readonly (string | number)[];

/** An option path (`['mirroring', 'allNamespaces']`) set from a string variable. */
export interface StringBinding {
  readonly option: readonly string[];
  readonly variable: TerraformVariable;
}

/** An option path set to `whenTrue` or `whenFalse` by a bool variable. */
export interface ChoiceBinding {
  readonly option: readonly string[];
  readonly variable: TerraformVariable;
  readonly whenTrue: unknown;
  readonly whenFalse: unknown;
}

/** One resource to create: the object (strings are Terraform templates) and, if any, its `count`. */
export interface BoundObject {
  /** Stable id for the resource: the kind, plus the choice when an object has two forms. */
  readonly id: string;
  readonly object: KubeObject;
  readonly count?: number;
}

/** Variable values the spec rejects together, with its messages. */
export interface InvalidCombination {
  readonly when: readonly { readonly variable: TerraformVariable; readonly value: boolean }[];
  readonly issues: readonly string[];
}

export interface BoundObjects {
  readonly objects: readonly BoundObject[];
  /** Combinations of choice values that fail validation: the caller must reject them in Terraform. */
  readonly invalid: readonly InvalidCombination[];
}

/** The text stand-in for string binding `index`: a valid DNS label, image name and env value. */
export function placeholder(index: number): string {
  return `socktap-tfvar-${index}-x`;
}

function setOption(options: EbpfAgentOptions, path: readonly string[], value: unknown): EbpfAgentOptions {
  const [head, ...rest] = path;
  const current = (options as JsonObject)[head];
  const next = rest.length === 0 ? value : setOption((current ?? {}) as EbpfAgentOptions, rest, value);
  return { ...options, [head]: next } as EbpfAgentOptions;
}

function byKind(options: EbpfAgentOptions): Map<string, KubeObject> {
  return new Map(objectList(renderAgentObjects(options)).map((o) => [o.kind, mapStrings(o, escapeTemplate)]));
}

/** The HCL condition a choice tests, e.g. `var.ebpf_run_as_privileged`. */
function conditionText(variable: TerraformVariable): string {
  return `var.${variable.friendlyUniqueId}`;
}

function countFor(choice: ChoiceBinding, when: boolean): number {
  return Token.asNumber(Fn.conditional(choice.variable.booleanValue, when ? 1 : 0, when ? 0 : 1));
}

function isPlainObject(value: Json): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isScalar(value: Json): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Same keys, same list lengths, same scalar types: only leaf values may differ. */
export function sameStructure(a: Json, b: Json): boolean {
  if (isScalar(a) || isScalar(b) || a === null || b === null) return typeof a === typeof b && (a === null) === (b === null);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameStructure(item, b[i]));
  }
  const ka = Object.keys(a as JsonObject);
  const ob = b as JsonObject;
  return ka.length === Object.keys(ob).length && ka.every((k) => k in ob && sameStructure((a as JsonObject)[k], ob[k]));
}

/** Paths of every scalar leaf of `value`. */
function leafPaths(value: Json, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leafPaths(item, [...path, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  return [path];
}

function getPath(value: Json, path: Path): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], value);
}

function setPath(target: Json, path: Path, value: unknown): void {
  const parent = getPath(target, path.slice(0, -1)) as Record<string | number, Json>;
  parent[path[path.length - 1]] = value;
}

const WORD = /[A-Za-z0-9_]/;

/**
 * The common prefix and suffix lengths of several strings, cut back to word boundaries (so
 * `true`/`false` stay whole words) and never inside a `$${` or `%%{` escape.
 */
export function commonAffixes(texts: readonly string[]): { prefix: number; suffix: number } {
  const shortest = Math.min(...texts.map((t) => t.length));
  const first = texts[0];
  let prefix = 0;
  while (prefix < shortest && texts.every((t) => t[prefix] === first[prefix])) prefix++;
  while (prefix > 0 && (WORD.test(first[prefix - 1]) || /[$%]/.test(first[prefix - 1]))) prefix--;
  let suffix = 0;
  const at = (t: string, n: number) => t[t.length - 1 - n];
  while (suffix < shortest - prefix && texts.every((t) => at(t, suffix) === at(first, suffix))) suffix++;
  while (suffix > 0 && (WORD.test(at(first, suffix - 1)) || at(first, suffix - 1) === '{')) suffix--;
  return { prefix, suffix };
}

/** A choice tree over `choices`: leaf `values[bits]`, bit i set when choice i is true. */
type Choose<T> = (bits: number) => T;

function nestedText(choices: readonly ChoiceBinding[], relevant: readonly number[], pick: Choose<string>, bits = 0): string {
  // The middles are already template-escaped and `hclStringLiteral` escapes again: undo once.
  if (relevant.length === 0) return hclStringLiteral(unescapeTemplate(pick(bits)));
  const [i, ...rest] = relevant;
  const branch = (b: number) => (rest.length === 0 ? nestedText(choices, rest, pick, b) : `(${nestedText(choices, rest, pick, b)})`);
  const [whenTrue, whenFalse] = [branch(bits | (1 << i)), branch(bits)];
  // Equal branches come from combinations the spec rejects (see `invalid`): no need to ask.
  return whenTrue === whenFalse ? nestedText(choices, rest, pick, bits) : `${conditionText(choices[i].variable)} ? ${whenTrue} : ${whenFalse}`;
}

function nestedValue(choices: readonly ChoiceBinding[], relevant: readonly number[], pick: Choose<unknown>, bits = 0): unknown {
  if (relevant.length === 0) return pick(bits);
  const [i, ...rest] = relevant;
  const whenTrue = nestedValue(choices, rest, pick, bits | (1 << i));
  const whenFalse = nestedValue(choices, rest, pick, bits);
  if (whenTrue === true && whenFalse === false) return choices[i].variable.booleanValue;
  return Fn.conditional(choices[i].variable.booleanValue, whenTrue, whenFalse);
}

/**
 * The value of one leaf across the renderings `combos` (indexed by choice bits, all with the same
 * structure): literal when it never changes, otherwise a Terraform conditional over the choices
 * that change it.
 */
function leafValue(choices: readonly ChoiceBinding[], combos: ReadonlyMap<number, Json>, path: Path): unknown {
  const bitsList = [...combos.keys()];
  // A combination the spec rejects has no rendering; its value is never used (see `invalid`).
  const at = (bits: number) => getPath(combos.get(bits) ?? combos.get(bitsList[0]), path);
  const base = at(bitsList[0]);
  const relevant = choices
    .map((_, i) => i)
    .filter((i) => bitsList.some((bits) => combos.has(bits ^ (1 << i)) && at(bits) !== at(bits ^ (1 << i))));
  if (relevant.length === 0) return base;
  // Bits of choices that do not matter here are taken from the first rendering.
  const fixed = bitsList[0] & ~relevant.reduce((m, i) => m | (1 << i), 0);
  if (typeof base === 'string') {
    const texts = bitsList.filter((b) => (b & ~relevant.reduce((m, i) => m | (1 << i), 0)) === fixed).map((b) => at(b) as string);
    const { prefix, suffix } = commonAffixes(texts);
    const middle = (bits: number) => {
      const t = at(bits | fixed) as string;
      return t.slice(prefix, t.length - suffix);
    };
    return `${base.slice(0, prefix)}\${${nestedText(choices, relevant, middle)}}${base.slice(base.length - suffix)}`;
  }
  const value = nestedValue(choices, relevant, (bits) => at(bits | fixed));
  return typeof base === 'number' ? Token.asNumber(value) : value;
}

function kebab(kind: string): string {
  return kind.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `-${c.toLowerCase()}`));
}

/**
 * The resources for `options` with `strings` and `choices` bound to Terraform variables. At most
 * one choice may change the structure of any one object (else: an error naming both).
 */
export function renderBoundObjects(
  options: EbpfAgentOptions,
  strings: readonly StringBinding[] = [],
  choices: readonly ChoiceBinding[] = [],
): BoundObjects {
  let base = options;
  strings.forEach((s, i) => (base = setOption(base, s.option, placeholder(i))));
  const renders = new Map<number, Map<string, KubeObject>>();
  const invalid: InvalidCombination[] = [];
  for (let bits = 0; bits < 1 << choices.length; bits++) {
    const combo = choices.reduce((o, c, i) => setOption(o, c.option, bits & (1 << i) ? c.whenTrue : c.whenFalse), base);
    try {
      renders.set(bits, byKind(combo));
    } catch (error) {
      if (!(error instanceof SpecValidationError)) throw error;
      invalid.push({ when: choices.map((c, i) => ({ variable: c.variable, value: Boolean(bits & (1 << i)) })), issues: error.issues });
    }
  }
  // Options invalid whatever the variables say: the spec's own error, as without bindings.
  if (renders.size === 0) throw new SpecValidationError(invalid[0].issues);
  // One token per variable: each `stringValue` call makes a new token, and references.ts finds
  // an object's name by comparing these strings.
  const tokens = strings.map((s) => s.variable.stringValue);
  const kinds = [...new Set([...renders.values()].flatMap((m) => [...m.keys()]))];
  const bound: BoundObject[] = [];
  for (const kind of kinds) {
    const structural = choices
      .map((_, i) => i)
      .filter((i) =>
        [...renders.keys()].some((bits) => {
          const other = renders.get(bits ^ (1 << i));
          if (other === undefined) return false;
          const a = renders.get(bits)!.get(kind);
          const b = other.get(kind);
          return (a === undefined) !== (b === undefined) || (a !== undefined && !sameStructure(a, b));
        }),
      );
    if (structural.length > 1) {
      const names = structural.map((i) => choices[i].variable.friendlyUniqueId).join(' and ');
      throw new Error(`renderBoundObjects: ${names} both change the structure of the ${kind}; bind at most one of them`);
    }
    const split = structural[0];
    const forms = split === undefined ? [undefined] : [false, true];
    for (const form of forms) {
      const combos = new Map<number, Json>();
      for (const [bits, objects] of renders) {
        const object = objects.get(kind);
        if (object === undefined) continue;
        if (split !== undefined && Boolean(bits & (1 << split)) !== form) continue;
        combos.set(bits, object);
      }
      if (combos.size === 0) continue;
      const object = structuredClone(combos.values().next().value) as KubeObject;
      for (const path of leafPaths(object)) setPath(object, path, leafValue(choices, combos, path));
      const name = split === undefined ? undefined : choices[split].variable.friendlyUniqueId;
      bound.push({
        id: form === true ? `${kebab(kind)}-when-${name!.replace(/_/g, '-')}` : kebab(kind),
        object: substitute(object, strings, tokens),
        ...(split === undefined ? {} : { count: countFor(choices[split], form === true) }),
      });
    }
  }
  return { objects: bound, invalid };
}

function substitute(object: KubeObject, strings: readonly StringBinding[], tokens: readonly string[]): KubeObject {
  if (strings.length === 0) return object;
  return replaceStrings(object, (text) => tokens.reduce((acc, token, i) => acc.split(placeholder(i)).join(token), text)) as KubeObject;
}

/** Like `mapStrings`, but keeps tokens (already bound leaves) as they are. */
function replaceStrings(value: Json, fn: (text: string) => string): Json {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, fn));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, fn)]));
  }
  return value;
}
