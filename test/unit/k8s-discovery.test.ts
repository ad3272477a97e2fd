/**
 * Discovery against a local list/watch server: node-local pods with namespace and service
 * resolved, runtime label changes, dropped watches that resume, 410 relists, refused lists that
 * back off and restart.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PodDiscovery, type PodChange } from '../../agent/k8s/discovery';
import { parseContainerId, podInfoKey, podInfoOf, serviceForPod } from '../../agent/k8s/pod-view';
import { skipUnlessClientNodeLoads, FakeKubeApiServer, namespaceObject, podObject, serviceObject, waitFor } from '../helpers/k8s-api-server';

const CID = `containerd://${'a1'.repeat(32)}`;

describe('pod-view helpers', () => {
  test('parseContainerId: runtime schemes, bare ids, not started', () => {
    assert.deepEqual(parseContainerId(CID), { id: 'a1'.repeat(32), runtime: 'containerd' });
    assert.deepEqual(parseContainerId('cri-o://abc'), { id: 'abc', runtime: 'cri-o' });
    assert.deepEqual(parseContainerId('docker://abc'), { id: 'abc', runtime: 'docker' });
    assert.deepEqual(parseContainerId('rkt://abc'), { id: 'abc', runtime: 'unknown' });
    assert.deepEqual(parseContainerId('abc'), { id: 'abc', runtime: 'unknown' });
    assert.equal(parseContainerId(''), undefined);
    assert.equal(parseContainerId(undefined), undefined);
  });

  test('serviceForPod: selector subset of labels, same namespace, empty selector selects nothing, first name wins', () => {
    const svcs = [
      serviceObject('zeta', 'shop', { app: 'web' }),
      serviceObject('alpha', 'shop', { app: 'web', tier: 'front' }),
      serviceObject('other-ns', 'bank', { app: 'web' }),
      serviceObject('headless-manual', 'shop', {}),
      { metadata: { name: 'no-selector', namespace: 'shop' }, spec: {} },
    ];
    assert.equal(serviceForPod('shop', { app: 'web', tier: 'front' }, svcs), 'alpha');
    assert.equal(serviceForPod('shop', { app: 'web' }, svcs), 'zeta');
    assert.equal(serviceForPod('shop', { app: 'db' }, svcs), null);
    assert.equal(serviceForPod('bank', { app: 'web' }, svcs), 'other-ns');
  });

  test('podInfoOf: containers with ids only, namespace maps, key ignores map order', () => {
    const pod = podObject({ name: 'p', namespace: 'shop', nodeName: 'n', uid: 'u-1', labels: { a: '1', b: '2' }, containers: { app: CID, sidecar: '' } });
    const info = podInfoOf(pod, namespaceObject('shop', { x: 'y' }), [])!;
    assert.deepEqual(info.containers, [{ name: 'app', id: 'a1'.repeat(32), runtime: 'containerd' }]);
    assert.equal(info.namespaceLabels.x, 'y');
    assert.equal(info.service, null);
    const reordered = podInfoOf({ ...pod, metadata: { ...pod.metadata, labels: { b: '2', a: '1' } } }, namespaceObject('shop', { x: 'y' }), [])!;
    assert.equal(podInfoKey(reordered), podInfoKey(info));
    assert.equal(podInfoOf({ metadata: { name: 'x' } }, undefined, []), undefined);
  });
});

describe('PodDiscovery against the test API server', { skip: skipUnlessClientNodeLoads() }, () => {
  let server: FakeKubeApiServer;
  let discovery: PodDiscovery | undefined;
  let changes: PodChange[];

  beforeEach(async () => {
    server = new FakeKubeApiServer();
    await server.start();
    changes = [];
  });

  afterEach(async () => {
    await discovery?.stop();
    discovery = undefined;
    await server.close();
  });

  async function startDiscovery(extra: { minRelistIntervalMs?: number } = {}): Promise<PodDiscovery> {
    discovery = new PodDiscovery({
      nodeName: 'node-a',
      kubeConfig: await server.kubeConfig(),
      onChange: (c) => changes.push(c),
      backoff: { initialMs: 50, maxMs: 400 },
      minRelistIntervalMs: extra.minRelistIntervalMs ?? 0,
    });
    await discovery.start();
    return discovery;
  }

  const names = () => changes.map((c) => `${c.type} ${c.pod.namespace}/${c.pod.name}`);

  test('lists only this node\'s pods, with namespace labels and service resolved', async () => {
    server.apply('namespaces', namespaceObject('shop', { 'traceableai-mirror': 'enabled' }, { 'mirror.traceable.ai/defaultMode': 'egress' }));
    server.apply('services', serviceObject('web', 'shop', { app: 'web' }));
    server.apply('pods', podObject({ name: 'web-1', namespace: 'shop', nodeName: 'node-a', labels: { app: 'web' }, containers: { app: CID } }));
    server.apply('pods', podObject({ name: 'web-2', namespace: 'shop', nodeName: 'node-b', labels: { app: 'web' } }));
    const d = await startDiscovery();
    assert.deepEqual(names(), ['added shop/web-1']);
    const pod = changes[0].pod;
    assert.equal(pod.service, 'web');
    assert.equal(pod.namespaceLabels['traceableai-mirror'], 'enabled');
    assert.equal(pod.namespaceAnnotations['mirror.traceable.ai/defaultMode'], 'egress');
    assert.equal(pod.containers[0].id, 'a1'.repeat(32));
    assert.deepEqual(d.pods().map((p) => p.name), ['web-1']);
    assert.deepEqual(server.requests.lists, { pods: 1, namespaces: 1, services: 1 });
  });

  test('runtime changes: pod added, namespace label flipped, service added, pod annotated, pod finished, pod deleted', async () => {
    server.apply('namespaces', namespaceObject('shop'));
    await startDiscovery();
    server.apply('pods', podObject({ name: 'web-1', namespace: 'shop', nodeName: 'node-a', labels: { app: 'web' } }));
    server.apply('pods', podObject({ name: 'elsewhere', namespace: 'shop', nodeName: 'node-b' }));
    await waitFor(() => changes.length === 1);
    assert.deepEqual(names(), ['added shop/web-1']);

    server.modify('namespaces', 'shop', undefined, (ns) => ((ns.metadata.labels as Record<string, string>)['traceableai-mirror'] = 'disabled'));
    await waitFor(() => changes.length === 2);
    assert.equal(changes[1].type, 'updated');
    assert.equal(changes[1].pod.namespaceLabels['traceableai-mirror'], 'disabled');

    server.apply('services', serviceObject('web', 'shop', { app: 'web' }));
    await waitFor(() => changes.length === 3);
    assert.equal(changes[2].pod.service, 'web');

    server.modify('pods', 'web-1', 'shop', (p) => ((p.metadata.annotations as Record<string, string>)['mirror.traceable.ai/mode'] = 'egress'));
    await waitFor(() => changes.length === 4);
    assert.equal(changes[3].pod.annotations['mirror.traceable.ai/mode'], 'egress');

    // A status-only change that alters nothing we read is not a change.
    server.modify('pods', 'web-1', 'shop', (p) => ((p.status as Record<string, unknown>).podIP = '10.0.0.9'));
    server.apply('pods', podObject({ name: 'job-1', namespace: 'shop', nodeName: 'node-a' }));
    await waitFor(() => changes.length === 5);
    assert.equal(names()[4], 'added shop/job-1');
    server.modify('pods', 'job-1', 'shop', (p) => ((p.status as Record<string, unknown>).phase = 'Succeeded'));
    await waitFor(() => changes.length === 6);
    assert.equal(names()[5], 'removed shop/job-1');

    server.delete('pods', 'web-1', 'shop');
    await waitFor(() => changes.length === 7);
    assert.equal(names()[6], 'removed shop/web-1');
    assert.deepEqual(discovery!.pods(), []);
  });

  test('a dropped watch connection resumes from its resourceVersion, without relisting', async () => {
    server.apply('namespaces', namespaceObject('shop'));
    server.apply('pods', podObject({ name: 'a', namespace: 'shop', nodeName: 'node-a' }));
    await startDiscovery();
    await waitFor(() => server.requests.watches.pods === 1);
    const watchesBefore = server.requests.watches.pods;
    assert.ok(server.dropWatches() >= 3, 'pods, namespaces and services watches were open');
    // Written while no watch is open: the resumed watch replays it from history.
    server.apply('pods', podObject({ name: 'b', namespace: 'shop', nodeName: 'node-a' }));
    await waitFor(() => changes.some((c) => c.pod.name === 'b'));
    assert.ok(server.requests.watches.pods > watchesBefore);
    assert.deepEqual(server.requests.lists, { pods: 1, namespaces: 1, services: 1 });

    // And once more, the second time through the library's backoff.
    server.dropWatches();
    server.delete('pods', 'a', 'shop');
    await waitFor(() => changes.some((c) => c.type === 'removed' && c.pod.name === 'a'), 5000);
    assert.deepEqual(names(), ['added shop/a', 'added shop/b', 'removed shop/a']);
  });

  for (const form of ['ERROR event', 'HTTP status'] as const) {
    test(`410 Gone (${form}) relists; what changed meanwhile is applied, deletions included`, async () => {
      server.goneAsHttpStatus = form === 'HTTP status';
      server.apply('namespaces', namespaceObject('shop'));
      server.apply('pods', podObject({ name: 'a', namespace: 'shop', nodeName: 'node-a' }));
      await startDiscovery();
      await waitFor(() => server.requests.watches.pods === 1);
      server.apply('pods', podObject({ name: 'b', namespace: 'shop', nodeName: 'node-a' }));
      server.delete('pods', 'a', 'shop');
      await waitFor(() => changes.length === 3);
      // History compacted, then the connection drops: resuming from the old version is refused.
      server.expireHistory();
      server.dropWatches();
      server.apply('pods', podObject({ name: 'c', namespace: 'shop', nodeName: 'node-a' }));
      await waitFor(() => changes.some((c) => c.pod.name === 'c'), 5000);
      assert.ok(server.requests.lists.pods >= 2, 'pods relisted');
      assert.deepEqual(discovery!.pods().map((p) => p.name).sort(), ['b', 'c']);
    });
  }

  test('relists are spaced out by minRelistIntervalMs', async () => {
    server.apply('namespaces', namespaceObject('shop'));
    await startDiscovery({ minRelistIntervalMs: 700 });
    const t0 = Date.now();
    server.expireHistory();
    server.dropWatches();
    server.apply('pods', podObject({ name: 'x', namespace: 'shop', nodeName: 'node-a' }));
    await waitFor(() => changes.some((c) => c.pod.name === 'x'), 5000);
    assert.ok(Date.now() - t0 >= 500, `relist waited (${Date.now() - t0} ms)`);
  });

  test('refused lists restart with backoff until the server answers', async () => {
    server.apply('namespaces', namespaceObject('shop'));
    server.apply('pods', podObject({ name: 'a', namespace: 'shop', nodeName: 'node-a' }));
    server.failNext(500, 3, 'pods');
    const d = await startDiscovery();
    await waitFor(() => changes.length === 1, 5000);
    assert.deepEqual(names(), ['added shop/a']);
    assert.ok(d.stats().restarts.pods >= 3, JSON.stringify(d.stats()));
  });

  test('a refused watch (500) restarts too, and nothing is lost', async () => {
    server.apply('namespaces', namespaceObject('shop'));
    await startDiscovery();
    await waitFor(() => server.requests.watches.pods === 1);
    server.failNext(500, 2, 'pods');
    server.dropWatches();
    server.apply('pods', podObject({ name: 'late', namespace: 'shop', nodeName: 'node-a' }));
    await waitFor(() => changes.some((c) => c.pod.name === 'late'), 5000);
  });

  test('stop() ends every watch and no restart follows', async () => {
    server.apply('namespaces', namespaceObject('shop'));
    const d = await startDiscovery();
    await d.stop();
    discovery = undefined;
    const watches = server.requests.watches.pods;
    server.apply('pods', podObject({ name: 'after', namespace: 'shop', nodeName: 'node-a' }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(changes.length, 0);
    assert.equal(server.requests.watches.pods, watches);
  });

  test('nodeName is required', () => {
    assert.throws(() => new PodDiscovery({ nodeName: '', onChange: () => {} }), { name: 'TypeError', message: 'nodeName must be a non-empty string, got ""' });
  });
});
