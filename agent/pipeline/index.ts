/** From capture events to exchange records (DESIGN.md §3) and their JSON lines. */
export { ExchangeAssembler } from './exchange-assembler';
export type { ExchangeAssemblerOptions, ExchangeAssemblerStats } from './exchange-assembler';
export { toJsonLine } from './record-json';
export { REDACTED } from './record';
export type { ExchangeRecord, ProcessLabels, RequestRecord, ResponseRecord, RecordDirection } from './record';
