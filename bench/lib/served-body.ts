/**
 * What nginx serves in the benchmarks that take `--body-bytes` and `--sendfile`: the size of its
 * generated JSON file, and whether the body goes out by sendfile. With sendfile on (nginx's
 * default) the body goes from the page cache to the socket inside the kernel and never passes
 * through nginx's user memory, so the agent captures heads only; off, nginx copies it through
 * `writev` and every record carries its body. Decided here once for every harness, with the
 * section and results name a bodies run writes to, so both kinds of run can be published.
 */
import { choiceFlag, intFlag } from './args';

export interface ServedBody {
  readonly bodyBytes: number;
  readonly sendfile: boolean;
}

/** The pipeline benchmark's file: 600 bytes, by sendfile. */
export const DEFAULT_SERVED_BODY: ServedBody = { bodyBytes: 600, sendfile: true };

/** The generated file cannot be smaller than its JSON frame. */
const MIN_BODY_BYTES = 64;

/** Flag names, for parseFlags. */
export const SERVED_BODY_FLAGS = ['body-bytes', 'sendfile'] as const;

/** Usage lines for the two flags. */
export const SERVED_BODY_USAGE = `  --body-bytes N    size of the JSON file nginx serves                         [${DEFAULT_SERVED_BODY.bodyBytes}]
  --sendfile on|off nginx sendfile: on, the body never reaches nginx's user memory,
                    so the agent sees heads only; off, every body is captured,
                    parsed and exported                                        [on]`;

export function servedBody(values: Record<string, unknown>): ServedBody {
  return {
    bodyBytes: intFlag(values, 'body-bytes', DEFAULT_SERVED_BODY.bodyBytes, MIN_BODY_BYTES, 16 << 20),
    sendfile: choiceFlag(values, 'sendfile', 'on', ['on', 'off']) === 'on',
  };
}

/** `--body-bytes N --sendfile on|off`, for a rerun command. */
export function servedBodyArgs(b: ServedBody): string {
  return `--body-bytes ${b.bodyBytes} --sendfile ${b.sendfile ? 'on' : 'off'}`;
}

/** The docs section (and results file name) of a run: `<base>-bodies` when bodies are captured. */
export function servedBodySection(base: string, b: ServedBody): string {
  return b.sendfile ? base : `${base}-bodies`;
}

/** What a section's title adds for a bodies run: nothing with sendfile on. */
export function servedBodyTitle(b: ServedBody): string {
  return b.sendfile ? '' : `, with bodies (${b.bodyBytes}-byte JSON through user memory)`;
}

/** How the served file reaches the socket, for a section's method text. */
export function servedBodyText(b: ServedBody): string {
  return b.sendfile
    ? `a ${b.bodyBytes}-byte JSON file (sendfile on: the body goes from the file to the socket inside the kernel, so the agent captures heads only)`
    : `a ${b.bodyBytes}-byte JSON file with sendfile off, so the body passes through nginx's user memory and the agent captures, parses and exports it with the head`;
}
