/** Process -> pod: a fake proc tree for every layout, grouping by cgroup id, and the real /proc. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { groupByCgroup, scanPodCgroups, scanProcesses, type CgroupIdResolver } from '../../agent/k8s/process-scan';
import { findCgroupV2Mount } from '../../agent/k8s/cgroup-path';
import { SocktapError } from '../../agent/util/errors';
import { makeKubeletCgroup } from '../fixtures/k8s/kubelet-cgroup';

const FIXTURES = path.join(__dirname, '../fixtures/k8s/cgroup');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** A proc root with `<pid>/cgroup` files, plus the noise a real /proc has. */
function fakeProc(files: Record<number, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-proc-'));
  for (const [pid, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, pid));
    fs.writeFileSync(path.join(root, pid, 'cgroup'), text);
  }
  fs.mkdirSync(path.join(root, 'self'));
  fs.writeFileSync(path.join(root, 'self', 'cgroup'), fixture('containerd-systemd-v2.txt'));
  fs.writeFileSync(path.join(root, 'uptime'), '1.0 1.0\n');
  fs.mkdirSync(path.join(root, '999')); // exited between readdir and read: no cgroup file
  fs.mkdirSync(path.join(root, '0123')); // not a pid spelling
  return root;
}

describe('scanProcesses', () => {
  test('maps pids to pod uid and container id; skips host processes, self, vanished pids', (t) => {
    const root = fakeProc({
      10: fixture('containerd-systemd-v2.txt'),
      11: fixture('containerd-systemd-v2.txt'),
      20: fixture('crio-cgroupfs-v1.txt'),
      30: fixture('docker-systemd-v1.txt'),
      1: fixture('host-service-v2.txt'),
      2: fixture('root-v2.txt'),
    });
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const found = scanProcesses(root).sort((a, b) => a.pid - b.pid);
    assert.deepEqual(found.map((p) => [p.pid, p.identity.podUid, p.identity.containerId?.slice(0, 8), p.identity.runtime]), [
      [10, '6b1e4a52-3c7f-4d2e-9a51-0f8c2d7e4b13', '3f1c2a7b', 'containerd'],
      [11, '6b1e4a52-3c7f-4d2e-9a51-0f8c2d7e4b13', '3f1c2a7b', 'containerd'],
      [20, '0d4f8e21-77a9-4c3b-b2e6-5a1d9c0f3e87', '9b8a7c6d', 'cri-o'],
      [30, 'c5a0e9d3-1b24-4f6e-8d7a-39e2b4c1f5a0', 'e2d1c0b9', 'docker'],
    ]);
  });

  test('an unreadable proc root is a SocktapError naming proc_fs_path', () => {
    assert.throws(() => scanProcesses('/nonexistent-proc'), (err: unknown) => {
      assert.ok(err instanceof SocktapError);
      assert.equal(err.code, 'SOCKTAP_SYSTEM');
      assert.match(err.message, /^proc_fs_path must be a readable proc filesystem, got \/nonexistent-proc: /);
      return true;
    });
  });
});

describe('groupByCgroup', () => {
  test('groups by cgroup id, resolves each path once, sorts, and keeps v1-only processes as unresolved', (t) => {
    const root = fakeProc({
      12: fixture('containerd-systemd-v2.txt'),
      10: fixture('containerd-systemd-v2.txt'),
      40: fixture('crio-conmon-systemd-v2.txt'),
      41: fixture('crio-systemd-v2.txt'),
      50: fixture('containerd-cgroupfs-v1.txt'), // no v2 line: cannot be a cgroup-id target
      60: fixture('containerd-cgroupfs-v2.txt'), // resolver says gone
    });
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const calls: string[] = [];
    const ids: Record<string, bigint> = { 'cri-containerd': 7n, 'crio-conmon': 900n, crio: 800n };
    const resolve: CgroupIdResolver = (p) => {
      calls.push(p);
      const key = Object.keys(ids).find((k) => p.includes(`/${k}-`));
      return key === undefined ? undefined : { id: ids[key], hostPath: p };
    };
    const scan = groupByCgroup(scanProcesses(root), resolve);
    assert.equal(calls.length, 4, 'one resolution per distinct path');
    assert.deepEqual(scan.cgroups.map((c) => [c.cgroupId, c.pids, c.runtime, c.conmon ?? false]), [
      [7n, [10, 12], 'containerd', false],
      [800n, [41], 'cri-o', false],
      [900n, [40], 'cri-o', true],
    ]);
    assert.equal(scan.cgroups[0].podUid, '6b1e4a52-3c7f-4d2e-9a51-0f8c2d7e4b13');
    assert.deepEqual(scan.unresolved, [
      { pid: 50, podUid: '6b1e4a52-3c7f-4d2e-9a51-0f8c2d7e4b13', containerId: '3f1c2a7b9e4d5061728394a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f' },
      { pid: 60, podUid: 'c5a0e9d3-1b24-4f6e-8d7a-39e2b4c1f5a0', containerId: 'e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5' },
    ]);
  });
});

test('real /proc: two processes in one kubelet-shaped cgroup share its id', async (t) => {
  const uid = '1a2b3c4d-0000-4000-8000-0000000c0de5';
  const cid = 'cd'.repeat(32);
  const cg = makeKubeletCgroup({ podUid: uid, containerId: cid, qos: 'besteffort' });
  t.after(() => cg.remove());
  const a = await cg.spawnInside(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  const b = await cg.spawnInside(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  const scan = scanPodCgroups({ procRoot: '/proc', cgroupMount: findCgroupV2Mount() });
  const mine = scan.cgroups.filter((c) => c.podUid === uid);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].cgroupId, fs.statSync(cg.dir, { bigint: true }).ino);
  assert.equal(mine[0].hostPath, cg.v2Path);
  assert.equal(mine[0].containerId, cid);
  assert.deepEqual(mine[0].pids, [a.pid, b.pid].sort((x, y) => x! - y!));
});
