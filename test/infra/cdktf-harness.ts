/**
 * Test helpers for synthesized CDKTF stacks: a small evaluator for the Terraform expressions the
 * construct writes (variables, conditionals, string literals, resource name references), so a
 * test can ask "what would Terraform apply for these variable values?" without Terraform or a
 * provider download.
 */
import { escapeTemplate } from '../../infra/cdktf';

type Json = unknown;
type Value = string | number | boolean;

export type Variables = Readonly<Record<string, Value>>;

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly vars: Variables,
  ) {}

  /** A template: literal text with `${...}` interpolations. A lone interpolation keeps its type. */
  template(end?: string): Value {
    const parts: Value[] = [];
    let literal = '';
    while (this.pos < this.text.length && (end === undefined || this.text[this.pos] !== end)) {
      if (this.text.startsWith('$${', this.pos) || this.text.startsWith('%%{', this.pos)) {
        literal += this.text[this.pos + 1] + '{';
        this.pos += 3;
      } else if (this.text.startsWith('${', this.pos)) {
        if (literal !== '') parts.push(literal);
        literal = '';
        this.pos += 2;
        parts.push(this.expression());
        this.expect('}');
      } else if (end === '"' && this.text[this.pos] === '\\') {
        literal += JSON.parse(`"${this.text.slice(this.pos, this.pos + 2)}"`);
        this.pos += 2;
      } else {
        literal += this.text[this.pos++];
      }
    }
    if (literal !== '') parts.push(literal);
    if (parts.length === 1 && end === undefined) return parts[0];
    return parts.map(String).join('');
  }

  private expression(): Value {
    const condition = this.or();
    this.skip();
    if (this.text[this.pos] !== '?') return condition;
    this.pos++;
    const whenTrue = this.expression();
    this.expect(':');
    const whenFalse = this.expression();
    if (typeof condition !== 'boolean') throw new Error(`condition must be a bool, got ${JSON.stringify(condition)}`);
    return condition ? whenTrue : whenFalse;
  }

  private or(): Value {
    let value = this.and();
    while (this.skip(), this.text.startsWith('||', this.pos)) {
      this.pos += 2;
      const right = this.and();
      value = value === true || right === true;
    }
    return value;
  }

  private and(): Value {
    let value = this.unary();
    while (this.skip(), this.text.startsWith('&&', this.pos)) {
      this.pos += 2;
      const right = this.unary();
      value = value === true && right === true;
    }
    return value;
  }

  private unary(): Value {
    this.skip();
    if (this.text[this.pos] === '!') {
      this.pos++;
      return !this.unary();
    }
    return this.primary();
  }

  private primary(): Value {
    this.skip();
    const ch = this.text[this.pos];
    if (ch === '(') {
      this.pos++;
      const value = this.expression();
      this.expect(')');
      return value;
    }
    if (ch === '"') {
      this.pos++;
      const value = this.template('"');
      this.expect('"');
      return value;
    }
    const match = /^[A-Za-z0-9_.[\]-]+/.exec(this.text.slice(this.pos));
    if (!match) throw new Error(`unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))}`);
    this.pos += match[0].length;
    const word = match[0];
    if (word === 'true' || word === 'false') return word === 'true';
    if (/^\d+$/.test(word)) return Number(word);
    if (word.startsWith('var.')) {
      const value = this.vars[word.slice(4)];
      if (value === undefined) throw new Error(`no value for ${word}`);
      return value;
    }
    // A resource reference stays an interpolation; kubeObjectsFromSynth resolves names.
    return `\${${word}}`;
  }

  private skip(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private expect(ch: string): void {
    this.skip();
    if (this.text[this.pos] !== ch) throw new Error(`expected ${ch} at ${this.pos} in ${this.text}`);
    this.pos++;
  }
}

/** The value of one Terraform template string for the given variables. */
export function evaluateTemplate(text: string, vars: Variables): Value {
  return new Parser(text, vars).template();
}

function evaluateDeep(value: Json, vars: Variables): Json {
  if (typeof value === 'string') return evaluateTemplate(value, vars);
  if (Array.isArray(value)) return value.map((v) => evaluateDeep(v, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluateDeep(v, vars)]));
  }
  return value;
}

/**
 * The synthesized stack's resources as Terraform would plan them for `vars`: every expression
 * evaluated, resources whose `count` is 0 dropped. Template escapes are kept (`$${`), so the
 * result reads back with `kubeObjectsFromSynth` like any synthesized stack.
 */
export function planResources(synth: string, vars: Variables): { resource: Record<string, Record<string, Record<string, unknown>>> } {
  const parsed = JSON.parse(synth) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [type, byName] of Object.entries(parsed.resource)) {
    for (const [name, config] of Object.entries(byName)) {
      const evaluated = evaluateDeep(config, vars) as Record<string, unknown>;
      if (evaluated.count === 0) continue;
      delete evaluated.count;
      // Evaluation turned escapes into text; escape again so read-back treats it as a template.
      (resource[type] ??= {})[name] = reescape(evaluated) as Record<string, unknown>;
    }
  }
  return { resource };
}

function reescape(value: Json): Json {
  if (typeof value === 'string') {
    const reference = /^\$\{[a-z0-9_]+\.[A-Za-z0-9_-]+\.metadata\[0\]\.name\}$/.test(value);
    return reference ? value : escapeTemplate(value);
  }
  if (Array.isArray(value)) return value.map(reescape);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reescape(v)]));
  return value;
}

/** Variable validations of a synthesized stack that fail for `vars`, by variable name. */
export function failingValidations(synth: string, vars: Variables): string[] {
  const parsed = JSON.parse(synth) as { variable?: Record<string, { validation?: { condition: string }[] }> };
  return Object.entries(parsed.variable ?? {}).flatMap(([name, v]) =>
    (v.validation ?? []).filter((check) => evaluateTemplate(check.condition, vars) === false).map(() => name),
  );
}
