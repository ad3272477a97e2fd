/** Agent configuration: defaults, every key's valid and invalid values, sources and their precedence. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  AgentConfigSchema,
  DEFAULT_CONFIG,
  DEFAULT_REDACT_HEADERS,
  parseConfig,
  renderConfigYaml,
  type AgentConfig,
} from '../../agent/config/schema';
import { loadConfig, MAX_ACTIVE_RET_PROBE_NOTICE } from '../../agent/config/load';
import { configEnvVars } from '../../agent/config/env';
import { ConfigError } from '../../agent/config/issues';
import { formatDuration, parseDuration } from '../../agent/config/duration';
import { SocktapError } from '../../agent/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-config-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The ConfigError thrown by `fn`, checked for its class and code. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.ok(err instanceof SocktapError);
    assert.equal(err.code, 'SOCKTAP_CONFIG');
    return err;
  }
  assert.fail('expected a ConfigError');
}

/** `{ a: { b: v } }` from `a.b`. */
function nested(dotted: string, value: unknown): Record<string, unknown> {
  return dotted.split('.').reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as never) as never;
}

function valueAt(config: AgentConfig, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

describe('defaults', () => {
  test('an empty config means every default', () => {
    assert.deepEqual(DEFAULT_CONFIG, {
      log_level: 'info',
      proc_fs_path: '/proc',
      unix_domain_socket_addr: '/var/log/sock/eve.json',
      perfmap_queue_size: 1024,
      uds_event_queue_size: 10000,
      probe_event_queue_size: 50000,
      capture_all_namespaces: false,
      k8s_enabled: false,
      mirror_namespace_label: 'traceableai-mirror',
      mirror_pod_enabled_annotation: 'mirror.traceable.ai/enabled',
      mirror_pod_mode_annotation: 'mirror.traceable.ai/mode',
      mirror_namespace_mode_annotation: 'mirror.traceable.ai/defaultMode',
      mode: 'ingress',
      log_format: 'text',
      max_body_bytes: 65536,
      decode_content: false,
      tls_capture: true,
      fast_path: true,
      redact_headers: [...DEFAULT_REDACT_HEADERS],
      exporters: {
        uds: { enabled: true, listen: false },
        stdout: { enabled: false, format: 'jsonl' },
        otlp: { enabled: false, endpoint: 'http://localhost:4318', headers: {} },
        har: { enabled: false },
      },
      stats_interval: 60000,
      targets: { pids: [], comms: [], ports: [] },
    });
    assert.deepEqual(parseConfig({}), DEFAULT_CONFIG);
    assert.deepEqual(parseConfig(null), DEFAULT_CONFIG);
    assert.deepEqual(loadConfig({ env: {} }), { config: DEFAULT_CONFIG, notices: [] });
  });

  test('the defaults are frozen and each parse gets its own lists', () => {
    assert.ok(Object.isFrozen(DEFAULT_CONFIG) && Object.isFrozen(DEFAULT_CONFIG.exporters.otlp.headers));
    const a = parseConfig({});
    const b = parseConfig({});
    assert.notEqual(a.redact_headers, b.redact_headers);
    assert.notEqual(a.targets.pids, b.targets.pids);
    assert.ok(!Object.isFrozen(a.redact_headers));
  });

  test('the default redaction list covers credentials and sessions', () => {
    for (const h of ['Authorization', 'Proxy-Authorization', 'Cookie', 'Set-Cookie', 'X-Api-Key', 'X-Auth-Token']) {
      assert.ok(DEFAULT_CONFIG.redact_headers.includes(h), h);
    }
  });
});

// [key path, valid input, parsed value]
const VALID: readonly (readonly [string, unknown, unknown])[] = [
  ['log_level', 'trace', 'trace'],
  ['log_level', 'error', 'error'],
  ['log_format', 'json', 'json'],
  ['proc_fs_path', '/hostproc', '/hostproc'],
  ['unix_domain_socket_addr', '/run/socktap.sock', '/run/socktap.sock'],
  ['unix_domain_socket_addr', `/${'a'.repeat(106)}`, `/${'a'.repeat(106)}`],
  ['perfmap_queue_size', 1, 1],
  ['perfmap_queue_size', 65536, 65536],
  ['uds_event_queue_size', 1, 1],
  ['probe_event_queue_size', 10_000_000, 10_000_000],
  ['capture_all_namespaces', true, true],
  ['k8s_enabled', true, true],
  ['mode', 'all', 'all'],
  ['mode', 'egress', 'egress'],
  ['max_active_ret_probe', 1, 1],
  ['max_active_ret_probe', 'anything', 'anything'],
  ['max_body_bytes', 0, 0],
  ['max_body_bytes', 16_777_216, 16_777_216],
  ['decode_content', true, true],
  ['redact_headers', [], []],
  ['redact_headers', ['x-secret', 'X-Custom_Token'], ['x-secret', 'X-Custom_Token']],
  ['exporters.uds.enabled', false, false],
  ['exporters.uds.listen', true, true],
  ['exporters.stdout.enabled', true, true],
  ['exporters.stdout.format', 'pretty', 'pretty'],
  ['exporters.otlp.enabled', true, true],
  ['exporters.otlp.endpoint', 'https://otel.example.com', 'https://otel.example.com'],
  ['exporters.otlp.headers', { 'x-api-key': 'abc', Authorization: 'Bearer x y' }, { 'x-api-key': 'abc', Authorization: 'Bearer x y' }],
  ['exporters.har.path', 'capture.har', 'capture.har'],
  ['stats_interval', '60s', 60_000],
  ['stats_interval', '1m', 60_000],
  ['stats_interval', '1m30s', 90_000],
  ['stats_interval', '1500ms', 1500],
  ['stats_interval', '24h', 86_400_000],
  ['stats_interval', 30, 30_000],
  ['stats_interval', 2.5, 2500],
  ['metrics_addr', '127.0.0.1:9464', '127.0.0.1:9464'],
  ['metrics_addr', '0.0.0.0:1', '0.0.0.0:1'],
  ['metrics_addr', '[::1]:65535', '[::1]:65535'],
  ['metrics_addr', 'localhost:9090', 'localhost:9090'],
  ['targets.pids', [1, 4_194_304], [1, 4_194_304]],
  ['targets.comms', ['nginx', 'a'.repeat(15)], ['nginx', 'a'.repeat(15)]],
  ['targets.ports', [1, 8080, 65535], [1, 8080, 65535]],
];

// [key path, invalid input, the exact problem]
const INVALID: readonly (readonly [string, unknown, string])[] = [
  ['log_level', 'verbose', 'log_level must be one of trace, debug, info, warn, error, got "verbose"'],
  ['log_level', 3, 'log_level must be one of trace, debug, info, warn, error, got 3'],
  ['log_format', 'logfmt', 'log_format must be one of text, json, got "logfmt"'],
  ['proc_fs_path', 'proc', 'proc_fs_path must be an absolute path, got "proc"'],
  ['proc_fs_path', 7, 'proc_fs_path must be an absolute path, got 7'],
  ['unix_domain_socket_addr', 'eve.json', 'unix_domain_socket_addr must be an absolute socket path of at most 107 bytes, got "eve.json"'],
  [
    'unix_domain_socket_addr',
    `/${'a'.repeat(107)}`,
    `unix_domain_socket_addr must be an absolute socket path of at most 107 bytes, got "/${'a'.repeat(75)}...`,
  ],
  ['perfmap_queue_size', 1000, 'perfmap_queue_size must be a power of two from 1 to 65536 (pages), got 1000'],
  ['perfmap_queue_size', 131072, 'perfmap_queue_size must be a power of two from 1 to 65536 (pages), got 131072'],
  ['perfmap_queue_size', '1024', 'perfmap_queue_size must be a power of two from 1 to 65536 (pages), got "1024"'],
  ['uds_event_queue_size', 0, 'uds_event_queue_size must be an integer from 1 to 10000000, got 0'],
  ['uds_event_queue_size', 1.5, 'uds_event_queue_size must be an integer from 1 to 10000000, got 1.5'],
  ['probe_event_queue_size', 10_000_001, 'probe_event_queue_size must be an integer from 1 to 10000000, got 10000001'],
  ['capture_all_namespaces', 'yes', 'capture_all_namespaces must be true or false, got "yes"'],
  ['k8s_enabled', 1, 'k8s_enabled must be true or false, got 1'],
  ['mode', 'both', 'mode must be one of all, ingress, egress, got "both"'],
  ['max_body_bytes', -1, 'max_body_bytes must be an integer from 0 to 16777216, got -1'],
  ['max_body_bytes', 16_777_217, 'max_body_bytes must be an integer from 0 to 16777216, got 16777217'],
  ['max_body_bytes', '64k', 'max_body_bytes must be an integer from 0 to 16777216, got "64k"'],
  ['redact_headers', 'Cookie', 'redact_headers must be a list of HTTP header names, got "Cookie"'],
  ['redact_headers', ['Cookie', 'X Foo'], "redact_headers[1] must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), got \"X Foo\""],
  ['exporters', 'uds', 'exporters must be a mapping, got "uds"'],
  ['exporters.uds', true, 'exporters.uds must be a mapping, got true'],
  ['exporters.uds.enabled', 'on', 'exporters.uds.enabled must be true or false, got "on"'],
  ['exporters.uds.listen', null, 'exporters.uds.listen must be true or false, got null'],
  ['exporters.stdout.enabled', 'true', 'exporters.stdout.enabled must be true or false, got "true"'],
  ['exporters.otlp.enabled', 0, 'exporters.otlp.enabled must be true or false, got 0'],
  ['exporters.har.enabled', 'no', 'exporters.har.enabled must be true or false, got "no"'],
  ['exporters.stdout.format', 'json', 'exporters.stdout.format must be one of jsonl, pretty, got "json"'],
  ['exporters.otlp.endpoint', 'foo', 'exporters.otlp.endpoint must be a URL like http://host:4318, got "foo"'],
  ['exporters.otlp.endpoint', 'grpc://collector:4317', 'exporters.otlp.endpoint must be a URL like http://host:4318, got "grpc://collector:4317"'],
  ['exporters.otlp.headers', ['a'], 'exporters.otlp.headers must be a mapping of HTTP header names to values, got ["a"]'],
  ['exporters.otlp.headers', { 'x-a': 'line\nbreak' }, 'exporters.otlp.headers.x-a must be a header value without CR, LF or NUL, got "line\\nbreak"'],
  ['exporters.har.path', '', 'exporters.har.path must be a file path, got ""'],
  ['stats_interval', '1x', 'stats_interval must be a duration like 60s, 1m or 1m30s (from 1s to 24h), got "1x"'],
  ['stats_interval', '500ms', 'stats_interval must be a duration like 60s, 1m or 1m30s (from 1s to 24h), got "500ms"'],
  ['stats_interval', '25h', 'stats_interval must be a duration like 60s, 1m or 1m30s (from 1s to 24h), got "25h"'],
  ['stats_interval', 0, 'stats_interval must be a duration like 60s, 1m or 1m30s (from 1s to 24h), got 0'],
  ['stats_interval', true, 'stats_interval must be a duration like 60s, 1m or 1m30s (from 1s to 24h), got true'],
  ['metrics_addr', ':9464', 'metrics_addr must be host:port like 127.0.0.1:9464, got ":9464"'],
  ['metrics_addr', 'localhost', 'metrics_addr must be host:port like 127.0.0.1:9464, got "localhost"'],
  ['metrics_addr', 'localhost:70000', 'metrics_addr must be host:port like 127.0.0.1:9464, got "localhost:70000"'],
  ['metrics_addr', 9464, 'metrics_addr must be host:port like 127.0.0.1:9464, got 9464'],
  ['targets', [], 'targets must be a mapping, got []'],
  ['targets.pids', [0], 'targets.pids[0] must be a process id from 1 to 4194304, got 0'],
  ['targets.pids', 42, 'targets.pids must be a list of process ids, got 42'],
  ['targets.comms', ['nginx', 'a'.repeat(16)], `targets.comms[1] must be a process name of 1 to 15 bytes (the kernel keeps 15), got "${'a'.repeat(16)}"`],
  ['targets.comms', [''], 'targets.comms[0] must be a process name of 1 to 15 bytes (the kernel keeps 15), got ""'],
  ['targets.comms', 'nginx', 'targets.comms must be a list of process names, got "nginx"'],
  ['targets.ports', { a: 1 }, 'targets.ports must be a list of ports, got {"a":1}'],
  ['targets.ports', [80, 65536], 'targets.ports[1] must be a port from 1 to 65535, got 65536'],
];

describe('every key', () => {
  for (const [key, input, expected] of VALID) {
    test(`${key}: ${JSON.stringify(input).slice(0, 40)} is accepted`, () => {
      assert.deepEqual(valueAt(parseConfig(nested(key, input)), key), expected);
    });
  }
  for (const [key, input, problem] of INVALID) {
    test(`${key}: ${JSON.stringify(input).slice(0, 40)} is rejected`, () => {
      const err = configError(() => parseConfig(nested(key, input)));
      assert.equal(err.message, `invalid configuration: ${problem}`);
      assert.equal(err.issues.length, 1);
      assert.equal(err.issues[0]?.problem, problem);
    });
  }

  test('a non-mapping config is rejected as a whole', () => {
    assert.equal(configError(() => parseConfig([1, 2])).message, 'invalid configuration: the configuration must be a mapping of configuration keys, got [1,2]');
  });

  test('the HAR exporter needs a path when enabled', () => {
    const err = configError(() => parseConfig({ exporters: { har: { enabled: true } } }));
    assert.equal(err.message, 'invalid configuration: exporters.har.path must be a file path when exporters.har.enabled is true, got nothing');
    assert.equal(parseConfig({ exporters: { har: { enabled: true, path: '/tmp/x.har' } } }).exporters.har.path, '/tmp/x.har');
  });

  test('several problems are reported together, one per line', () => {
    const err = configError(() => parseConfig({ mode: 'both', max_body_bytes: -1 }, 'agent.yaml'));
    assert.equal(
      err.message,
      'invalid configuration (2 problems):\n' +
        '  - mode must be one of all, ingress, egress, got "both" (agent.yaml)\n' +
        '  - max_body_bytes must be an integer from 0 to 16777216, got -1 (agent.yaml)',
    );
    assert.deepEqual(err.issues.map((i) => i.path), ['mode', 'max_body_bytes']);
  });
});

describe('unknown keys', () => {
  const cases: readonly (readonly [unknown, string])[] = [
    [{ mdoe: 'all' }, 'unknown key "mdoe" at top level (did you mean "mode"?)'],
    [{ logLevel: 'info' }, 'unknown key "logLevel" at top level (did you mean "log_level"?)'],
    [{ 'max-body-bytes': 1 }, 'unknown key "max-body-bytes" at top level (did you mean "max_body_bytes"?)'],
    [{ stats_intervall: '1m' }, 'unknown key "stats_intervall" at top level (did you mean "stats_interval"?)'],
    [{ exporters: { uds: { enabeld: true } } }, 'unknown key "enabeld" at exporters.uds (did you mean "enabled"?)'],
    [{ exporters: { kafka: {} } }, 'unknown key "kafka" at exporters (expected one of uds, stdout, otlp, har)'],
    [{ targets: { pid: [1] } }, 'unknown key "pid" at targets (did you mean "pids"?)'],
  ];
  for (const [input, problem] of cases) {
    test(problem, () => {
      assert.equal(configError(() => parseConfig(input)).message, `invalid configuration: ${problem}`);
    });
  }

  test('a key nothing resembles lists the known keys', () => {
    const err = configError(() => parseConfig({ zzzzzz: 1 }));
    assert.equal(
      err.issues[0]?.problem,
      'unknown key "zzzzzz" at top level (expected one of log_level, proc_fs_path, unix_domain_socket_addr, perfmap_queue_size, ' +
        'uds_event_queue_size, probe_event_queue_size, capture_all_namespaces, k8s_enabled, mirror_namespace_label, mirror_pod_enabled_annotation, ' +
        'mirror_pod_mode_annotation, mirror_namespace_mode_annotation, mode, max_active_ret_probe, log_format, ' +
        'max_body_bytes, decode_content, tls_capture, fast_path, redact_headers, exporters, stats_interval, metrics_addr, targets)',
    );
    assert.equal(err.issues[0]?.path, 'zzzzzz');
  });
});

describe('YAML file', () => {
  // The reference agent's logged config (reference-agent-doc.txt), as its YAML file would hold it.
  const REFERENCE_YAML = [
    'log_level: info',
    'proc_fs_path: /hostproc',
    'unix_domain_socket_addr: /var/log/sock/eve.json',
    'perfmap_queue_size: 1024',
    'uds_event_queue_size: 10000',
    'probe_event_queue_size: 50000',
    'capture_all_namespaces: false',
    'k8s_enabled: true',
    'mode: all',
    'max_active_ret_probe: 1',
    '',
  ].join('\n');

  test("the reference agent's config loads unchanged, with a notice for max_active_ret_probe", () => {
    const file = writeFile('reference.yaml', REFERENCE_YAML);
    const { config, notices } = loadConfig({ file, env: {} });
    assert.deepEqual(config, {
      ...DEFAULT_CONFIG,
      proc_fs_path: '/hostproc',
      k8s_enabled: true,
      mode: 'all',
      max_active_ret_probe: 1,
    });
    assert.deepEqual(notices, [MAX_ACTIVE_RET_PROBE_NOTICE]);
    assert.equal(MAX_ACTIVE_RET_PROBE_NOTICE, 'max_active_ret_probe has no effect: syscall tracepoints never miss a return');
  });

  test('our keys, nested exporters and an empty value (null means unset)', () => {
    const file = writeFile(
      'ours.yaml',
      [
        'max_body_bytes: 1024',
        'redact_headers: [Authorization, X-Secret]',
        'exporters:',
        '  uds: { enabled: false }',
        '  otlp:',
        '    enabled: true',
        '    endpoint: http://collector:4318',
        '    headers: { x-api-key: abc }',
        '  har: { enabled: true, path: /tmp/out.har }',
        'stats_interval: 30s',
        'metrics_addr:',
        'targets:',
        '  comms: [nginx, python3]',
        '  ports: [8080]',
        '',
      ].join('\n'),
    );
    const { config } = loadConfig({ file, env: {} });
    assert.equal(config.max_body_bytes, 1024);
    assert.deepEqual(config.redact_headers, ['Authorization', 'X-Secret']);
    assert.deepEqual(config.exporters, {
      uds: { enabled: false, listen: false },
      stdout: { enabled: false, format: 'jsonl' },
      otlp: { enabled: true, endpoint: 'http://collector:4318', headers: { 'x-api-key': 'abc' } },
      har: { enabled: true, path: '/tmp/out.har' },
    });
    assert.equal(config.stats_interval, 30_000);
    assert.equal(config.metrics_addr, undefined);
    assert.deepEqual(config.targets, { pids: [], comms: ['nginx', 'python3'], ports: [8080] });
  });

  test('an empty file means the defaults', () => {
    assert.deepEqual(loadConfig({ file: writeFile('empty.yaml', ''), env: {} }).config, DEFAULT_CONFIG);
    assert.deepEqual(loadConfig({ file: writeFile('comment.yaml', '# nothing\n'), env: {} }).config, DEFAULT_CONFIG);
  });

  test('bad values name the file and the line of the key', () => {
    const file = writeFile('bad.yaml', ['log_level: info', 'mdoe: all', 'exporters:', '  otlp:', '    endpoint: foo', 'redact_headers:', '  - Cookie', '  - "X Foo"', ''].join('\n'));
    const err = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(
      err.issues.map((i) => `${i.problem} (${i.origin?.label})`),
      [
        `redact_headers[1] must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~), got "X Foo" (file ${file} line 8)`,
        `exporters.otlp.endpoint must be a URL like http://host:4318, got "foo" (file ${file} line 5)`,
        `unknown key "mdoe" at top level (did you mean "mode"?) (file ${file} line 2)`,
      ],
    );
    assert.ok(err.message.startsWith('invalid configuration (3 problems):\n  - redact_headers[1]'));
  });

  test('a YAML syntax error names the file, the line and the column', () => {
    const file = writeFile('syntax.yaml', 'log_level: info\nmode: [all\nk8s_enabled: true\n');
    const err = configError(() => loadConfig({ file, env: {} }));
    assert.match(err.message, new RegExp(`^invalid configuration: YAML syntax error: .+ \\(file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+, column \\d+\\)$`));
    const tab = writeFile('tab.yaml', 'log_level: info\nexporters:\n\tuds: {}\n');
    assert.match(configError(() => loadConfig({ file: tab, env: {} })).message, /^invalid configuration: YAML syntax error: .+ \(file .*tab\.yaml line 3, column 1\)$/);
  });

  test('duplicate keys are a syntax error, not a silent override', () => {
    const file = writeFile('dup.yaml', 'mode: all\nmode: egress\n');
    assert.match(configError(() => loadConfig({ file, env: {} })).message, /YAML syntax error: Map keys must be unique \(file .*dup\.yaml line 2, column 1\)$/);
  });

  test('a file holding a list or a scalar is rejected as a whole', () => {
    const file = writeFile('list.yaml', '- mode: all\n');
    assert.equal(
      configError(() => loadConfig({ file, env: {} })).message,
      `invalid configuration: the configuration must be a mapping of configuration keys, got [{"mode":"all"}] (file ${file} line 1)`,
    );
  });

  test('a missing file is named', () => {
    const file = path.join(tmp, 'absent.yaml');
    assert.equal(configError(() => loadConfig({ file, env: {} })).message, `invalid configuration: config file ${file} cannot be read: no such file`);
  });
});

describe('environment and flags', () => {
  test('every key has a variable derived from its path', () => {
    const vars = configEnvVars(AgentConfigSchema);
    const names = vars.map((v) => v.name);
    for (const name of [
      'SOCKTAP_LOG_LEVEL',
      'SOCKTAP_MAX_BODY_BYTES',
      'SOCKTAP_DECODE_CONTENT',
      'SOCKTAP_TLS_CAPTURE',
      'SOCKTAP_FAST_PATH',
      'SOCKTAP_MAX_ACTIVE_RET_PROBE',
      'SOCKTAP_REDACT_HEADERS',
      'SOCKTAP_EXPORTERS__OTLP__ENDPOINT',
      'SOCKTAP_EXPORTERS__OTLP__HEADERS',
      'SOCKTAP_TARGETS__PIDS',
      'SOCKTAP_STATS_INTERVAL',
      'SOCKTAP_METRICS_ADDR',
      // The names the DaemonSet sets (infra/spec/container-env.ts MIRRORING_ENV).
      'SOCKTAP_MIRROR_NAMESPACE_LABEL',
      'SOCKTAP_MIRROR_POD_ENABLED_ANNOTATION',
      'SOCKTAP_MIRROR_POD_MODE_ANNOTATION',
      'SOCKTAP_MIRROR_NAMESPACE_MODE_ANNOTATION',
    ]) {
      assert.ok(names.includes(name), name);
    }
    assert.equal(names.length, 34);
    assert.equal(new Set(names).size, names.length);
  });

  test('values are converted by the key they set', () => {
    const { config } = loadConfig({
      env: {
        SOCKTAP_LOG_LEVEL: 'debug',
        SOCKTAP_MAX_BODY_BYTES: '4096',
        SOCKTAP_K8S_ENABLED: 'TRUE',
        SOCKTAP_CAPTURE_ALL_NAMESPACES: '1',
        SOCKTAP_EXPORTERS__UDS__ENABLED: 'false',
        SOCKTAP_REDACT_HEADERS: 'Authorization, Cookie ,',
        SOCKTAP_TARGETS__PIDS: '12,34',
        SOCKTAP_TARGETS__COMMS: 'nginx',
        SOCKTAP_EXPORTERS__OTLP__HEADERS: 'x-api-key=a=b,x-tenant=t1',
        SOCKTAP_STATS_INTERVAL: '90',
        SOCKTAP_METRICS_ADDR: '127.0.0.1:9464',
        SOCKTAP_MODE: ' egress ',
        PATH: '/usr/bin',
      },
    });
    assert.equal(config.log_level, 'debug');
    assert.equal(config.max_body_bytes, 4096);
    assert.equal(config.k8s_enabled, true);
    assert.equal(config.capture_all_namespaces, true);
    assert.equal(config.exporters.uds.enabled, false);
    assert.deepEqual(config.redact_headers, ['Authorization', 'Cookie']);
    assert.deepEqual(config.targets.pids, [12, 34]);
    assert.deepEqual(config.targets.comms, ['nginx']);
    assert.deepEqual(config.exporters.otlp.headers, { 'x-api-key': 'a=b', 'x-tenant': 't1' });
    assert.equal(config.stats_interval, 90_000);
    assert.equal(config.metrics_addr, '127.0.0.1:9464');
    assert.equal(config.mode, 'egress');
  });

  test('an empty variable is ignored', () => {
    assert.deepEqual(loadConfig({ env: { SOCKTAP_MODE: '', SOCKTAP_REDACT_HEADERS: ' ' } }).config, DEFAULT_CONFIG);
  });

  test('precedence: flags over environment over file over defaults', () => {
    const file = writeFile('prec.yaml', 'mode: all\nlog_level: debug\nmax_body_bytes: 100\nexporters:\n  otlp: { enabled: true, headers: { a: "1" } }\n');
    const env = { SOCKTAP_MODE: 'egress', SOCKTAP_MAX_BODY_BYTES: '200', SOCKTAP_EXPORTERS__OTLP__HEADERS: 'b=2' };
    const fromFile = loadConfig({ file, env: {} }).config;
    assert.deepEqual([fromFile.mode, fromFile.log_level, fromFile.max_body_bytes], ['all', 'debug', 100]);
    const withEnv = loadConfig({ file, env }).config;
    assert.deepEqual([withEnv.mode, withEnv.log_level, withEnv.max_body_bytes], ['egress', 'debug', 200]);
    // Mappings merge key by key; every other value replaces.
    assert.deepEqual(withEnv.exporters.otlp, { enabled: true, endpoint: 'http://localhost:4318', headers: { a: '1', b: '2' } });
    const withFlags = loadConfig({ file, env, flags: { mode: 'ingress', exporters: { otlp: { enabled: false } }, log_level: undefined } }).config;
    assert.deepEqual([withFlags.mode, withFlags.log_level, withFlags.max_body_bytes, withFlags.exporters.otlp.enabled], ['ingress', 'debug', 200, false]);
  });

  test('flags replace lists instead of appending to them', () => {
    const { config } = loadConfig({ env: { SOCKTAP_TARGETS__PIDS: '1,2' }, flags: { targets: { pids: [3] } } });
    assert.deepEqual(config.targets.pids, [3]);
  });

  test('each problem names the source that set the value', () => {
    const file = writeFile('sources.yaml', 'mode: both\nk8s_enabled: true\n');
    const err = configError(() =>
      loadConfig({
        file,
        env: { SOCKTAP_MAX_BODY_BYTES: 'abc', SOCKTAP_TARGETS__PIDS: '1,x', SOCKTAP_EXPORTERS__OTLP__HEADERS: 'novalue' },
        flags: { log_level: 'loud' as never, k8s_enabled: 'yes' as never },
      }),
    );
    assert.deepEqual(err.issues.map((i) => `${i.problem} (${i.origin?.label})`), [
      'log_level must be one of trace, debug, info, warn, error, got "loud" (command-line flag)',
      'k8s_enabled must be true or false, got "yes" (command-line flag)',
      `mode must be one of all, ingress, egress, got "both" (file ${file} line 1)`,
      'max_body_bytes must be an integer from 0 to 16777216, got "abc" (env SOCKTAP_MAX_BODY_BYTES)',
      'exporters.otlp.headers must be a mapping of HTTP header names to values, got "novalue" (env SOCKTAP_EXPORTERS__OTLP__HEADERS)',
      'targets.pids[1] must be a process id from 1 to 4194304, got "x" (env SOCKTAP_TARGETS__PIDS)',
    ]);
  });

  test('an unknown key in flags is named as a flag problem', () => {
    const err = configError(() => loadConfig({ env: {}, flags: { mdoe: 'all' } as never }));
    assert.equal(err.message, 'invalid configuration: unknown key "mdoe" at top level (did you mean "mode"?) (command-line flag)');
  });

  test('a misspelled SOCKTAP_ variable gets a notice; unrelated ones are left alone', () => {
    const { notices } = loadConfig({ env: { SOCKTAP_MDOE: 'all', SOCKTAP_LIBBPF_DEBUG: '1', SOCKTAP_LOG_LEVLE: 'x' } });
    assert.deepEqual(notices, [
      'SOCKTAP_MDOE is not a configuration variable (did you mean SOCKTAP_MODE?)',
      'SOCKTAP_LOG_LEVLE is not a configuration variable (did you mean SOCKTAP_LOG_LEVEL?)',
    ]);
  });

  test('max_active_ret_probe from any source gives the notice; capture_all_namespaces without k8s too', () => {
    assert.deepEqual(loadConfig({ env: { SOCKTAP_MAX_ACTIVE_RET_PROBE: '64' } }).notices, [MAX_ACTIVE_RET_PROBE_NOTICE]);
    assert.equal(loadConfig({ env: { SOCKTAP_MAX_ACTIVE_RET_PROBE: '64' } }).config.max_active_ret_probe, 64);
    assert.deepEqual(loadConfig({ env: {}, flags: { capture_all_namespaces: true } }).notices, [
      'capture_all_namespaces has no effect without k8s_enabled: namespaces exist only in Kubernetes mode',
    ]);
    assert.deepEqual(loadConfig({ env: {}, flags: { capture_all_namespaces: true, k8s_enabled: true } }).notices, []);
  });
});

describe('renderConfigYaml', () => {
  test('renders every key and parses back to the same config', () => {
    const text = renderConfigYaml(DEFAULT_CONFIG);
    assert.match(text, /^log_level: info\nproc_fs_path: \/proc\n/);
    assert.match(text, /\nstats_interval: 1m\n/);
    assert.deepEqual(parseConfig(parseYaml(text)), DEFAULT_CONFIG);
  });

  test('a customized config round-trips, including durations and optional keys', () => {
    const config = parseConfig({
      proc_fs_path: '/hostproc',
      k8s_enabled: true,
      mode: 'all',
      stats_interval: '1m30s',
      metrics_addr: '0.0.0.0:9464',
      max_active_ret_probe: 1,
      redact_headers: ['Authorization'],
      exporters: { otlp: { enabled: true, headers: { 'x-api-key': 'yes' } }, har: { enabled: true, path: '/data/a.har' } },
      targets: { comms: ['true'], ports: [443] },
    });
    const text = renderConfigYaml(config);
    assert.match(text, /\nstats_interval: 1m30s\n/);
    assert.match(text, /\n {6}x-api-key: "yes"\n/);
    assert.deepEqual(parseConfig(parseYaml(text)), config);
  });
});

describe('durations', () => {
  test('parse', () => {
    assert.equal(parseDuration('60s'), 60_000);
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('.5s'), 500);
    assert.equal(parseDuration('45'), 45_000);
    assert.equal(parseDuration(0.25), 250);
    for (const bad of ['', 's', '1d', '1m 30s', '-1s', '1s2', 'm1']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
    assert.equal(parseDuration(Number.NaN), undefined);
  });

  test('format is the shortest form that parses back', () => {
    for (const [ms, text] of [[0, '0s'], [1, '1ms'], [1000, '1s'], [60_000, '1m'], [90_000, '1m30s'], [3_723_004, '1h2m3s4ms'], [86_400_000, '24h']] as const) {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    }
    assert.throws(() => formatDuration(-1), TypeError);
  });
});
