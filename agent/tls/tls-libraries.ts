/**
 * Which files of a process carry OpenSSL's SSL_read/SSL_write: its mapped libssl, and its
 * executable when OpenSSL is linked in statically (node). Uprobes attach per file, so the answer
 * is keyed by file identity (device and inode), not by path: two containers' copies of
 * `/usr/lib/.../libssl.so.3` are two files, and one file reached by two paths is one.
 *
 * Files are opened through `/proc/<pid>/root`, so a path inside a container's mount namespace
 * resolves to that container's file without entering the namespace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dynamicSymbols, SSL_SYMBOLS } from './elf-symbols';

export type TlsFileKind = 'libssl' | 'executable';

export interface TlsFile {
  /** `<dev>:<inode>` of the file: one attachment per key, whatever path reaches it. */
  readonly key: string;
  /** Where the agent opens it: `<procRoot>/<pid>/root<mappedPath>`. */
  readonly hostPath: string;
  /** The path as `/proc/<pid>/maps` shows it (inside the process's mount namespace). */
  readonly mappedPath: string;
  readonly kind: TlsFileKind;
  /** The SSL_SYMBOLS it defines, in SSL_SYMBOLS order; never empty. */
  readonly symbols: string[];
}

export interface TlsFilesOptions {
  /** @default '/proc' */
  readonly procRoot?: string;
  /** File key -> its SSL_SYMBOLS (empty when none), so each file's ELF is read once. */
  readonly symbolCache?: Map<string, string[]>;
}

/** What reading one process gave: `absent` (exited, or a kernel thread) and `denied` differ for doctor. */
export interface ProcessTlsScan {
  readonly state: 'present' | 'absent' | 'denied';
  readonly files: TlsFile[];
}

const LIBSSL = /^libssl\.so(\.\d+)*$/;

/** `libssl.so`, `libssl.so.3`, `libssl.so.1.1`; not `libssl3.so` (NSS) nor `libssl.so.3.bak`. */
export function isLibsslName(basename: string): boolean {
  return LIBSSL.test(basename);
}

/** The process's TLS files; [] when it exited, cannot be read, or has none. Never throws. */
export function tlsFilesOfProcess(pid: number, opts: TlsFilesOptions = {}): TlsFile[] {
  return scanProcessTls(pid, opts).files;
}

/** As tlsFilesOfProcess, telling an unreadable process from one without TLS files. */
export function scanProcessTls(pid: number, opts: TlsFilesOptions = {}): ProcessTlsScan {
  const procRoot = opts.procRoot ?? '/proc';
  const cache = opts.symbolCache ?? new Map<string, string[]>();
  const dir = path.join(procRoot, String(pid));
  let maps: string;
  try {
    maps = fs.readFileSync(path.join(dir, 'maps'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { state: code === 'EACCES' || code === 'EPERM' ? 'denied' : 'absent', files: [] };
  }
  let exe: string | undefined;
  try {
    exe = fs.readlinkSync(path.join(dir, 'exe'));
  } catch {
    // kernel thread, or exited since maps was read: no executable to consider
  }
  const files: TlsFile[] = [];
  const seenKeys = new Set<string>();
  for (const mappedPath of mappedFiles(maps)) {
    const kind: TlsFileKind | undefined = mappedPath === exe ? 'executable' : isLibsslName(path.posix.basename(mappedPath)) ? 'libssl' : undefined;
    if (kind === undefined) continue;
    const hostPath = `${dir}/root${mappedPath}`;
    const key = fileKey(hostPath);
    if (key === undefined || seenKeys.has(key)) continue;
    seenKeys.add(key);
    let symbols = cache.get(key);
    if (symbols === undefined) {
      const defined = dynamicSymbols(hostPath, SSL_SYMBOLS);
      symbols = SSL_SYMBOLS.filter((s) => defined.has(s));
      cache.set(key, symbols);
    }
    if (symbols.length > 0) files.push({ key, hostPath, mappedPath, kind, symbols: [...symbols] });
  }
  return { state: 'present', files };
}

/**
 * Distinct file paths of file-backed mappings, in maps order. A line is
 * `start-end perms offset dev inode   path`; the path may hold spaces, so it is everything after
 * the fifth field. Inode 0 is anonymous or special (`[heap]`, `[vdso]`); a replaced file shows
 * ` (deleted)` and can no longer be opened by path.
 */
export function mappedFiles(maps: string): string[] {
  const out = new Set<string>();
  for (const line of maps.split('\n')) {
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+(\d+)\s+(\/.*)$/.exec(line);
    if (m === null || m[1] === '0' || m[2].endsWith(' (deleted)')) continue;
    out.add(m[2]);
  }
  return [...out];
}

function fileKey(hostPath: string): string | undefined {
  try {
    const st = fs.statSync(hostPath, { bigint: true });
    return st.isFile() ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined; // exited, or the file went away since maps was read
  }
}
