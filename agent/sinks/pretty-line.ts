/**
 * The `pretty` format: one row per exchange in fixed-width columns, so a stream of them reads as a
 * table (the header row is `PRETTY_HEADER`):
 *
 *   TIME          DIR     METHOD STATUS   MS      PROCESS           PEER                   TARGET
 *   20:34:47.123  in      GET    200      0.4     nginx[4242]       127.0.0.1:51234        /api/orders?x=1
 *   20:34:47.125  out tls POST   201      1.2     node[4250]        127.0.0.1:8443         /api/orders
 */
import type { ExchangeRecord } from '../pipeline/record';

const COLUMNS = [
  ['TIME', 13],
  ['DIR', 7],
  ['METHOD', 7],
  ['STATUS', 8],
  ['MS', 8],
  ['PROCESS', 18],
  ['PEER', 23],
] as const;

export const PRETTY_HEADER = COLUMNS.map(([name, width]) => name.padEnd(width)).join(' ') + ' TARGET';

export function prettyLine(r: ExchangeRecord): string {
  const status = r.response ? String(r.response.status) : (r.incomplete ?? 'none');
  const peer = r.connection.remote.ip.includes(':') ? `[${r.connection.remote.ip}]:${r.connection.remote.port}` : `${r.connection.remote.ip}:${r.connection.remote.port}`;
  const cells = [
    r.ts.slice(11, 23),
    (r.direction === 'ingress' ? 'in' : 'out') + (r.tls ? ' tls' : ''),
    r.request.method,
    status,
    (r.duration_ns / 1e6).toFixed(1),
    `${r.process.comm}[${r.process.pid}]`,
    peer,
  ];
  return cells.map((c, i) => c.padEnd(COLUMNS[i]![1])).join(' ') + ' ' + r.request.target;
}
