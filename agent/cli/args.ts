/** Argument helpers: one error form for bad input, naming the flag and the expected form. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SocktapError } from '../util/errors';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: false; strict: true }>>;

export function parse<T extends Options>(argv: string[], options: T, command: string): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new SocktapError('SOCKTAP_USAGE', `${(err as Error).message}. See \`socktap ${command} --help\`.`);
  }
}

type ParsedWithPositionals<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** As `parse`, for commands that take operands (file names) after their flags. */
export function parseWithOperands<T extends Options>(argv: string[], options: T, command: string): ParsedWithPositionals<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new SocktapError('SOCKTAP_USAGE', `${(err as Error).message}. See \`socktap ${command} --help\`.`);
  }
}

export function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new SocktapError('SOCKTAP_USAGE', `--${flag} must be a positive number, got '${value}'`);
  return n;
}

/** The standalone selectors every capturing command takes; one of them is required. */
export function targetsFromFlags(values: { pid?: string[]; all?: boolean }): { pids: number[]; all: boolean } {
  const targets = { pids: pids(values.pid), all: values.all === true };
  if (!targets.all && targets.pids.length === 0) {
    throw new SocktapError('SOCKTAP_USAGE', 'choose what to capture with --pid PID or --all');
  }
  return targets;
}

export function pids(values: string[] | undefined): number[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new SocktapError('SOCKTAP_USAGE', `--pid must be a process id, got '${v}'`);
    return n;
  });
}
