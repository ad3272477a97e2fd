/**
 * The periodic stats lines, byte for byte in the reference agent's form so dashboards and greps
 * written for it keep working:
 *
 *   msg="stats {\"ControlEventReceived\":0,\"DataEventReceived\":0,...}"
 *   msg="probe stat {\"read\":[224247,224209],\"recvfrom\":[2387,2384],...}"
 *
 * The reference marshals a Go struct (fields in declaration order) and a Go map (keys sorted), so
 * counters keep the order below and probes are sorted by name.
 */
import type { Logger } from './logger';

/** Counter names in the reference agent's order. Do not reorder: the line's byte form depends on it. */
export const STAT_NAMES = [
  'ControlEventReceived',
  'DataEventReceived',
  'TotalRequestsParsed',
  'ReqParsingErrors',
  'ResParsingErrors',
  'EventLost',
  'TotalRequestsSent',
  'TotalEventsDroppedAtEventQueueLimit',
  'TotalEventsDroppedAtParsing',
] as const;

export type StatName = (typeof STAT_NAMES)[number];

/** Every counter, as a number or (for counters that outgrow 2^53) a bigint. */
export type StatCounters = Readonly<Record<StatName, number | bigint>>;

/** Per-probe [entry, exit] counts, keyed by syscall or function name. */
export type ProbeCounts =
  | Readonly<Record<string, readonly [entry: number | bigint, exit: number | bigint]>>
  | ReadonlyMap<string, readonly [entry: number | bigint, exit: number | bigint]>;

/** `stats {"ControlEventReceived":0,...}`: the message of the stats line. */
export function formatStatsMessage(stats: StatCounters): string {
  return `stats {${STAT_NAMES.map((name) => `"${name}":${count(stats[name], name)}`).join(',')}}`;
}

/** `probe stat {"read":[entry,exit],...}`: the message of the probe line, names sorted. */
export function formatProbeStatsMessage(probes: ProbeCounts): string {
  const entries = probes instanceof Map ? [...probes.entries()] : Object.entries(probes);
  // Go sorts map keys by bytes; for the ASCII names of probes that is code-unit order.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = entries.map(([name, [entry, exit]]) => `${JSON.stringify(name)}:[${count(entry, name)},${count(exit, name)}]`);
  return `probe stat {${body.join(',')}}`;
}

/** Writes the stats line, then the probe line when probe counts are given. */
export function logStats(logger: Logger, stats: StatCounters, probes?: ProbeCounts): void {
  logger.info(formatStatsMessage(stats));
  if (probes !== undefined) logger.info(formatProbeStatsMessage(probes));
}

function count(value: number | bigint, name: string): string {
  if (typeof value === 'bigint' ? value < 0n : !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`counter ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value.toString();
}
