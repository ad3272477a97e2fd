/** The dynsym reader: generated ELF fixtures (every kind of symbol, every kind of damage) and real files. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dynamicSymbols, SSL_SYMBOLS } from '../../agent/tls/elf-symbols';
import { elfImage, symbolsOf, writeElf, type FixtureSymbol } from '../helpers/elf-fixture';
import { prng } from '../helpers/random';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-elf-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
const fixturePath = () => path.join(dir, `f${n++}.so`);
const writeBytes = (bytes: Buffer) => {
  const file = fixturePath();
  fs.writeFileSync(file, bytes);
  return file;
};
const sorted = (s: Set<string>) => [...s].sort();

const LIBSSL_LIKE = symbolsOf(['SSL_read', 'SSL_write', 'SSL_read_ex', 'SSL_write_ex', 'SSL_new'], ['memcpy', 'BIO_read']);

describe('dynamicSymbols on generated ELF files', () => {
  test('the defined functions among the wanted names, nothing else', () => {
    const file = writeElf(fixturePath(), LIBSSL_LIKE);
    assert.deepEqual(sorted(dynamicSymbols(file, SSL_SYMBOLS)), ['SSL_read', 'SSL_read_ex', 'SSL_write', 'SSL_write_ex']);
    assert.deepEqual(sorted(dynamicSymbols(file, ['SSL_read', 'SSL_new', 'SSL_free'])), ['SSL_new', 'SSL_read']);
    assert.deepEqual(sorted(dynamicSymbols(file, [])), []);
  });

  test('imports, locals, objects and IFUNCs do not count; weak functions do', () => {
    const symbols: FixtureSymbol[] = [
      { name: 'SSL_read', defined: false }, // an application importing libssl
      { name: 'SSL_write', bind: 'local' },
      { name: 'SSL_read_ex', type: 'object' },
      { name: 'SSL_write_ex', type: 'ifunc' },
      { name: 'weak_fn', bind: 'weak' },
    ];
    const file = writeElf(fixturePath(), symbols);
    assert.deepEqual(sorted(dynamicSymbols(file, [...SSL_SYMBOLS, 'weak_fn'])), ['weak_fn']);
  });

  test('a prefix of a name is not the name', () => {
    const file = writeElf(fixturePath(), symbolsOf(['SSL_read_ex_extra', 'SSL_rea']));
    assert.deepEqual(sorted(dynamicSymbols(file, SSL_SYMBOLS)), []);
  });

  test('every strict prefix of a valid file (a truncated file) gives the empty set', () => {
    const { bytes } = elfImage(LIBSSL_LIKE);
    for (let len = 0; len < bytes.length; len++) {
      assert.deepEqual(sorted(dynamicSymbols(writeBytes(bytes.subarray(0, len)), SSL_SYMBOLS)), [], `length ${len}`);
    }
    assert.equal(dynamicSymbols(writeBytes(bytes), SSL_SYMBOLS).size, 4);
  });

  test('32-bit, big-endian and non-ELF files give the empty set', () => {
    const { bytes } = elfImage(LIBSSL_LIKE);
    const class32 = Buffer.from(bytes);
    class32[4] = 1;
    const bigEndian = Buffer.from(bytes);
    bigEndian[5] = 2;
    const script = Buffer.from('#!/bin/sh\necho SSL_read SSL_write\n');
    for (const b of [class32, bigEndian, script, Buffer.alloc(0)]) {
      assert.deepEqual(sorted(dynamicSymbols(writeBytes(b), SSL_SYMBOLS)), []);
    }
  });

  test('corrupt tables: no throw; a bad string offset loses only that symbol', () => {
    const { bytes, shoff, dynsymOffset, dynsymIndex } = elfImage(LIBSSL_LIKE);
    const badLink = Buffer.from(bytes);
    badLink.writeUInt32LE(99, shoff + 64 * dynsymIndex + 40);
    const hugeSize = Buffer.from(bytes);
    hugeSize.writeBigUInt64LE(0x7fffffffffffffffn, shoff + 64 * dynsymIndex + 32);
    const pastEnd = Buffer.from(bytes);
    pastEnd.writeBigUInt64LE(BigInt(bytes.length), shoff + 64 * dynsymIndex + 24);
    const tinyEntsize = Buffer.from(bytes);
    tinyEntsize.writeBigUInt64LE(8n, shoff + 64 * dynsymIndex + 56);
    const noSections = Buffer.from(bytes);
    noSections.writeBigUInt64LE(0n, 0x28);
    for (const b of [badLink, hugeSize, pastEnd, tinyEntsize, noSections]) {
      assert.deepEqual(sorted(dynamicSymbols(writeBytes(b), SSL_SYMBOLS)), []);
    }
    const badName = Buffer.from(bytes);
    badName.writeUInt32LE(0xffffff, dynsymOffset + 24); // symbol 1 is SSL_read
    assert.deepEqual(sorted(dynamicSymbols(writeBytes(badName), SSL_SYMBOLS)), ['SSL_read_ex', 'SSL_write', 'SSL_write_ex']);
  });

  test('random byte damage never throws (seeded)', () => {
    const { bytes } = elfImage(LIBSSL_LIKE);
    const rand = prng(0x5eed);
    const file = fixturePath();
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(bytes);
      for (let k = 0; k < 4; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      fs.writeFileSync(file, b);
      const got = dynamicSymbols(file, SSL_SYMBOLS);
      for (const name of got) assert.ok((SSL_SYMBOLS as readonly string[]).includes(name), name);
    }
  });

  test('missing files and directories give the empty set', () => {
    assert.deepEqual(sorted(dynamicSymbols(path.join(dir, 'nope'), SSL_SYMBOLS)), []);
    assert.deepEqual(sorted(dynamicSymbols(dir, SSL_SYMBOLS)), []);
  });
});

describe('dynamicSymbols on real files', () => {
  const LIBSSL = '/usr/lib/x86_64-linux-gnu/libssl.so.3';

  test('libssl.so.3 exports all four', () => {
    assert.deepEqual(sorted(dynamicSymbols(LIBSSL, SSL_SYMBOLS)), ['SSL_read', 'SSL_read_ex', 'SSL_write', 'SSL_write_ex']);
  });

  test('node links OpenSSL statically and exports all four', () => {
    assert.deepEqual(sorted(dynamicSymbols(process.execPath, SSL_SYMBOLS)), ['SSL_read', 'SSL_read_ex', 'SSL_write', 'SSL_write_ex']);
  });

  test('/bin/ls exports none', () => {
    assert.deepEqual(sorted(dynamicSymbols('/bin/ls', SSL_SYMBOLS)), []);
  });

  test('reads node at offsets: the tables only, a small part of the ~100 MB file', (t) => {
    const size = fs.statSync(process.execPath).size;
    let bytesRead = 0;
    const readSync = fs.readSync;
    t.mock.method(fs, 'readSync', (...args: Parameters<typeof fs.readSync>) => {
      const got = (readSync as (...a: unknown[]) => number)(...args);
      bytesRead += got;
      return got;
    });
    const readFileSync = t.mock.method(fs, 'readFileSync');
    assert.equal(dynamicSymbols(process.execPath, SSL_SYMBOLS).size, 4);
    assert.equal(readFileSync.mock.callCount(), 0);
    assert.ok(bytesRead > 0 && bytesRead < size / 10, `read ${bytesRead} of ${size} bytes`);
  });
});

