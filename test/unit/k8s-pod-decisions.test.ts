/**
 * Decisions: the pure join of pods, rules and process scans; the reference's log lines; and the
 * whole chain against the test API server with real kubelet-shaped cgroups on this machine
 * (label flips take effect within 5 s, egress annotations change the mode).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createLogger } from '../../agent/log/logger';
import type { PodInfo } from '../../agent/k8s/pod-view';
import type { PodCgroupScan } from '../../agent/k8s/process-scan';
import { addedPodMessage, computeTargets, PodDecisions, removedPodMessage, type TargetSet } from '../../agent/k8s/pod-decisions';
import { KubernetesTargets } from '../../agent/k8s/kubernetes-targets';
import { FakeKubeApiServer, namespaceObject, podObject, serviceObject, skipUnlessClientNodeLoads, waitFor } from '../helpers/k8s-api-server';
import { makeKubeletCgroup, type KubeletCgroup } from '../fixtures/k8s/kubelet-cgroup';

const T = new Date('2026-11-24T20:34:47Z');

function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({ now: () => T, stream: { write: (c: string) => lines.push(c.trimEnd()) } });
  return { logger, lines };
}

function pod(over: Partial<PodInfo> & { uid: string; name: string }): PodInfo {
  return {
    namespace: 'shop', nodeName: 'node-a', phase: 'Running', labels: {}, annotations: {},
    namespaceLabels: { 'traceableai-mirror': 'enabled' }, namespaceAnnotations: {}, service: null, containers: [],
    ...over,
  };
}

const CA = 'aa'.repeat(32);
const CB = 'bb'.repeat(32);

describe('computeTargets', () => {
  const scan: PodCgroupScan = {
    cgroups: [
      { cgroupId: 30n, hostPath: '/a', podUid: 'u-a', containerId: CA, runtime: 'containerd', pids: [300, 301] },
      { cgroupId: 10n, hostPath: '/a2', podUid: 'u-a', containerId: CB, runtime: 'cri-o', pids: [100] },
      { cgroupId: 11n, hostPath: '/a3', podUid: 'u-a', containerId: CB, runtime: 'cri-o', conmon: true, pids: [99] },
      { cgroupId: 20n, hostPath: '/b', podUid: 'u-b', containerId: CA, pids: [200] },
      { cgroupId: 40n, hostPath: '/c', podUid: 'u-unknown', pids: [400] },
    ],
    unresolved: [{ pid: 7, podUid: 'u-a' }, { pid: 8, podUid: 'u-b' }],
  };

  test('enabled pods only, conmon never, labels from the pod, ids sorted, fallback pids of enabled pods', () => {
    const a = pod({ uid: 'u-a', name: 'web-1', service: 'web', containers: [{ name: 'app', id: CA, runtime: 'containerd' }] });
    const b = pod({ uid: 'u-b', name: 'off-1' });
    const t = computeTargets(
      [
        { pod: a, decision: { enabled: true, mode: 'egress', warnings: [] } },
        { pod: b, decision: { enabled: false, mode: 'ingress', warnings: [] } },
      ],
      scan,
    );
    assert.deepEqual(t.cgroupIds, [10n, 30n]);
    assert.deepEqual(t.byCgroupId.get(30n), {
      cgroupId: 30n, mode: 'egress', podUid: 'u-a', pod: 'web-1', namespace: 'shop', service: 'web', containerId: CA, containerName: 'app', pids: [300, 301],
    });
    assert.equal(t.byCgroupId.get(10n)?.containerName, null, 'not in status yet');
    assert.equal(t.byPid.get(301)?.pod, 'web-1');
    assert.equal(t.byPid.get(200), undefined);
    assert.equal(t.byPid.get(99), undefined, 'conmon');
    assert.deepEqual(t.fallbackPids, [7]);
  });
});

describe('log lines', () => {
  test('"Added pod to maps." carries Name, Namespace, Service, Enabled, Mode in the reference order', () => {
    const p = pod({ uid: 'u', name: 'web-1', service: 'web' });
    assert.equal(addedPodMessage(p, { enabled: true, mode: 'ingress', warnings: [] }), 'Added pod to maps. {"Name":"web-1","Namespace":"shop","Service":"web","Enabled":true,"Mode":0}');
    assert.equal(addedPodMessage({ ...p, service: null }, { enabled: false, mode: 'egress', warnings: [] }), 'Added pod to maps. {"Name":"web-1","Namespace":"shop","Service":"","Enabled":false,"Mode":1}');
    assert.equal(addedPodMessage(p, { enabled: true, mode: 'all', warnings: [] }).endsWith('"Mode":2}'), true);
    assert.equal(removedPodMessage(p), 'Removed pod from maps. {"Name":"web-1","Namespace":"shop"}');
  });

  test('PodDecisions logs each decision once, as the logger writes it; warnings once per change', () => {
    const { logger, lines } = capturedLogger();
    const d = new PodDecisions({ logger });
    const p = pod({ uid: 'u1', name: 'web-1', service: 'web' });
    assert.equal(d.apply({ type: 'added', pod: p }), true);
    assert.equal(d.apply({ type: 'updated', pod: { ...p, containers: [{ name: 'app', id: CA, runtime: 'containerd' }] } }), false, 'a container starting is no new decision');
    assert.equal(d.apply({ type: 'updated', pod: { ...p, annotations: { 'mirror.traceable.ai/mode': 'sideways' } } }), false, 'bad mode: same decision');
    assert.equal(d.apply({ type: 'updated', pod: { ...p, annotations: { 'mirror.traceable.ai/mode': 'sideways' }, labels: { x: '1' } } }), false);
    assert.equal(d.apply({ type: 'updated', pod: { ...p, namespaceLabels: { 'traceableai-mirror': 'disabled' } } }), true);
    assert.equal(d.decision('u1')?.decision.enabled, false);
    assert.equal(d.apply({ type: 'removed', pod: p }), false, 'removing a disabled pod changes no target');
    assert.equal(d.apply({ type: 'removed', pod: p }), false);
    assert.deepEqual(lines, [
      'time="2026-11-24T20:34:47Z" level=info msg="Added pod to maps. {\\"Name\\":\\"web-1\\",\\"Namespace\\":\\"shop\\",\\"Service\\":\\"web\\",\\"Enabled\\":true,\\"Mode\\":0}"',
      'time="2026-11-24T20:34:47Z" level=warning msg="pod annotation mirror.traceable.ai/mode must be \\"ingress\\", \\"egress\\" or \\"all\\", got \\"sideways\\": using mode ingress from the agent config" pod=shop/web-1',
      'time="2026-11-24T20:34:47Z" level=info msg="Added pod to maps. {\\"Name\\":\\"web-1\\",\\"Namespace\\":\\"shop\\",\\"Service\\":\\"web\\",\\"Enabled\\":false,\\"Mode\\":0}"',
      'time="2026-11-24T20:34:47Z" level=info msg="Removed pod from maps. {\\"Name\\":\\"web-1\\",\\"Namespace\\":\\"shop\\"}"',
    ]);
    assert.deepEqual(d.decisions(), []);
  });

  test('rules config reaches the decisions (capture-all, custom keys, default mode)', () => {
    const d = new PodDecisions({ rules: { captureAllNamespaces: true, defaultMode: 'all', keys: { podModeAnnotation: 'acme/mode' } } });
    d.apply({ type: 'added', pod: pod({ uid: 'a', name: 'a', namespaceLabels: {} }) });
    d.apply({ type: 'added', pod: pod({ uid: 'b', name: 'b', namespaceLabels: {}, annotations: { 'acme/mode': 'egress' } }) });
    assert.deepEqual(d.decisions().map((x) => [x.pod.name, x.decision.enabled, x.decision.mode]), [['a', true, 'all'], ['b', true, 'egress']]);
  });
});

describe('KubernetesTargets: API server + real kubelet-shaped cgroups on this machine', { skip: skipUnlessClientNodeLoads() }, () => {
  let server: FakeKubeApiServer;
  let targets: KubernetesTargets | undefined;
  let cgroups: KubeletCgroup[];
  let seen: TargetSet[];

  beforeEach(async () => {
    server = new FakeKubeApiServer();
    await server.start();
    cgroups = [];
    seen = [];
  });

  afterEach(async () => {
    await targets?.stop();
    targets = undefined;
    await server.close();
    for (const cg of cgroups) await cg.remove();
  });

  /** A pod on node-a with one container whose process runs in a real cgroup. */
  async function runningPod(name: string, namespace: string, uid: string, containerId: string, extra: { annotations?: Record<string, string>; labels?: Record<string, string>; nodeName?: string } = {}) {
    const cg = makeKubeletCgroup({ podUid: uid, containerId });
    cgroups.push(cg);
    const child = await cg.spawnInside(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    server.apply('pods', podObject({ name, namespace, uid, nodeName: extra.nodeName ?? 'node-a', labels: extra.labels, annotations: extra.annotations, containers: { app: `containerd://${containerId}` } }));
    return { cgroupId: fs.statSync(cg.dir, { bigint: true }).ino, pid: child.pid! };
  }

  async function startTargets(rules = {}) {
    const { logger, lines } = capturedLogger();
    targets = new KubernetesTargets({
      nodeName: 'node-a',
      kubeConfig: await server.kubeConfig(),
      procRoot: '/proc',
      rules,
      logger,
      rescanIntervalMs: 200,
      backoff: { initialMs: 50, maxMs: 400 },
      minRelistIntervalMs: 0,
      onTargets: (t) => seen.push(t),
    });
    await targets.start();
    return lines;
  }

  const latest = () => seen[seen.length - 1];

  test('only selected pods are targeted; labels resolved; label flips apply within 5 s; egress annotation', async () => {
    server.apply('namespaces', namespaceObject('shop', { 'traceableai-mirror': 'enabled' }));
    server.apply('namespaces', namespaceObject('quiet'));
    server.apply('services', serviceObject('web', 'shop', { app: 'web' }));
    const web = await runningPod('web-1', 'shop', '11111111-2222-4333-8444-555555555501', '01'.repeat(32), { labels: { app: 'web' } });
    const quiet = await runningPod('db-1', 'quiet', '11111111-2222-4333-8444-555555555502', '02'.repeat(32));
    const optedOut = await runningPod('batch-1', 'shop', '11111111-2222-4333-8444-555555555503', '03'.repeat(32), { annotations: { 'mirror.traceable.ai/enabled': 'false' } });
    const lines = await startTargets();

    await waitFor(() => latest()?.cgroupIds.includes(web.cgroupId) === true, 5000, 'web-1 targeted');
    assert.deepEqual(latest().cgroupIds, [web.cgroupId]);
    assert.ok(!latest().cgroupIds.includes(quiet.cgroupId) && !latest().cgroupIds.includes(optedOut.cgroupId));
    const label = latest().byPid.get(web.pid)!;
    assert.deepEqual([label.pod, label.namespace, label.service, label.containerName, label.mode], ['web-1', 'shop', 'web', 'app', 'ingress']);
    assert.ok(lines.some((l) => l.includes('Added pod to maps. {\\"Name\\":\\"web-1\\",\\"Namespace\\":\\"shop\\",\\"Service\\":\\"web\\",\\"Enabled\\":true,\\"Mode\\":0}')));
    assert.ok(lines.some((l) => l.includes('{\\"Name\\":\\"db-1\\",\\"Namespace\\":\\"quiet\\",\\"Service\\":\\"\\",\\"Enabled\\":false,\\"Mode\\":0}')));

    // Namespace label flipped to disabled: gone within 5 s. And back.
    let t0 = Date.now();
    server.modify('namespaces', 'shop', undefined, (ns) => ((ns.metadata.labels as Record<string, string>)['traceableai-mirror'] = 'disabled'));
    await waitFor(() => latest().cgroupIds.length === 0, 5000, 'capture stopped');
    assert.ok(Date.now() - t0 < 5000);
    t0 = Date.now();
    server.modify('namespaces', 'shop', undefined, (ns) => ((ns.metadata.labels as Record<string, string>)['traceableai-mirror'] = 'enabled'));
    await waitFor(() => latest().cgroupIds.includes(web.cgroupId), 5000, 'capture resumed');

    // The quiet namespace opted in: its pod joins.
    server.modify('namespaces', 'quiet', undefined, (ns) => ((ns.metadata.labels as Record<string, string>)['traceableai-mirror'] = 'enabled'));
    await waitFor(() => latest().cgroupIds.includes(quiet.cgroupId), 5000, 'db-1 targeted');

    // Egress by pod annotation.
    server.modify('pods', 'web-1', 'shop', (p) => ((p.metadata.annotations as Record<string, string>)['mirror.traceable.ai/mode'] = 'egress'));
    await waitFor(() => latest().byCgroupId.get(web.cgroupId)?.mode === 'egress', 5000, 'mode egress');
    assert.ok(lines.some((l) => l.includes('{\\"Name\\":\\"web-1\\",\\"Namespace\\":\\"shop\\",\\"Service\\":\\"web\\",\\"Enabled\\":true,\\"Mode\\":1}')));

    // Pod deleted: removed from the targets and logged.
    server.delete('pods', 'web-1', 'shop');
    await waitFor(() => !latest().cgroupIds.includes(web.cgroupId), 5000, 'web-1 removed');
    assert.ok(lines.some((l) => l.includes('Removed pod from maps. {\\"Name\\":\\"web-1\\",\\"Namespace\\":\\"shop\\"}')));
  });

  test('capture_all_namespaces with a disabled namespace; a pod on another node never counts', async () => {
    server.apply('namespaces', namespaceObject('a'));
    server.apply('namespaces', namespaceObject('b', { 'traceableai-mirror': 'disabled' }));
    const inA = await runningPod('x', 'a', '11111111-2222-4333-8444-5555555555a1', 'a1'.repeat(32));
    const inB = await runningPod('y', 'b', '11111111-2222-4333-8444-5555555555b1', 'b1'.repeat(32));
    // Same uid shape in a cgroup here, but the API says the pod runs elsewhere.
    const other = await runningPod('z', 'a', '11111111-2222-4333-8444-5555555555c1', 'c1'.repeat(32), { nodeName: 'node-b' });
    await startTargets({ captureAllNamespaces: true });
    await waitFor(() => latest()?.cgroupIds.includes(inA.cgroupId) === true, 5000);
    assert.deepEqual(latest().cgroupIds, [inA.cgroupId]);
    assert.ok(!latest().cgroupIds.includes(inB.cgroupId) && !latest().cgroupIds.includes(other.cgroupId));
  });

  test('a process started after its pod was announced is picked up by the periodic rescan', async () => {
    server.apply('namespaces', namespaceObject('shop', { 'traceableai-mirror': 'enabled' }));
    const uid = '11111111-2222-4333-8444-5555555555d1';
    server.apply('pods', podObject({ name: 'late', namespace: 'shop', uid, nodeName: 'node-a' }));
    await startTargets();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(latest()?.cgroupIds.length ?? 0, 0);
    const cg = makeKubeletCgroup({ podUid: uid, containerId: 'd1'.repeat(32) });
    cgroups.push(cg);
    await cg.spawnInside(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const id = fs.statSync(cg.dir, { bigint: true }).ino;
    await waitFor(() => latest()?.cgroupIds.includes(id) === true, 3000, 'late process targeted');
  });
});
