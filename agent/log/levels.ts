/**
 * Log levels and formats: the one list both the logger and the config schema use, so a level the
 * config accepts is always a level the logger knows. Free of Node imports (infra/ renders configs).
 */

/** Levels from most to least verbose; a logger at level L writes L and everything after it. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `text`: logfmt lines as the reference agent (logrus) writes them; `json`: one object per line. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The level as written in a line. `warn` is written `warning` because that is how logrus (the
 * reference agent's logger) names it, and log pipelines built for the reference match on it.
 */
export const LEVEL_LABEL: Readonly<Record<LogLevel, string>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
};

export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}
