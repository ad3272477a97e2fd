/**
 * Keeps the TLS uprobes on the files targeted processes map. Every `intervalMs` it reads the maps
 * of each targeted process, attaches to files it has not seen, and releases files no targeted
 * process maps anymore. Maps are re-read every scan because a process can dlopen libssl at any
 * time; the ELF symbol lookup is what costs, and it is cached per file key.
 *
 * Uprobes are attached by file (pid -1): one attachment serves every process mapping that file,
 * and the BPF side filters by target. So a file is attached once, whatever the number of pids.
 * Everything here is synchronous and runs on the main thread; a failure reading one process, or
 * in the attacher for one file, never stops the scan of the others.
 */
import fs from 'node:fs';
import { SocktapError } from '../util/errors';
import { tlsFilesOfProcess, type TlsFile } from './tls-libraries';

export interface TlsAttacher {
  /**
   * Attaches the uprobes to the file; returns how many probes were attached (0 = none of the
   * symbols could be attached). May throw; the scanner logs it (warn, once per file) and does not
   * retry that file key until it is seen again after no targeted process mapped it.
   */
  attach(file: TlsFile): number;
  /** Removes what attach() attached; called once per successful attach. */
  detach(key: string): void;
}

export interface TlsScannerLog {
  info(msg: string): void;
  warn(msg: string): void;
  debug?(msg: string): void;
}

export interface TlsScannerOptions {
  /** The host's proc (config `proc_fs_path`). @default '/proc' */
  readonly procRoot?: string;
  /** @default 2000 */
  readonly intervalMs?: number;
  /** Targeted-process predicate (see pidPredicate). */
  readonly wantsPid: (pid: number) => boolean;
  readonly attacher: TlsAttacher;
  /** @default no logging */
  readonly log?: TlsScannerLog;
}

/** An attached file and the targeted pids mapping it at the last scan (ascending). */
export type TlsFileView = TlsFile & { readonly pids: number[] };

export interface TlsScanResult {
  /** Files attached by this scan. */
  attached: TlsFile[];
  /** Keys released by this scan. */
  released: string[];
}

/**
 * A symbol cache that keeps only what the current scan asked for: entries of files no process
 * maps anymore drop out, so memory stays bounded and a reused inode number is read afresh.
 */
class ScanCache extends Map<string, string[]> {
  constructor(private readonly previous: ReadonlyMap<string, string[]>) {
    super();
  }
  override get(key: string): string[] | undefined {
    let v = super.get(key);
    if (v === undefined && (v = this.previous.get(key)) !== undefined) super.set(key, v);
    return v;
  }
}

export class TlsScanner {
  private readonly procRoot: string;
  private readonly intervalMs: number;
  private readonly attached = new Map<string, { file: TlsFile; pids: number[] }>();
  /** Keys whose attach failed while they stayed mapped: not retried, warned once. */
  private readonly failed = new Set<string>();
  private symbolCache = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: TlsScannerOptions) {
    this.procRoot = o.procRoot ?? '/proc';
    this.intervalMs = o.intervalMs ?? 2000;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs <= 0) {
      throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `intervalMs must be a positive number of milliseconds, got ${String(o.intervalMs)}`);
    }
  }

  scanOnce(): TlsScanResult {
    const result: TlsScanResult = { attached: [], released: [] };
    let names: string[];
    try {
      names = fs.readdirSync(this.procRoot);
    } catch (err) {
      // Keep what is attached: releasing everything on an unreadable /proc would drop live probes.
      this.o.log?.warn(`TLS scan: cannot list ${this.procRoot}: ${(err as Error).message}`);
      return result;
    }
    const seen = this.mappedFiles(names);
    for (const [key, { file, pids }] of seen) {
      const current = this.attached.get(key);
      if (current !== undefined) current.pids = pids;
      else if (!this.failed.has(key) && this.attach(file, pids)) result.attached.push(file);
    }
    for (const [key, { file }] of this.attached) {
      if (seen.has(key)) continue;
      this.attached.delete(key);
      this.detach(key);
      this.o.log?.info(`TLS uprobes released from ${file.mappedPath} (${file.kind}): no targeted process maps it anymore`);
      result.released.push(key);
    }
    for (const key of this.failed) if (!seen.has(key)) this.failed.delete(key);
    return result;
  }

  /** Scans now, then every intervalMs; the timer does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) throw new SocktapError('SOCKTAP_STATE', 'TlsScanner.start() was already called');
    this.timer = setInterval(() => this.scanSafely(), this.intervalMs);
    this.timer.unref();
    this.scanSafely();
  }

  /** Stops scanning and detaches every file still attached. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const key of this.attached.keys()) this.detach(key);
    this.attached.clear();
    this.failed.clear();
  }

  /** Attached files, by mapped path. */
  files(): TlsFileView[] {
    return [...this.attached.values()]
      .map(({ file, pids }) => ({ ...file, pids: [...pids] }))
      .sort((a, b) => (a.mappedPath < b.mappedPath ? -1 : a.mappedPath > b.mappedPath ? 1 : a.key < b.key ? -1 : 1));
  }

  /** Key -> the file as the lowest pid maps it, and every targeted pid mapping it (ascending). */
  private mappedFiles(names: readonly string[]): Map<string, { file: TlsFile; pids: number[] }> {
    const pids = names.filter((n) => /^[1-9][0-9]*$/.test(n)).map(Number).sort((a, b) => a - b);
    const cache = new ScanCache(this.symbolCache);
    const seen = new Map<string, { file: TlsFile; pids: number[] }>();
    for (const pid of pids) {
      try {
        if (!this.o.wantsPid(pid)) continue;
        for (const file of tlsFilesOfProcess(pid, { procRoot: this.procRoot, symbolCache: cache })) {
          const entry = seen.get(file.key);
          if (entry === undefined) seen.set(file.key, { file, pids: [pid] });
          else entry.pids.push(pid);
        }
      } catch (err) {
        this.o.log?.debug?.(`TLS scan: pid ${pid} skipped: ${(err as Error).message}`);
      }
    }
    this.symbolCache = new Map(cache); // own entries only: a ScanCache chained to the last would keep everything
    return seen;
  }

  private attach(file: TlsFile, pids: readonly number[]): boolean {
    const where = `${file.mappedPath} (${file.kind}, pid ${pids[0]})`;
    let n: number;
    try {
      n = this.o.attacher.attach(file);
    } catch (err) {
      this.failed.add(file.key);
      this.o.log?.warn(`TLS uprobes not attached to ${where}: ${(err as Error).message}`);
      return false;
    }
    if (n <= 0) {
      this.failed.add(file.key);
      this.o.log?.warn(`TLS uprobes not attached to ${where}: none of ${file.symbols.join(', ')} could be attached`);
      return false;
    }
    this.attached.set(file.key, { file, pids: [...pids] });
    this.o.log?.info(`TLS uprobes attached to ${file.mappedPath} (${file.kind}, ${n} probes, pid ${pids[0]})`);
    return true;
  }

  private detach(key: string): void {
    try {
      this.o.attacher.detach(key);
    } catch (err) {
      this.o.log?.warn(`TLS uprobes on ${key}: detach failed: ${(err as Error).message}`);
    }
  }

  // On the timer there is no caller to throw to; an exception would be uncaught.
  private scanSafely(): void {
    try {
      this.scanOnce();
    } catch (err) {
      this.o.log?.warn(`TLS scan failed: ${(err as Error).message}`);
    }
  }
}
