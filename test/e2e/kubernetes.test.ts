/**
 * Kubernetes mode end to end on this machine: pods served by a local list/watch API server, their
 * processes running in real kubelet-shaped cgroups (cgroup v2), captured through the kernel's
 * cgroup allow map by the real BPF programs. Only selected pods are captured; records carry pod,
 * namespace, service and container id; flipping the namespace label stops capture within 5 s and
 * back resumes it; a pod annotated egress has only its outbound calls captured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { bpfAvailable } from '../helpers/bpf';
import { fixtures, run } from '../helpers/procs';
import { startEchoServer } from '../helpers/fixtures';
import { FakeKubeApiServer, namespaceObject, podObject, serviceObject } from '../helpers/k8s-api-server';
import { makeKubeletCgroup } from '../fixtures/k8s/kubelet-cgroup';
import { parseConfig } from '../../agent/config/schema';
import { createLogger } from '../../agent/log/logger';
import type { ExchangeRecord } from '../../agent/pipeline';
import { AgentRuntime } from '../../agent/runtime/agent-runtime';
import { KubernetesMode } from '../../agent/runtime/kubernetes-mode';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}

/** The port a test/fixtures/echo-server.js child prints when it listens. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo server exited ${code}: ${out}`)));
  });
}

test('Kubernetes mode: selected pods only, pod labels on records, namespace flip within 5 s, egress annotation', { timeout: 60_000 }, async (t) => {
  if (!bpfAvailable(t)) return;
  const api = new FakeKubeApiServer();
  await api.start();
  // One teardown, in order: the agent first, then what it watches and captures.
  const teardown: Array<() => unknown> = [];
  t.after(async () => {
    for (const step of teardown.reverse()) await step();
  });
  teardown.push(() => api.close());
  const uid = '5f0c2a4e-9a57-4c1b-8d2e-1a2b3c4d5e6f';
  const containerId = 'c0ffee'.padEnd(64, '0');
  const cg = makeKubeletCgroup({ podUid: uid, containerId });
  teardown.push(() => cg.remove());
  // The pod's server runs in the pod's container cgroup; another server outside any pod.
  const podServer = await cg.spawnInside(process.execPath, [path.join(fixtures, 'echo-server.js'), '0', '127.0.0.1']);
  const podPort = await listeningPort(podServer);
  // A pod in a namespace nobody opted in: its server runs in its own kubelet-shaped cgroup.
  const quietUid = '6a1d3b5f-0b68-4d2c-9e3f-2b3c4d5e6f70';
  const quietContainer = 'decade'.padEnd(64, '0');
  const quietCg = makeKubeletCgroup({ podUid: quietUid, containerId: quietContainer });
  teardown.push(() => quietCg.remove());
  const quietServer = await quietCg.spawnInside(process.execPath, [path.join(fixtures, 'echo-server.js'), '0', '127.0.0.1']);
  const quietPort = await listeningPort(quietServer);
  const outside = await startEchoServer();
  teardown.push(() => outside.proc.kill('SIGKILL'));

  api.apply('namespaces', namespaceObject('shop', { 'traceableai-mirror': 'enabled' }));
  api.apply('services', serviceObject('web', 'shop', { app: 'web' }));
  api.apply('pods', podObject({ name: 'web-1', namespace: 'shop', uid, nodeName: 'node-a', labels: { app: 'web' }, containers: { app: `containerd://${containerId}` } }));
  api.apply('namespaces', namespaceObject('quiet'));
  api.apply('pods', podObject({ name: 'db-1', namespace: 'quiet', uid: quietUid, nodeName: 'node-a', containers: { db: `containerd://${quietContainer}` } }));

  const config = parseConfig({ k8s_enabled: true, stats_interval: '1h' });
  const log = createLogger({ level: 'warn' });
  const k8s = new KubernetesMode({
    config,
    log,
    nodeName: 'node-a',
    targets: { kubeConfig: await api.kubeConfig(), rescanIntervalMs: 200, backoff: { initialMs: 50, maxMs: 400 }, minRelistIntervalMs: 0 },
  });
  const records: ExchangeRecord[] = [];
  const runtime = new AgentRuntime({ config, targets: {}, sinks: [], log, processPolicy: k8s.processPolicy, onRecord: (r) => records.push(r) });
  await runtime.start();
  teardown.push(() => runtime.stop(0));
  await k8s.start(runtime.tracer);
  teardown.push(() => k8s.stop());
  await waitFor('the pod targeted', () => k8s.current().cgroupIds.length === 1);

  const get = (port: number, p: string) => run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${port}${p}`]);
  await get(podPort, '/bytes/11');
  await get(quietPort, '/bytes/10');
  await get(outside.port, '/bytes/12');
  await waitFor('the pod exchange', () => records.length >= 1);
  await new Promise((r) => setTimeout(r, 300)); // nothing else may arrive
  assert.equal(records.length, 1, JSON.stringify(records));
  assert.deepEqual(records[0]!.process, { pid: podServer.pid, comm: 'node', container_id: containerId, pod: 'web-1', namespace: 'shop', service: 'web' });
  assert.equal(records[0]!.direction, 'ingress');
  assert.equal(records[0]!.request.target, '/bytes/11');
  assert.equal(records[0]!.connection.local.port, podPort);

  // Namespace label flipped to disabled: no longer captured, within 5 s.
  api.modify('namespaces', 'shop', undefined, (ns) => ((ns.metadata.labels as Record<string, string>)['traceableai-mirror'] = 'disabled'));
  const stoppedMs = await waitFor('capture stopped', () => k8s.current().cgroupIds.length === 0);
  assert.ok(stoppedMs < 5000);
  await get(podPort, '/bytes/13');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(records.length, 1, 'nothing captured while the namespace is disabled');

  // Back to enabled, the pod annotated egress: its outbound call is captured, inbound ones are not.
  api.modify('pods', 'web-1', 'shop', (p) => ((p.metadata.annotations as Record<string, string>)['mirror.traceable.ai/mode'] = 'egress'));
  api.modify('namespaces', 'shop', undefined, (ns) => ((ns.metadata.labels as Record<string, string>)['traceableai-mirror'] = 'enabled'));
  await waitFor('capture resumed in egress mode', () => k8s.current().byCgroupId.values().next().value?.mode === 'egress');
  await get(podPort, '/bytes/14');
  const caller = await cg.spawnInside('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${outside.port}/bytes/15`]);
  // curl may be done before spawnInside returns: only wait for an exit still to come.
  if (caller.exitCode === null && caller.signalCode === null) await new Promise((r) => caller.once('exit', r));
  await waitFor('the outbound exchange', () => records.length >= 2);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(records.length, 2, JSON.stringify(records.slice(1)));
  const out = records[1]!;
  assert.equal(out.direction, 'egress');
  assert.equal(out.request.target, '/bytes/15');
  assert.equal(out.connection.remote.port, outside.port);
  assert.deepEqual(out.process, { pid: caller.pid, comm: 'curl', container_id: containerId, pod: 'web-1', namespace: 'shop', service: 'web' });
});
