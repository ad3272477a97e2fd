/** cgroup parsing: every kubelet layout (fixtures), cgroup-namespace views, and real v2 ids on this machine. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  cgroupIdOf,
  findCgroupV2Mount,
  hostPathCandidates,
  identifyCgroupPath,
  parseCgroupFile,
  parseProcCgroup,
  resolveCgroupId,
  type CgroupIdentity,
} from '../../agent/k8s/cgroup-path';
import { makeKubeletCgroup } from '../fixtures/k8s/kubelet-cgroup';

const FIXTURES = path.join(__dirname, '../fixtures/k8s/cgroup');
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const C1 = '3f1c2a7b9e4d5061728394a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f';
const C2 = '9b8a7c6d5e4f30211203f4e5d6c7b8a9901a2b3c4d5e6f708192a3b4c5d6e7f8';
const C3 = 'e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5';
const U1 = '6b1e4a52-3c7f-4d2e-9a51-0f8c2d7e4b13';
const U2 = '0d4f8e21-77a9-4c3b-b2e6-5a1d9c0f3e87';
const U3 = 'c5a0e9d3-1b24-4f6e-8d7a-39e2b4c1f5a0';
const sd = (uid: string) => uid.replace(/-/g, '_');

const layouts: [file: string, expected: CgroupIdentity][] = [
  ['containerd-systemd-v2.txt', { podUid: U1, qos: 'burstable', containerId: C1, runtime: 'containerd', v2Path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${sd(U1)}.slice/cri-containerd-${C1}.scope` }],
  ['containerd-systemd-v2-guaranteed.txt', { podUid: U2, qos: 'guaranteed', containerId: C2, runtime: 'containerd', v2Path: `/kubepods.slice/kubepods-pod${sd(U2)}.slice/cri-containerd-${C2}.scope` }],
  ['containerd-systemd-hybrid.txt', { podUid: U3, qos: 'besteffort', containerId: C3, runtime: 'containerd', v2Path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${sd(U3)}.slice/cri-containerd-${C3}.scope` }],
  ['containerd-cgroupfs-v1.txt', { podUid: U1, qos: 'burstable', containerId: C1, runtime: 'unknown' }],
  ['containerd-cgroupfs-v2.txt', { podUid: U3, qos: 'besteffort', containerId: C3, runtime: 'unknown', v2Path: `/kubepods/besteffort/pod${U3}/${C3}` }],
  ['crio-systemd-v2.txt', { podUid: U2, qos: 'burstable', containerId: C2, runtime: 'cri-o', v2Path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${sd(U2)}.slice/crio-${C2}.scope` }],
  ['crio-conmon-systemd-v2.txt', { podUid: U2, qos: 'guaranteed', containerId: C2, runtime: 'cri-o', conmon: true, v2Path: `/kubepods.slice/kubepods-pod${sd(U2)}.slice/crio-conmon-${C2}.scope` }],
  ['crio-systemd-v2-subgroup.txt', { podUid: U3, qos: 'besteffort', containerId: C3, runtime: 'cri-o', v2Path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${sd(U3)}.slice/crio-${C3}.scope/container` }],
  ['crio-systemd-v1.txt', { podUid: U1, qos: 'besteffort', containerId: C1, runtime: 'cri-o' }],
  ['crio-cgroupfs-v1.txt', { podUid: U2, qos: 'guaranteed', containerId: C2, runtime: 'cri-o' }],
  ['docker-systemd-v1.txt', { podUid: U3, qos: 'burstable', containerId: C3, runtime: 'docker', v2Path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${sd(U3)}.slice/docker-${C3}.scope` }],
  ['docker-systemd-v2.txt', { podUid: U1, qos: 'besteffort', containerId: C1, runtime: 'docker', v2Path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${sd(U1)}.slice/docker-${C1}.scope` }],
  ['docker-cgroupfs-v1.txt', { podUid: U2, qos: 'besteffort', containerId: C2, runtime: 'unknown' }],
  ['containerd-systemd-v2-cgroupns.txt', { podUid: U3, qos: 'besteffort', containerId: C3, runtime: 'containerd', v2Path: `/../../kubepods-besteffort.slice/kubepods-besteffort-pod${sd(U3)}.slice/cri-containerd-${C3}.scope` }],
  ['containerd-cgroupfs-v2-cgroupns.txt', { podUid: U1, containerId: C1, runtime: 'unknown', v2Path: `/../../pod${U1}/${C1}` }],
  ['static-pod-systemd-v2.txt', { podUid: '8d3a1f0c6e2b49d7a5c4e1f09b2d3c4e', qos: 'burstable', containerId: C2, runtime: 'containerd', v2Path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8d3a1f0c6e2b49d7a5c4e1f09b2d3c4e.slice/cri-containerd-${C2}.scope` }],
  ['host-service-v2.txt', { v2Path: '/system.slice/nginx.service' }],
  ['docker-no-k8s-hybrid.txt', { v2Path: `/docker/${C1}` }],
  ['root-v2.txt', { v2Path: '/' }],
];

describe('parseProcCgroup: kubelet layouts (fixtures)', () => {
  for (const [file, expected] of layouts) {
    test(file, () => assert.deepEqual(parseProcCgroup(read(file)), expected));
  }

  test('every fixture file is covered', () => {
    assert.deepEqual(fs.readdirSync(FIXTURES).sort(), layouts.map(([f]) => f).sort());
  });
});

describe('parseCgroupFile', () => {
  test('v1 controller lists, named hierarchies and the v2 line', () => {
    assert.deepEqual(parseCgroupFile('4:net_cls,net_prio:/a\n1:name=systemd:/b\n0::/c\n'), [
      { hierarchyId: 4, controllers: ['net_cls', 'net_prio'], path: '/a' },
      { hierarchyId: 1, controllers: ['name=systemd'], path: '/b' },
      { hierarchyId: 0, controllers: [], path: '/c' },
    ]);
  });

  test('a path holding ":" is kept whole; malformed lines are skipped', () => {
    assert.deepEqual(parseCgroupFile('0::/odd:name/x\ngarbage\nx:y:/z\n-1::/n\n'), [{ hierarchyId: 0, controllers: [], path: '/odd:name/x' }]);
  });
});

describe('identifyCgroupPath: near misses are not pods', () => {
  const bad = [
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podnot-a-uid.slice/cri-containerd-${C1}.scope`,
    `/system.slice/pod${U1}/${C1}`, // cgroupfs pod dir outside kubepods
    `/kubepods/unknownqos/pod${U1}/${C1}`,
    '/kubepods.slice/kubepods-burstable.slice',
  ];
  for (const p of bad) test(p, () => assert.deepEqual(identifyCgroupPath(p), {}));

  test('a pod cgroup with no container below it gives the pod only', () => {
    assert.deepEqual(identifyCgroupPath(`/kubepods/burstable/pod${U1}`), { podUid: U1, qos: 'burstable' });
    assert.deepEqual(identifyCgroupPath(`/kubepods/pod${U1}/not-a-container`), { podUid: U1, qos: 'guaranteed' });
  });

  test('upper-case uids are normalised to the API form', () => {
    assert.equal(identifyCgroupPath(`/kubepods/pod${U1.toUpperCase()}/${C1}`).podUid, U1);
  });
});

describe('hostPathCandidates: undoing a cgroup namespace view', () => {
  test('a path with no "/.." is used as is', () => {
    assert.deepEqual(hostPathCandidates('/kubepods/pod1/x'), ['/kubepods/pod1/x']);
  });

  test('systemd slices rebuild their ancestors exactly', () => {
    assert.deepEqual(hostPathCandidates(`/../../kubepods-besteffort.slice/kubepods-besteffort-pod${sd(U3)}.slice/cri-containerd-${C3}.scope`), [
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${sd(U3)}.slice/cri-containerd-${C3}.scope`,
    ]);
    assert.deepEqual(hostPathCandidates(`/../kubepods-burstable-pod${sd(U1)}.slice/crio-${C1}.scope`), [
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${sd(U1)}.slice/crio-${C1}.scope`,
    ]);
  });

  test('cgroupfs: the QoS level is rebuilt when shown, guessed in order when cut', () => {
    assert.deepEqual(hostPathCandidates(`/../burstable/pod${U1}/${C1}`), [`/kubepods/burstable/pod${U1}/${C1}`]);
    assert.deepEqual(hostPathCandidates(`/../../pod${U1}/${C1}`), [
      `/kubepods/pod${U1}/${C1}`,
      `/kubepods/burstable/pod${U1}/${C1}`,
      `/kubepods/besteffort/pod${U1}/${C1}`,
    ]);
  });
});

describe('cgroup v2 ids on this machine', () => {
  test('the v2 mount is found by filesystem type (unified or hybrid)', () => {
    const mount = findCgroupV2Mount();
    assert.ok(mount === '/sys/fs/cgroup' || mount === '/sys/fs/cgroup/unified', `got ${mount}`);
    assert.equal(findCgroupV2Mount('/nonexistent'), undefined);
  });

  test('a process moved into a kubelet-shaped cgroup: parsed from /proc, id = inode of the directory', async (t) => {
    const uid = '1a2b3c4d-0000-4000-8000-00000000c9a1';
    const cid = 'ab'.repeat(32);
    const cg = makeKubeletCgroup({ podUid: uid, containerId: cid, qos: 'burstable' });
    t.after(() => cg.remove());
    const child = await cg.spawnInside(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);

    const identity = parseProcCgroup(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'));
    assert.equal(identity.podUid, uid);
    assert.equal(identity.containerId, cid);
    assert.equal(identity.runtime, 'containerd');
    assert.equal(identity.v2Path, cg.v2Path);

    const id = cgroupIdOf(cg.mount, identity.v2Path!);
    assert.equal(typeof id, 'bigint');
    assert.equal(id, BigInt(execFileSync('stat', ['-c', '%i', cg.dir], { encoding: 'utf8' }).trim()));
    assert.deepEqual(resolveCgroupId(cg.mount, identity.v2Path!), { id, hostPath: cg.v2Path });
    assert.equal(resolveCgroupId(cg.mount, '/kubepods.slice/gone.scope'), undefined);
  });
});
