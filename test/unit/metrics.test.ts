/** `/metrics`, `/healthz`, `/readyz` served from one pipeline snapshot, read at scrape time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { metricName, splitHostPort, startMetricsServer } from '../../agent/runtime/metrics-server';
import type { PipelineSnapshot } from '../../agent/runtime/stat-counters';
import type { TracerStats } from '../../agent/capture/tracer';
import type { ExchangeAssemblerStats } from '../../agent/pipeline';
import type { Sink } from '../../agent/sinks/sink';

function snapshot(exchanges: number): PipelineSnapshot {
  const tracer = {
    probes: { read: [10, 9], writev: [4, 4] },
    lostEvents: 3,
    openEvents: 5,
    closeEvents: 4,
    dataEvents: 40,
    handoffDroppedRecords: 2,
  } as unknown as TracerStats;
  const assembler = { exchanges, requestParseErrors: 1, responseParseErrors: 0, orphanEvents: 6 } as ExchangeAssemblerStats;
  const sink = (name: string, sent: number, dropped: number): Sink => ({
    name,
    offer() {},
    stats: () => ({ sent, dropped, queued: 1 }),
    close: async () => {},
  });
  return { tracer, assembler, sinks: [sink('uds', exchanges - 1, 1), sink('stdout', exchanges, 0)] };
}

test('metric names follow the stats names', () => {
  assert.equal(metricName('TotalRequestsParsed'), 'socktap_requests_parsed_total');
  assert.equal(metricName('EventLost'), 'socktap_event_lost_total');
  assert.equal(metricName('TotalEventsDroppedAtEventQueueLimit'), 'socktap_events_dropped_at_event_queue_limit_total');
  assert.deepEqual(splitHostPort('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(splitHostPort('[::1]:9464'), { host: '::1', port: 9464 });
});

test('/metrics reads the counters at scrape time; health endpoints answer', async (t) => {
  let exchanges = 7;
  let ready = false;
  let snapshots = 0;
  const server = await startMetricsServer({ addr: '127.0.0.1:0', snapshot: () => (snapshots++, snapshot(exchanges)), ready: () => ready });
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // While the programs load there is nothing to read: 503, and the pipeline is not asked.
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  assert.equal((await fetch(`${base}/metrics`)).status, 503);
  assert.equal(snapshots, 0);
  ready = true;

  let text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /^socktap_requests_parsed_total 7$/m);
  assert.match(text, /^socktap_event_lost_total 3$/m);
  assert.match(text, /^socktap_control_event_received_total 9$/m);
  assert.match(text, /^socktap_requests_sent_total 13$/m);
  assert.match(text, /^socktap_events_dropped_at_parsing_total 6$/m);
  // Queue-limit drops: the reader hand-off (2) and the sinks (1).
  assert.match(text, /^socktap_events_dropped_at_event_queue_limit_total 3$/m);
  assert.match(text, /^socktap_probe_entries_total\{probe="read"\} 10$/m);
  assert.match(text, /^socktap_probe_exits_total\{probe="read"\} 9$/m);
  assert.match(text, /^socktap_sink_dropped_total\{sink="uds"\} 1$/m);
  assert.match(text, /^socktap_sink_queued\{sink="stdout"\} 1$/m);
  assert.match(text, /^socktap_process_resident_memory_bytes \d+$/m);
  assert.equal(snapshots, 1, 'one pipeline snapshot per scrape, shared by every metric');
  exchanges = 9;
  text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /^socktap_requests_parsed_total 9$/m, 'counters are read again at each scrape');
  assert.equal(snapshots, 2);

  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
});
