/** TLS files of a process: a fixture proc tree with a container-like root, and this very process. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SSL_SYMBOLS } from '../../agent/tls/elf-symbols';
import { isLibsslName, mappedFiles, scanProcessTls, tlsFilesOfProcess } from '../../agent/tls/tls-libraries';
import { FakeProcTree, symbolsOf } from '../helpers/elf-fixture';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-tlslib-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tree = new FakeProcTree(tmp);
const { procRoot } = tree;
const keyOf = (mappedPath: string) => tree.key(mappedPath);
const ALL4 = [...SSL_SYMBOLS];

tree.elf('/usr/lib/x86_64-linux-gnu/libssl.so.3', symbolsOf(ALL4, ['memcpy']));
fs.linkSync(`${tree.rootfs}/usr/lib/x86_64-linux-gnu/libssl.so.3`, `${tree.rootfs}/usr/lib/libssl.so.3`); // same file, second path
tree.elf('/opt/my app/libssl.so.1.1', symbolsOf(['SSL_read', 'SSL_write']));
tree.elf('/usr/lib/libssl3.so', symbolsOf(ALL4)); // NSS's name: not OpenSSL
tree.elf('/usr/lib/libcrypto.so.3', symbolsOf(['EVP_EncryptInit']));
tree.elf('/usr/bin/plain', symbolsOf(['main'], ['SSL_read'])); // imports SSL_read, defines none
tree.elf('/usr/bin/static-tls', symbolsOf(['main', 'SSL_write', 'SSL_read']));
tree.elf('/usr/lib/libssl.so.0.9.8', symbolsOf(['main'])); // a libssl without the entry points
tree.elf('/usr/lib/libssl.so.1.0.2', symbolsOf(ALL4)); // exists, but the process maps a deleted copy

tree.add(100, {
  exe: '/usr/bin/plain',
  files: [
    '/usr/bin/plain',
    '/usr/lib/x86_64-linux-gnu/libssl.so.3',
    '/usr/lib/libssl.so.3', // hard link to the line above: same key, reported once
    '/usr/lib/libssl.so.1.0.2 (deleted)',
    '/usr/lib/libssl3.so',
    '/usr/lib/libcrypto.so.3',
    '/opt/my app/libssl.so.1.1',
    '/usr/lib/libssl.so.0.9.8',
  ],
});
tree.add(200, { exe: '/usr/bin/static-tls', files: ['/usr/bin/static-tls', '/usr/lib/libcrypto.so.3'] });
tree.add(300, { files: [] }); // a kernel thread: no file mappings, no exe
fs.mkdirSync(path.join(procRoot, '400')); // exited after readdir: nothing left to read

describe('isLibsslName and mappedFiles', () => {
  test('OpenSSL sonames only', () => {
    for (const yes of ['libssl.so', 'libssl.so.3', 'libssl.so.1.1', 'libssl.so.1.0.2']) assert.equal(isLibsslName(yes), true, yes);
    for (const no of ['libssl3.so', 'libssl.so.3.bak', 'libssl.so.', 'libcrypto.so.3', 'libssl-1_1.so', 'xlibssl.so.3']) assert.equal(isLibsslName(no), false, no);
  });

  test('file-backed paths in maps order, once each; spaces kept; deleted and anonymous dropped', () => {
    const maps = fs.readFileSync(path.join(procRoot, '100', 'maps'), 'utf8');
    assert.deepEqual(mappedFiles(maps), [
      '/usr/bin/plain',
      '/usr/lib/x86_64-linux-gnu/libssl.so.3',
      '/usr/lib/libssl.so.3',
      '/usr/lib/libssl3.so',
      '/usr/lib/libcrypto.so.3',
      '/opt/my app/libssl.so.1.1',
      '/usr/lib/libssl.so.0.9.8',
    ]);
  });
});

describe('tlsFilesOfProcess on a fixture proc tree', () => {
  test('the libssl files, opened through the process root, one per file key', () => {
    assert.deepEqual(tlsFilesOfProcess(100, { procRoot }), [
      {
        key: keyOf('/usr/lib/x86_64-linux-gnu/libssl.so.3'),
        hostPath: `${procRoot}/100/root/usr/lib/x86_64-linux-gnu/libssl.so.3`,
        mappedPath: '/usr/lib/x86_64-linux-gnu/libssl.so.3',
        kind: 'libssl',
        symbols: ALL4,
      },
      {
        key: keyOf('/opt/my app/libssl.so.1.1'),
        hostPath: `${procRoot}/100/root/opt/my app/libssl.so.1.1`,
        mappedPath: '/opt/my app/libssl.so.1.1',
        kind: 'libssl',
        symbols: ['SSL_read', 'SSL_write'],
      },
    ]);
  });

  test('an executable counts only when it defines the symbols itself', () => {
    assert.deepEqual(tlsFilesOfProcess(200, { procRoot }), [
      {
        key: keyOf('/usr/bin/static-tls'),
        hostPath: `${procRoot}/200/root/usr/bin/static-tls`,
        mappedPath: '/usr/bin/static-tls',
        kind: 'executable',
        symbols: ['SSL_read', 'SSL_write'],
      },
    ]);
  });

  test('kernel threads, exited and unknown pids: [] and no throw', () => {
    assert.deepEqual(tlsFilesOfProcess(300, { procRoot }), []);
    assert.deepEqual(tlsFilesOfProcess(400, { procRoot }), []);
    assert.deepEqual(tlsFilesOfProcess(999999, { procRoot }), []);
    assert.deepEqual(scanProcessTls(300, { procRoot }), { state: 'present', files: [] });
    assert.deepEqual(scanProcessTls(400, { procRoot }), { state: 'absent', files: [] });
  });

  test('the symbol cache: filled once per file key (files without symbols too), then trusted', () => {
    const cache = new Map<string, string[]>();
    tlsFilesOfProcess(100, { procRoot, symbolCache: cache });
    assert.deepEqual(new Map(cache), new Map([
      [keyOf('/usr/bin/plain'), []],
      [keyOf('/usr/lib/x86_64-linux-gnu/libssl.so.3'), ALL4],
      [keyOf('/opt/my app/libssl.so.1.1'), ['SSL_read', 'SSL_write']],
      [keyOf('/usr/lib/libssl.so.0.9.8'), []],
    ]));
    // The cache is the answer: a file it says has no symbols is not read again.
    cache.set(keyOf('/usr/lib/x86_64-linux-gnu/libssl.so.3'), []);
    assert.deepEqual(tlsFilesOfProcess(100, { procRoot, symbolCache: cache }).map((f) => f.mappedPath), ['/opt/my app/libssl.so.1.1']);
  });
});

describe('tlsFilesOfProcess on this process', () => {
  test('node maps itself and exports the four symbols', () => {
    const exe = fs.readlinkSync('/proc/self/exe');
    const st = fs.statSync(exe, { bigint: true });
    const files = tlsFilesOfProcess(process.pid);
    assert.deepEqual(files.filter((f) => f.kind === 'executable'), [
      { key: `${st.dev}:${st.ino}`, hostPath: `/proc/${process.pid}/root${exe}`, mappedPath: exe, kind: 'executable', symbols: ALL4 },
    ]);
    // node links OpenSSL statically: no libssl should be mapped besides it.
    assert.deepEqual(files.filter((f) => f.kind === 'libssl'), []);
  });
});
