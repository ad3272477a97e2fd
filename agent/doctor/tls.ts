/** Which TLS libraries the TLS uprobes would attach to, for chosen processes or the whole host. */
import { scanProcessTls, type TlsFile } from '../tls/tls-libraries';
import { readDir, RUN_AS_ROOT } from './fs-probe';
import type { CheckResult, DoctorEnv } from './types';

// 10. TLS libraries

const MAX_FILES = 10;
const MAX_PIDS = 5;

export const NO_OPENSSL_FIX =
  'the targets load no OpenSSL: their TLS traffic is not captured (the syscalls only see ciphertext); ' +
  'statically linked TLS stacks other than OpenSSL (Go crypto/tls, rustls, BoringSSL without exported symbols) are not supported';

interface Found {
  file: TlsFile;
  pids: number[];
}

/**
 * `pids`: the processes to report on; `'all'` scans every process but doctor itself (which runs
 * on node, and node links OpenSSL: it would always be found). Only an explicit list can warn: on
 * a whole host, finding no OpenSSL is a fact, not a problem.
 */
export function checkTlsLibraries(env: DoctorEnv, pids: readonly number[] | 'all' = env.tlsPids ?? 'all'): CheckResult {
  const base = { id: 'tls-libraries', title: 'TLS libraries' };
  let chosen: number[];
  if (pids === 'all') {
    const listing = readDir(env.procRoot);
    if (listing.state !== 'present') return { ...base, status: 'warn', detail: `cannot list ${env.procRoot}` };
    chosen = listing.names.filter((n) => /^[1-9][0-9]*$/.test(n)).map(Number).filter((p) => p !== process.pid);
  } else {
    chosen = [...new Set(pids)];
  }
  chosen.sort((a, b) => a - b);

  const byKey = new Map<string, Found>();
  const absent: number[] = [];
  const denied: number[] = [];
  const symbolCache = new Map<string, string[]>();
  for (const pid of chosen) {
    const scan = scanProcessTls(pid, { procRoot: env.procRoot, symbolCache });
    if (scan.state === 'absent') absent.push(pid);
    if (scan.state === 'denied') denied.push(pid);
    for (const file of scan.files) {
      const found = byKey.get(file.key);
      if (found === undefined) byKey.set(file.key, { file, pids: [pid] });
      else found.pids.push(pid);
    }
  }
  const found = [...byKey.values()].sort((a, b) => (a.file.mappedPath < b.file.mappedPath ? -1 : a.file.mappedPath > b.file.mappedPath ? 1 : 0));
  const withTls = new Set(found.flatMap((f) => f.pids)).size;
  const notes = [
    // Not always "run as root": a root doctor may still be refused another user namespace's maps.
    ...(denied.length > 0 ? [`${plural(denied.length, 'process', 'processes')} not readable`] : []),
    ...(pids !== 'all' && absent.length > 0 ? [`no ${pidList(absent)}`] : []),
  ];
  const suffix = notes.length > 0 ? ` (${notes.join('; ')})` : '';

  if (pids === 'all') {
    const head = `${plural(found.length, 'file')} in ${withTls} of ${plural(chosen.length, 'process', 'processes')}`;
    return { ...base, status: 'ok', detail: `${head}${suffix}${listFiles(found)}` };
  }
  if (found.length > 0) {
    return { ...base, status: 'ok', detail: `${plural(found.length, 'file')} for ${pidList(chosen)}${suffix}${listFiles(found)}` };
  }
  const readable = chosen.filter((p) => !absent.includes(p) && !denied.includes(p));
  const detail = readable.length > 0 ? `no OpenSSL in ${pidList(readable)}${suffix}` : `nothing to inspect${suffix}`;
  const fix = readable.length > 0 ? NO_OPENSSL_FIX : denied.length > 0 ? RUN_AS_ROOT : 'pass the pids of running processes';
  return { ...base, status: 'warn', detail, fix };
}

/** `: <file>; <file>; ... and N more` — one line, like every doctor detail. */
function listFiles(found: readonly Found[]): string {
  if (found.length === 0) return '';
  const shown = found.slice(0, MAX_FILES).map(({ file, pids }) => `${file.mappedPath} (${file.kind}: ${file.symbols.join(' ')}; ${pidList(pids)})`);
  const more = found.length > MAX_FILES ? ` and ${found.length - MAX_FILES} more` : '';
  return `: ${shown.join('; ')}${more}`;
}

function pidList(pids: readonly number[]): string {
  const shown = pids.slice(0, MAX_PIDS).join(',');
  const more = pids.length > MAX_PIDS ? ` +${pids.length - MAX_PIDS} more` : '';
  return `${pids.length === 1 ? 'pid' : 'pids'} ${shown}${more}`;
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
