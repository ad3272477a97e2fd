/**
 * `metrics_addr`: Prometheus `/metrics` (prom-client) and the health endpoints the DaemonSet's
 * probes use: `/healthz` (the process serves requests) and `/readyz` (capture is attached).
 * Counter values are read from the pipeline when scraped, so there is one set of counters.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { STAT_NAMES, type StatName } from '../log/stats-line';
import { statCounters, type PipelineSnapshot } from './stat-counters';

export interface MetricsServerOptions {
  /** `host:port` to bind, as in `metrics_addr`. */
  addr: string;
  snapshot: () => PipelineSnapshot;
  ready: () => boolean;
}

/** `TotalRequestsParsed` -> `socktap_total_requests_parsed_total`. */
export function metricName(stat: StatName): string {
  const snake = stat.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase().replace(/^total_/, '');
  return `socktap_${snake}_total`;
}

/**
 * The registry and its scrape. The pipeline is read once per scrape (its counters come from the
 * kernel maps), and every metric's collect() reads that one snapshot.
 */
export function buildRegistry(take: () => PipelineSnapshot): { registry: Registry; scrape(): Promise<string> } {
  let current: PipelineSnapshot | undefined;
  let counters: ReturnType<typeof statCounters> | undefined;
  const snapshot = (): PipelineSnapshot => (current ??= take());
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'socktap_' });
  for (const stat of STAT_NAMES) {
    new Counter({
      name: metricName(stat),
      help: `${stat}, as in the stats log line`,
      registers: [registry],
      collect() {
        this.reset();
        counters ??= statCounters(snapshot());
        this.inc(Number(counters[stat]));
      },
    });
  }
  const probe = (which: 0 | 1) =>
    new Counter({
      name: which === 0 ? 'socktap_probe_entries_total' : 'socktap_probe_exits_total',
      help: `Syscall ${which === 0 ? 'entries' : 'exits'} on tracked sockets of targeted processes, per probe`,
      labelNames: ['probe'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [name, counts] of Object.entries(snapshot().tracer.probes)) this.inc({ probe: name }, counts[which]);
      },
    });
  probe(0);
  probe(1);
  const perSink = (name: string, help: string, pick: 'sent' | 'dropped') =>
    new Counter({
      name,
      help,
      labelNames: ['sink'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot().sinks) this.inc({ sink: s.name }, s.stats()[pick]);
      },
    });
  perSink('socktap_sink_sent_total', 'Exchange records delivered, per sink', 'sent');
  perSink('socktap_sink_dropped_total', 'Exchange records given up (queue full, delivery failed), per sink', 'dropped');
  new Gauge({
    name: 'socktap_sink_queued',
    help: 'Exchange records waiting for delivery, per sink',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const s of snapshot().sinks) this.set({ sink: s.name }, s.stats().queued);
    },
  });
  return {
    registry,
    async scrape() {
      current = undefined;
      counters = undefined;
      try {
        return await registry.metrics();
      } finally {
        current = undefined;
        counters = undefined;
      }
    },
  };
}

/** Starts the server; resolves once it listens. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const { registry, scrape } = buildRegistry(options.snapshot);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics' && !options.ready()) {
      // The programs are still loading: there are no counters to read yet.
      res.writeHead(503, { 'content-type': 'text/plain' }).end('capture not attached yet\n');
    } else if (path === '/metrics') {
      scrape().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'capture not attached\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics, /healthz or /readyz\n');
    }
  });
  const { host, port } = splitHostPort(options.addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** `127.0.0.1:9464`, `[::1]:9464`, `:9464` (every address). */
export function splitHostPort(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(':');
  let host: string | undefined = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? undefined : host, port: Number(addr.slice(i + 1)) };
}
