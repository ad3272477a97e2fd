/** Mirroring rules: every row of DESIGN §3's table, their conflicts, unknown values and custom keys. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideMirroring,
  DEFAULT_MIRRORING_KEYS,
  MIRROR_MODE_NUMBER,
  resolveMirroringConfig,
  type MirroringConfig,
  type MirroringInput,
  type MirrorMode,
} from '../../agent/k8s/mirroring-rules';

const NS = 'traceableai-mirror';
const EN = 'mirror.traceable.ai/enabled';
const MODE = 'mirror.traceable.ai/mode';
const DEF = 'mirror.traceable.ai/defaultMode';

interface Row {
  name: string;
  input: MirroringInput;
  config?: MirroringConfig;
  enabled: boolean;
  mode: MirrorMode;
  warnings?: number;
}

const ALL: MirroringConfig = { captureAllNamespaces: true };

const rows: Row[] = [
  // the table, row by row
  { name: 'default: off for every namespace', input: {}, enabled: false, mode: 'ingress' },
  { name: 'capture_all_namespaces: on', input: {}, config: ALL, enabled: true, mode: 'ingress' },
  { name: 'namespace label enabled: on', input: { namespaceLabels: { [NS]: 'enabled' } }, enabled: true, mode: 'ingress' },
  { name: 'namespace label disabled: off', input: { namespaceLabels: { [NS]: 'disabled' } }, enabled: false, mode: 'ingress' },
  { name: 'pod enabled "false": off', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [EN]: 'false' } }, enabled: false, mode: 'ingress' },
  { name: 'pod mode egress', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [MODE]: 'egress' } }, enabled: true, mode: 'egress' },
  { name: 'pod mode ingress', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [MODE]: 'ingress' } }, enabled: true, mode: 'ingress' },
  { name: 'pod mode all', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [MODE]: 'all' } }, enabled: true, mode: 'all' },
  { name: 'namespace defaultMode egress', input: { namespaceLabels: { [NS]: 'enabled' }, namespaceAnnotations: { [DEF]: 'egress' } }, enabled: true, mode: 'egress' },
  { name: 'otherwise: ingress', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { unrelated: 'x' } }, enabled: true, mode: 'ingress' },

  // conflicts
  { name: 'disabled label beats capture-all', input: { namespaceLabels: { [NS]: 'disabled' } }, config: ALL, enabled: false, mode: 'ingress' },
  { name: 'disabled label beats pod enabled "true"', input: { namespaceLabels: { [NS]: 'disabled' }, podAnnotations: { [EN]: 'true' } }, config: ALL, enabled: false, mode: 'ingress' },
  { name: 'pod "false" beats capture-all', input: { podAnnotations: { [EN]: 'false' } }, config: ALL, enabled: false, mode: 'ingress' },
  { name: 'pod "true" does not pull a pod into an unmirrored namespace', input: { podAnnotations: { [EN]: 'true' } }, enabled: false, mode: 'ingress' },
  { name: 'pod "true" in a mirrored namespace stays on', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [EN]: 'true' } }, enabled: true, mode: 'ingress' },
  { name: 'enabled label with capture-all: on', input: { namespaceLabels: { [NS]: 'enabled' } }, config: ALL, enabled: true, mode: 'ingress' },
  { name: 'pod mode beats namespace defaultMode', input: { namespaceLabels: { [NS]: 'enabled' }, namespaceAnnotations: { [DEF]: 'egress' }, podAnnotations: { [MODE]: 'ingress' } }, enabled: true, mode: 'ingress' },
  { name: 'pod mode all beats namespace defaultMode egress', input: { namespaceAnnotations: { [DEF]: 'egress' }, podAnnotations: { [MODE]: 'all' } }, config: ALL, enabled: true, mode: 'all' },
  { name: 'namespace defaultMode beats config mode', input: { namespaceAnnotations: { [DEF]: 'egress' } }, config: { captureAllNamespaces: true, defaultMode: 'all' }, enabled: true, mode: 'egress' },
  { name: 'config mode applies when neither says', input: {}, config: { captureAllNamespaces: true, defaultMode: 'egress' }, enabled: true, mode: 'egress' },
  { name: 'mode decided even when disabled (for the log line)', input: { namespaceLabels: { [NS]: 'disabled' }, podAnnotations: { [MODE]: 'egress' } }, enabled: false, mode: 'egress' },
  { name: 'defaultMode is an annotation: as a label it is ignored', input: { namespaceLabels: { [NS]: 'enabled', [DEF]: 'egress' } }, enabled: true, mode: 'ingress' },
  { name: 'the namespace switch is a label: as an annotation it is ignored', input: { namespaceAnnotations: { [NS]: 'enabled' } }, enabled: false, mode: 'ingress' },

  // spelling kubectl users write
  { name: 'values are trimmed and case-insensitive', input: { namespaceLabels: { [NS]: 'Enabled' }, podAnnotations: { [MODE]: ' EGRESS ' } }, enabled: true, mode: 'egress' },
  { name: 'pod "FALSE" is "false"', input: { podAnnotations: { [EN]: 'FALSE' } }, config: ALL, enabled: false, mode: 'ingress' },

  // unknown values: warning + documented fallback
  { name: 'unknown namespace label value: off (fails closed), even with capture-all', input: { namespaceLabels: { [NS]: 'yes' } }, config: ALL, enabled: false, mode: 'ingress', warnings: 1 },
  { name: 'empty namespace label value: off with a warning', input: { namespaceLabels: { [NS]: '' } }, config: ALL, enabled: false, mode: 'ingress', warnings: 1 },
  { name: 'unknown pod enabled value: off (fails closed)', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [EN]: 'no' } }, enabled: false, mode: 'ingress', warnings: 1 },
  { name: 'unknown pod mode: namespace default decides', input: { namespaceLabels: { [NS]: 'enabled' }, namespaceAnnotations: { [DEF]: 'egress' }, podAnnotations: { [MODE]: 'both' } }, enabled: true, mode: 'egress', warnings: 1 },
  { name: 'unknown pod mode: config mode decides', input: { namespaceLabels: { [NS]: 'enabled' }, podAnnotations: { [MODE]: 'outbound' } }, config: { defaultMode: 'all' }, enabled: true, mode: 'all', warnings: 1 },
  { name: 'unknown namespace defaultMode: config mode decides', input: { namespaceLabels: { [NS]: 'enabled' }, namespaceAnnotations: { [DEF]: 'Egres' } }, enabled: true, mode: 'ingress', warnings: 1 },
  { name: 'unknown namespace defaultMode, valid pod mode: pod wins, still warned', input: { namespaceLabels: { [NS]: 'enabled' }, namespaceAnnotations: { [DEF]: 'x' }, podAnnotations: { [MODE]: 'egress' } }, enabled: true, mode: 'egress', warnings: 1 },
  { name: 'every key unknown: four warnings', input: { namespaceLabels: { [NS]: '?' }, namespaceAnnotations: { [DEF]: '?' }, podAnnotations: { [EN]: '?', [MODE]: '?' } }, config: ALL, enabled: false, mode: 'ingress', warnings: 4 },

  // absent maps (the API omits empty labels/annotations)
  { name: 'null maps are empty maps', input: { namespaceLabels: null, namespaceAnnotations: null, podAnnotations: null }, config: ALL, enabled: true, mode: 'ingress' },
];

describe('decideMirroring: the rules table and its conflicts', () => {
  for (const row of rows) {
    test(row.name, () => {
      const d = decideMirroring(row.input, row.config);
      assert.equal(d.enabled, row.enabled, 'enabled');
      assert.equal(d.mode, row.mode, 'mode');
      assert.equal(d.warnings.length, row.warnings ?? 0, `warnings: ${d.warnings.join(' | ')}`);
    });
  }
});

describe('warnings', () => {
  test('name the key, the value, what was expected and the fallback taken', () => {
    const d = decideMirroring({ namespaceLabels: { [NS]: 'yes' }, podAnnotations: { [MODE]: 'both' } }, ALL);
    assert.deepEqual(d.warnings, [
      'namespace label traceableai-mirror must be "enabled" or "disabled", got "yes": using mirroring off for the namespace',
      'pod annotation mirror.traceable.ai/mode must be "ingress", "egress" or "all", got "both": using mode ingress from the agent config',
    ]);
  });

  test('an unknown pod mode under a valid namespace default says so', () => {
    const d = decideMirroring({ namespaceAnnotations: { [DEF]: 'egress' }, podAnnotations: { [MODE]: 'x' } }, ALL);
    assert.deepEqual(d.warnings, ['pod annotation mirror.traceable.ai/mode must be "ingress", "egress" or "all", got "x": using mode egress from the namespace default']);
  });
});

describe('configurable keys', () => {
  const keys = { namespaceLabel: 'acme/capture', podEnabledAnnotation: 'acme/enabled', podModeAnnotation: 'acme/mode', namespaceDefaultModeAnnotation: 'acme/default-mode' };

  test('custom keys are read and the reference keys are then ignored', () => {
    const config = { keys };
    assert.equal(decideMirroring({ namespaceLabels: { 'acme/capture': 'enabled' } }, config).enabled, true);
    assert.equal(decideMirroring({ namespaceLabels: { [NS]: 'enabled' } }, config).enabled, false);
    const d = decideMirroring({ namespaceLabels: { 'acme/capture': 'enabled' }, namespaceAnnotations: { 'acme/default-mode': 'all' }, podAnnotations: { [MODE]: 'egress' } }, config);
    assert.equal(d.mode, 'all');
    assert.equal(decideMirroring({ namespaceLabels: { 'acme/capture': 'enabled' }, podAnnotations: { 'acme/enabled': 'false' } }, config).enabled, false);
    assert.equal(decideMirroring({ namespaceLabels: { 'acme/capture': 'enabled' }, podAnnotations: { 'acme/mode': 'egress' } }, config).mode, 'egress');
  });

  test('one key overridden, the others keep the reference defaults', () => {
    const r = resolveMirroringConfig({ keys: { namespaceLabel: 'acme/capture', podModeAnnotation: undefined } });
    assert.deepEqual(r.keys, { ...DEFAULT_MIRRORING_KEYS, namespaceLabel: 'acme/capture' });
    assert.equal(r.captureAllNamespaces, false);
    assert.equal(r.defaultMode, 'ingress');
  });

  test('bad config is a TypeError of the one form', () => {
    assert.throws(() => resolveMirroringConfig({ keys: { namespaceLabel: '' } }), { name: 'TypeError', message: 'keys.namespaceLabel must be a non-empty string, got ""' });
    assert.throws(() => resolveMirroringConfig({ defaultMode: 'both' as MirrorMode }), { name: 'TypeError', message: 'defaultMode must be one of ingress, egress, all, got "both"' });
  });
});

test('mode numbers: ingress 0 and egress 1 as the reference logs them; all 2', () => {
  assert.deepEqual(MIRROR_MODE_NUMBER, { ingress: 0, egress: 1, all: 2 });
});
