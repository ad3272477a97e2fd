import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { intFlag, choiceFlag, parseFlags, UsageError } from '../../bench/lib/args';
import { cpuModel } from '../../bench/lib/machine';
import { jsonBody } from '../../bench/lib/nginx';
import { markdownTable, replaceSection, textTable } from '../../bench/lib/report';
import { max, mean, median, min, summarize, sum } from '../../bench/lib/stats';
import { parseCount, parseSize, parseTimeUs, parseWrkOutput, runWrk } from '../../bench/lib/wrk';
import { countedLosses } from '../../bench/lib/alternation';
import { DEFAULT_SERVED_BODY, servedBody, servedBodyArgs, servedBodySection } from '../../bench/lib/served-body';

// Real wrk 4.1.0 reports (Debian), as printed on the project's machines.
const WRK_LATENCY = `Running 3s test @ http://127.0.0.1:18089/body.json
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   426.22us   96.04us   2.30ms   90.45%
    Req/Sec    74.79k     5.32k   83.79k    83.33%
  Latency Distribution
     50%  409.00us
     75%  446.00us
     90%  503.00us
     99%  742.00us
  222572 requests in 3.00s, 178.09MB read
Requests/sec:  74149.91
Transfer/sec:     59.33MB
`;

const WRK_ERRORS = `Running 1m test @ http://127.0.0.1:8080/nope
  4 threads and 400 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.50ms    3.20ms    1.02s    70.00%
    Req/Sec     2.10k   150.00     2.50k    66.00%
  502345 requests in 1.00m, 147.55KB read
  Socket errors: connect 155, read 3, write 0, timeout 12
  Non-2xx or 3xx responses: 98290
Requests/sec:   8372.40
Transfer/sec:      2.46KB
`;

describe('wrk output parser', () => {
  test('reads the totals, the latency line and the percentiles of a --latency report', () => {
    const r = parseWrkOutput(WRK_LATENCY);
    assert.equal(r.threads, 1);
    assert.equal(r.connections, 32);
    assert.equal(r.requests, 222572);
    assert.equal(r.durationS, 3);
    assert.equal(r.bytesRead, 178.09 * 1024 * 1024);
    assert.equal(r.requestsPerSec, 74149.91);
    assert.deepEqual(r.latencyUs, { avg: 426.22, stdev: 96.04, max: 2300 });
    assert.deepEqual(r.latencyPercentilesUs, { '50': 409, '75': 446, '90': 503, '99': 742 });
    assert.equal(r.non2xx3xx, 0);
    assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
  });

  test('reads socket errors, non-2xx responses, minutes and seconds', () => {
    const r = parseWrkOutput(WRK_ERRORS);
    assert.equal(r.threads, 4);
    assert.equal(r.connections, 400);
    assert.equal(r.durationS, 60);
    assert.equal(r.bytesRead, 147.55 * 1024);
    assert.deepEqual(r.latencyUs, { avg: 12500, stdev: 3200, max: 1.02e6 });
    assert.deepEqual(r.latencyPercentilesUs, {});
    assert.equal(r.non2xx3xx, 98290);
    assert.deepEqual(r.socketErrors, { connect: 155, read: 3, write: 0, timeout: 12 });
  });

  test('fails with the missing line named, never with a silent zero', () => {
    const noRate = WRK_LATENCY.replace(/^Requests\/sec:.*$/m, '');
    assert.throws(() => parseWrkOutput(noRate), /no 'Requests\/sec:' line/);
    assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /no 'N threads and M connections' line/);
  });

  test('unit suffixes', () => {
    assert.equal(parseTimeUs('10.00us'), 10);
    assert.equal(parseTimeUs('2.50ms'), 2500);
    assert.equal(parseTimeUs('1.00s'), 1e6);
    assert.equal(parseTimeUs('2.00m'), 120e6);
    assert.equal(parseTimeUs('1.00h'), 3600e6);
    assert.equal(parseSize('512.00B'), 512);
    assert.equal(parseSize('1.50GB'), 1.5 * 1024 ** 3);
    assert.equal(parseCount('150.00'), 150);
    assert.equal(parseCount('74.79k'), 74790);
    assert.equal(parseCount('1.20M'), 1.2e6);
    assert.throws(() => parseTimeUs('3 s'), /wrk time must look like/);
    assert.throws(() => parseSize('3.00XB'), /wrk size must look like/);
  });
});

describe('stats helpers', () => {
  test('min, median, max of an odd count', () => {
    assert.deepEqual(summarize([0.93, 0.97, 0.91, 0.99, 0.95]), { min: 0.91, median: 0.95, max: 0.99, n: 5 });
  });

  test('median of an even count is the mean of the middle two, and the input keeps its order', () => {
    const xs = [4, 1, 3, 2];
    assert.equal(median(xs), 2.5);
    assert.deepEqual(xs, [4, 1, 3, 2]);
  });

  test('one value is its own min, median and max', () => {
    assert.deepEqual(summarize([7]), { min: 7, median: 7, max: 7, n: 1 });
  });

  test('mean and sum', () => {
    assert.equal(mean([1, 2, 3, 6]), 3);
    assert.equal(sum([]), 0);
    assert.equal(sum([1.5, 2.5]), 4);
  });

  test('empty lists and non-finite values are errors, not NaN or Infinity', () => {
    assert.throws(() => min([]), /min needs at least one value/);
    assert.throws(() => max([]), /max needs at least one value/);
    assert.throws(() => median([]), /median needs at least one value/);
    assert.throws(() => mean([]), /mean needs at least one value/);
    assert.throws(() => median([1, NaN]), /median values must be finite numbers, got NaN/);
    assert.throws(() => summarize([Infinity]), /finite numbers, got Infinity/);
  });
});

describe('Markdown sections between markers', () => {
  const S = '<!-- raw-capture:start -->';
  const E = '<!-- raw-capture:end -->';

  test('appends the section with its markers when the document has none', () => {
    assert.equal(replaceSection('# Benchmarks\n', 'raw-capture', 'one'), `# Benchmarks\n\n${S}\none\n${E}\n`);
    assert.equal(replaceSection('', 'raw-capture', 'one\n'), `${S}\none\n${E}\n`);
  });

  test('replaces only its own section, and a rerun is idempotent', () => {
    const doc = `# B\n\n<!-- other:start -->\nx\n<!-- other:end -->\n\n${S}\nold\n${E}\n\ntail\n`;
    const once = replaceSection(doc, 'raw-capture', 'new');
    assert.equal(once, `# B\n\n<!-- other:start -->\nx\n<!-- other:end -->\n\n${S}\nnew\n${E}\n\ntail\n`);
    assert.equal(replaceSection(once, 'raw-capture', 'new'), once);
  });

  test('refuses unbalanced or repeated markers instead of eating text', () => {
    assert.throws(() => replaceSection(`${S}\nx\n`, 'raw-capture', 'y'), /markers must appear once each/);
    assert.throws(() => replaceSection(`${E}\nx\n${S}\n`, 'raw-capture', 'y'), /markers must appear once each/);
    assert.throws(() => replaceSection(`${S}\n${E}\n${S}\n${E}\n`, 'raw-capture', 'y'), /markers must appear once each/);
  });
});

describe('tables', () => {
  test('text table: numbers right-aligned, text left-aligned', () => {
    const t = textTable(['name', 'req/s'], [['a', '1,000'], ['longer', '50']]);
    assert.equal(t, 'name    req/s\n------  -----\na       1,000\nlonger     50');
  });

  test('markdown table escapes pipes', () => {
    assert.equal(markdownTable(['a', 'b'], [['x|y', '1']]), '| a | b |\n|---|---|\n| x\\|y | 1 |');
  });
});

describe('flags', () => {
  test('integers in range, defaults when absent, one message form otherwise', () => {
    const v = parseFlags(['--rounds', '3', '--duration', '0'], ['rounds', 'duration']);
    assert.equal(intFlag(v, 'rounds', 5, 1, 100), 3);
    assert.equal(intFlag(v, 'missing', 5, 1, 100), 5);
    assert.throws(() => intFlag(v, 'duration', 10, 1, 3600), /--duration must be an integer in \[1, 3600\], got '0'/);
    assert.throws(() => intFlag({ rounds: '2.5' }, 'rounds', 5, 1, 100), UsageError);
  });

  test('choices, unknown flags and positionals', () => {
    assert.equal(choiceFlag({ sendfile: 'off' }, 'sendfile', 'on', ['on', 'off']), 'off');
    assert.throws(() => choiceFlag({ sendfile: 'no' }, 'sendfile', 'on', ['on', 'off']), /--sendfile must be one of on, off, got 'no'/);
    assert.throws(() => parseFlags(['--bogus', '1'], ['rounds']), UsageError);
    assert.throws(() => parseFlags(['stray'], ['rounds']), UsageError);
    assert.equal(parseFlags(['--help'], [])['help'], true);
  });
});

describe('fixtures and machine facts', () => {
  test('the generated body is valid JSON of exactly the asked size', () => {
    for (const n of [64, 600, 601, 4096]) {
      const b = jsonBody(n);
      assert.equal(b.length, n);
      assert.equal(JSON.parse(b.toString()).status, 'ok');
    }
    assert.throws(() => jsonBody(10), /jsonBody size must be at least/);
  });

  test('CPU model from /proc/cpuinfo, x86 and arm forms', () => {
    assert.equal(cpuModel('processor\t: 0\nmodel name\t: AMD EPYC\nflags\t: fpu\n'), 'AMD EPYC');
    assert.equal(cpuModel('processor\t: 0\nHardware\t: BCM2835\n'), 'BCM2835');
    assert.equal(cpuModel(''), 'unknown');
  });
});

test('counted losses: exchanges missing at the sink against the agent counters', () => {
  const c = { TotalRequestsParsed: 10, TotalRequestsSent: 7, EventLost: 0, ReqParsingErrors: 0, ResParsingErrors: 0, TotalEventsDroppedAtEventQueueLimit: 3, TotalEventsDroppedAtParsing: 0 };
  assert.match(countedLosses(3, c), /3 dropped at its queues \(TotalEventsDroppedAtEventQueueLimit: lines the sink queue refused and records the reader thread could not hand to JavaScript\).*: every one accounted for$/);
  assert.match(countedLosses(5, c), /: 2 not accounted for$/);
  // Ring losses are events, not exchanges: nothing to match one to one.
  assert.doesNotMatch(countedLosses(5, { ...c, EventLost: 4 }), /accounted/);
});

test('served body flags: the pipeline file by default, bodies through user memory with sendfile off, in their own section', () => {
  assert.deepEqual(servedBody({}), DEFAULT_SERVED_BODY);
  assert.deepEqual(DEFAULT_SERVED_BODY, { bodyBytes: 600, sendfile: true });
  const bodies = servedBody({ 'body-bytes': '4096', sendfile: 'off' });
  assert.deepEqual(bodies, { bodyBytes: 4096, sendfile: false });
  assert.equal(servedBodyArgs(bodies), '--body-bytes 4096 --sendfile off');
  assert.equal(servedBodySection('full-pipeline', bodies), 'full-pipeline-bodies');
  assert.equal(servedBodySection('fixed-rate', { bodyBytes: 4096, sendfile: true }), 'fixed-rate');
  assert.throws(() => servedBody({ sendfile: 'no' }), new UsageError("--sendfile must be one of on, off, got 'no'"));
  assert.throws(() => servedBody({ 'body-bytes': '10' }), new UsageError("--body-bytes must be an integer in [64, 16777216], got '10'"));
});

test('a wrk script that is not there is an error before wrk starts (wrk would run unpaced)', async () => {
  await assert.rejects(
    runWrk({ url: 'http://127.0.0.1:9/', threads: 1, connections: 1, durationS: 1, script: { path: '/nonexistent/paced.lua', args: ['10'] } }),
    { message: 'wrk script /nonexistent/paced.lua not found: run the benchmark from the socktap package (bench/lua is part of it)' },
  );
});
