/**
 * The TypeScript decoder's offsets against the C header as the compiler laid it out (the addon's
 * layout() is offsetof/sizeof over bpf/socktap.h).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../agent/capture/layout';
import { loadNative } from '../../agent/capture/native';

const native = loadNative().layout();

for (const [name, ts] of [
  ['conn_id', L.CONN_ID],
  ['conn_open', L.CONN_OPEN],
  ['conn_close', L.CONN_CLOSE],
  ['data', L.DATA],
] as const) {
  test(`${name}: every offset and the size match the C header`, () => {
    assert.deepEqual({ ...ts }, native[name]);
  });
}

test('constants and enum values match the C header', () => {
  const k = native.constants;
  assert.equal(L.EV_CONN_OPEN, k.EV_CONN_OPEN);
  assert.equal(L.EV_CONN_CLOSE, k.EV_CONN_CLOSE);
  assert.equal(L.EV_DATA, k.EV_DATA);
  assert.equal(L.PAYLOAD_CAP, k.PAYLOAD_CAP);
  assert.equal(L.DEFAULT_PAYLOAD_BYTES, k.DEFAULT_PAYLOAD_BYTES);
  assert.equal(L.DEFAULT_CHUNKS_PER_CALL, k.DEFAULT_CHUNKS_PER_CALL);
  assert.equal(L.MAX_CHUNKS_PER_CALL, k.MAX_CHUNKS_PER_CALL);
  assert.equal(L.DATA_F_NO_PAYLOAD, k.DATA_F_NO_PAYLOAD);
  assert.equal(L.DATA_F_TRUNCATED, k.DATA_F_TRUNCATED);
  assert.equal(L.DATA_F_READ_FAILED, k.DATA_F_READ_FAILED);
  assert.equal(L.DATA_F_TLS, k.DATA_F_TLS);
  assert.equal(L.SYSCALLS.indexOf('SSL_read'), k.SC_SSL_READ);
  assert.equal(L.SYSCALLS.indexOf('SSL_write_ex'), k.SC_SSL_WRITE_EX);
  assert.equal(L.SYSCALLS.length, k.SC_COUNT);
  assert.equal(L.SYSCALLS.indexOf('sendfile'), k.SC_SENDFILE);
  assert.equal(L.SYSCALLS.indexOf('recvmmsg'), k.SC_RECVMMSG);
  assert.equal(L.ROLES.indexOf('server'), k.ROLE_SERVER);
  assert.equal(L.ROLES.indexOf('client'), k.ROLE_CLIENT);
  assert.equal(L.SOURCES.indexOf('first_data'), k.SRC_FIRST_DATA);
  assert.equal(L.DIRECTIONS.indexOf('egress'), k.DIR_EGRESS);
  assert.equal(L.EV_CONN_RESUME, k.EV_CONN_RESUME);
  assert.equal(L.CONN_RESUME.ingress_pos, native.conn_open.size);
});

test('probe names reported by stats() follow the syscall enum order', () => {
  // stats() keys come from the addon's kProbeNames table, indexed by enum socktap_syscall.
  const src = require('node:fs').readFileSync(require('node:path').join(__dirname, '../../native/src/session.cc'), 'utf8');
  const table = /kProbeNames\[SOCKTAP_SC_COUNT\] = \{([^}]*)\}/.exec(src)![1];
  const names = [...table.matchAll(/"([A-Za-z0-9_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(names, [...L.SYSCALLS]);
});
