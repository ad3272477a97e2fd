/**
 * OTLP/HTTP trace export: one span per exchange, posted to `<endpoint>/v1/traces` by the
 * OpenTelemetry JS exporter (OTLP/JSON: `@opentelemetry/exporter-trace-otlp-http` always sends
 * `application/json`; protobuf is a different package).
 *
 * The exporter is called directly from `deliver`, with no span processor in between: our bounded
 * queue is the only queue, exactly one export is in flight, and every span the collector did not
 * accept is counted as dropped here. (A BatchSpanProcessor would keep its own queue and drop
 * silently when it is full.) The exporter's transport still retries retryable failures
 * (connection refused, 429, 502-504) with backoff inside `timeoutMs`; that wait is what holds the
 * delivery loop back while the collector is away, so the queue fills and further records are
 * counted as dropped at the door instead of hammering a collector that is down.
 */
import os from 'node:os';
import type { AttributeValue } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { ExchangeRecord } from '../pipeline/record';
import { agentVersion } from './agent-version';
import { exchangeSpan } from './otlp/exchange-span';
import { podResourceAttributes } from './otlp/span-attributes';
import { QueuedSink, type SinkLog } from './sink';

// Incubating in the conventions; copied, not imported (see otlp/span-attributes.ts).
const ATTR_HOST_NAME = 'host.name';

export interface OtlpSinkOptions {
  /** Collector base URL (`exporters.otlp.endpoint`); `/v1/traces` is appended. */
  readonly endpoint: string;
  /** Extra request headers, e.g. an API key (`exporters.otlp.headers`). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where export trouble is reported, once per change between working and failing. */
  readonly log: SinkLog;
  /** Records held while the collector is slow or away. @default 10000 */
  readonly queueSize?: number;
  /** Spans per export request. @default 512 */
  readonly batchSize?: number;
  /** Longest one export may take, retries included, before its spans count as dropped. @default 10000 */
  readonly timeoutMs?: number;
  /**
   * Resource attributes added to (and overriding) the defaults `service.name=socktap`,
   * `service.version`, `host.name`: e.g. `k8s.node.name`, `k8s.cluster.name`. @default {}
   */
  readonly resource?: Readonly<Record<string, AttributeValue>>;
}

export class OtlpSink extends QueuedSink {
  readonly name = 'otlp';
  /** The full export URL, for log lines. */
  readonly url: string;
  private readonly exporter: OTLPTraceExporter;
  private readonly resource: Resource;
  private readonly scope: InstrumentationScope;
  private readonly log: SinkLog;
  private readonly timeoutMs: number;
  /** Export health as last logged; `unknown` until the first export, so a first success is quiet. */
  private state: 'unknown' | 'ok' | 'failing' = 'unknown';
  private droppedWhileFailing = 0;
  private closeTimeoutMs = 2000;

  constructor(options: OtlpSinkOptions) {
    super({ queueSize: options.queueSize ?? 10_000, batchSize: options.batchSize ?? 512 });
    this.url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
    this.log = options.log;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.exporter = new OTLPTraceExporter({
      url: this.url,
      headers: { ...options.headers },
      timeoutMillis: this.timeoutMs,
      // One export at a time is all QueuedSink ever starts; the limit makes that explicit.
      concurrencyLimit: 1,
    });
    const version = agentVersion();
    this.resource = resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'socktap',
      [ATTR_SERVICE_VERSION]: version,
      [ATTR_HOST_NAME]: os.hostname(),
      ...options.resource,
    });
    this.scope = { name: 'socktap', version };
  }

  /** The agent's resource, plus the pod's identity for records from Kubernetes pods (cached). */
  private resourceFor(rec: ExchangeRecord): Resource {
    const pod = podResourceAttributes(rec);
    if (pod === undefined) return this.resource;
    const key = `${rec.process.namespace}/${rec.process.pod}/${rec.process.container_id}/${rec.process.service}`;
    let r = this.podResources.get(key);
    if (r === undefined) {
      // Bounded: pods come and go on a long-running node.
      if (this.podResources.size >= 1024) this.podResources.clear();
      r = this.resource.merge(resourceFromAttributes(pod));
      this.podResources.set(key, r);
    }
    return r;
  }

  private readonly podResources = new Map<string, Resource>();

  override async close(timeoutMs = 2000): Promise<void> {
    this.closeTimeoutMs = timeoutMs;
    await super.close(timeoutMs);
  }

  protected async deliver(batch: ExchangeRecord[]): Promise<readonly ExchangeRecord[]> {
    const spans: ReadableSpan[] = [];
    let skipped = 0;
    for (const rec of batch) {
      try {
        spans.push(exchangeSpan(rec, this.resourceFor(rec), this.scope));
      } catch (err) {
        // A record the span builder cannot read (a malformed ts) costs only itself, not the batch.
        skipped++;
        this.log.warn(`otlp: exchange record skipped: ${describe(err)}`);
      }
    }
    if (spans.length > 0) {
      const result = await new Promise<ExportResult>((resolve) => this.exporter.export(spans, resolve));
      // Rejecting makes QueuedSink count the whole batch, skipped records included, as dropped.
      if (result.code !== ExportResultCode.SUCCESS) throw result.error ?? new Error('export failed');
      if (this.state === 'failing') {
        this.log.info(`otlp: collector at ${this.url} accepts spans again (${this.droppedWhileFailing} spans dropped meanwhile)`);
      }
      this.state = 'ok';
    }
    // QueuedSink counts a resolved batch as sent; the skipped records were not.
    this.sent -= skipped;
    this.dropped += skipped;
    return [];
  }

  protected onDeliveryError(err: unknown, records: number): void {
    if (this.state !== 'failing') {
      this.droppedWhileFailing = 0;
      this.log.warn(`otlp: export to ${this.url} failed (${describe(err)}); spans are dropped and counted until the collector accepts them`);
    }
    this.state = 'failing';
    this.droppedWhileFailing += records;
  }

  protected async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // exporter.shutdown() waits for an export still retrying; close() promised a bounded wait.
    await Promise.race([
      this.exporter.shutdown().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
  }
}

/** `HTTP 500 Internal Server Error`, `ECONNREFUSED`, or the error's message. */
function describe(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'number') return `HTTP ${e.code}${e.message ? ` ${String(e.message)}` : ''}`;
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string' && e.message !== '') return e.message;
  }
  return String(err);
}
