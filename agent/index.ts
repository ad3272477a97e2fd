/** socktap's public API (the package's main entry). */
export { Tracer, validateTracerOptions, validateTargets } from './capture/tracer';
export type { Targets, TracerOptions, TracerStats, TracerEvents } from './capture/tracer';
export type { CaptureEvent, ConnCloseEvent, ConnId, ConnOpenEvent, DataEvent, Endpoint } from './capture/events';
export { OrderedStream } from './capture/ordered-stream';
export { materialize } from './capture/decode';
export type { StreamPiece, HoleReason, OrderedStreamOptions } from './capture/ordered-stream';
export { MonotonicClock } from './capture/clock';
export { SocktapError } from './util/errors';
export type { SocktapErrorCode } from './util/errors';
export { runDoctor } from './doctor';
export { HttpConnectionParser, resolveHttpParserOptions, DEFAULT_HTTP_PARSER_LIMITS } from './http';
export type { HttpExchange, HttpRequest, HttpResponse, HttpExchangeSink, HttpParserOptions } from './http';
export { AgentConfigSchema, DEFAULT_CONFIG, parseConfig, renderConfigYaml } from './config/schema';
export type { AgentConfig } from './config/schema';
export { loadConfig } from './config/load';
export { ConfigError } from './config/issues';
export { createLogger } from './log/logger';
export { ExchangeAssembler, toJsonLine } from './pipeline';
