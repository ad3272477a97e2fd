/**
 * Which OpenSSL entry points an ELF file exports, so uprobes go only where they can attach.
 *
 * Handwritten on purpose: there is no maintained ELF reader on npm, and we need one table of one
 * layout (ELF64 little-endian, x86_64 and arm64). The file is read at offsets, never whole: the
 * `node` binary is ~100 MB and exports OpenSSL itself, and a scan may look at every executable
 * of every targeted process. We read the header, the section headers, `.dynsym` and the string
 * table it links to (a few MB for node, a few hundred KB for libssl).
 *
 * Files stripped of their section headers (sstrip) would need PT_DYNAMIC and DT_SYMTAB instead;
 * no distribution ships libssl or node that way, so they answer "no symbols".
 */
import fs from 'node:fs';

/** The functions the TLS uprobes attach to (bpf/tls_uprobes.bpf.h). */
export const SSL_SYMBOLS = ['SSL_read', 'SSL_write', 'SSL_read_ex', 'SSL_write_ex'] as const;
export type SslSymbol = (typeof SSL_SYMBOLS)[number];

const EHDR_BYTES = 64;
const SHDR_BYTES = 64;
const SYM_BYTES = 24;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const STT_FUNC = 2;
const STB_LOCAL = 0;
// A corrupt header must not make us allocate gigabytes; real tables are far below this.
const MAX_TABLE_BYTES = 256 * 1024 * 1024;

/** Thrown inside this module only, for "not an ELF we read"; never escapes. */
class NotReadable extends Error {}

/**
 * The names in `wanted` that `path` defines as global or weak functions in `.dynsym`. Empty for
 * anything else: missing or unreadable file, not ELF, 32-bit, big-endian, truncated, corrupt.
 * Only STT_FUNC counts: an undefined entry is an import (the symbol lives in another file), and
 * an IFUNC's address is its resolver, where a uprobe would fire once at load, not per call.
 */
export function dynamicSymbols(path: string, wanted: readonly string[]): Set<string> {
  const found = new Set<string>();
  if (wanted.length === 0) return found;
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO at that path must not block the scan; it then fails the isFile test.
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return found;
    for (const name of definedFunctions(fd, st.size, new Set(wanted))) found.add(name);
  } catch {
    // ENOENT, EACCES, EISDIR, NotReadable, a file shrinking under us: all mean "nothing here".
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return found;
}

function definedFunctions(fd: number, size: number, wanted: ReadonlySet<string>): string[] {
  const eh = readAt(fd, size, 0, EHDR_BYTES);
  if (eh.readUInt32BE(0) !== 0x7f454c46) throw new NotReadable('not ELF');
  if (eh[4] !== ELFCLASS64 || eh[5] !== ELFDATA2LSB) throw new NotReadable('not ELF64 little-endian');
  const shoff = u64(eh, 0x28);
  const shentsize = eh.readUInt16LE(0x3a);
  let shnum = eh.readUInt16LE(0x3c);
  if (shoff === 0 || shentsize < SHDR_BYTES) throw new NotReadable('no section headers');
  // More than 0xff00 sections: e_shnum is 0 and the count sits in section 0's sh_size.
  if (shnum === 0) shnum = u64(readAt(fd, size, shoff, SHDR_BYTES), 32);
  const shdrs = readAt(fd, size, shoff, shnum * shentsize);
  const section = (i: number) => {
    if (i >= shnum) throw new NotReadable('section index out of range');
    const o = i * shentsize;
    return { type: shdrs.readUInt32LE(o + 4), offset: u64(shdrs, o + 24), size: u64(shdrs, o + 32), link: shdrs.readUInt32LE(o + 40), entsize: u64(shdrs, o + 56) };
  };
  for (let i = 0; i < shnum; i++) {
    const dynsym = section(i);
    if (dynsym.type !== SHT_DYNSYM) continue;
    const entsize = dynsym.entsize === 0 ? SYM_BYTES : dynsym.entsize;
    if (entsize < SYM_BYTES) throw new NotReadable('bad symbol entry size');
    const strtab = section(dynsym.link);
    const syms = readAt(fd, size, dynsym.offset, dynsym.size);
    const strs = readAt(fd, size, strtab.offset, strtab.size);
    const maxLength = Math.max(...[...wanted].map((w) => w.length));
    const out: string[] = [];
    for (let o = 0; o + SYM_BYTES <= syms.length; o += entsize) {
      const info = syms[o + 4];
      if ((info & 0xf) !== STT_FUNC || info >> 4 === STB_LOCAL) continue;
      if (syms.readUInt16LE(o + 6) === SHN_UNDEF) continue;
      const name = cString(strs, syms.readUInt32LE(o), maxLength);
      if (name !== undefined && wanted.has(name)) out.push(name);
    }
    return out; // an ELF file has at most one .dynsym
  }
  return [];
}

/** Exactly `length` bytes at `offset`, or NotReadable (past the end, or too large to be real). */
function readAt(fd: number, fileSize: number, offset: number, length: number): Buffer {
  if (length > MAX_TABLE_BYTES || offset + length > fileSize) throw new NotReadable('truncated');
  const buf = Buffer.allocUnsafe(length); // every byte is read below, or we throw
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) throw new NotReadable('truncated');
    done += n;
  }
  return buf;
}

/** Offsets above 2^53 cannot be real in a file we can read; treat them as corrupt. */
function u64(buf: Buffer, offset: number): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NotReadable('offset out of range');
  return Number(v);
}

// A name longer than every wanted one cannot match, so it is not decoded (node has ~80k symbols).
function cString(strs: Buffer, offset: number, maxLength: number): string | undefined {
  if (offset >= strs.length) return undefined;
  const end = strs.indexOf(0, offset);
  if (end < 0 || end - offset > maxLength) return undefined;
  return strs.toString('latin1', offset, end);
}
