/**
 * The demo's API server: a small JSON orders API on loopback, run as its own process so socktap
 * can capture it (the agent never captures itself). With `--tls CERT KEY` it serves the same API
 * over HTTPS on a second port too. Prints `listening PORT [TLS_PORT]` when ready.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

interface Order {
  id: number;
  item: string;
  quantity: number;
}

const orders: Order[] = [{ id: 1, item: 'keyboard', quantity: 1 }];

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const one = /^\/api\/orders\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/api/orders') return send(res, 200, orders.slice(-5));
    if (req.method === 'GET' && one) {
      const order = orders.find((o) => o.id === Number(one[1]));
      return order ? send(res, 200, order) : send(res, 404, { error: 'no such order' });
    }
    if (req.method === 'POST' && url.pathname === '/api/orders') {
      try {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<Order>;
        const order = { id: orders.length + 1, item: String(input.item), quantity: Number(input.quantity ?? 1) };
        orders.push(order);
        return send(res, 201, order);
      } catch {
        return send(res, 400, { error: 'body must be JSON' });
      }
    }
    send(res, 404, { error: 'not found' });
  });
};

const listen = (s: http.Server): Promise<number> => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const tlsAt = process.argv.indexOf('--tls');
const servers: http.Server[] = [http.createServer(handler)];
if (tlsAt >= 0) servers.push(https.createServer({ cert: fs.readFileSync(process.argv[tlsAt + 1]!), key: fs.readFileSync(process.argv[tlsAt + 2]!) }, handler));
void Promise.all(servers.map(listen)).then((ports) => process.stdout.write(`listening ${ports.join(' ')}\n`));
process.on('SIGTERM', () => {
  for (const s of servers) s.close();
  process.exit(0);
});
