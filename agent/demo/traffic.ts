/**
 * The demo's client: waits for the server's ports on stdin (`PORT [TLS_PORT]`, so the agent can
 * target this process before it connects), then calls the API with fetch in a loop: list,
 * create, read back, and now and then a missing order. With a TLS port, every other round goes
 * over HTTPS (the certificate is trusted through NODE_EXTRA_CA_CERTS).
 */
const intervalMs = Number(process.argv[2] ?? 400);
let bases: string[] = [];
let base = '';
const items = ['keyboard', 'mouse', 'monitor', 'headset', 'webcam'];

let requests = 0;

async function call(url: string, init?: RequestInit): Promise<Response> {
  requests++;
  return fetch(url, init);
}

async function round(i: number): Promise<void> {
  await (await call(`${base}/api/orders`)).text();
  const created = await call(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer demo-token' },
    body: JSON.stringify({ item: items[i % items.length], quantity: 1 + (i % 3) }),
  });
  const order = (await created.json()) as { id: number };
  await (await call(`${base}/api/orders/${order.id}`)).text();
  if (i % 3 === 2) await (await call(`${base}/api/orders/999999`)).text();
}

process.stdin.once('data', async (line: Buffer) => {
  const [port, tlsPort] = line.toString().trim().split(' ').map(Number);
  bases = [`http://127.0.0.1:${port}`];
  if (tlsPort) bases.push(`https://127.0.0.1:${tlsPort}`);
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  for (let i = 0; !stop; i++) {
    base = bases[i % bases.length]!;
    await round(i).catch((err: Error) => process.stderr.write(`traffic: ${err.message}\n`));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  // The demo compares this with the exchanges it captured.
  process.stdout.write(`requests ${requests}\n`, () => process.exit(0));
});
