import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderAgentObjects, objectList, fromHelmValues, type KubeObject } from '../../infra/spec';
import { flagOptions, mergeOptions, renderManifests } from '../../agent/cli/commands/render';
import { validateKubeObject } from './spec-kube-schema';

const ROOT = path.join(__dirname, '..', '..');
const HELM_FIXTURE = path.join(ROOT, 'test', 'fixtures', 'helm', 'reference-values.yaml');

/** `socktap render ...` from the sources, as a user would run it. */
function socktap(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const entry = `require(${JSON.stringify(path.join(ROOT, 'agent', 'cli', 'main.ts'))}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', entry, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function documents(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as KubeObject | null;
    })
    .filter((d): d is KubeObject => d !== null);
}

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-render-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('socktap render', () => {
  it('with no input: the default objects, as YAML documents that parse back to renderAgentObjects()', () => {
    const r = socktap('render');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(documents(r.stdout), objectList(renderAgentObjects()));
  });

  it('--options file plus flags: flags win, the output equals renderAgentObjects of the merged options', () => {
    const file = tmpFile('options.yaml', 'namespace:\n  name: observability\nmode: all\nmaxBodyBytes: 4096\nexporters:\n  otlp:\n    endpoint: http://otel.obs:4318\n');
    const r = socktap('render', '--options', file, '--namespace', 'traceableai', '--mirror-all-namespaces', '--capabilities-mode', '--token-secret', 'agent-token:value');
    assert.equal(r.status, 0, r.stderr);
    const expected = renderAgentObjects({
      namespace: { name: 'traceableai' },
      mode: 'all',
      maxBodyBytes: 4096,
      exporters: { otlp: { endpoint: 'http://otel.obs:4318' } },
      mirroring: { allNamespaces: true },
      security: { mode: 'capabilities' },
      tokenSecretRef: { name: 'agent-token', key: 'value' },
    });
    const docs = documents(r.stdout);
    assert.deepEqual(docs, objectList(expected));
    for (const d of docs) validateKubeObject(d);
  });

  it('--options as JSON, --existing-namespace and --least-privilege', () => {
    const file = tmpFile('options.json', JSON.stringify({ logLevel: 'debug' }));
    const r = socktap('render', '--options', file, '--existing-namespace', '--namespace', 'kube-system', '--least-privilege', '--name', 'capture');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      documents(r.stdout),
      objectList(renderAgentObjects({ logLevel: 'debug', namespace: { name: 'kube-system', create: false }, security: { mode: 'capabilities', capabilities: 'least-privilege' }, name: 'capture' })),
    );
  });

  it('--helm-values: the mapped objects on stdout, one warning line per unsupported value on stderr', () => {
    const r = socktap('render', '--helm-values', HELM_FIXTURE);
    assert.equal(r.status, 0, r.stderr);
    const mapped = fromHelmValues(fs.readFileSync(HELM_FIXTURE, 'utf8'));
    assert.deepEqual(documents(r.stdout), objectList(renderAgentObjects(mapped.options)));
    assert.deepEqual(r.stderr.trim().split('\n'), mapped.warnings.map((w) => `socktap render: warning: ${w}`));
  });

  it('--token-secret replaces a token from the values file, with a warning; the token is not in the output', () => {
    const r = socktap('render', '--helm-values', HELM_FIXTURE, '--token-secret', 'existing');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.includes('4f2b9c7e-0d1a-4e6b-9a55-7c3e2f1d8b60'), false);
    assert.equal(documents(r.stdout).some((d) => d.kind === 'Secret'), false);
    assert.match(r.stderr, /--token-secret given: the token from the options or values file is not used/);
  });

  it('-o writes the file', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-render-')), 'socktap.yaml');
    const r = socktap('render', '-o', out, '--namespace', 'x');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(documents(fs.readFileSync(out, 'utf8')), objectList(renderAgentObjects({ namespace: { name: 'x' } })));
  });

  it('invalid options: every problem on stderr by option path, exit 1, nothing on stdout', () => {
    const file = tmpFile('bad.yaml', 'maxBodyBytes: -1\nmode: both\ntoken: abc\ntokenSecretRef: {name: s}\n');
    const r = socktap('render', '--options', file);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /invalid socktap options \(3 problems\)/);
    assert.match(r.stderr, /maxBodyBytes must be an integer from 0 to 16777216, got -1/);
    assert.match(r.stderr, /mode must be one of all, ingress, egress, got "both"/);
    assert.match(r.stderr, /token must be left unset when tokenSecretRef is given/);
  });

  it('missing file, bad YAML, unknown flag', () => {
    assert.match(socktap('render', '--options', '/nonexistent/socktap.yaml').stderr, /--options \/nonexistent\/socktap\.yaml: no such file/);
    const bad = tmpFile('bad.yaml', 'mode: [unclosed\n');
    const r = socktap('render', '--options', bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not YAML or JSON/);
    const u = socktap('render', '--token', 'abc');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /Unknown option '--token'/);
  });

  it('--help documents every flag', () => {
    const r = socktap('render', '--help');
    assert.equal(r.status, 0);
    for (const flag of ['--options', '--helm-values', '--name', '--namespace', '--existing-namespace', '--token-secret', '--mirror-all-namespaces', '--capabilities-mode', '--least-privilege', '--image', '--output']) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });

  it('is listed in socktap --help', () => {
    assert.match(socktap('help').stdout, /^ {2}render\s+Kubernetes manifests/m);
  });
});

describe('render helpers', () => {
  it('flagOptions', () => {
    assert.deepEqual(flagOptions({}), {});
    assert.deepEqual(flagOptions({ tokenSecret: 's' }), { tokenSecretRef: { name: 's' } });
    assert.deepEqual(flagOptions({ existingNamespace: true }), { namespace: { create: false } });
    assert.deepEqual(flagOptions({ capabilitiesMode: true, leastPrivilege: true }), { security: { mode: 'capabilities', capabilities: 'least-privilege' } });
  });

  it('mergeOptions merges mappings and replaces lists', () => {
    assert.deepEqual(
      mergeOptions({ namespace: { name: 'a', create: false }, redactHeaders: ['A'] }, { namespace: { name: 'b' }, redactHeaders: ['B'] }),
      { namespace: { name: 'b', create: false }, redactHeaders: ['B'] },
    );
  });

  it('renderManifests quotes YAML 1.1 booleans so kubectl reads strings', () => {
    const text = renderManifests({ labels: { enabled: 'on' }, env: { FLAG: 'yes' } });
    assert.match(text, /enabled: "on"/);
    assert.match(text, /value: "yes"/);
  });
});
