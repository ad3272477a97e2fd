/**
 * An nginx with one worker in a temporary prefix: its own config, port, pid file and temp paths,
 * so a benchmark never touches (or depends on) the system nginx.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childrenOf, freePort, sleep, start, waitListening, type Proc } from './procs';

export interface NginxOptions {
  /** File to serve; copied into the temp root. @default a generated 600-byte JSON body */
  readonly file?: string;
  /** @default true (nginx's own default) */
  readonly sendfile?: boolean;
  /** More files to serve, by path under the root (e.g. `copy/file.bin`). */
  readonly files?: Readonly<Record<string, Buffer>>;
  /** Extra directives inside the `server` block (e.g. `location /copy/ { sendfile off; }`). */
  readonly serverConfig?: string;
}

export interface Nginx {
  readonly url: string;
  readonly port: number;
  readonly masterPid: number;
  /** The only worker: the process the tracer targets and whose CPU we read. */
  readonly workerPid: number;
  readonly bodyBytes: number;
  readonly fileName: string;
  /** The temporary prefix (config, logs, www/). */
  readonly dir: string;
  stop(): Promise<void>;
}

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

function config(dir: string, www: string, port: number, sendfile: boolean, serverConfig: string): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  default_type application/json;
  sendfile ${sendfile ? 'on' : 'off'};
  server {
    listen 127.0.0.1:${port};
    root ${www};
    ${serverConfig}
  }
}
`;
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
  const body = o.file ? fs.readFileSync(o.file) : jsonBody(600);
  fs.writeFileSync(path.join(www, fileName), body, { mode: 0o644 });
  for (const [rel, bytes] of Object.entries(o.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(www, rel)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(www, rel), bytes, { mode: 0o644 });
  }
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, config(dir, www, port, o.sendfile ?? true, o.serverConfig ?? ''));
  const master = start('nginx', ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    exitSignal: 'SIGTERM',
  });
  // Without connecting: a tracer may already be running and should see no probe connection.
  await Promise.race([
    waitListening(port),
    master.exited.then((code) => {
      throw new Error(`nginx exited ${code} before listening: ${master.stderr()}`);
    }),
  ]);
  const workerPid = await findWorker(master);
  return {
    url: `http://127.0.0.1:${port}/${encodeURIComponent(fileName)}`,
    port,
    masterPid: master.pid,
    workerPid,
    bodyBytes: body.length,
    fileName,
    dir,
    async stop() {
      // SIGQUIT: graceful shutdown, the worker exits with the master.
      await master.kill('SIGQUIT');
    },
  };
}
