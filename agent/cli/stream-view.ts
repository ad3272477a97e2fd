/**
 * A readable live view of captured byte streams: connection lines and, per direction, the bytes
 * in stream order (through OrderedStream) with a one-line preview. Shared by `socktap capture`
 * and `socktap demo`; `socktap run` (HTTP exchanges) builds on the same events.
 */
import type { CaptureEvent, ConnOpenEvent } from '../capture/events';
import type { Direction } from '../capture/layout';
import { OrderedStream, type StreamPiece } from '../capture/ordered-stream';

/** Printable preview: control bytes shown as ⏎ (CRLF/LF), · (other), cut at `max` characters. */
export function preview(data: Buffer, max = 72): string {
  const text = data.toString('latin1', 0, Math.min(data.length, max * 2));
  let out = text.replace(/\r\n|\n/g, '⏎').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '·');
  if (out.length > max) out = out.slice(0, max - 1) + '…';
  return out;
}

export function describeConn(o: ConnOpenEvent): string {
  const arrow = o.role === 'server' ? '<-' : o.role === 'client' ? '->' : '<>';
  const fmt = (e: { ip: string; port: number }) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
  return `${o.comm}[${o.conn.tgid}] ${o.role} ${fmt(o.local)} ${arrow} ${fmt(o.remote)}`;
}

export interface StreamTotals {
  connections: number;
  closed: number;
  bytes: Record<Direction, number>;
  uncapturedBytes: number;
  lostBytes: number;
  dataEvents: number;
}

export class StreamView {
  readonly totals: StreamTotals = {
    connections: 0,
    closed: 0,
    bytes: { ingress: 0, egress: 0 },
    uncapturedBytes: 0,
    lostBytes: 0,
    dataEvents: 0,
  };
  private readonly conns = new Map<string, { open?: ConnOpenEvent; streams: Partial<Record<Direction, OrderedStream>> }>();

  constructor(private readonly print: (line: string) => void) {}

  add(ev: CaptureEvent): void {
    const key = ev.conn.key;
    let c = this.conns.get(key);
    if (!c) {
      c = { streams: {} };
      this.conns.set(key, c);
    }
    if (ev.kind === 'open') {
      c.open = ev;
      this.totals.connections++;
      this.print(`+ ${key}  ${describeConn(ev)}  (${ev.source.replace('_', ' ')})`);
    } else if (ev.kind === 'close') {
      for (const [dir, s] of Object.entries(c.streams) as [Direction, OrderedStream][]) {
        s.end(Number(dir === 'ingress' ? ev.ingressBytes : ev.egressBytes));
      }
      this.totals.closed++;
      this.print(`- ${key}  closed after ${ev.ingressBytes} B in, ${ev.egressBytes} B out`);
      this.conns.delete(key);
    } else {
      this.totals.dataEvents++;
      let s = c.streams[ev.direction];
      if (!s) {
        const dir = ev.direction;
        s = new OrderedStream({ piece: (p) => this.piece(key, dir, p) });
        c.streams[ev.direction] = s;
      }
      s.push(ev.pos, ev.len, Buffer.from(ev.payload));
    }
  }

  private piece(key: string, dir: Direction, p: StreamPiece): void {
    const mark = dir === 'ingress' ? '<' : '>';
    if (p.kind === 'data') {
      this.totals.bytes[dir] += p.data.length;
      this.print(`${mark} ${key}  ${dir.padEnd(7)} @${p.pos} ${p.data.length} B  ${preview(p.data)}`);
    } else {
      if (p.reason === 'lost') this.totals.lostBytes += p.len;
      else this.totals.uncapturedBytes += p.len;
      this.print(`${mark} ${key}  ${dir.padEnd(7)} @${p.pos} ${p.len} B  [${p.reason === 'lost' ? 'lost' : 'not captured (sendfile or per-call cap)'}]`);
    }
  }
}
