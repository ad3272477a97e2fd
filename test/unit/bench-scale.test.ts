import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../bench/lib/args';
import {
  bodyVerdict,
  boundedVerdict,
  lossAccount,
  lossVerdict,
  nginxWorkerConnections,
  paddedJson,
  parseMetrics,
  parseScaleConfig,
  rssVerdict,
  tallyRecord,
  trackedConnections,
  type TargetTally,
} from '../../bench/scale';
import { consistencyChecks, flatness, linearSlope, parseSoakConfig, rotation, soakVerdicts, thin, type SoakSample } from '../../bench/soak';

const ROOT = '/repo';

describe('parseScaleConfig', () => {
  test('defaults: every scenario at full size', () => {
    const c = parseScaleConfig([], ROOT)!;
    assert.deepEqual(c.scenarios, ['connections', 'churn', 'bodies']);
    assert.equal(c.connections, 10_000);
    assert.equal(c.intervalMs, 5000);
    assert.equal(c.holdS, 20);
    assert.equal(c.churn, 100_000);
    assert.equal(c.churnConnections, 16);
    assert.equal(c.requests, 10_000);
    assert.equal(c.bodyConnections, 4);
    assert.equal(c.out, '/repo/bench/results/scale.json');
    assert.equal(c.docs, '/repo/docs/benchmarks.md');
  });

  test('scaled down, some scenarios, in the canonical order', () => {
    const c = parseScaleConfig(['--only', 'bodies,connections', '--connections', '500', '--churn', '2000', '--requests', '50', '--out', 'x.json'], ROOT)!;
    assert.deepEqual(c.scenarios, ['connections', 'bodies']);
    assert.equal(c.connections, 500);
    assert.equal(c.churn, 2000);
    assert.equal(c.requests, 50);
    assert.equal(c.out, '/repo/x.json');
  });

  test('--help', () => {
    assert.equal(parseScaleConfig(['--help'], ROOT), undefined);
  });

  test('usage errors say what is expected', () => {
    assert.throws(() => parseScaleConfig(['--only', 'conections'], ROOT), (e: Error) => e instanceof UsageError && /--only must list scenarios among connections, churn, bodies, got 'conections'/.test(e.message));
    assert.throws(() => parseScaleConfig(['--connections', '0'], ROOT), /--connections must be an integer in \[1, 200000\], got '0'/);
    assert.throws(() => parseScaleConfig(['--churn', '10', '--churn-connections', '16'], ROOT), /--churn-connections must be at most --churn \(10\), got 16/);
    assert.throws(() => parseScaleConfig(['--requests', '2'], ROOT), /--body-connections must be at most --requests \(2\), got 4/);
    assert.throws(() => parseScaleConfig(['--bogus'], ROOT), UsageError);
  });
});

describe('parseSoakConfig', () => {
  test('defaults; the chart goes beside the JSON', () => {
    const c = parseSoakConfig([], ROOT)!;
    assert.equal(c.durationS, 600);
    assert.equal(c.rate, 2000);
    assert.equal(c.churnRate, 200);
    assert.equal(c.intervalMs, 10);
    assert.deepEqual(c.mix, [16, 3, 1]);
    assert.equal(c.sampleS, 10);
    assert.equal(c.sendfile, false);
    assert.equal(c.out, '/repo/bench/results/soak.json');
    assert.equal(c.chart, '/repo/bench/results/soak.svg');
    assert.equal(parseSoakConfig(['--out', '/tmp/s.json'], ROOT)!.chart, '/tmp/s.svg');
  });

  test('rates must make whole connections at the interval', () => {
    assert.throws(() => parseSoakConfig(['--rate', '2050'], ROOT), /--rate 2050\/s needs 20.5 connections at --interval 10 ms: choose a multiple of 100/);
    assert.throws(() => parseSoakConfig(['--churn-rate', '150', '--interval', '4'], ROOT), /--churn-rate 150\/s needs 0.6 connections/);
    assert.equal(parseSoakConfig(['--churn-rate', '0'], ROOT)!.churnRate, 0);
  });

  test('mix and sample checks', () => {
    assert.throws(() => parseSoakConfig(['--mix', '1,2'], ROOT), /--mix must be 3 whole weights/);
    assert.throws(() => parseSoakConfig(['--mix', '0,0,0'], ROOT), /not all 0/);
    assert.throws(() => parseSoakConfig(['--mix', '1,x,1'], ROOT), /--mix/);
    assert.throws(() => parseSoakConfig(['--duration', '20', '--sample', '30'], ROOT), /--sample must be at most --duration \(20\), got 30/);
    assert.throws(() => parseSoakConfig(['--sendfile', 'maybe'], ROOT), /--sendfile must be one of on, off/);
  });
});

describe('tallyRecord', () => {
  const head = '{"ts":"2026-11-24T20:34:47.123456789Z","duration_ns":182000,"direction":"ingress","tls":false,"process":{"pid":1,"comm":"nginx","container_id":null,"pod":null,"namespace":null,"service":null},"connection":{"id":"1:7:1","local":{"ip":"127.0.0.1","port":8080},"remote":{"ip":"127.0.0.1","port":51234}},';
  const record = (target: string, reqBody: string, response: string) =>
    `${head}"request":{"method":"POST","target":"${target}","version":"1.1","headers":[["Host","a"]],"body":${JSON.stringify(reqBody)},"body_encoding":"utf8","body_size":${reqBody.length},"body_truncated":false},"response":${response}}`;
  const response = (size: number, truncated: boolean) =>
    `{"status":200,"reason":"OK","version":"1.1","headers":[["Content-Length","${size}"]],"body":"xx","body_encoding":"utf8","body_size":${size},"body_truncated":${truncated}}`;

  test('counts per target the response body_size and truncation', () => {
    const t = new Map<string, TargetTally>();
    assert.equal(tallyRecord(t, record('/a.json', '', response(1048576, true))), true);
    assert.equal(tallyRecord(t, record('/a.json', '', response(1048576, true))), true);
    assert.equal(tallyRecord(t, record('/b.json', '', response(600, false))), true);
    assert.deepEqual(t.get('/a.json'), { records: 2, incomplete: 0, truncated: 2, bodySizes: new Map([[1048576, 2]]) });
    assert.deepEqual(t.get('/b.json'), { records: 1, incomplete: 0, truncated: 0, bodySizes: new Map([[600, 1]]) });
  });

  test('a body that mentions the keys does not fool it (quotes inside strings are escaped)', () => {
    const t = new Map<string, TargetTally>();
    const body = '{"body_size":5,"body_truncated":true,"target":"/x"}';
    assert.equal(tallyRecord(t, record('/c', body, response(42, false))), true);
    assert.deepEqual(t.get('/c'), { records: 1, incomplete: 0, truncated: 0, bodySizes: new Map([[42, 1]]) });
  });

  test('a request without a response is incomplete', () => {
    const t = new Map<string, TargetTally>();
    assert.equal(tallyRecord(t, `${record('/d', '', 'null').slice(0, -1)},"incomplete":"closed"}`), true);
    assert.deepEqual(t.get('/d'), { records: 1, incomplete: 1, truncated: 0, bodySizes: new Map() });
  });

  test('lines that are not records', () => {
    const t = new Map<string, TargetTally>();
    assert.equal(tallyRecord(t, 'garbage'), false);
    assert.equal(tallyRecord(t, '{"target":"/x"}'), false);
    assert.equal(t.size, 0);
  });
});

describe('metrics', () => {
  const text = `# HELP socktap_probe_exits_total Syscall exits
# TYPE socktap_probe_exits_total counter
socktap_probe_exits_total{probe="accept"} 2
socktap_probe_exits_total{probe="accept4"} 10000
socktap_probe_exits_total{probe="close"} 40
socktap_nodejs_eventloop_lag_p99_seconds 0.012312575
socktap_event_lost_total 0
`;

  test('parseMetrics keys by name and labels', () => {
    const m = parseMetrics(text);
    assert.equal(m.get('socktap_nodejs_eventloop_lag_p99_seconds'), 0.012312575);
    assert.equal(m.get('socktap_probe_exits_total{probe="accept4"}'), 10000);
    assert.equal(m.size, 5);
  });

  test('trackedConnections: accepted minus closed; NaN without the probe counters', () => {
    assert.equal(trackedConnections(parseMetrics(text)), 9962);
    assert.ok(Number.isNaN(trackedConnections(new Map())));
  });
});

describe('loss accounting', () => {
  const zero = { EventLost: 0, TotalEventsDroppedAtEventQueueLimit: 0, TotalEventsDroppedAtParsing: 0, ReqParsingErrors: 0, ResParsingErrors: 0 };

  test('nothing missing', () => {
    const a = lossAccount(1000, 1000, zero);
    assert.deepEqual(a, { served: 1000, atSink: 1000, missing: 0, counted: 0, unexplained: 0 });
    assert.equal(lossVerdict(a, zero), 'all 1,000 exchanges nginx served reached the sink');
  });

  test('events lost without a missing exchange are said as such', () => {
    const stats = { ...zero, EventLost: 2207 };
    assert.equal(lossVerdict(lossAccount(308, 308, stats), stats), 'all 308 exchanges nginx served reached the sink (the agent counted EventLost 2,207: events, none of them a whole exchange)');
  });

  test('missing and counted', () => {
    const stats = { ...zero, EventLost: 7, TotalEventsDroppedAtParsing: 3 };
    const a = lossAccount(1000, 995, stats);
    assert.deepEqual(a, { served: 1000, atSink: 995, missing: 5, counted: 10, unexplained: 0 });
    assert.equal(lossVerdict(a, stats), '5 of 1,000 exchanges missing at the sink (counted: EventLost 7, TotalEventsDroppedAtParsing 3)');
  });

  test('missing with every counter at zero is unexplained', () => {
    const a = lossAccount(1000, 990, zero);
    assert.equal(a.unexplained, 10);
    assert.equal(lossVerdict(a, zero), '10 of 1,000 exchanges missing at the sink (unexplained: every loss counter is 0)');
  });

  test('more missing than counted', () => {
    const stats = { ...zero, ReqParsingErrors: 2 };
    const a = lossAccount(100, 90, stats);
    assert.equal(a.unexplained, 8);
    assert.equal(lossVerdict(a, stats), '10 of 100 exchanges missing at the sink (8 unexplained beyond ReqParsingErrors 2)');
  });

  test('more records than requests', () => {
    assert.equal(lossVerdict(lossAccount(10, 12, zero), zero), '2 more records at the sink than nginx served (12 vs 10)');
  });
});

describe('scale verdicts', () => {
  test('RSS against 150 MB (10^6 bytes)', () => {
    assert.equal(rssVerdict(169, 10000), 'agent RSS 169.0 MiB (177.2 MB) steady with 10,000 open connections misses the 150 MB target');
    assert.equal(rssVerdict(143, 10000), 'agent RSS 143.0 MiB (149.9 MB) steady with 10,000 open connections meets the 150 MB target');
  });

  test('bounded: little growth per connection, or growth within GC noise', () => {
    assert.equal(boundedVerdict(133.4, 133.6, 50_000).bounded, true);
    assert.equal(boundedVerdict(100, 107, 100).bounded, true); // 7 MiB: noise
    assert.equal(boundedVerdict(100, 120, 50_000).bounded, false); // 419 B each
    assert.equal(boundedVerdict(100, 104, 50_000).text, 'RSS bounded: +4.0 MiB over the last 50,000 connections (+83.9 B each; bounded below 100 B each or 8 MiB in all)');
    assert.match(boundedVerdict(120, 110, 1000).text, /^RSS bounded: -10.0 MiB/);
  });

  test('bodies: sizes and truncation as configured', () => {
    assert.equal(
      bodyVerdict({ bodyBytes: 1048576, records: 303, bodySizeCorrect: 303, truncated: 303, incomplete: 0, expectTruncated: true }),
      '1 MiB: body_size 1,048,576 in all 303 records, truncated to 65,536 B as configured',
    );
    assert.equal(bodyVerdict({ bodyBytes: 65536, records: 10, bodySizeCorrect: 10, truncated: 0, incomplete: 0, expectTruncated: false }), '64 KiB: body_size 65,536 in all 10 records, none truncated');
    assert.equal(
      bodyVerdict({ bodyBytes: 1024, records: 10, bodySizeCorrect: 9, truncated: 1, incomplete: 0, expectTruncated: false }),
      '1 KiB: body_size 1,024 in 9 of 10 records, 1 truncated, expected 0',
    );
  });

  test('nginx keeps a quarter of its connections spare', () => {
    assert.equal(nginxWorkerConnections(10_000), 13_012);
  });

  test('paddedJson is valid JSON of exactly the size', () => {
    for (const n of [32, 1024, 65536, 1048576]) {
      const b = paddedJson(n);
      assert.equal(b.length, n);
      assert.equal(JSON.parse(b.toString()).size, n);
    }
    assert.throws(() => paddedJson(10), RangeError);
  });
});

describe('soak helpers', () => {
  test('linearSlope: least squares', () => {
    assert.equal(linearSlope([[0, 1], [1, 3], [2, 5]]), 2);
    assert.equal(linearSlope([[0, 0], [1, 1], [2, 0], [3, 1]]), 0.2);
    assert.ok(Number.isNaN(linearSlope([[0, 1]])));
    assert.ok(Number.isNaN(linearSlope([[1, 1], [1, 2]])));
  });

  test('rotation: each index its weight times, spread out', () => {
    const r = rotation([16, 3, 1]);
    assert.equal(r.length, 20);
    assert.deepEqual([0, 1, 2].map((i) => r.filter((x) => x === i).length), [16, 3, 1]);
    for (let i = 1; i < r.length; i++) assert.ok(r[i] === 0 || r[i - 1] === 0, `no two large bodies in a row at ${i}: ${r.join('')}`);
    assert.deepEqual(rotation([1, 1]), [0, 1]);
    assert.deepEqual(rotation([0, 2, 0]), [1, 1]);
  });

  test('thin keeps the first and the last', () => {
    assert.deepEqual(thin([1, 2, 3], 5), [1, 2, 3]);
    assert.deepEqual(thin([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3), [0, 5, 10]);
  });

  const sample = (tS: number, rssMiB: number, lagP99Ms: number, load = true): SoakSample => ({
    tS,
    load,
    rssMiB,
    heapUsedMiB: 20,
    lagP99Ms,
    lagMaxMs: lagP99Ms + 5,
    served: 0,
    atSink: 0,
    agentCpuS: 0,
    eventLost: 0,
    dropped: 0,
    tracked: 0,
  });

  test('flatness: slopes over the second half, first and last windows, idle samples left out', () => {
    // 600 s, a sample every 10 s: RSS 100 MiB then +0.5 MiB/min from 300 s; lag 12 ms throughout.
    const samples = [sample(0, 80, 11, false)];
    for (let t = 10; t <= 600; t += 10) samples.push(sample(t, t < 300 ? 100 : 100 + ((t - 300) / 60) * 0.5, 12));
    samples.push(sample(605, 300, 50, false));
    const f = flatness(samples, 600);
    assert.equal(f.windowS, 60);
    assert.equal(f.secondHalfSamples, 31);
    assert.ok(Math.abs(f.rssSlopeMiBPerMin - 0.5) < 1e-9);
    assert.equal(f.lagP99SlopeMsPerMin, 0);
    assert.equal(f.firstRssMiB, 100);
    assert.ok(Math.abs(f.lastRssMiB - 102.25) < 1e-9); // 540..600 s: 102 to 102.5 MiB
    assert.equal(f.firstLagP99Ms, 12);
    assert.equal(f.maxRssMiB, 300);
    assert.equal(f.maxLagMs, 55);
    // Floors: each window's first sample (RSS only grows); the second half's five windows rise 0.5 MiB/min.
    assert.equal(f.rssFloors.length, 10);
    assert.deepEqual(f.rssFloors.slice(0, 5), [30, 90, 150, 210, 270].map((tS) => ({ tS, rssMiB: 100 })));
    assert.ok(Math.abs(f.rssFloorSlopeMiBPerMin - 0.5) < 1e-9);
    assert.ok(Math.abs(f.midRssFloorMiB - (100 + 0.5 / 6)) < 1e-9); // 310 s
    assert.ok(Math.abs(f.lastRssFloorMiB - (100 + (250 / 60) * 0.5)) < 1e-9); // 550 s
  });

  test('RSS is judged on its floor: a sawtooth over a flat floor is flat, a rising floor is not', () => {
    const stats = { TotalRequestsParsed: 1, TotalRequestsSent: 1 };
    const ok = consistencyChecks(lossAccount(1, 1, stats), stats);
    // Peaks late in the run pull the samples' fit up (+2.3 MiB/min), the floor stays at 110 MiB.
    const peaks = (t: number) => (t % 60 === 0 ? 110 : 112 + (t >= 450 ? 30 : 10) + (t % 60) / 10);
    const sawtooth = [sample(0, 80, 11, false)];
    for (let t = 10; t <= 600; t += 10) sawtooth.push(sample(t, peaks(t), 12));
    const flat = flatness(sawtooth, 600);
    assert.ok(flat.rssSlopeMiBPerMin > 1 && flat.lastRssMiB - flat.firstRssMiB > 5, 'the samples alone would read as a leak');
    assert.match(
      soakVerdicts(flat, lossAccount(1, 1, stats), stats, ok)[0]!,
      /^RSS flat: floor \(least sample per 60 s\) \+0\.00 MiB\/min over the second half, 110\.0 MiB at the half vs 110\.0 MiB in the last 60 s \(samples \+\d+\.\d\d MiB\/min\)$/,
    );
    // The same sawtooth on a floor that keeps 1.5 MiB a minute: a leak.
    const leaking = sawtooth.map((x) => (x.load ? { ...x, rssMiB: x.rssMiB + (x.tS / 60) * 1.5 } : x));
    assert.match(soakVerdicts(flatness(leaking, 600), lossAccount(1, 1, stats), stats, ok)[0]!, /^RSS not flat: floor \(least sample per 60 s\) \+1\.50 MiB\/min over the second half, 119\.0 MiB at the half vs 125\.0 MiB in the last 60 s/);
    // A floor that steps up once in the second half and stays: rise 6 MiB, slope over 1 MiB/min.
    const late = sawtooth.map((x) => (x.load && x.tS >= 420 ? { ...x, rssMiB: x.rssMiB + 6 } : x));
    assert.match(soakVerdicts(flatness(late, 600), lossAccount(1, 1, stats), stats, ok)[0]!, /^RSS not flat: floor .* 110\.0 MiB at the half vs 116\.0 MiB/);
  });

  test('consistency checks and verdicts', () => {
    const stats = { TotalRequestsParsed: 1000, TotalRequestsSent: 1000, EventLost: 0, TotalEventsDroppedAtEventQueueLimit: 0, TotalEventsDroppedAtParsing: 0, ReqParsingErrors: 0, ResParsingErrors: 0 };
    const ok = consistencyChecks(lossAccount(1000, 1000, stats), stats);
    assert.equal(ok.length, 4);
    assert.ok(ok.every((c) => c.ok));
    const bad = consistencyChecks(lossAccount(1001, 999, stats), stats);
    assert.deepEqual(bad.map((c) => c.ok), [false, true, false, false]);

    const samples = [sample(0, 80, 11, false), ...[10, 20, 30, 40].map((t) => sample(t, 100, 12))];
    const v = soakVerdicts(flatness(samples, 40), lossAccount(1000, 1000, stats), stats, ok);
    assert.deepEqual(v, [
      'RSS flat: floor (least sample per 10 s) +0.00 MiB/min over the second half, 100.0 MiB at the half vs 100.0 MiB in the last 10 s (samples +0.00 MiB/min)',
      'event-loop lag p99 flat: +0.00 ms/min over the second half, last 10 s 12.0 ms vs first 10 s 12.0 ms',
      'all 1,000 exchanges nginx served reached the sink',
      'no unexplained loss',
      'every counter consistent',
    ]);
    // A steep slope with no rise from the first window is noise; with a rise, a leak.
    const noisy = [sample(0, 80, 11, false), sample(10, 100, 30), sample(20, 100, 12), sample(30, 100, 14), sample(40, 100, 16)];
    assert.match(soakVerdicts(flatness(noisy, 40), lossAccount(1, 1, stats), stats, ok)[1]!, /^event-loop lag p99 flat: \+12.00 ms\/min/);
    const leak = [sample(0, 80, 11, false), sample(10, 100, 12), sample(20, 106, 12), sample(30, 112, 12), sample(40, 118, 12)];
    assert.match(soakVerdicts(flatness(leak, 40), lossAccount(1, 1, stats), stats, ok)[0]!, /^RSS not flat: floor \(least sample per 10 s\) \+36.00 MiB\/min over the second half, 112.0 MiB at the half vs 118.0 MiB in the last 10 s/);
    const few = soakVerdicts(flatness([sample(0, 80, 11, false), sample(10, 90, 12)], 10), lossAccount(1, 1, stats), stats, ok);
    assert.equal(few[0], "RSS: too few windows in the second half (1 in all) for the floor's slope");
    assert.equal(few[1], 'event-loop lag p99: too few samples in the second half (1) for a slope');
  });
});
