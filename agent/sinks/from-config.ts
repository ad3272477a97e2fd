/** The sinks the `exporters` config asks for, started and ready to be offered records. */
import type { AgentConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import type { Sink } from './sink';
import { HarSink } from './har-sink';
import { StdoutSink } from './stdout-sink';
import { UdsSink } from './uds-sink';

export async function createSinks(config: AgentConfig, log: Logger): Promise<Sink[]> {
  const { exporters } = config;
  const sinks: Sink[] = [];
  try {
    if (exporters.stdout.enabled) {
      sinks.push(new StdoutSink({ format: exporters.stdout.format, queueSize: config.uds_event_queue_size, log }));
    }
    if (exporters.uds.enabled) {
      const uds = new UdsSink({ path: config.unix_domain_socket_addr, listen: exporters.uds.listen, queueSize: config.uds_event_queue_size, log });
      sinks.push(uds);
      await uds.start();
    }
    if (exporters.otlp.enabled) {
      const otlp = exporters.otlp;
      // Loaded only when asked for: the OpenTelemetry SDK is ~250 modules and 7 MiB of RSS.
      const { OtlpSink } = require('./otlp-sink') as typeof import('./otlp-sink');
      sinks.push(new OtlpSink({ endpoint: otlp.endpoint, headers: otlp.headers, queueSize: config.uds_event_queue_size, log }));
    }
    if (exporters.har.enabled) {
      // The schema guarantees a path when the HAR exporter is enabled.
      const har = new HarSink({ path: exporters.har.path!, queueSize: config.uds_event_queue_size, log });
      sinks.push(har);
      await har.start();
    }
  } catch (err) {
    await Promise.all(sinks.map((s) => s.close(0)));
    throw err;
  }
  return sinks;
}
