/**
 * A tiny ELF64 little-endian writer for tests of the dynsym reader: a shared object with
 * `.text`, `.dynstr`, `.dynsym` and `.shstrtab`, section headers last (so any prefix of the file
 * is missing some of them). Only what readelf needs to agree: `readelf -Ws --dyn-syms` lists the
 * symbols as given.
 */
import fs from 'node:fs';

export interface FixtureSymbol {
  readonly name: string;
  /** false: an import (st_shndx = SHN_UNDEF). @default true */
  readonly defined?: boolean;
  /** @default 'func' */
  readonly type?: 'func' | 'object' | 'ifunc';
  /** @default 'global' */
  readonly bind?: 'global' | 'weak' | 'local';
}

const STT = { object: 1, func: 2, ifunc: 10 } as const;
const STB = { local: 0, global: 1, weak: 2 } as const;
const SHT_PROGBITS = 1;
const SHT_STRTAB = 3;
const SHT_DYNSYM = 11;

/** Defined functions plus imports, the common case. */
export function symbolsOf(defined: readonly string[], imported: readonly string[] = []): FixtureSymbol[] {
  return [...defined.map((name) => ({ name })), ...imported.map((name) => ({ name, defined: false }))];
}

export interface ElfLayout {
  readonly bytes: Buffer;
  /** File offsets, for tests that corrupt one field. */
  readonly shoff: number;
  readonly dynsymOffset: number;
  readonly dynsymIndex: number;
}

export function elfImage(symbols: readonly FixtureSymbol[]): ElfLayout {
  // ELF wants locals first in a symbol table; sh_info is the index of the first non-local.
  const ordered = [...symbols.filter((s) => s.bind === 'local'), ...symbols.filter((s) => s.bind !== 'local')];
  const dynstrParts: Buffer[] = [Buffer.from([0])];
  const nameOffsets: number[] = [];
  let strLen = 1;
  for (const s of ordered) {
    nameOffsets.push(strLen);
    const b = Buffer.from(`${s.name}\0`, 'latin1');
    dynstrParts.push(b);
    strLen += b.length;
  }
  const dynstr = Buffer.concat(dynstrParts);
  const dynsym = Buffer.alloc(24 * (ordered.length + 1)); // entry 0 is the null symbol
  ordered.forEach((s, i) => {
    const o = 24 * (i + 1);
    dynsym.writeUInt32LE(nameOffsets[i], o);
    dynsym[o + 4] = (STB[s.bind ?? 'global'] << 4) | STT[s.type ?? 'func'];
    dynsym.writeUInt16LE(s.defined === false ? 0 : 1, o + 6); // section 1 is .text
    dynsym.writeBigUInt64LE(s.defined === false ? 0n : 0x1000n + BigInt(i * 16), o + 8);
    dynsym.writeBigUInt64LE(s.defined === false ? 0n : 16n, o + 16);
  });
  const shstrtab = Buffer.from('\0.text\0.dynstr\0.dynsym\0.shstrtab\0', 'latin1');
  const text = Buffer.alloc(16, 0xc3); // ret
  const align8 = (n: number) => (n + 7) & ~7;
  const textOff = 64;
  const dynstrOff = textOff + text.length;
  const dynsymOff = align8(dynstrOff + dynstr.length);
  const shstrOff = dynsymOff + dynsym.length;
  const shoff = align8(shstrOff + shstrtab.length);
  const sections = [
    { name: 0, type: 0, offset: 0, size: 0, link: 0, info: 0, entsize: 0 },
    { name: 1, type: SHT_PROGBITS, offset: textOff, size: text.length, link: 0, info: 0, entsize: 0 },
    { name: 7, type: SHT_STRTAB, offset: dynstrOff, size: dynstr.length, link: 0, info: 0, entsize: 0 },
    { name: 15, type: SHT_DYNSYM, offset: dynsymOff, size: dynsym.length, link: 2, info: 1 + symbols.filter((s) => s.bind === 'local').length, entsize: 24 },
    { name: 23, type: SHT_STRTAB, offset: shstrOff, size: shstrtab.length, link: 0, info: 0, entsize: 0 },
  ];
  const image = Buffer.alloc(shoff + 64 * sections.length);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(image, 0); // ELF64, little-endian, version 1
  image.writeUInt16LE(3, 0x10); // ET_DYN
  image.writeUInt16LE(62, 0x12); // EM_X86_64
  image.writeUInt32LE(1, 0x14);
  image.writeBigUInt64LE(BigInt(shoff), 0x28);
  image.writeUInt16LE(64, 0x34); // e_ehsize
  image.writeUInt16LE(64, 0x3a); // e_shentsize
  image.writeUInt16LE(sections.length, 0x3c);
  image.writeUInt16LE(4, 0x3e); // e_shstrndx
  text.copy(image, textOff);
  dynstr.copy(image, dynstrOff);
  dynsym.copy(image, dynsymOff);
  shstrtab.copy(image, shstrOff);
  sections.forEach((s, i) => {
    const o = shoff + 64 * i;
    image.writeUInt32LE(s.name, o);
    image.writeUInt32LE(s.type, o + 4);
    image.writeBigUInt64LE(BigInt(s.offset), o + 24);
    image.writeBigUInt64LE(BigInt(s.size), o + 32);
    image.writeUInt32LE(s.link, o + 40);
    image.writeUInt32LE(s.info, o + 44);
    image.writeBigUInt64LE(BigInt(s.entsize), o + 56);
  });
  return { bytes: image, shoff, dynsymOffset: dynsymOff, dynsymIndex: 3 };
}

/** Writes an ELF fixture at `file` (parents must exist); returns `file`. */
export function writeElf(file: string, symbols: readonly FixtureSymbol[]): string {
  fs.writeFileSync(file, elfImage(symbols).bytes, { mode: 0o755 });
  return file;
}

/**
 * A fake proc tree whose processes map ELF fixtures: `<root>/proc/<pid>/{maps,exe,root,comm,cgroup,stat}`,
 * with `root` linked to `<root>/rootfs` the way a containerised process's root is seen from the host.
 */
export class FakeProcTree {
  readonly procRoot: string;
  readonly rootfs: string;

  constructor(readonly dir: string) {
    this.procRoot = `${dir}/proc`;
    this.rootfs = `${dir}/rootfs`;
    fs.mkdirSync(this.procRoot, { recursive: true });
    fs.mkdirSync(this.rootfs, { recursive: true });
  }

  /** Writes an ELF fixture at `mappedPath` inside the rootfs; returns its host path. */
  elf(mappedPath: string, symbols: readonly FixtureSymbol[]): string {
    const file = `${this.rootfs}${mappedPath}`;
    fs.mkdirSync(file.slice(0, file.lastIndexOf('/')), { recursive: true });
    return writeElf(file, symbols);
  }

  /** `<dev>:<inode>` of a rootfs file, as TlsFile.key spells it. */
  key(mappedPath: string): string {
    const st = fs.statSync(`${this.rootfs}${mappedPath}`, { bigint: true });
    return `${st.dev}:${st.ino}`;
  }

  /**
   * A process mapping `files` (two segments each, like ld.so maps them, plus anonymous lines).
   * `exe` undefined: no exe link (kernel thread). Replaces any process of the same pid.
   */
  add(pid: number, p: { exe?: string; files: readonly string[]; comm?: string; cgroup?: string }): void {
    const dir = `${this.procRoot}/${pid}`;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const lines: string[] = [];
    let addr = 0x7f0000000000;
    const line = (perms: string, inode: number, file: string) => {
      lines.push(`${addr.toString(16)}-${(addr + 0x1000).toString(16)} ${perms} 00000000 ${inode === 0 ? '00:00' : '08:01'} ${inode}${' '.repeat(19)}${file}`);
      addr += 0x1000;
    };
    for (const f of p.files) {
      line('r--p', 1234, f);
      line('r-xp', 1234, f);
    }
    line('rw-p', 0, '[heap]');
    line('rw-p', 0, '');
    fs.writeFileSync(`${dir}/maps`, `${lines.join('\n')}\n`);
    if (p.exe !== undefined) fs.symlinkSync(p.exe, `${dir}/exe`);
    fs.symlinkSync(this.rootfs, `${dir}/root`);
    fs.writeFileSync(`${dir}/comm`, `${p.comm ?? 'app'}\n`);
    fs.writeFileSync(`${dir}/cgroup`, p.cgroup ?? '0::/\n');
    fs.writeFileSync(`${dir}/stat`, `${pid} (${p.comm ?? 'app'}) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${1000 + pid} 0 0\n`);
  }

  /** The process exits. */
  remove(pid: number): void {
    fs.rmSync(`${this.procRoot}/${pid}`, { recursive: true, force: true });
  }
}
