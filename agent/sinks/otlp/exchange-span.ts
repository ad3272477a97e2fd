/**
 * One exchange record as a finished span, built directly as a ReadableSpan (no Tracer): the
 * exchange already happened, with its own start time and duration, so there is nothing to time
 * and no context to propagate. Each span is a root span unless the request carried a W3C
 * `traceparent`, which makes the captured exchange part of the caller's trace.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { RandomIdGenerator, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ExchangeRecord } from '../../pipeline/record';
import { headerValue } from '../exchange-url';
import { addNanos, hrDiff, isoToHrTime } from './hr-time';
import { errorType, exchangeAttributes, semconvMethod } from './span-attributes';

const ids = new RandomIdGenerator();
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

/**
 * Span name per the HTTP conventions: `{method} {target}` only with a low-cardinality target
 * (a route template), which captured traffic does not have, and the conventions forbid falling
 * back to the raw path. So the name is the method, or `HTTP` for a method they do not know.
 */
export function spanName(method: string): string {
  const m = semconvMethod(method);
  return m === '_OTHER' ? 'HTTP' : m;
}

export function exchangeSpan(rec: ExchangeRecord, resource: Resource, scope: InstrumentationScope): ReadableSpan {
  const startTime = isoToHrTime(rec.ts);
  const endTime = addNanos(startTime, Math.max(0, rec.duration_ns));
  const parent = parentContext(rec);
  const context: SpanContext = {
    traceId: parent?.traceId ?? ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: TraceFlags.SAMPLED,
  };
  const error = errorType(rec);
  return {
    name: spanName(rec.request.method),
    kind: rec.direction === 'ingress' ? SpanKind.SERVER : SpanKind.CLIENT,
    spanContext: () => context,
    parentSpanContext: parent,
    startTime,
    endTime,
    duration: hrDiff(startTime, endTime),
    // Unset unless failed (the conventions leave successful HTTP spans unset, never OK).
    status: error === undefined
      ? { code: SpanStatusCode.UNSET }
      : rec.incomplete
        ? { code: SpanStatusCode.ERROR, message: `exchange incomplete: ${rec.incomplete}` }
        : { code: SpanStatusCode.ERROR },
    attributes: exchangeAttributes(rec),
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** The caller's span from a valid `traceparent` request header (version 00), else undefined. */
function parentContext(rec: ExchangeRecord): SpanContext | undefined {
  const m = TRACEPARENT.exec(headerValue(rec.request.headers, 'traceparent')?.trim() ?? '');
  if (!m || m[1] === INVALID_TRACE || m[2] === INVALID_SPAN) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16) & 0xff, isRemote: true };
}
