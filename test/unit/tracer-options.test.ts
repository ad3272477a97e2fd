/** Tracer option and target validation: one message form, naming the option and the bad value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tracer, validateTargets, validateTracerOptions } from '../../agent/capture/tracer';
import { SocktapError } from '../../agent/util/errors';

function rejects(fn: () => void, message: string): void {
  assert.throws(fn, (err: unknown) => err instanceof SocktapError && err.code === 'SOCKTAP_INVALID_ARGUMENT' && err.message === message);
}

test('bad options are rejected with the option name, the expected form and the value', () => {
  rejects(() => validateTracerOptions({ maxPayloadBytes: 0 }), 'maxPayloadBytes must be an integer in [1, 16384], got 0');
  rejects(() => validateTracerOptions({ maxPayloadBytes: 32768 }), 'maxPayloadBytes must be an integer in [1, 16384], got 32768');
  rejects(() => validateTracerOptions({ maxChunksPerCall: 1.5 }), 'maxChunksPerCall must be an integer in [1, 4096], got 1.5');
  rejects(() => validateTracerOptions({ ringBufferBytes: 12288 }), 'ringBufferBytes must be a power of two, got 12288');
  rejects(() => validateTracerOptions({ pollIntervalMs: 0 }), 'pollIntervalMs must be an integer in [1, 1000], got 0');
  rejects(() => new Tracer({ targets: { pids: [0] } }), 'targets.pids[0] must be a process id (1..4194304), got 0');
  rejects(() => validateTargets({ cgroupIds: [-1n] }), 'targets.cgroupIds[0] must be a 64-bit bigint, got -1');
  rejects(() => validateTargets({ cgroupIds: [12 as unknown as bigint] }), 'targets.cgroupIds[0] must be a 64-bit bigint, got 12');
  rejects(() => validateTargets({ ports: [80, 0] }), 'targets.ports[1] must be a TCP port (1..65535), got 0');
  rejects(() => validateTargets({ portMatch: 'sideways' as 'local' }), 'targets.portMatch must be one of local, remote, both, got sideways');
  rejects(() => validateTargets({ comms: ['a-very-long-process-name'] }), 'targets.comms[0] must be a process name of 1 to 15 bytes, got "a-very-long-process-name"');
});

test('defaults and valid options pass', () => {
  validateTracerOptions({});
  validateTracerOptions({ maxPayloadBytes: 16384, maxChunksPerCall: 4096, ringBufferBytes: 1 << 24, targets: { pids: [1], cgroupIds: [2n] } });
});

test('state errors: stats/stop before start', async () => {
  const t = new Tracer();
  assert.throws(() => t.stats(), (e: unknown) => e instanceof SocktapError && e.code === 'SOCKTAP_STATE');
  await assert.rejects(t.stop(), (e: unknown) => e instanceof SocktapError && e.code === 'SOCKTAP_STATE');
});

test('SocktapError.fromNative keeps the addon code and errno', () => {
  const e = Object.assign(new Error('refused'), { code: 'SOCKTAP_PERMISSION', errno: 1 });
  const lifted = SocktapError.fromNative(e);
  assert.ok(lifted instanceof SocktapError);
  assert.equal((lifted as SocktapError).code, 'SOCKTAP_PERMISSION');
  assert.equal((lifted as SocktapError).errno, 1);
  const te = new TypeError('bad');
  assert.equal(SocktapError.fromNative(te), te);
});

test('an unreadable btfPath fails before anything is loaded, naming the file', () => {
  const t = new Tracer({ btfPath: '/nonexistent/vmlinux.btf' });
  assert.throws(
    () => t.start(),
    (e: unknown) =>
      e instanceof SocktapError &&
      e.code === 'SOCKTAP_NO_BTF' &&
      e.message.startsWith('btfPath /nonexistent/vmlinux.btf is not readable (ENOENT)'),
  );
  assert.equal(t.running, false);
});
