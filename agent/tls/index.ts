/** TLS capture, user-space side: which files carry OpenSSL, and keeping uprobes on them. */
export { dynamicSymbols, SSL_SYMBOLS } from './elf-symbols';
export type { SslSymbol } from './elf-symbols';
export { isLibsslName, mappedFiles, scanProcessTls, tlsFilesOfProcess } from './tls-libraries';
export type { ProcessTlsScan, TlsFile, TlsFileKind, TlsFilesOptions } from './tls-libraries';
export { TlsScanner } from './tls-scanner';
export type { TlsAttacher, TlsFileView, TlsScannerLog, TlsScannerOptions, TlsScanResult } from './tls-scanner';
export { cgroupIdOfPid, pidPredicate } from './targets-predicate';
export type { PidPredicateOptions, PidTargets } from './targets-predicate';
