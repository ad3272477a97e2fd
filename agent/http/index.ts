/** The HTTP/1.x parser for observed traffic: one HttpConnectionParser per TCP connection. */
export { HttpConnectionParser } from './connection-parser';
export { DEFAULT_HTTP_PARSER_LIMITS, resolveHttpParserOptions } from './limits';
export type { HttpParserLimits, HttpParserOptions } from './limits';
export type { HttpParseErrorCode } from './error-codes';
export { HeaderFields, headerTextLength } from './header-fields';
export type { HeaderPairs } from './header-fields';
export type {
  HttpConnectionStats,
  HttpDirection,
  HttpExchange,
  HttpExchangeSink,
  HttpRequest,
  HttpResponse,
  HttpVersion,
  IncompleteReason,
} from './types';
