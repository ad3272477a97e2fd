/** `socktap doctor`'s TLS libraries check on fixture proc trees, its place in runChecks, and the CLI flags. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { doctorCommand, doctorHelp } from '../../agent/cli/commands/doctor';
import { checkTlsLibraries, NO_OPENSSL_FIX, runChecks, type DoctorEnv } from '../../agent/doctor/checks';
import { SSL_SYMBOLS } from '../../agent/tls/elf-symbols';
import { SocktapError } from '../../agent/util/errors';
import { FakeProcTree, symbolsOf } from '../helpers/elf-fixture';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const ALL4 = [...SSL_SYMBOLS];

function newTree(): { tree: FakeProcTree; env: DoctorEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-tlsdoctor-'));
  dirs.push(dir);
  const tree = new FakeProcTree(dir);
  tree.elf('/usr/lib/x86_64-linux-gnu/libssl.so.3', symbolsOf(ALL4));
  tree.elf('/usr/bin/node', symbolsOf(['main', ...ALL4]));
  tree.elf('/usr/bin/curl', symbolsOf(['main'], ['SSL_read', 'SSL_write']));
  tree.elf('/usr/bin/go-app', symbolsOf(['main']));
  const env: DoctorEnv = { procRoot: tree.procRoot, sysRoot: path.join(dir, 'sys'), bootRoot: path.join(dir, 'boot'), uname: '6.1.0' };
  return { tree, env };
}

/** `n` fixture pids from `base`, never this process's own (doctor leaves itself out of --all). */
function pidsFrom(base: number, n: number): number[] {
  const out: number[] = [];
  for (let p = base; out.length < n; p++) if (p !== process.pid) out.push(p);
  return out;
}

describe('checkTlsLibraries for chosen pids', () => {
  test('ok: each file once, with its kind, symbols and the pids mapping it', () => {
    const { tree, env } = newTree();
    tree.add(10, { exe: '/usr/bin/curl', files: ['/usr/bin/curl', '/usr/lib/x86_64-linux-gnu/libssl.so.3'] });
    tree.add(11, { exe: '/usr/bin/curl', files: ['/usr/bin/curl', '/usr/lib/x86_64-linux-gnu/libssl.so.3'] });
    tree.add(12, { exe: '/usr/bin/node', files: ['/usr/bin/node'] });
    assert.deepEqual(checkTlsLibraries(env, [12, 10, 11, 10]), {
      id: 'tls-libraries',
      title: 'TLS libraries',
      status: 'ok',
      detail:
        '2 files for pids 10,11,12: ' +
        '/usr/bin/node (executable: SSL_read SSL_write SSL_read_ex SSL_write_ex; pid 12); ' +
        '/usr/lib/x86_64-linux-gnu/libssl.so.3 (libssl: SSL_read SSL_write SSL_read_ex SSL_write_ex; pids 10,11)',
    });
  });

  test('warn with the fix when none of them loads OpenSSL; missing pids are named', () => {
    const { tree, env } = newTree();
    tree.add(20, { exe: '/usr/bin/go-app', files: ['/usr/bin/go-app'] });
    assert.deepEqual(checkTlsLibraries(env, [20, 424242]), {
      id: 'tls-libraries',
      title: 'TLS libraries',
      status: 'warn',
      detail: 'no OpenSSL in pid 20 (no pid 424242)',
      fix: NO_OPENSSL_FIX,
    });
    assert.match(NO_OPENSSL_FIX, /Go crypto\/tls, rustls, BoringSSL/);
    assert.deepEqual(checkTlsLibraries(env, [424242, 424243]), {
      id: 'tls-libraries',
      title: 'TLS libraries',
      status: 'warn',
      detail: 'nothing to inspect (no pids 424242,424243)',
      fix: 'pass the pids of running processes',
    });
  });

  test('env.tlsPids is what runChecks reports on, last in the list', () => {
    const { tree, env } = newTree();
    tree.add(30, { exe: '/usr/bin/go-app', files: ['/usr/bin/go-app'] });
    const results = runChecks({ ...env, tlsPids: [30] });
    assert.equal(results.at(-1)?.id, 'tls-libraries');
    assert.equal(results.at(-1)?.detail, 'no OpenSSL in pid 30');
  });
});

describe('checkTlsLibraries for every process', () => {
  test('ok with counts; at most 10 files listed, then "and N more"; long pid lists cut', () => {
    const { tree, env } = newTree();
    const libPids = pidsFrom(100, 12);
    libPids.forEach((pid, i) => {
      tree.elf(`/opt/app${i}/libssl.so.3`, symbolsOf(ALL4));
      tree.add(pid, { files: [`/opt/app${i}/libssl.so.3`] });
    });
    const nodePids = pidsFrom(200, 7);
    for (const pid of nodePids) tree.add(pid, { exe: '/usr/bin/node', files: ['/usr/bin/node'] });
    const plain = pidsFrom(300, 1)[0];
    tree.add(plain, { exe: '/usr/bin/go-app', files: ['/usr/bin/go-app'] });
    fs.writeFileSync(path.join(tree.procRoot, 'uptime'), '1 1\n');

    const r = checkTlsLibraries(env, 'all');
    const libs = [0, 1, 10, 11, 2, 3, 4, 5, 6] // sorted by path: /opt/app0, app1, app10, app11, app2...
      .map((i) => `/opt/app${i}/libssl.so.3 (libssl: SSL_read SSL_write SSL_read_ex SSL_write_ex; pid ${libPids[i]})`);
    assert.deepEqual(r, {
      id: 'tls-libraries',
      title: 'TLS libraries',
      status: 'ok',
      detail: `13 files in 19 of 20 processes: ${libs.join('; ')}; ` +
        `/opt/app7/libssl.so.3 (libssl: SSL_read SSL_write SSL_read_ex SSL_write_ex; pid ${libPids[7]}) and 3 more`,
    });
    assert.deepEqual(checkTlsLibraries(env), r, "'all' is the default");

    const nodeOnly = checkTlsLibraries(env, nodePids);
    assert.equal(
      nodeOnly.detail,
      `1 file for pids ${nodePids.slice(0, 5).join(',')} +2 more: /usr/bin/node (executable: SSL_read SSL_write SSL_read_ex SSL_write_ex; pids ${nodePids.slice(0, 5).join(',')} +2 more)`,
    );
  });

  test('no TLS files on the host is still ok; an unreadable proc root warns', () => {
    const { tree, env } = newTree();
    const pid = pidsFrom(40, 1)[0];
    tree.add(pid, { exe: '/usr/bin/go-app', files: ['/usr/bin/go-app'] });
    assert.deepEqual(checkTlsLibraries(env), { id: 'tls-libraries', title: 'TLS libraries', status: 'ok', detail: '0 files in 0 of 1 process' });
    const missing = { ...env, procRoot: path.join(tree.dir, 'nope') };
    assert.deepEqual(checkTlsLibraries(missing), { id: 'tls-libraries', title: 'TLS libraries', status: 'warn', detail: `cannot list ${missing.procRoot}` });
  });

  test('on this machine: doctor leaves itself out', () => {
    const r = checkTlsLibraries({ procRoot: '/proc', sysRoot: '/sys', bootRoot: '/boot', uname: '' });
    assert.equal(r.status, 'ok');
    assert.doesNotMatch(r.detail, new RegExp(`[ ,]${process.pid}[,;)]`));
    const self = checkTlsLibraries({ procRoot: '/proc', sysRoot: '/sys', bootRoot: '/boot', uname: '' }, [process.pid]);
    assert.equal(self.status, 'ok');
    assert.match(self.detail, new RegExp(`^1 file for pid ${process.pid}: \\S+ \\(executable: SSL_read SSL_write SSL_read_ex SSL_write_ex; pid ${process.pid}\\)$`));
  });
});

describe('socktap doctor flags', () => {
  test('--pid and --all are documented and exclusive', async () => {
    assert.match(doctorHelp, /^ {2}--pid PID {4}report the TLS libraries of these processes/m);
    assert.match(doctorHelp, /^ {2}--all {8}report the TLS libraries of every process \(the default\)$/m);
    await assert.rejects(doctorCommand(['--pid', '1', '--all']), (err: unknown) => err instanceof SocktapError && err.code === 'SOCKTAP_USAGE');
    await assert.rejects(doctorCommand(['--pid', 'x']), (err: unknown) => err instanceof SocktapError && err.message === "--pid must be a process id, got 'x'");
  });
});
