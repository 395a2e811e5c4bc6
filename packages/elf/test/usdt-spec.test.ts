import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfError, parseElf } from '@ts-ebpf/elf-reader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeUsdtSpec,
  fileOffsetOf,
  parseX86UsdtArg,
  parseX86UsdtArgs,
  readUsdtNotes,
  USDT_SPEC_SIZE,
  UsdtSpecError,
} from '../src/index.js';
import { CORPUS_DIR } from './corpus/build.js';

describe('x86-64 USDT argument operands', () => {
  it('reads constants, registers and register-relative memory, with size and signedness', () => {
    expect(parseX86UsdtArg('-4@$-9')).toEqual({
      kind: 'const',
      size: 4,
      signed: true,
      value: -9n,
      regOffset: 0,
    });
    expect(parseX86UsdtArg('8@$0x10')).toEqual({
      kind: 'const',
      size: 8,
      signed: false,
      value: 16n,
      regOffset: 0,
    });
    expect(parseX86UsdtArg('8@%rax')).toEqual({
      kind: 'reg',
      size: 8,
      signed: false,
      value: 0n,
      register: 'rax',
      regOffset: 80,
    });
    expect(parseX86UsdtArg('-2@%r9w')).toMatchObject({ kind: 'reg', size: 2, signed: true, regOffset: 64 });
    expect(parseX86UsdtArg('1@%sil')).toMatchObject({ kind: 'reg', size: 1, regOffset: 104 });
    expect(parseX86UsdtArg('-4@-1204(%rbp)')).toEqual({
      kind: 'reg-deref',
      size: 4,
      signed: true,
      value: -1204n,
      register: 'rbp',
      regOffset: 32,
    });
    expect(parseX86UsdtArg('8@(%rdi)')).toMatchObject({ kind: 'reg-deref', value: 0n, regOffset: 112 });
    expect(parseX86UsdtArg('2@0x18(%rsp)')).toMatchObject({ kind: 'reg-deref', value: 24n, regOffset: 152 });
  });

  it('says why an operand cannot be expressed', () => {
    expect(parseX86UsdtArg('%rax')).toMatch(/no <size>@/);
    expect(parseX86UsdtArg('3@%rax')).toMatch(/size 3/);
    expect(parseX86UsdtArg('x@%rax')).toMatch(/not a number/);
    expect(parseX86UsdtArg('1@%ah')).toMatch(/high-byte register %ah/);
    expect(parseX86UsdtArg('8@%xmm0')).toMatch(/unknown register %xmm0/);
    expect(parseX86UsdtArg('-4@-4(%rbp,%rax,8)')).toMatch(/scaled-index/);
    expect(parseX86UsdtArg('4@counter(%rip)')).toMatch(/symbol-relative/);
    expect(parseX86UsdtArg('4@8(%rip)')).toMatch(/%rip-relative/);
    expect(parseX86UsdtArg('8@$99999999999999999999')).toMatch(/does not fit/);
  });

  it('splits an argument string and names the first argument it cannot read', () => {
    expect(parseX86UsdtArgs('')).toEqual([]);
    expect(parseX86UsdtArgs(' -4@%edi  8@$1 ')).toHaveLength(2);
    expect(parseX86UsdtArgs('-4@%edi 1@%ah')).toEqual({
      index: 1,
      text: '1@%ah',
      why: expect.stringMatching(/high-byte/),
    });
  });

  it('encodes struct __bpf_usdt_spec in either byte order', () => {
    const args = [parseX86UsdtArg('-4@$-9'), parseX86UsdtArg('-2@-8(%rbp)')] as never;
    for (const order of ['little', 'big'] as const) {
      const b = encodeUsdtSpec(args, 0x1122n, order);
      const v = new DataView(b.buffer);
      const le = order === 'little';
      expect(b.byteLength).toBe(USDT_SPEC_SIZE);
      expect(v.getBigInt64(0, le)).toBe(-9n); // val_off
      expect(v.getUint32(8, le)).toBe(0); // BPF_USDT_ARG_CONST
      expect([v.getInt16(12, le), b[14], b[15]]).toEqual([0, 1, 32]);
      expect(v.getBigInt64(16, le)).toBe(-8n);
      expect(v.getUint32(24, le)).toBe(2); // BPF_USDT_ARG_REG_DEREF
      expect([v.getInt16(28, le), b[30], b[31]]).toEqual([32, 1, 48]);
      expect(b.subarray(32, 192).every((x) => x === 0)).toBe(true);
      expect(v.getBigUint64(192, le)).toBe(0x1122n);
      expect(v.getInt16(200, le)).toBe(2);
    }
    expect(() => encodeUsdtSpec(new Array(13).fill(args[0]), 0n, 'little')).toThrow(ElfError);
  });
});

describe('.note.stapsdt of a gcc-built binary', () => {
  let dir: string;
  let bytes: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-usdt-notes-'));
    const out = join(dir, 'target');
    execFileSync('gcc', [
      '-O2',
      '-o',
      out,
      join(CORPUS_DIR, 'usdt-target.c'),
      join(CORPUS_DIR, 'usdt-target-sem.c'),
    ]);
    bytes = readFileSync(out);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What readelf -n says of the probes: provider, name, location, semaphore, arguments. */
  function readelfNotes(path: string) {
    const text = execFileSync('readelf', ['-n', path]).toString();
    const out: { probe: string; address: bigint; semaphore: bigint; args: string }[] = [];
    const re =
      /Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: 0x[0-9a-f]+, Semaphore: (0x[0-9a-f]+)\s+Arguments: ?([^\n]*)/g;
    for (const m of text.matchAll(re))
      out.push({
        probe: `${m[1]}:${m[2]}`,
        address: BigInt(m[3]!),
        semaphore: BigInt(m[4]!),
        args: m[5]!.trim(),
      });
    return out;
  }

  it('gives what readelf gives, from any view of the bytes, without writing them', () => {
    const padded = new Uint8Array(bytes.byteLength + 7);
    padded.set(bytes, 7);
    const view = padded.subarray(7);
    const before = Buffer.from(view);
    const notes = readUsdtNotes(parseElf(view), 'target');
    expect(Buffer.from(view).equals(before)).toBe(true);
    const expected = readelfNotes(join(dir, 'target'));
    expect(expected).toHaveLength(4);
    expect(
      notes.map((n) => ({
        probe: `${n.provider}:${n.name}`,
        address: n.address,
        semaphore: n.semaphore,
        args: n.args,
      })),
    ).toEqual(expected);
    // Each site lies in the executable segment, at the file offset of its address.
    const elf = parseElf(view);
    for (const n of notes) expect(fileOffsetOf(elf, n.address)).toBeTypeOf('bigint');
    expect(fileOffsetOf(elf, 0xffff_ffff_0000n)).toBeUndefined();
  });

  it('moves addresses by how far .stapsdt.base moved (a prelinked binary)', () => {
    const elf = parseElf(bytes);
    const base = elf.section('.stapsdt.base')!;
    const copy = new Uint8Array(bytes);
    const header = new DataView(copy.buffer, elf.header.shoff + base.index * elf.header.shentsize);
    header.setBigUint64(16, base.addr + 0x10000n, true); // sh_addr
    const moved = readUsdtNotes(parseElf(copy), 'prelinked');
    const original = readUsdtNotes(elf, 'original');
    expect(moved.map((n) => n.address)).toEqual(original.map((n) => n.address + 0x10000n));
    expect(moved.map((n) => n.semaphore)).toEqual(
      original.map((n) => (n.semaphore ? n.semaphore + 0x10000n : 0n)),
    );
  });

  it('refuses a note that runs past its section, naming the binary', () => {
    const elf = parseElf(bytes);
    const notes = elf.section('.note.stapsdt')!;
    const copy = new Uint8Array(bytes);
    new DataView(copy.buffer, notes.offset).setUint32(4, 0xffff, true); // descsz of the first note
    expect(() => readUsdtNotes(parseElf(copy), 'broken-target')).toThrow(UsdtSpecError);
    expect(() => readUsdtNotes(parseElf(copy), 'broken-target')).toThrow(
      /broken-target.*runs past the section/,
    );
  });

  it('finds no probes in a binary without notes', () => {
    expect(readUsdtNotes(parseElf(readFileSync('/bin/true')), '/bin/true')).toEqual([]);
  });
});
