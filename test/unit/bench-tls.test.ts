import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../bench/lib/args';
import { renderNginxConfig, type NginxConfigSettings } from '../../bench/lib/nginx';
import { selfSignedCertArgs, selfSignedCertificate } from '../../agent/util/self-signed-cert';
import { finalProbeStats, parseConfig, rerunCommand, selectorArgs, sslProbeEntries } from '../../bench/tls-capture';
import { reapedChildrenTicks } from '../../bench/lib/cpu';

const BASE: NginxConfigSettings = { dir: '/tmp/p', www: '/tmp/p/www', port: 8080, sendfile: true, serverConfig: 'location = /s { stub_status; }' };

const HEAD = `daemon off;
master_process on;
worker_processes 1;
pid /tmp/p/nginx.pid;
error_log /tmp/p/error.log;
events {}
http {
  access_log off;
  client_body_temp_path /tmp/p/client_body;
  proxy_temp_path /tmp/p/proxy;
  fastcgi_temp_path /tmp/p/fastcgi;
  uwsgi_temp_path /tmp/p/uwsgi;
  scgi_temp_path /tmp/p/scgi;
  default_type application/json;
`;

describe('nginx config rendering', () => {
  test('without tls: the plain-HTTP config the other harnesses always had', () => {
    assert.equal(
      renderNginxConfig({ ...BASE, sendfile: false }),
      `${HEAD}  sendfile off;
  server {
    listen 127.0.0.1:8080;
    root /tmp/p/www;
    location = /s { stub_status; }
  }
}
`,
    );
  });

  test('with tls: an ssl listener, a plain one beside it, the certificate and TLS 1.2 + 1.3 by default', () => {
    const tls = { certificate: '/tmp/c/cert.pem', key: '/tmp/c/key.pem', plainPort: 8081 };
    assert.equal(
      renderNginxConfig({ ...BASE, tls }),
      `${HEAD}  sendfile on;
  server {
    listen 127.0.0.1:8080 ssl;
    listen 127.0.0.1:8081;
    ssl_certificate /tmp/c/cert.pem;
    ssl_certificate_key /tmp/c/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root /tmp/p/www;
    location = /s { stub_status; }
  }
}
`,
    );
    assert.match(renderNginxConfig({ ...BASE, tls: { ...tls, protocols: ['TLSv1.3'] } }), /\n {4}ssl_protocols TLSv1\.3;\n/);
  });

  test('protocols must be a non-empty subset of TLSv1.2, TLSv1.3', () => {
    const tls = { certificate: 'c', key: 'k', plainPort: 1 };
    assert.throws(() => renderNginxConfig({ ...BASE, tls: { ...tls, protocols: [] } }), {
      name: 'RangeError',
      message: 'tls.protocols must name at least one of TLSv1.2, TLSv1.3, got []',
    });
    assert.throws(() => renderNginxConfig({ ...BASE, tls: { ...tls, protocols: ['SSLv3' as 'TLSv1.3'] } }), {
      name: 'RangeError',
      message: "tls.protocols must be among TLSv1.2, TLSv1.3, got 'SSLv3'",
    });
  });
});

describe('self-signed certificate', () => {
  const files = { certificate: '/d/cert.pem', key: '/d/key.pem' };

  test('openssl req arguments', () => {
    assert.deepEqual(selfSignedCertArgs(files), [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
      '-days', '2',
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', '/d/key.pem',
      '-out', '/d/cert.pem',
    ]);
    assert.deepEqual(selfSignedCertArgs(files, 'api.test', 7).slice(5, 11), ['-days', '7', '-subj', '/CN=api.test', '-addext', 'subjectAltName=DNS:api.test,IP:127.0.0.1']);
  });

  test('bad names and lifetimes are refused before openssl runs', () => {
    assert.throws(() => selfSignedCertArgs(files, 'a/CN=b'), { name: 'RangeError', message: "commonName must be a host name, got 'a/CN=b'" });
    assert.throws(() => selfSignedCertArgs(files, 'localhost', 0), { name: 'RangeError', message: 'days must be a positive integer, got 0' });
  });

  test('a missing openssl says which package to install', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-test-cert-'));
    try {
      await assert.rejects(selfSignedCertificate(dir, { openssl: 'socktap-no-such-openssl' }), {
        message: 'cannot run socktap-no-such-openssl: install the openssl package: npm run setup',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('openssl writes a PEM certificate and an unencrypted PEM key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-test-cert-'));
    try {
      const out = await selfSignedCertificate(dir);
      assert.deepEqual(out, { certificate: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') });
      assert.match(fs.readFileSync(out.certificate, 'utf8'), /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
      assert.match(fs.readFileSync(out.key, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tls-capture flags', () => {
  test('defaults: 5 rounds of 10 s, wrk -t1 -c32, TLS 1.3, nginx selected by comm', () => {
    assert.deepEqual(parseConfig([], '/repo'), {
      rounds: 5,
      warmupS: 3,
      wrk: { threads: 1, connections: 32, durationS: 10 },
      tlsVersion: '1.3',
      select: 'comm',
      noAgent: false,
      out: '/repo/bench/results/tls-capture.json',
      docs: '/repo/docs/benchmarks.md',
    });
    assert.equal(parseConfig(['--help'], '/repo'), undefined);
  });

  test('every flag, and the rerun command that reproduces it', () => {
    const argv = ['--rounds', '1', '--duration', '2', '--connections', '8', '--threads', '2', '--warmup', '0'];
    argv.push('--tls-version', '1.2', '--select', 'pid', '--no-agent', '--out', '/tmp/t.json', '--docs', 'x/b.md');
    const c = parseConfig(argv, '/repo')!;
    assert.deepEqual(c, {
      rounds: 1,
      warmupS: 0,
      wrk: { threads: 2, connections: 8, durationS: 2 },
      tlsVersion: '1.2',
      select: 'pid',
      noAgent: true,
      out: '/tmp/t.json',
      docs: '/repo/x/b.md',
    });
    assert.equal(rerunCommand(c), 'npm run bench:tls -- --rounds 1 --duration 2 --connections 8 --threads 2 --warmup 0 --tls-version 1.2 --select pid');
    assert.equal(rerunCommand(parseConfig([], '/repo')!), 'npm run bench:tls -- --rounds 5 --duration 10 --connections 32 --threads 1 --warmup 3 --tls-version 1.3');
  });

  test('bad values are usage errors in the shared message form', () => {
    assert.throws(() => parseConfig(['--tls-version', '1.1'], '/r'), { name: 'UsageError', message: "--tls-version must be one of 1.2, 1.3, got '1.1'" });
    assert.throws(() => parseConfig(['--select', 'port'], '/r'), { name: 'UsageError', message: "--select must be one of comm, pid, got 'port'" });
    assert.throws(() => parseConfig(['--connections', '1', '--threads', '2'], '/r'), { name: 'UsageError', message: '--connections must be at least --threads (2), got 1' });
    assert.throws(() => parseConfig(['--seconds', '2'], '/r'), UsageError);
  });

  test('the agent selects nginx by comm or by the worker pid', () => {
    assert.deepEqual(selectorArgs('comm', 4242), ['--comm', 'nginx']);
    assert.deepEqual(selectorArgs('pid', 4242), ['--pid', '4242']);
  });
});

describe('agent output and /proc figures', () => {
  const STDERR = [
    'time=2026-01-01T00:00:00Z level=info msg="capturing comm nginx (mode ingress; sinks uds)"',
    'time=2026-01-01T00:00:01Z level=info msg="probe stat {\\"SSL_read\\":[1,1],\\"read\\":[2,2]}"',
    'time=2026-01-01T00:00:09Z level=info msg="stats {\\"ControlEventReceived\\":4}"',
    'time=2026-01-01T00:00:09Z level=info msg="probe stat {\\"SSL_read\\":[200,199],\\"SSL_write_ex\\":[0,0],\\"SSL_write\\":[100,100],\\"read\\":[7,7]}"',
    '',
  ].join('\n');

  test('the last probe stat line, as [entries, exits] per probe', () => {
    assert.deepEqual(finalProbeStats(STDERR), { SSL_read: [200, 199], SSL_write_ex: [0, 0], SSL_write: [100, 100], read: [7, 7] });
    assert.deepEqual(finalProbeStats('level=info msg="stats {}"\n'), {});
  });

  test('OpenSSL probe entries are summed over the SSL_* probes only', () => {
    assert.equal(sslProbeEntries(finalProbeStats(STDERR)), 300);
    assert.equal(sslProbeEntries({ read: [5, 5], write: [5, 5] }), undefined);
  });

  test('reaped children CPU ticks: cutime + cstime, after a comm holding spaces and parentheses', () => {
    const stat = '1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 200 0 0 150 75 33 12 20 0 1 0 5000 1000000 300\n';
    assert.equal(reapedChildrenTicks(stat), 45);
  });
});
