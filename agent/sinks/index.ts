/** The sinks' public surface. */
export { OtlpSink } from './otlp-sink';
export type { OtlpSinkOptions } from './otlp-sink';
export { HarSink } from './har-sink';
export type { HarSinkOptions } from './har-sink';
export { recoverHar } from './har/har-file';
