/** Pure helpers of the CDKTF adapter: shape conversion both ways, template strings, bindings, HCL splitting. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  commonAffixes,
  escapeTemplate,
  fromTerraformJson,
  hclStringLiteral,
  linkReferences,
  normalizeHcl,
  sameStructure,
  splitHclBlocks,
  toProviderConfig,
  unescapeTemplate,
} from '../../infra/cdktf';

/** cdktf's snake_casing of provider props, as synthesis applies it (map fields keep their keys). */
function snake(value: unknown, mapField = false): unknown {
  if (Array.isArray(value)) return value.map((v) => snake(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        mapField ? k : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        mapField ? v : snake(v, ['labels', 'annotations', 'data', 'matchLabels', 'limits', 'requests', 'nodeSelector'].includes(k)),
      ]),
    );
  }
  return value;
}

describe('toProviderConfig / fromTerraformJson', () => {
  const daemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'a', labels: { ports: 'label named like a field' } },
    spec: {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } },
      template: {
        spec: {
          hostPID: false,
          tolerations: [{ key: 'k', operator: 'Equal', value: 'v', tolerationSeconds: 30 }],
          volumes: [{ name: 'c', configMap: { name: 'cm', defaultMode: 0o644 } }],
          containers: [
            {
              name: 'agent',
              ports: [{ name: 'metrics', containerPort: 9464 }],
              livenessProbe: { httpGet: { path: '/healthz', port: 9464 } },
              readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' } },
              volumeMounts: [{ name: 'c', mountPath: '/etc/c', readOnly: true }],
            },
          ],
        },
      },
    },
  };

  it('renames blocks, stringifies int-or-string fields and modes, keeps map keys', () => {
    const config = toProviderConfig(daemonSet) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(config.kind, undefined);
    assert.deepStrictEqual(config.metadata.labels, { ports: 'label named like a field' });
    assert.deepStrictEqual(config.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '0' } });
    const pod = config.spec.template.spec;
    assert.equal(pod.hostPid, false);
    assert.deepStrictEqual(pod.toleration, [{ key: 'k', operator: 'Equal', value: 'v', tolerationSeconds: '30' }]);
    assert.deepStrictEqual(pod.volume[0].configMap, { name: 'cm', defaultMode: '0644' });
    const c = pod.container[0];
    assert.deepStrictEqual(c.port, [{ name: 'metrics', containerPort: 9464 }]);
    assert.deepStrictEqual(c.livenessProbe.httpGet, { path: '/healthz', port: '9464' });
    assert.deepStrictEqual(c.volumeMount, [{ name: 'c', mountPath: '/etc/c', readOnly: true }]);
  });

  it('reads synthesized JSON back to the same Kubernetes object', () => {
    assert.deepStrictEqual(fromTerraformJson('kubernetes_daemon_set_v1', snake(toProviderConfig(daemonSet)) as Record<string, unknown>), daemonSet);
  });

  it('maps Secret stringData to the provider’s plain data and back', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', stringData: { token: 't' } };
    const config = toProviderConfig(secret);
    assert.deepStrictEqual(config.data, { token: 't' });
    assert.deepStrictEqual(fromTerraformJson('kubernetes_secret_v1', snake(config) as Record<string, unknown>), secret);
  });

  it('rejects resource types it does not know', () => {
    assert.throws(() => fromTerraformJson('kubernetes_pod_v1', {}), /resource type must be one of/);
  });
});

describe('template strings', () => {
  it('escapes interpolation and directive openers and undoes it', () => {
    assert.equal(escapeTemplate('a ${b} %{c} $d {e}'), 'a $${b} %%{c} $d {e}');
    assert.equal(unescapeTemplate(escapeTemplate('x ${y} $${z}')), 'x ${y} $${z}');
  });

  it('quotes HCL string literals with escapes', () => {
    assert.equal(hclStringLiteral('say "hi"\n${x}'), '"say \\"hi\\"\\n$${x}"');
  });
});

describe('bindings helpers', () => {
  it('finds common affixes on word boundaries, never inside an escape', () => {
    const a = 'mirror: true\nnext: 1';
    const b = 'mirror: false\nnext: 1';
    const { prefix, suffix } = commonAffixes([a, b]);
    assert.equal(a.slice(0, prefix), 'mirror: ');
    assert.equal(a.slice(a.length - suffix), '\nnext: 1');
    // Cutting after `$$` would let the conditional's own `${` complete an escape.
    const escaped = commonAffixes(['x $$a', 'x $$b']);
    assert.equal('x $$a'.slice(0, escaped.prefix), 'x ');
  });

  it('compares structure, not values', () => {
    assert.ok(sameStructure({ a: [1, 'x'], b: { c: true } }, { a: [2, 'y'], b: { c: false } }));
    assert.ok(!sameStructure({ a: [1] }, { a: [1, 2] }));
    assert.ok(!sameStructure({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!sameStructure({ a: 1 }, { a: '1' }));
  });

  it('links names to references at known paths only', () => {
    const targets = new Map([['Namespace', { name: 'ns', reference: 'REF' }]]);
    const linked = linkReferences('ConfigMap', { metadata: { name: 'ns', namespace: 'ns' } }, targets);
    assert.deepStrictEqual(linked, { metadata: { name: 'ns', namespace: 'REF' } });
    assert.deepStrictEqual(linkReferences('ConfigMap', { metadata: { name: 'x', namespace: 'other' } }, targets), { metadata: { name: 'x', namespace: 'other' } });
  });
});

describe('HCL helpers', () => {
  it('splits top-level blocks, skipping heredoc braces', () => {
    const hcl = 'variable "a" {\ntype = string\n}\n\nresource "x" "y" {\ndata = {\nk = <<EOF\nheaders: {}\n}\nEOF\n}\n}\n';
    const blocks = splitHclBlocks(hcl);
    assert.equal(blocks.length, 2);
    assert.ok(blocks[1].includes('headers: {}'));
    assert.throws(() => splitHclBlocks('oops\n'), /must start with a block type/);
  });

  it('normalizes what terraform fmt changes', () => {
    assert.equal(normalizeHcl('  a   = "${var.x}"\n\n  b = "${a}-${b}"'), 'a = var.x\nb = "${a}-${b}"');
  });
});
