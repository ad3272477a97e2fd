import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../bench/lib/args';
import type { WrkResult } from '../../bench/lib/wrk';
import {
  chartBars,
  countLines,
  emptyPcap,
  missingProgramsMessage,
  niceAxis,
  parseConfig,
  parseTcpdumpExit,
  parseTsharkExit,
  parseVersions,
  perRequest,
  programsFor,
  rerunCommand,
  rows,
  shellLine,
  shortRate,
  tcpdumpArgs,
  tsharkLiveArgs,
  tsharkReadArgs,
  verdicts,
  type ToolRun,
} from '../../bench/pcap-compare';
import { reapedChildrenTicks } from '../../bench/lib/cpu';
import { connectionsFor } from '../../bench/lib/pacing';

describe('pcap-compare flags', () => {
  test('defaults: 1000 and 5000/s, 15 s, every tool, results under the root', () => {
    assert.deepEqual(parseConfig([], '/r'), {
      rates: [1000, 5000],
      durationS: 15,
      intervalMs: 10,
      warmupS: 3,
      tools: ['none', 'socktap', 'tshark', 'tcpdump'],
      out: '/r/bench/results/pcap-compare.json',
      docs: '/r/docs/benchmarks.md',
      svg: '/r/bench/results/pcap-compare.svg',
    });
  });

  test('every flag', () => {
    const c = parseConfig(['--rates', '200, 400', '--duration', '3', '--interval', '20', '--warmup', '0', '--tools', 'tshark,none', '--out', '/tmp/a.json', '--docs', 'x.md'], '/r');
    assert.deepEqual(c, { rates: [200, 400], durationS: 3, intervalMs: 20, warmupS: 0, tools: ['tshark', 'none'], out: '/tmp/a.json', docs: '/r/x.md', svg: '/tmp/a.svg' });
    assert.equal(
      rerunCommand(c!),
      'npm run bench:pcap -- --rates 200,400 --duration 3 --interval 20 --warmup 0 --tools tshark,none',
    );
  });

  test('--help yields no config', () => {
    assert.equal(parseConfig(['--help'], '/r'), undefined);
  });

  test('bad values are usage errors that say what was expected', () => {
    assert.throws(() => parseConfig(['--tools', 'socktap,wireshark'], '/r'), new UsageError("--tools must be a comma-separated list of none, socktap, tshark, tcpdump, got 'socktap,wireshark'"));
    assert.throws(() => parseConfig(['--tools', 'tshark,tshark'], '/r'), new UsageError("--tools must name each tool once, got 'tshark,tshark'"));
    assert.throws(() => parseConfig(['--rates', '1000,fast'], '/r'), new UsageError("--rates must be whole numbers of requests per second from 1 to 1000000, got '1000,fast'"));
    assert.throws(() => parseConfig(['--rates', '150'], '/r'), new UsageError('--rates: 150/s needs 1.5 connections at --interval 10 ms; choose rates that are multiples of 100'));
    assert.throws(() => parseConfig(['--duration', '0'], '/r'), new UsageError("--duration must be an integer in [1, 3600], got '0'"));
    assert.throws(() => parseConfig(['--chart', 'c.svg'], '/r'), UsageError);
  });

  test('connections for a rate', () => {
    assert.equal(connectionsFor(1000, 10), 10);
    assert.equal(connectionsFor(5000, 10), 50);
    assert.equal(connectionsFor(200, 20), 4);
  });
});

describe('pcap-compare commands', () => {
  test('tshark live: capture filter on the port, HTTP decoded on it, one frame number per response', () => {
    assert.deepEqual(tsharkLiveArgs(8080), ['-i', 'lo', '-f', 'tcp port 8080', '-d', 'tcp.port==8080,http', '-Y', 'http.response', '-T', 'fields', '-e', 'frame.number']);
  });

  test('tcpdump writes whole packets to a file; tshark reads it afterwards', () => {
    assert.deepEqual(tcpdumpArgs(8080, '/tmp/x.pcap'), ['-i', 'lo', '-w', '/tmp/x.pcap', '-s', '0', 'tcp port 8080']);
    assert.deepEqual(tsharkReadArgs(8080, '/tmp/x.pcap'), ['-r', '/tmp/x.pcap', '-d', 'tcp.port==8080,http', '-Y', 'http.response', '-T', 'fields', '-e', 'frame.number']);
  });

  test('command lines for the docs quote arguments with spaces', () => {
    assert.equal(shellLine('tcpdump', tcpdumpArgs('<port>', 'FILE')), "tcpdump -i lo -w FILE -s 0 'tcp port <port>'");
    assert.equal(
      shellLine('tshark', tsharkLiveArgs('<port>')),
      "tshark -i lo -f 'tcp port <port>' -d tcp.port==<port>,http -Y http.response -T fields -e frame.number",
    );
  });

  test('programs needed per tool selection', () => {
    assert.deepEqual(programsFor(['none', 'socktap']), ['nginx', 'wrk']);
    assert.deepEqual(programsFor(['tshark']), ['nginx', 'wrk', 'tshark', 'dumpcap']);
    assert.deepEqual(programsFor(['tcpdump']), ['nginx', 'wrk', 'tshark', 'tcpdump']);
    assert.deepEqual(programsFor(['none', 'socktap', 'tshark', 'tcpdump']), ['nginx', 'wrk', 'tshark', 'dumpcap', 'tcpdump']);
  });

  test('missing programs: what to install and how', () => {
    assert.equal(missingProgramsMessage([]), undefined);
    assert.equal(missingProgramsMessage(['tshark']), 'tshark not found: install tshark with `npm run setup`');
    assert.equal(missingProgramsMessage(['tshark', 'dumpcap', 'tcpdump']), 'tshark, dumpcap, tcpdump not found: install tshark and tcpdump with `npm run setup`');
    assert.equal(missingProgramsMessage(['dumpcap']), 'dumpcap not found: install tshark with `npm run setup`');
  });

  test('the empty capture file is a bare pcap header: LE magic, v2.4, snaplen 262144, Ethernet', () => {
    assert.equal(emptyPcap().toString('hex'), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000');
  });
});

// tshark 4.0.17 (Debian 12) stderr after SIGINT, as printed on the project's machines.
const TSHARK_CLEAN = `Running as user "root" and group "root". This could be dangerous.
Capturing on 'Loopback: lo'
 ** (tshark:29852) 02:07:00.779995 [Main MESSAGE] -- Capture started.
 ** (tshark:29852) 02:07:00.780053 [Main MESSAGE] -- File: "/tmp/wireshark_loPM0LZ3.pcapng"
tshark: 
3 packets captured
`;

// tcpdump 4.99.3 / libpcap 1.10.3 stderr after SIGINT.
const TCPDUMP = `tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes
36 packets captured
72 packets received by filter
0 packets dropped by kernel
`;

describe('pcap-compare output parsing', () => {
  test('tshark without drops prints no drop line', () => {
    assert.deepEqual(parseTsharkExit(TSHARK_CLEAN), { captured: 3, dropped: 0 });
  });

  test('tshark drop lines, with and without the interface, singular and plural', () => {
    assert.deepEqual(parseTsharkExit(`Capturing on 'Loopback: lo'\n\n1843 packets dropped from lo\n70211 packets captured\n`), { captured: 70211, dropped: 1843 });
    assert.deepEqual(parseTsharkExit(`1 packet dropped\n1 packet captured\n`), { captured: 1, dropped: 1 });
    assert.deepEqual(parseTsharkExit(`5 packets dropped from lo\n7 packets dropped from eth0\n`), { captured: null, dropped: 12 });
  });

  test('tcpdump exit counters', () => {
    assert.deepEqual(parseTcpdumpExit(TCPDUMP), { captured: 36, receivedByFilter: 72, droppedByKernel: 0, droppedByInterface: 0 });
    assert.deepEqual(parseTcpdumpExit(`${TCPDUMP}3 packets dropped by interface\n`), { captured: 36, receivedByFilter: 72, droppedByKernel: 0, droppedByInterface: 3 });
    assert.deepEqual(parseTcpdumpExit('1 packet captured\n1 packet received by filter\n1 packet dropped by kernel\n'), { captured: 1, receivedByFilter: 1, droppedByKernel: 1, droppedByInterface: 0 });
  });

  test('tcpdump without its exit report is an error, not zeros', () => {
    assert.throws(() => parseTcpdumpExit('tcpdump: lo: You don\'t have permission to capture on that device\n'), /tcpdump printed no 'N packets captured' line at exit: tcpdump: lo: You don't have permission/);
  });

  test('decoded responses are the non-empty lines', () => {
    assert.equal(countLines(''), 0);
    assert.equal(countLines('8\n20\n32\n'), 3);
    assert.equal(countLines('8\n\n20'), 2);
  });

  test('reaped children ticks are cutime + cstime, after a comm holding spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 200 0 0 31 7 1250 348 20 0 11 0 9000 1000000 5000';
    assert.equal(reapedChildrenTicks(stat), 1598);
  });

  test('versions from tshark -v and tcpdump --version', () => {
    assert.deepEqual(
      parseVersions(
        'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).\n\nCopyright 1998-2024 Gerald Combs\n',
        'tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.17 1 Jul 2025\n',
      ),
      { tshark: 'tshark 4.0.17', tcpdump: 'tcpdump 4.99.3', libpcap: 'libpcap 1.10.3' },
    );
    assert.deepEqual(parseVersions('', ''), { tshark: 'tshark unknown', tcpdump: 'tcpdump unknown', libpcap: 'libpcap unknown' });
  });
});

const WRK: WrkResult = {
  threads: 1,
  connections: 10,
  requests: 14_990,
  durationS: 15,
  bytesRead: 12_000_000,
  requestsPerSec: 999.3,
  latencyUs: { avg: 300, stdev: 50, max: 2000 },
  latencyPercentilesUs: {},
  non2xx3xx: 0,
  socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
};

const BLANK = { rate: 1000, connections: 10, wrk: WRK, served: 15_000, decodeCpuUs: null, decodeStartupCpuUs: null, fileBytes: null, packets: null, peakRssMiB: null, stopMs: null, details: {} };

const RUNS: ToolRun[] = [
  { ...BLANK, tool: 'none', seen: null, drops: null, toolCpuUs: 0, startupCpuUs: 0, nginxCpuUs: 300_000 },
  { ...BLANK, tool: 'socktap', seen: 15_000, drops: 0, toolCpuUs: 60_000, startupCpuUs: 480_000, peakRssMiB: 88.4, stopMs: 900, nginxCpuUs: 345_000 },
  { ...BLANK, tool: 'tshark', seen: 14_200, drops: 2_400, toolCpuUs: 1_500_000, startupCpuUs: 290_000, peakRssMiB: 180.2, stopMs: 3000, nginxCpuUs: 315_000 },
  { ...BLANK, tool: 'tcpdump', seen: 15_000, drops: 0, toolCpuUs: 30_000, startupCpuUs: 0, decodeCpuUs: 900_000, decodeStartupCpuUs: 450_000, fileBytes: 18_405_000, packets: 60_000, peakRssMiB: 8.1, stopMs: 20, nginxCpuUs: 312_000 },
];

describe('pcap-compare report', () => {
  test('per request: divides by what nginx served, never by zero', () => {
    assert.equal(perRequest(60_000, 15_000), 4);
    assert.equal(perRequest(500, 0), 500);
  });

  test('rows: a dash where a figure does not apply', () => {
    assert.deepEqual(rows(RUNS), [
      ['1,000', 'none', '15,000', '-', '-', '-', '-', '-', '-', '-', '20.00'],
      ['1,000', 'socktap', '15,000', '15,000', '0', '4.00', '-', '480', '88', '-', '23.00'],
      ['1,000', 'tshark', '15,000', '14,200', '2,400', '100.00', '-', '290', '180', '-', '21.00'],
      ['1,000', 'tcpdump', '15,000', '15,000', '0', '2.00', '60.00', '0 + 450', '8', '1,227', '20.80'],
    ]);
  });

  test('verdicts: one sentence per rate', () => {
    const at5k = RUNS.filter((r) => r.tool !== 'tshark').map((r) => ({ ...r, rate: 5000 }));
    assert.deepEqual(verdicts([...RUNS, ...at5k]), [
      '1,000/s: socktap 4.00 µs, all 15,000 exchanges seen, 0 events lost or dropped; tshark 100.00 µs, 14,200 of 15,000 exchanges seen, 2,400 packets dropped; tcpdump 2.00 µs capturing + 60.00 µs decoding afterwards (4.0 packets, 1,227 bytes of pcap per exchange), all 15,000 exchanges seen, 0 packets dropped; nginx µs/request none 20.00, socktap 23.00, tshark 21.00, tcpdump 20.80',
      '5,000/s: socktap 4.00 µs, all 15,000 exchanges seen, 0 events lost or dropped; tcpdump 2.00 µs capturing + 60.00 µs decoding afterwards (4.0 packets, 1,227 bytes of pcap per exchange), all 15,000 exchanges seen, 0 packets dropped; nginx µs/request none 20.00, socktap 23.00, tcpdump 20.80',
    ]);
  });

  test('chart bars: one per tool and rate, tcpdump also with its decode', () => {
    assert.deepEqual(chartBars(RUNS), [
      { label: 'socktap 1k/s', min: 4, median: 4, max: 4 },
      { label: 'tshark 1k/s', min: 100, median: 100, max: 100 },
      { label: 'tcpdump 1k/s', min: 2, median: 2, max: 2 },
      { label: 'tcpdump+decode 1k/s', min: 62, median: 62, max: 62 },
    ]);
  });

  test('rates in chart labels', () => {
    assert.equal(shortRate(1000), '1k/s');
    assert.equal(shortRate(20000), '20k/s');
    assert.equal(shortRate(2500), '2,500/s');
    assert.equal(shortRate(200), '200/s');
  });

  test('axis: 1, 2 or 5 times a power of ten, at least the maximum', () => {
    assert.deepEqual(niceAxis(683), { axisMax: 800, tickStep: 200 });
    assert.deepEqual(niceAxis(105), { axisMax: 150, tickStep: 50 });
    assert.deepEqual(niceAxis(12.3), { axisMax: 15, tickStep: 5 });
    assert.deepEqual(niceAxis(1000), { axisMax: 1000, tickStep: 200 });
    assert.deepEqual(niceAxis(0.9), { axisMax: 1, tickStep: 0.2 });
    assert.deepEqual(niceAxis(0), { axisMax: 1, tickStep: 0.2 });
    assert.deepEqual(niceAxis(Number.NaN), { axisMax: 1, tickStep: 0.2 });
  });
});
