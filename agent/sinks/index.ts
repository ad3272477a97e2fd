/** The sinks' public surface. */
export { OtlpSink } from './otlp-sink';
export type { OtlpSinkOptions } from './otlp-sink';
export { HarSink } from './har-sink';
export type { HarSinkOptions } from './har-sink';
export { recoverHar } from './har/har-file';
export { UdsSink } from './uds-sink';
export type { UdsSinkOptions } from './uds-sink';
export { StdoutSink } from './stdout-sink';
export type { StdoutSinkOptions } from './stdout-sink';
export { QueuedSink, DeliveryLoop } from './sink';
export { LineSink } from './line-sink';
export type { LineSinkOptions } from './line-sink';
export type { Sink, SinkStats, SinkLog } from './sink';
export { createSinks } from './from-config';
