/**
 * The TLS scanner against a fake proc tree and a recording attacher (attach once per file, release
 * when unmapped), and the pid predicate that chooses whose files it looks at.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCgroupV2Mount, parseProcCgroup } from '../../agent/k8s/cgroup-path';
import { SSL_SYMBOLS } from '../../agent/tls/elf-symbols';
import { pidPredicate } from '../../agent/tls/targets-predicate';
import type { TlsFile } from '../../agent/tls/tls-libraries';
import { TlsScanner, type TlsAttacher, type TlsScannerOptions } from '../../agent/tls/tls-scanner';
import { SocktapError } from '../../agent/util/errors';
import { FakeProcTree, symbolsOf } from '../helpers/elf-fixture';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const ALL4 = [...SSL_SYMBOLS];

function newTree(): FakeProcTree {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-tlsscan-'));
  dirs.push(dir);
  const tree = new FakeProcTree(dir);
  tree.elf('/usr/lib/libssl.so.3', symbolsOf(ALL4));
  tree.elf('/opt/b/libssl.so.3', symbolsOf(ALL4));
  tree.elf('/opt/c/libssl.so.1.1', symbolsOf(['SSL_read', 'SSL_write']));
  tree.elf('/usr/bin/app', symbolsOf(['main']));
  return tree;
}

/** Records every call; `attach` answers with what `answer` returns (or throws). */
class RecordingAttacher implements TlsAttacher {
  readonly calls: string[] = [];
  constructor(private readonly answer: (file: TlsFile) => number = (f) => f.symbols.length) {}
  attach(file: TlsFile): number {
    this.calls.push(`attach ${file.mappedPath}`);
    return this.answer(file);
  }
  detach(key: string): void {
    this.calls.push(`detach ${key}`);
  }
}

function scannerFor(tree: FakeProcTree, attacher: TlsAttacher, extra: Partial<TlsScannerOptions> = {}) {
  const lines: string[] = [];
  const scanner = new TlsScanner({
    procRoot: tree.procRoot,
    wantsPid: () => true,
    attacher,
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), debug: (m) => lines.push(`debug ${m}`) },
    ...extra,
  });
  return { scanner, lines };
}

describe('TlsScanner', () => {
  test('a file is attached once for every pid mapping it, and released when the last one exits', () => {
    const tree = newTree();
    const attacher = new RecordingAttacher();
    const { scanner, lines } = scannerFor(tree, attacher);
    const libssl = {
      key: tree.key('/usr/lib/libssl.so.3'),
      hostPath: `${tree.procRoot}/10/root/usr/lib/libssl.so.3`,
      mappedPath: '/usr/lib/libssl.so.3',
      kind: 'libssl' as const,
      symbols: ALL4,
    };

    tree.add(10, { exe: '/usr/bin/app', files: ['/usr/bin/app', '/usr/lib/libssl.so.3'] });
    assert.deepEqual(scanner.scanOnce(), { attached: [libssl], released: [] });
    assert.deepEqual(scanner.files(), [{ ...libssl, pids: [10] }]);

    tree.add(11, { exe: '/usr/bin/app', files: ['/usr/bin/app', '/usr/lib/libssl.so.3'] });
    assert.deepEqual(scanner.scanOnce(), { attached: [], released: [] });
    assert.deepEqual(scanner.files(), [{ ...libssl, pids: [10, 11] }]);

    tree.remove(10);
    assert.deepEqual(scanner.scanOnce(), { attached: [], released: [] });
    assert.deepEqual(scanner.files().map((f) => f.pids), [[11]]);

    tree.remove(11);
    assert.deepEqual(scanner.scanOnce(), { attached: [], released: [libssl.key] });
    assert.deepEqual(scanner.files(), []);

    tree.add(12, { exe: '/usr/bin/app', files: ['/usr/lib/libssl.so.3'] });
    assert.equal(scanner.scanOnce().attached.length, 1);

    assert.deepEqual(attacher.calls, ['attach /usr/lib/libssl.so.3', `detach ${libssl.key}`, 'attach /usr/lib/libssl.so.3']);
    assert.deepEqual(lines, [
      'info TLS uprobes attached to /usr/lib/libssl.so.3 (libssl, 4 probes, pid 10)',
      'info TLS uprobes released from /usr/lib/libssl.so.3 (libssl): no targeted process maps it anymore',
      'info TLS uprobes attached to /usr/lib/libssl.so.3 (libssl, 4 probes, pid 12)',
    ]);
  });

  test('an attach that throws is warned once, not retried while mapped, retried after; the scan goes on', () => {
    const tree = newTree();
    const attacher = new RecordingAttacher((f) => {
      if (f.mappedPath === '/opt/b/libssl.so.3') throw new Error('uprobe: permission denied');
      if (f.mappedPath === '/opt/c/libssl.so.1.1') return 0;
      return 4;
    });
    const { scanner, lines } = scannerFor(tree, attacher);
    tree.add(20, { files: ['/opt/b/libssl.so.3'] });
    tree.add(21, { files: ['/opt/c/libssl.so.1.1'] });
    tree.add(22, { files: ['/usr/lib/libssl.so.3'] });

    assert.deepEqual(scanner.scanOnce().attached.map((f) => f.mappedPath), ['/usr/lib/libssl.so.3']);
    assert.deepEqual(scanner.scanOnce(), { attached: [], released: [] });
    assert.deepEqual(scanner.files().map((f) => f.mappedPath), ['/usr/lib/libssl.so.3']);

    tree.remove(20); // b's failure is forgotten once nobody maps it...
    scanner.scanOnce();
    tree.add(23, { files: ['/opt/b/libssl.so.3'] }); // ...so a new mapping retries it
    scanner.scanOnce();

    assert.deepEqual(attacher.calls, [
      'attach /opt/b/libssl.so.3',
      'attach /opt/c/libssl.so.1.1',
      'attach /usr/lib/libssl.so.3',
      'attach /opt/b/libssl.so.3',
    ]);
    assert.deepEqual(lines, [
      'warn TLS uprobes not attached to /opt/b/libssl.so.3 (libssl, pid 20): uprobe: permission denied',
      'warn TLS uprobes not attached to /opt/c/libssl.so.1.1 (libssl, pid 21): none of SSL_read, SSL_write could be attached',
      'info TLS uprobes attached to /usr/lib/libssl.so.3 (libssl, 4 probes, pid 22)',
      'warn TLS uprobes not attached to /opt/b/libssl.so.3 (libssl, pid 23): uprobe: permission denied',
    ]);
  });

  test('pids the predicate refuses are never attached; a throwing predicate or an unreadable pid skips only that pid', () => {
    const tree = newTree();
    const attacher = new RecordingAttacher();
    const { scanner } = scannerFor(tree, attacher, {
      wantsPid: (pid) => {
        if (pid === 31) throw new Error('comm vanished');
        return pid !== 30;
      },
    });
    tree.add(30, { files: ['/opt/b/libssl.so.3'] });
    tree.add(31, { files: ['/opt/c/libssl.so.1.1'] });
    fs.mkdirSync(path.join(tree.procRoot, '32')); // exited between readdir and the read of maps
    tree.add(33, { files: ['/usr/lib/libssl.so.3'] });
    fs.writeFileSync(path.join(tree.procRoot, 'uptime'), '1 1\n');
    scanner.scanOnce();
    scanner.scanOnce();
    assert.deepEqual(attacher.calls, ['attach /usr/lib/libssl.so.3']);
  });

  test('the executable counts when it exports the symbols (statically linked OpenSSL)', () => {
    const tree = newTree();
    tree.elf('/usr/local/bin/node', symbolsOf(['main', ...ALL4]));
    const attacher = new RecordingAttacher();
    const { scanner, lines } = scannerFor(tree, attacher);
    tree.add(40, { exe: '/usr/local/bin/node', files: ['/usr/local/bin/node'] });
    scanner.scanOnce();
    assert.deepEqual(lines, ['info TLS uprobes attached to /usr/local/bin/node (executable, 4 probes, pid 40)']);
  });

  test('each ELF file is read once while mapped, and afresh after it was unmapped', (t) => {
    const tree = newTree();
    const opened: string[] = [];
    const openSync = fs.openSync;
    t.mock.method(fs, 'openSync', (...args: Parameters<typeof fs.openSync>) => {
      opened.push(String(args[0]));
      return (openSync as (...a: unknown[]) => number)(...args);
    });
    const { scanner } = scannerFor(tree, new RecordingAttacher());
    tree.add(50, { exe: '/usr/bin/app', files: ['/usr/bin/app', '/usr/lib/libssl.so.3'] });
    tree.add(51, { exe: '/usr/bin/app', files: ['/usr/bin/app', '/usr/lib/libssl.so.3'] });
    scanner.scanOnce();
    scanner.scanOnce();
    scanner.scanOnce();
    assert.deepEqual(opened, [`${tree.procRoot}/50/root/usr/bin/app`, `${tree.procRoot}/50/root/usr/lib/libssl.so.3`]);
    tree.remove(50);
    tree.remove(51);
    scanner.scanOnce();
    tree.add(52, { exe: '/usr/bin/app', files: ['/usr/lib/libssl.so.3'] });
    scanner.scanOnce();
    assert.equal(opened.length, 3);
    assert.equal(opened[2], `${tree.procRoot}/52/root/usr/lib/libssl.so.3`);
  });

  test('an unreadable proc root is warned and keeps what is attached', () => {
    const tree = newTree();
    const attacher = new RecordingAttacher();
    const { scanner, lines } = scannerFor(tree, attacher);
    tree.add(60, { files: ['/usr/lib/libssl.so.3'] });
    scanner.scanOnce();
    fs.renameSync(tree.procRoot, `${tree.procRoot}.away`);
    try {
      assert.deepEqual(scanner.scanOnce(), { attached: [], released: [] });
    } finally {
      fs.renameSync(`${tree.procRoot}.away`, tree.procRoot);
    }
    assert.equal(scanner.files().length, 1);
    assert.deepEqual(attacher.calls, ['attach /usr/lib/libssl.so.3']);
    assert.match(lines[1], /^warn TLS scan: cannot list .*\/proc: ENOENT/);
  });

  test('start scans now and on the interval; stop detaches everything; start twice is a state error', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const tree = newTree();
    const attacher = new RecordingAttacher();
    const { scanner } = scannerFor(tree, attacher, { intervalMs: 1000 });
    tree.add(70, { files: ['/usr/lib/libssl.so.3'] });
    scanner.start();
    assert.deepEqual(attacher.calls, ['attach /usr/lib/libssl.so.3']);
    assert.throws(() => scanner.start(), (err: unknown) => err instanceof SocktapError && err.code === 'SOCKTAP_STATE');

    tree.add(71, { files: ['/opt/b/libssl.so.3'] });
    t.mock.timers.tick(999);
    assert.equal(attacher.calls.length, 1);
    t.mock.timers.tick(1);
    assert.deepEqual(attacher.calls, ['attach /usr/lib/libssl.so.3', 'attach /opt/b/libssl.so.3']);

    scanner.stop();
    assert.deepEqual(attacher.calls.slice(2).sort(), [`detach ${tree.key('/opt/b/libssl.so.3')}`, `detach ${tree.key('/usr/lib/libssl.so.3')}`].sort());
    assert.deepEqual(scanner.files(), []);
    tree.add(72, { files: ['/opt/c/libssl.so.1.1'] });
    t.mock.timers.tick(5000);
    assert.equal(attacher.calls.length, 4, 'no scan after stop');
  });

  test('intervalMs must be positive', () => {
    const tree = newTree();
    for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => scannerFor(tree, new RecordingAttacher(), { intervalMs }),
        (err: unknown) => err instanceof SocktapError && err.code === 'SOCKTAP_INVALID_ARGUMENT' && err.message === `intervalMs must be a positive number of milliseconds, got ${intervalMs}`,
      );
    }
  });
});

describe('pidPredicate', () => {
  const POD = 'kubepods-besteffort-pod6b1e4a52_3c7f_4d2e_9a51_0f8c2d7e4b13.slice';
  const SCOPE = `cri-containerd-${'3f1c2a7b'.repeat(8)}.scope`;

  function fixture() {
    const tree = newTree();
    const mount = path.join(tree.dir, 'cgroup');
    const podDir = path.join(mount, 'kubepods.slice/kubepods-besteffort.slice', POD, SCOPE);
    fs.mkdirSync(podDir, { recursive: true });
    fs.mkdirSync(path.join(mount, 'system.slice/app.service'), { recursive: true });
    const podId = fs.statSync(podDir, { bigint: true }).ino;
    tree.add(1, { files: [], comm: 'systemd', cgroup: '0::/init.scope\n' });
    tree.add(2, { files: [], comm: 'nginx', cgroup: '0::/system.slice/app.service\n' });
    tree.add(3, { files: [], comm: 'nginx ', cgroup: '0::/\n' }); // comm with a trailing space is another name
    // Seen from inside a private cgroup namespace: relative to the agent's cgroup, ancestors cut.
    tree.add(4, { files: [], comm: 'python3', cgroup: `0::/../../${POD}/${SCOPE}\n` });
    tree.add(5, { files: [], comm: 'envoy', cgroup: `12:memory:/kubepods.slice/kubepods-besteffort.slice/${POD}/${SCOPE}\n0::/kubepods.slice/kubepods-besteffort.slice/${POD}/${SCOPE}\n` });
    tree.add(99, { files: [], comm: 'socktap', cgroup: '0::/\n' });
    const opts = { procRoot: tree.procRoot, selfPid: 99, cgroupMount: mount };
    const matching = (t: Parameters<typeof pidPredicate>[0]) => {
      const wants = pidPredicate(t, opts);
      return [1, 2, 3, 4, 5, 6, 99].filter((pid) => wants(pid)); // 6 does not exist
    };
    return { podId, matching };
  }

  test('all: every pid but the agent itself', () => {
    assert.deepEqual(fixture().matching({ all: true }), [1, 2, 3, 4, 5, 6]);
  });

  test('tgids, comms (exact, newline stripped), cgroup ids (namespace-relative paths too), and their union', () => {
    const { podId, matching } = fixture();
    assert.deepEqual(matching({}), []);
    assert.deepEqual(matching({ tgids: [2, 6, 99] }), [2, 6]);
    assert.deepEqual(matching({ comms: ['nginx'] }), [2]);
    assert.deepEqual(matching({ comms: ['nginx '] }), [3]);
    assert.deepEqual(matching({ cgroupIds: [podId] }), [4, 5]);
    assert.deepEqual(matching({ cgroupIds: [podId + 1000n] }), []);
    assert.deepEqual(matching({ tgids: [1], comms: ['nginx', 'socktap'], cgroupIds: [podId] }), [1, 2, 4, 5]);
  });

  test('cgroup ids without a v2 mount match nothing', () => {
    const tree = newTree();
    tree.add(7, { files: [], cgroup: '0::/\n' });
    const rootId = fs.statSync(tree.dir, { bigint: true }).ino;
    assert.equal(pidPredicate({ cgroupIds: [rootId] }, { procRoot: tree.procRoot, cgroupMount: path.join(tree.dir, 'nope') })(7), false);
  });

  test('this process by its real cgroup v2 id', (t) => {
    const mount = findCgroupV2Mount();
    const v2Path = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')).v2Path;
    if (mount === undefined || v2Path === undefined) return t.skip('no cgroup v2 hierarchy on this machine');
    const id = fs.statSync(path.join(mount, v2Path), { bigint: true }).ino;
    assert.equal(pidPredicate({ cgroupIds: [id] }, { selfPid: -1 })(process.pid), true);
    assert.equal(pidPredicate({ cgroupIds: [id] })(process.pid), false, 'the agent never targets itself');
  });
});
