/** Log lines: logrus-compatible logfmt and JSON, escaping, level filter, and the reference's stats lines. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, formatTime, type LoggerOptions } from '../../agent/log/logger';
import { logfmtValue, quote } from '../../agent/log/logfmt';
import { LOG_LEVELS } from '../../agent/log/levels';
import { formatProbeStatsMessage, formatStatsMessage, logStats, STAT_NAMES, type StatCounters } from '../../agent/log/stats-line';

const T = new Date('2026-11-24T20:34:47.123Z');

function capture(options: Omit<LoggerOptions, 'stream' | 'now'> = {}) {
  const chunks: string[] = [];
  const logger = createLogger({ ...options, now: () => T, stream: { write: (c: string) => chunks.push(c) } });
  return { logger, chunks, lines: () => chunks.join('').split('\n').slice(0, -1) };
}

const ZERO: StatCounters = Object.fromEntries(STAT_NAMES.map((n) => [n, 0])) as StatCounters;

describe('text lines', () => {
  test('time, level and quoted msg, as the reference agent writes them', () => {
    const { logger, chunks } = capture();
    logger.info('Added pod to maps. {"Name":"web-1","Enabled":true,"Mode":0}');
    assert.deepEqual(chunks, ['time="2026-11-24T20:34:47Z" level=info msg="Added pod to maps. {\\"Name\\":\\"web-1\\",\\"Enabled\\":true,\\"Mode\\":0}"\n']);
  });

  test('a bare-safe msg is not quoted, an empty one is', () => {
    const { logger, lines } = capture();
    logger.info('started');
    logger.info('');
    assert.deepEqual(lines(), ['time="2026-11-24T20:34:47Z" level=info msg=started', 'time="2026-11-24T20:34:47Z" level=info msg=""']);
  });

  test('escaping: quotes, backslashes, newlines, tabs, control characters; unicode kept', () => {
    assert.equal(quote('a "b" \\c\nd\te\rf'), '"a \\"b\\" \\\\c\\nd\\te\\rf"');
    assert.equal(quote('\x00\x1b\x7f'), '"\\x00\\x1b\\x7f"');
    assert.equal(quote('\u0085\u2028'), '"\\u0085\\u2028"');
    assert.equal(quote('héllo ✓ 😀'), '"héllo ✓ 😀"');
    assert.equal(quote('\ud800'), '"\\ud800"');
    for (const bare of ['abc', 'a-b.c_d/e@f^g+h', '127.0.0.1', '42']) assert.equal(logfmtValue(bare), bare);
    for (const quoted of ['a b', 'a=b', 'a:b', '"', '']) assert.equal(logfmtValue(quoted), quote(quoted));
  });

  test('a multi-line msg stays on one line', () => {
    const { logger, chunks } = capture();
    logger.error('first\nsecond');
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0], 'time="2026-11-24T20:34:47Z" level=error msg="first\\nsecond"\n');
  });

  test('fields follow msg in order; errors give their message; reserved names are moved', () => {
    const { logger, lines } = capture();
    logger.warn('sink down', { sink: 'uds', retry_ms: 500, path: '/var/log/sock/eve.json', error: new Error('connect ENOENT x'), ok: false, n: 10n, obj: { a: 1 }, skip: undefined, msg: 'x' });
    assert.deepEqual(lines(), [
      'time="2026-11-24T20:34:47Z" level=warning msg="sink down" sink=uds retry_ms=500 path=/var/log/sock/eve.json error="connect ENOENT x" ok=false n=10 obj="{\\"a\\":1}" fields.msg=x',
    ]);
  });

  test('each level has its label; warn is written "warning" as logrus does', () => {
    const { logger, lines } = capture({ level: 'trace' });
    for (const level of LOG_LEVELS) logger.log(level, 'x');
    assert.deepEqual(lines().map((l) => /level=(\w+)/.exec(l)?.[1]), ['trace', 'debug', 'info', 'warning', 'error']);
  });

  test('time is UTC to the second', () => {
    assert.equal(formatTime(new Date('2026-01-02T03:04:05.999Z')), '2026-01-02T03:04:05Z');
  });
});

describe('level filter', () => {
  test('lines below the level are dropped', () => {
    for (const [i, level] of LOG_LEVELS.entries()) {
      const { logger, lines } = capture({ level });
      logger.trace('t');
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      assert.deepEqual(lines().map((l) => l.slice(-1)), ['t', 'd', 'i', 'w', 'e'].slice(i), level);
      assert.deepEqual(LOG_LEVELS.map((l) => logger.isEnabled(l)), LOG_LEVELS.map((_, j) => j >= i));
    }
  });

  test('the default level is info and the default format text', () => {
    const { logger, lines } = capture();
    logger.debug('hidden');
    logger.info('shown');
    assert.equal(logger.level, 'info');
    assert.equal(logger.format, 'text');
    assert.deepEqual(lines(), ['time="2026-11-24T20:34:47Z" level=info msg=shown']);
  });
});

describe('JSON lines', () => {
  test('time, level, msg, then fields', () => {
    const { logger, chunks } = capture({ format: 'json' });
    logger.info('stats {"EventLost":0}', { node: 'n1', error: new Error('boom'), big: 2n ** 64n, time: 'x' });
    assert.deepEqual(chunks, [
      '{"time":"2026-11-24T20:34:47Z","level":"info","msg":"stats {\\"EventLost\\":0}","node":"n1","error":"boom","big":"18446744073709551616","fields.time":"x"}\n',
    ]);
    assert.deepEqual(JSON.parse(chunks[0] as string).msg, 'stats {"EventLost":0}');
  });

  test('level filter and the warning label apply too', () => {
    const { logger, lines } = capture({ format: 'json', level: 'warn' });
    logger.info('no');
    logger.warn('yes');
    assert.deepEqual(lines(), ['{"time":"2026-11-24T20:34:47Z","level":"warning","msg":"yes"}']);
  });
});

describe('child loggers', () => {
  test('carry their fields on every line and share level and stream', () => {
    const { logger, lines } = capture({ level: 'warn', fields: { node: 'n1' } });
    const child = logger.child({ component: 'k8s' });
    child.info('hidden');
    child.warn('watch restarted', { kind: 'pods' });
    logger.warn('parent');
    assert.deepEqual(lines(), [
      'time="2026-11-24T20:34:47Z" level=warning msg="watch restarted" node=n1 component=k8s kind=pods',
      'time="2026-11-24T20:34:47Z" level=warning msg=parent node=n1',
    ]);
  });
});

describe('stats lines', () => {
  test("the stats line is the reference's, counters in its order", () => {
    const { logger, lines } = capture();
    logStats(logger, { ...ZERO, DataEventReceived: 12, TotalRequestsParsed: 5, EventLost: 2n });
    assert.deepEqual(lines(), [
      'time="2026-11-24T20:34:47Z" level=info msg="stats {' +
        '\\"ControlEventReceived\\":0,\\"DataEventReceived\\":12,\\"TotalRequestsParsed\\":5,\\"ReqParsingErrors\\":0,' +
        '\\"ResParsingErrors\\":0,\\"EventLost\\":2,\\"TotalRequestsSent\\":0,\\"TotalEventsDroppedAtEventQueueLimit\\":0,' +
        '\\"TotalEventsDroppedAtParsing\\":0}"',
    ]);
    // The reference documentation's sample line starts exactly like ours.
    assert.ok(lines()[0]?.includes('msg="stats {\\"ControlEventReceived\\":0,\\"DataEventReceived\\":'));
  });

  test('the message is JSON whatever the key order of the input', () => {
    const shuffled = Object.fromEntries([...STAT_NAMES].reverse().map((n, i) => [n, i])) as unknown as StatCounters;
    const msg = formatStatsMessage(shuffled);
    assert.ok(msg.startsWith('stats '));
    assert.deepEqual(Object.keys(JSON.parse(msg.slice('stats '.length))), [...STAT_NAMES]);
  });

  test('the probe line sorts probes by name, as Go marshals a map', () => {
    const probes = { recvmmsg: [26, 26], read: [224247, 224209], recvfrom: [2387, 2384], accept4: [3n, 3n] } as const;
    assert.equal(formatProbeStatsMessage(probes), 'probe stat {"accept4":[3,3],"read":[224247,224209],"recvfrom":[2387,2384],"recvmmsg":[26,26]}');
    assert.equal(formatProbeStatsMessage(new Map([['write', [1, 1] as const]])), 'probe stat {"write":[1,1]}');
    const { logger, lines } = capture();
    logStats(logger, ZERO, probes);
    assert.equal(
      lines()[1],
      'time="2026-11-24T20:34:47Z" level=info msg="probe stat {\\"accept4\\":[3,3],\\"read\\":[224247,224209],\\"recvfrom\\":[2387,2384],\\"recvmmsg\\":[26,26]}"',
    );
  });

  test('a counter that is not a non-negative integer is a bug, reported by name', () => {
    assert.throws(() => formatStatsMessage({ ...ZERO, EventLost: -1 }), { name: 'TypeError', message: 'counter EventLost must be a non-negative integer, got -1' });
    assert.throws(() => formatStatsMessage({ ...ZERO, EventLost: Number.NaN }), TypeError);
    assert.throws(() => formatProbeStatsMessage({ read: [1.5, 1] }), { message: 'counter read must be a non-negative integer, got 1.5' });
  });
});
