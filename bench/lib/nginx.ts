/**
 * An nginx with one worker in a temporary prefix: its own config, port, pid file and temp paths,
 * so a benchmark never touches (or depends on) the system nginx. Plain HTTP, or HTTPS with a
 * given certificate (plus a plain listener for status pages).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childrenOf, freePort, sleep, start, waitListening, type Proc } from './procs';

export interface NginxOptions {
  /** File to serve; copied into the temp root. @default a generated JSON body of `bodyBytes` */
  readonly file?: string;
  /** Size of the generated JSON body when no `file` is given. @default 600 */
  readonly bodyBytes?: number;
  /** @default true (nginx's own default) */
  readonly sendfile?: boolean;
  /** More files to serve, by path under the root (e.g. `copy/file.bin`). */
  readonly files?: Readonly<Record<string, Buffer>>;
  /** Extra directives inside the `server` block, after the status page (e.g. `location /copy/ { sendfile off; }`). */
  readonly serverConfig?: string;
  /** Serve HTTPS on `port` (and plain HTTP on `plainPort`). @default plain HTTP only */
  readonly tls?: NginxTls;
}

export type TlsProtocol = 'TLSv1.2' | 'TLSv1.3';

export interface NginxTls {
  /** PEM certificate file (e.g. from `selfSignedCertificate()` in agent/util/self-signed-cert.ts). */
  readonly certificate: string;
  /** PEM private key file. The master reads it as the user that started nginx. */
  readonly key: string;
  /** `ssl_protocols`. @default ['TLSv1.2', 'TLSv1.3'] */
  readonly protocols?: readonly TlsProtocol[];
}

export interface Nginx {
  /** `https://` with `tls`, else `http://`. */
  readonly url: string;
  readonly port: number;
  /**
   * A plain-HTTP listener of the same server block: `port` itself without `tls`; with it, a
   * second port, for status pages the harness reads without a TLS client.
   */
  readonly plainPort: number;
  readonly masterPid: number;
  /** The only worker: the process the tracer targets and whose CPU we read. */
  readonly workerPid: number;
  readonly bodyBytes: number;
  readonly fileName: string;
  /** nginx's own request count (`stub_status` at STATUS_PATH), on the plain listener. */
  readonly statusUrl: string;
  /** The temporary prefix (config, logs, www/). */
  readonly dir: string;
  stop(): Promise<void>;
}

/** Where every benchmark nginx serves its `stub_status` page, the harnesses' count of what it served. */
export const STATUS_PATH = '/nginx-status';

/** A JSON document of exactly `bytes` bytes, shaped like a small API response. */
export function jsonBody(bytes: number): Buffer {
  const doc = (items: string[], pad: string) => `{"id":4242,"status":"ok","items":[${items.join(',')}],"pad":"${pad}"}\n`;
  const items: string[] = [];
  for (let i = 0; ; i++) {
    const item = `{"n":${i},"name":"item-${i}"}`;
    if (doc([...items, item], '').length > bytes) break;
    items.push(item);
  }
  // The rest goes into a string field so the body stays valid JSON at any size.
  const text = doc(items, 'x'.repeat(Math.max(0, bytes - doc(items, '').length)));
  if (text.length !== bytes) throw new RangeError(`jsonBody size must be at least ${text.length} bytes, got ${bytes}`);
  return Buffer.from(text);
}

/** Everything `renderNginxConfig` needs; `startNginx` fills it in. */
export interface NginxConfigSettings {
  /** The prefix: pid file, error log, temp paths. */
  readonly dir: string;
  readonly www: string;
  readonly port: number;
  readonly sendfile: boolean;
  readonly serverConfig: string;
  /** With TLS, `port` speaks TLS and `plainPort` plain HTTP. */
  readonly tls?: NginxTls & { readonly plainPort: number };
}

export const DEFAULT_TLS_PROTOCOLS: readonly TlsProtocol[] = ['TLSv1.2', 'TLSv1.3'];

/** The nginx.conf of a benchmark instance. Without `tls`, the plain-HTTP config every harness had. */
export function renderNginxConfig(c: NginxConfigSettings): string {
  const listen = c.tls
    ? [
        `listen 127.0.0.1:${c.port} ssl;`,
        `listen 127.0.0.1:${c.tls.plainPort};`,
        `ssl_certificate ${c.tls.certificate};`,
        `ssl_certificate_key ${c.tls.key};`,
        `ssl_protocols ${tlsProtocols(c.tls.protocols).join(' ')};`,
      ]
    : [`listen 127.0.0.1:${c.port};`];
  return `daemon off;
master_process on;
worker_processes 1;
pid ${c.dir}/nginx.pid;
error_log ${c.dir}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${c.dir}/client_body;
  proxy_temp_path ${c.dir}/proxy;
  fastcgi_temp_path ${c.dir}/fastcgi;
  uwsgi_temp_path ${c.dir}/uwsgi;
  scgi_temp_path ${c.dir}/scgi;
  default_type application/json;
  sendfile ${c.sendfile ? 'on' : 'off'};
  server {
${listen.map((l) => `    ${l}\n`).join('')}    root ${c.www};
    ${c.serverConfig}
  }
}
`;
}

function tlsProtocols(protocols: readonly TlsProtocol[] = DEFAULT_TLS_PROTOCOLS): readonly TlsProtocol[] {
  if (protocols.length === 0) throw new RangeError(`tls.protocols must name at least one of ${DEFAULT_TLS_PROTOCOLS.join(', ')}, got []`);
  for (const p of protocols) {
    if (!DEFAULT_TLS_PROTOCOLS.includes(p)) throw new RangeError(`tls.protocols must be among ${DEFAULT_TLS_PROTOCOLS.join(', ')}, got '${String(p)}'`);
  }
  return protocols;
}

async function findWorker(master: Proc): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = childrenOf(master.pid);
    if (pids.length > 1) throw new Error(`nginx master ${master.pid} has ${pids.length} children, expected 1 worker`);
    if (pids.length === 1) return pids[0];
    if (Date.now() > deadline) throw new Error(`nginx worker did not start: ${master.stderr()}`);
    await sleep(25);
  }
}

export async function startNginx(o: NginxOptions = {}): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-bench-nginx-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  // The worker runs as nobody when the master is root: it must be able to read the served file.
  fs.chmodSync(dir, 0o755);
  const www = path.join(dir, 'www');
  fs.mkdirSync(www, { mode: 0o755 });
  const fileName = o.file ? path.basename(o.file) : 'body.json';
  const body = o.file ? fs.readFileSync(o.file) : jsonBody(o.bodyBytes ?? 600);
  fs.writeFileSync(path.join(www, fileName), body, { mode: 0o644 });
  for (const [rel, bytes] of Object.entries(o.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(www, rel)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(www, rel), bytes, { mode: 0o644 });
  }
  const port = await freePort();
  let plainPort = port;
  while (o.tls && plainPort === port) plainPort = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  const tls = o.tls && { ...o.tls, plainPort };
  fs.writeFileSync(conf, renderNginxConfig({ dir, www, port, sendfile: o.sendfile ?? true, serverConfig: `location = ${STATUS_PATH} { stub_status; }\n    ${o.serverConfig ?? ''}`, tls }));
  const master = start('nginx', ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    exitSignal: 'SIGTERM',
  });
  // Without connecting: a tracer may already be running and should see no probe connection.
  await Promise.race([
    Promise.all([waitListening(port), waitListening(plainPort)]),
    master.exited.then((code) => {
      throw new Error(`nginx exited ${code} before listening: ${master.stderr()}`);
    }),
  ]);
  const workerPid = await findWorker(master);
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}/${encodeURIComponent(fileName)}`,
    port,
    plainPort,
    masterPid: master.pid,
    workerPid,
    bodyBytes: body.length,
    fileName,
    statusUrl: `http://127.0.0.1:${plainPort}${STATUS_PATH}`,
    dir,
    async stop() {
      // SIGQUIT: graceful shutdown, the worker exits with the master.
      await master.kill('SIGQUIT');
    },
  };
}
