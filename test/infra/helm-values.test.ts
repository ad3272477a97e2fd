import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../agent/config/schema';
import { fromHelmValues, renderAgentObjects, objectList, SpecValidationError } from '../../infra/spec';
import { validateKubeObject } from './spec-kube-schema';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'helm', 'reference-values.yaml');

describe('fromHelmValues: the reference values.yaml fixture', () => {
  const { options, warnings } = fromHelmValues(fs.readFileSync(FIXTURE, 'utf8'));

  it('maps the chart values the issue names', () => {
    assert.equal(options.token, '4f2b9c7e-0d1a-4e6b-9a55-7c3e2f1d8b60');
    assert.equal(options.environment, 'staging-eu');
    assert.deepEqual(options.mirroring, { enabled: true, allNamespaces: true });
    assert.deepEqual(options.security, { mode: 'capabilities', capabilities: ['SYS_PTRACE', 'SYS_ADMIN', 'BPF', 'PERFMON'] });
  });

  it('maps scheduling, image pull policy, env, resources and log level', () => {
    assert.equal(options.scheduleOnControlPlane, false);
    assert.equal(options.logLevel, 'warn');
    assert.equal(options.imagePullPolicy, 'Always');
    assert.deepEqual(options.nodeSelector, { 'node.kubernetes.io/pool': 'workloads' });
    assert.equal(options.tolerations?.length, 2);
    assert.equal(options.priorityClassName, 'system-node-critical');
    assert.deepEqual(options.updateStrategy, { type: 'RollingUpdate', maxUnavailable: 2, maxSurge: 0 });
    assert.deepEqual(options.env, { HTTPS_PROXY: 'http://proxy.internal:3128' });
    assert.deepEqual(options.resources, { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  it('warns once for each set value without a counterpart, and not for values left off', () => {
    const keys = warnings.map((w) => w.split(' ')[0]);
    assert.deepEqual(keys.sort(), ['ebpfBtfDownloadsPath', 'ebpfServiceAccountName', 'ebpfTracerImageName', 'ebpfTracerVersion', 'endpoint', 'imageRegistry', 'tlsEnabled']);
    for (const quiet of ['blockingEnabled', 'injectorEnabled', 'ebpfEnableJavaTlsCapture', 'ebpfSslKeylogIncludeRules', 'runAsDaemonSet', 'ebpfCaptureEnabled']) {
      assert.equal(warnings.some((w) => w.startsWith(quiet)), false, quiet);
    }
  });

  it('renders valid objects whose config captures in all namespaces', () => {
    const objects = renderAgentObjects(options);
    for (const o of objectList(objects)) validateKubeObject(o);
    const config = parseConfig(parse((objects.configMap.data as Record<string, string>)['config.yaml']));
    assert.equal(config.capture_all_namespaces, true);
    assert.equal(config.log_level, 'warn');
    assert.equal(objects.secret?.stringData && (objects.secret.stringData as Record<string, string>).token, options.token);
  });
});

describe('fromHelmValues: single values', () => {
  it('the reference documentation example', () => {
    const { options, warnings } = fromHelmValues('token: abc\nenvironment: prod\nrunAsDaemonSet: false\ndaemonSetMirroringEnabled: true\nebpfCaptureEnabled: true\nebpfRunAsPrivileged: true\n');
    assert.deepEqual(options, { token: 'abc', environment: 'prod', mirroring: { enabled: true }, security: { mode: 'privileged' } });
    assert.deepEqual(warnings, []);
  });

  it('ebpfAllowedCapabilities only matters when not privileged', () => {
    assert.deepEqual(fromHelmValues('ebpfRunAsPrivileged: true\nebpfAllowedCapabilities: [SYS_PTRACE, SYS_ADMIN]\n').options, { security: { mode: 'privileged' } });
  });

  it('daemonSetMirrorAllNamespaces without mirroring is ignored with a warning, as the chart ignores it', () => {
    const { options, warnings } = fromHelmValues('daemonSetMirroringEnabled: false\ndaemonSetMirrorAllNamespaces: true\n');
    assert.deepEqual(options, { mirroring: { enabled: false } });
    assert.match(warnings[0] ?? '', /^daemonSetMirrorAllNamespaces: true has no effect while daemonSetMirroringEnabled is false/);
    renderAgentObjects(options);
  });

  it('ebpfCaptureEnabled: false and runAsDaemonSet: true warn', () => {
    const { warnings } = fromHelmValues('ebpfCaptureEnabled: false\nrunAsDaemonSet: true\n');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /^ebpfCaptureEnabled: false/);
    assert.match(warnings[1] ?? '', /^runAsDaemonSet: true concerns the reference platform agent/);
  });

  it('ebpfEnvironment wins over environment; empty token means no token', () => {
    assert.deepEqual(fromHelmValues('environment: a\nebpfEnvironment: b\ntoken: ""\n').options, { environment: 'b' });
  });

  it('disabled priority class and update strategy are not used', () => {
    assert.deepEqual(fromHelmValues('ebpfPriorityClass: {enabled: false, name: x}\nebpfUpdateStrategy: {enabled: false, type: OnDelete}\n').options, {});
  });

  it('an empty file is the defaults', () => {
    assert.deepEqual(fromHelmValues(''), { options: {}, warnings: [] });
  });

  it('bad values pass through and fail validation naming the socktap option', () => {
    const { options } = fromHelmValues('ebpfLogLevel: verbose\n');
    assert.throws(() => renderAgentObjects(options), (err: SpecValidationError) => err.issues.some((i) => i.startsWith('logLevel must be one of')));
  });

  it('not YAML, or not a mapping: SpecValidationError', () => {
    assert.throws(() => fromHelmValues('token: [unclosed\n'), (err: SpecValidationError) => err.code === 'SOCKTAP_SPEC' && /values\.yaml must be valid YAML/.test(err.issues[0] ?? ''));
    assert.throws(() => fromHelmValues('- a\n- b\n'), /values\.yaml must be a mapping of chart values, got a list/);
  });
});
