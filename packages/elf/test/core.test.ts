import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, BtfBuilder, type BtfExt, parseBtfExt } from '@ts-ebpf/btf';
import { loadKernelBtf } from '@ts-ebpf/btf/kernel';
import {
  BpfMapType,
  BpfSyscallError,
  close,
  getpid,
  mapCreate,
  mapLookupElem,
  mapUpdateElem,
  progLoad,
  rawTracepointOpen,
} from '@ts-ebpf/syscall';
import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldsCompatible, typesCompatible, typesMatch } from '../src/core/compat.js';
import { essentialName } from '../src/core/names.js';
import {
  applyCoreRelocations,
  CORE_POISON_HELPER,
  type CollectionSpec,
  CollectionVerifierError,
  CoreError,
  type CoreRelocationResult,
  ElfError,
  explainCoreFailure,
  loadCollection,
  loadCollectionSpec,
  type ProgramSpec,
  relocate,
} from '../src/index.js';
import { compileFixtureIn } from './compile.js';

/** A compiled fixture: the object file's path (in `dir`), its collection spec, BTF and BTF.ext. */
interface Fixture {
  object: string;
  spec: CollectionSpec;
  btf: Btf;
  ext: BtfExt;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-core-'));
  tempDirs.push(dir);
  return dir;
}

/** Compiles a fixture with clang (`-I dir` for a generated vmlinux.h) and reads it. */
function load(fixture: string, dir = tempDir()): Fixture {
  const object = compileFixtureIn(fixture, dir);
  const spec = loadCollectionSpec(readFileSync(object));
  const btf = Btf.parse(spec.btf!);
  return { object, spec, btf, ext: parseBtfExt(spec.btfExt!, btf) };
}

interface Insn {
  code: number;
  off: number;
  imm: number;
}
function insnAt(bytes: Uint8Array, i: number): Insn {
  const v = new DataView(bytes.buffer, bytes.byteOffset + i * 8, 8);
  return { code: v.getUint8(0), off: v.getInt16(2, true), imm: v.getInt32(4, true) };
}
const POISON: Insn = { code: 0x85, off: 0, imm: CORE_POISON_HELPER };

/**
 * The target kernel of the synthetic tests: `sample` with members moved, an
 * anonymous union around the anonymous struct, `small` widened to u32, `gone`
 * removed, bitfields re-laid (one straddling a 32-bit unit) and unsigned; `point`
 * reordered and grown; `color` renumbered without PURPLE; no `nowhere`.
 */
function syntheticTarget(opts: { pidType?: 'long'; extraFlavor?: boolean } = {}): Btf {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const uint = b.int('unsigned int', 4);
  const u64 = b.int('unsigned long long', 8);
  const long = b.int('long', 8, { signed: true });
  const point = b.struct('point', [
    { name: 'y', type: int },
    { name: 'x', type: int },
    { name: 'z', type: int },
  ]);
  const anon = b.struct('', [
    { name: 'anon_b', type: int },
    { name: 'anon_a', type: int },
  ]);
  const union = b.union('', [
    { name: '', type: anon },
    { name: 'other', type: long },
  ]);
  const sample = b.struct('sample', [], 96);
  const ptr = b.ptr(sample);
  const at = (name: string, type: number, byte: number, bits = 0, bitOffset = byte * 8) => ({
    name,
    type,
    bitOffset,
    bitfieldSize: bits,
  });
  b.setMembers(
    sample,
    [
      at('pad', u64, 0),
      at('flags', uint, 8),
      at('pid', opts.pidType === 'long' ? long : int, 12),
      at('', union, 16),
      at('pts', b.array(point, 4), 24),
      at('lo', uint, 0, 5, 576),
      at('mid', uint, 0, 30, 581),
      at('sbits', uint, 0, 5, 611),
      at('small', uint, 80),
      at('next', ptr, 88),
    ],
    96,
  );
  b.typedef('sample_t', sample);
  b.enum('color', { BLUE: 7, RED: 1, GREEN: 2 });
  b.enum64('big', { SMALL64: 1n, HUGE: 0x2_0000_0005n });
  if (opts.extraFlavor) b.struct('sample___other', [{ name: 'pid', type: int }]);
  return b.build();
}

describe('CO-RE relocations against a synthetic target', () => {
  const { spec, btf, ext } = load('core.bpf.c');
  const target = syntheticTarget();
  const run = (name: string, t: Btf = target) => applyCoreRelocations(spec.programs.get(name)!, ext, btf, t);
  /** [kind, access, old, new] of every relocation of a program; new is 'poison' when poisoned. */
  const summary = (name: string, t: Btf = target) =>
    run(name, t).results.map((r) => [r.kind, r.access, r.oldValue, r.poisoned ? 'poison' : r.newValue]);

  it('field_byte_offset follows moved members, anonymous unions and array elements', () => {
    expect(summary('off_pid')).toEqual([['field_byte_offset', 'struct sample.pid', 0n, 12n]]);
    expect(insnAt(run('off_pid').instructions, 0)).toMatchObject({ code: 0x61, off: 12 });
    expect(summary('off_flags')).toEqual([['field_byte_offset', 'struct sample.flags', 4n, 8n]]);
    expect(insnAt(run('off_flags').instructions, 0)).toMatchObject({ code: 0xb7, imm: 8 });
    expect(summary('off_anon_b')).toEqual([['field_byte_offset', 'struct sample.anon_b', 12n, 16n]]);
    expect(summary('off_pts_y')).toEqual([['field_byte_offset', 'struct sample.pts[2].y', 36n, 48n]]);
  });

  it('a load of a field that grew from u16 to u32 is widened; a missing field is poisoned', () => {
    const small = run('load_small');
    expect(insnAt(spec.programs.get('load_small')!.instructions, 0)).toMatchObject({ code: 0x69, off: 50 });
    expect(insnAt(small.instructions, 0)).toMatchObject({ code: 0x61, off: 80 });
    const gone = run('load_gone');
    expect(gone.results[0]).toMatchObject({ targetTypeId: 'not found', poisoned: 'no matching target' });
    expect(insnAt(gone.instructions, 0)).toEqual(POISON);
    expect(insnAt(gone.instructions, 1)).toEqual(insnAt(spec.programs.get('load_gone')!.instructions, 1));
  });

  it('a load of a signed int that changed size is poisoned', () => {
    const r = run('off_pid', syntheticTarget({ pidType: 'long' }));
    expect(r.results[0]!.poisoned).toMatch(/4 bytes locally but 8/);
    expect(insnAt(r.instructions, 0)).toEqual(POISON);
  });

  it('field_byte_size, field_exists and field_signed', () => {
    expect(summary('size_pts')).toEqual([['field_byte_size', 'struct sample.pts', 32n, 48n]]);
    expect(summary('size_small')).toEqual([['field_byte_size', 'struct sample.small', 2n, 4n]]);
    expect(summary('exists_gone')).toEqual([['field_exists', 'struct sample.gone', 1n, 0n]]);
    expect(summary('exists_pid')).toEqual([['field_exists', 'struct sample.pid', 1n, 1n]]);
    expect(summary('signed_sbits')).toEqual([['field_signed', 'struct sample.sbits', 1n, 0n]]);
    expect(summary('signed_flags')).toEqual([['field_signed', 'struct sample.flags', 0n, 0n]]);
  });

  it('bitfields: byte offset, load size and shifts as libbpf computes them', () => {
    // mid: 30 bits at bit 581 straddle a u32 unit, so an 8-byte load at 72 is needed
    expect(summary('bf_mid').map((r) => r[3])).toEqual([72n, 8n, 29n, 34n]);
    expect(summary('bf_mid').map((r) => r[0])).toEqual([
      'field_byte_offset',
      'field_byte_size',
      'field_lshift_u64',
      'field_rshift_u64',
    ]);
    // sbits: 5 bits at bit 611 fit the u32 at byte 76
    expect(summary('bf_sbits').map((r) => r[3])).toEqual([76n, 4n, 56n, 59n]);
    // the local values libbpf would compute match clang's shifts
    expect(summary('bf_mid').map((r) => r[2])).toEqual([48n, 8n, 54n, 57n]);
  });

  it('a bitfield no 64-bit load can cover is an error', () => {
    const b = new BtfBuilder();
    const u64 = b.int('unsigned long long', 8);
    const uint = b.int('unsigned int', 4);
    b.struct('sample', [
      { name: 'sbits', type: u64, bitOffset: 4, bitfieldSize: 62 },
      { name: 'x', type: uint, bitOffset: 128 },
    ]);
    expect(() => run('bf_sbits', b.build())).toThrow(/cannot be read with one 64-bit load/);
  });

  it('a flavored local type (sample___v2) matches the target by its essential name', () => {
    expect(summary('flavor_pid')).toEqual([['field_byte_offset', 'struct sample___v2.pid', 0n, 12n]]);
    const gone = run('flavor_gone');
    expect(gone.results[0]!.poisoned).toBeDefined();
    expect(insnAt(gone.instructions, 0)).toEqual(POISON);
  });

  it('type_id_local, type_id_target (ld_imm64), type_exists and type_size', () => {
    const sampleId = target.findIds('sample', 'struct')[0]!;
    expect(summary('tid_local')).toEqual([['type_id_local', 'struct sample', 2n, 2n]]);
    const tid = run('tid_target');
    expect(tid.results[0]).toMatchObject({ targetTypeId: sampleId, newValue: BigInt(sampleId) });
    expect(insnAt(tid.instructions, 0)).toMatchObject({ code: 0x18, imm: sampleId });
    expect(insnAt(tid.instructions, 1)).toMatchObject({ code: 0, imm: 0 });
    expect(summary('texists')).toEqual([
      ['type_exists', 'struct sample', 1n, 1n],
      ['type_exists', 'struct nowhere', 1n, 0n],
    ]);
    expect(summary('tsize')).toEqual([['type_size', 'struct sample', 64n, 96n]]);
    expect(summary('tsize_typedef')).toEqual([['type_size', 'sample_t', 64n, 96n]]);
  });

  it('type_matches: a reordered superset matches, an enum missing a value does not', () => {
    expect(summary('tmatch')).toEqual([
      ['type_matches', 'struct point', 1n, 1n],
      ['type_matches', 'enum color', 1n, 0n],
    ]);
  });

  it('enumval_exists and enumval_value; a missing enumerator value is poisoned', () => {
    expect(summary('eexists')).toEqual([
      ['enumval_exists', 'enum color::BLUE', 1n, 1n],
      ['enumval_exists', 'enum color::PURPLE', 1n, 0n],
    ]);
    expect(summary('evalue')).toEqual([['enumval_value', 'enum color::BLUE', 2n, 7n]]);
    expect(summary('evalue_missing')).toEqual([['enumval_value', 'enum color::PURPLE', 3n, 'poison']]);
  });

  it('64-bit enumerators patch both halves of ld_imm64; poisoning one poisons both slots', () => {
    const r = run('evalue64');
    expect(r.results.map((x) => [x.oldValue, x.newValue])).toEqual([[0x1_0000_0000n, 0x2_0000_0005n]]);
    expect([insnAt(r.instructions, 0).imm, insnAt(r.instructions, 1).imm]).toEqual([5, 2]);
    const g = run('guarded64');
    expect(g.results.map((x) => [x.kind, x.insn, x.poisoned ? 'poison' : x.newValue])).toEqual([
      ['enumval_exists', 1, 0n],
      ['enumval_value', 4, 'poison'],
    ]);
    // the second slot too, or the verifier stops at "unknown opcode 00" even in dead code
    expect([insnAt(g.instructions, 4), insnAt(g.instructions, 5)]).toEqual([POISON, POISON]);
  });

  it('candidates that disagree are an ambiguity error; strict mode refuses to poison', () => {
    const two = syntheticTarget({ extraFlavor: true });
    expect(() => run('off_pid', two)).toThrow(CoreError);
    expect(() => run('off_pid', two)).toThrow(/off_pid: insn 0 .*ambiguous.*bit 96.*bit 0/);
    expect(() => run('off_flags', two)).not.toThrow(); // sample___other has no flags: one match
    const gone = spec.programs.get('load_gone')!;
    expect(() => applyCoreRelocations(gone, ext, btf, target, { strict: true })).toThrow(
      /field_byte_offset of struct sample.gone .*no matching target/,
    );
  });

  it('an instruction that does not hold the local value is an ElfError', () => {
    const p = spec.programs.get('off_pid')!;
    const instructions = p.instructions.slice();
    new DataView(instructions.buffer).setInt16(2, 99, true);
    const bad: ProgramSpec = { ...p, instructions };
    expect(() => applyCoreRelocations(bad, ext, btf, target)).toThrow(ElfError);
    expect(() => applyCoreRelocations(bad, ext, btf, target)).toThrow(/holds 99, expected 0/);
  });

  it('only records inside the program are applied, at their linked position', () => {
    const p = spec.programs.get('evalue')!;
    const moved: ProgramSpec = {
      ...p,
      instructions: new Uint8Array([...new Uint8Array(16), ...p.instructions]),
      origins: p.origins.map((o) => ({ ...o, start: o.start + 2 })),
    };
    const r = applyCoreRelocations(moved, ext, btf, target);
    expect(r.results.map((x) => x.insn)).toEqual([2]);
    expect(insnAt(r.instructions, 2).imm).toBe(7);
  });

  it('type compatibility follows libbpf: fields, type relocations and type_matches', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const uint = b.int('unsigned int', 4);
    const long = b.int('long', 8, { signed: true });
    const color = b.enum('color', { RED: 0 });
    const colorV2 = b.enum('color___v2', { RED: 0, BLUE: 1 });
    const shade = b.enum('shade', { RED: 0 });
    const fwd = b.fwd('node');
    const node = b.struct('node', [{ name: 'next', type: int }]);
    const pFwd = b.ptr(fwd);
    const pNode = b.ptr(node);
    const holderA = b.struct('holder', [{ name: 'n', type: pFwd }]);
    const holderB = b.struct('holder', [{ name: 'n', type: pNode }]);
    const fn1 = b.funcProto(int, [{ name: 'a', type: int }]);
    const fn2 = b.funcProto(int, [{ name: 'a', type: long }]);
    const fn3 = b.funcProto(int, []);
    const ints = b.array(int, 2);
    const longs = b.array(long, 9);
    const ptrs = b.array(pNode, 2);
    const x = b.build();
    // fields: ints of any size, enums by essential name, arrays by element; int and enum do not mix
    expect(fieldsCompatible(x, int, x, long)).toBe(true);
    expect(fieldsCompatible(x, color, x, colorV2)).toBe(true);
    expect(fieldsCompatible(x, color, x, shade)).toBe(false);
    expect(fieldsCompatible(x, int, x, color)).toBe(false);
    expect(fieldsCompatible(x, pFwd, x, pNode)).toBe(true);
    expect(fieldsCompatible(x, ints, x, longs)).toBe(true);
    expect(fieldsCompatible(x, ints, x, ptrs)).toBe(false);
    // type relocations: pointers and prototypes compare what they refer to
    expect(typesCompatible(x, fn1, x, fn2)).toBe(true);
    expect(typesCompatible(x, fn1, x, fn3)).toBe(false);
    expect(typesCompatible(x, pFwd, x, pNode)).toBe(false);
    // type_matches: ints by size and sign; a forward declaration matches a struct behind a pointer
    expect(typesMatch(x, int, x, uint)).toBe(false);
    expect(typesMatch(x, holderA, x, holderB)).toBe(true);
    expect(typesMatch(x, fwd, x, node)).toBe(false);
    expect(typesMatch(x, fn1, x, fn2)).toBe(false);
  });

  it('essential names strip the last ___flavor', () => {
    expect(essentialName('task_struct___v2')).toBe('task_struct');
    expect(essentialName('a___b___c')).toBe('a___b');
    expect(essentialName('task_struct')).toBe('task_struct');
    expect(essentialName('a____b')).toBe('a____b');
    expect(essentialName('___x')).toBe('___x');
  });

  it('explainCoreFailure maps the verifier stopping at a poisoned call to its relocation', () => {
    const { results } = run('load_gone');
    const log = `0: R1=ctx() R10=fp0\n0: (85) call unknown#195896080\ninvalid func unknown#195896080\n`;
    const failure = explainCoreFailure(log, results)!;
    expect(failure.insn).toBe(0);
    expect(failure.relocation).toBe(results[0]);
    expect(failure.message).toMatch(/field_byte_offset of struct sample.gone \(0:8\), target not found/);
    expect(explainCoreFailure('R0 !read_ok', results)).toBeUndefined();
  });
});

/** Offsets of task_struct members as bpftool prints them. */
function bpftoolOffsets(struct: string, members: string[]): Record<string, number> {
  const raw = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw'], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const start = raw.search(new RegExp(`^\\[\\d+\\] STRUCT '${struct}' `, 'm'));
  const block = raw.slice(start).split(/\n(?=\[)/)[0]!;
  const out: Record<string, number> = {};
  for (const m of members) {
    const bits = new RegExp(`'${m}' type_id=\\d+ bits_offset=(\\d+)`).exec(block)!;
    out[m] = Number(bits[1]) / 8;
  }
  return out;
}

describeKernel('CO-RE relocations against this kernel', () => {
  let fixture: Fixture;
  let vmlinux: Btf;
  let readTask: { instructions: Uint8Array; results: CoreRelocationResult[] };
  beforeAll(() => {
    fixture = load('core-task.bpf.c');
    vmlinux = loadKernelBtf();
    readTask = applyCoreRelocations(
      fixture.spec.programs.get('read_task')!,
      fixture.ext,
      fixture.btf,
      vmlinux,
    );
  });

  it('task_struct.pid, tgid and real_parent get the offsets bpftool shows', () => {
    const want = bpftoolOffsets('task_struct', ['pid', 'tgid', 'real_parent']);
    const got = Object.fromEntries(
      readTask.results
        .filter((r) => r.kind === 'field_byte_offset' && !r.poisoned)
        .map((r) => [r.access.replace('struct task_struct.', ''), Number(r.newValue)]),
    );
    expect(got).toEqual(want);
    const exists = readTask.results.find((r) => r.kind === 'field_exists')!;
    expect(exists).toMatchObject({ newValue: 0n, targetTypeId: 'not found' });
  });

  /** Loads a relocated raw_tp program with its maps; returns the fds to close. */
  function loadProgram(name: string, insns: Uint8Array, maps: Record<string, number>): number {
    const p = fixture.spec.programs.get(name)!;
    const linked = relocate(
      { ...p, instructions: insns },
      { mapFd: (n) => maps[n], dataFd: () => undefined },
    );
    return progLoad({ progType: p.sectionDef.progType, insns: linked, license: 'GPL', logLevel: 1 });
  }

  it('a relocated raw_tp program reads pid, tgid and the parent tgid of the current task', () => {
    const mk = (maxEntries: number) =>
      mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries });
    const filter = mk(1);
    const out = mk(4);
    try {
      const key = (k: number) => new Uint8Array(new Uint32Array([k]).buffer);
      mapUpdateElem(filter, key(0), new Uint8Array(new BigUint64Array([BigInt(process.pid)]).buffer));
      const prog = loadProgram('read_task', readTask.instructions, { filter, out });
      try {
        const link = rawTracepointOpen('sys_enter', prog);
        try {
          expect(getpid()).toBe(process.pid);
        } finally {
          close(link);
        }
      } finally {
        close(prog);
      }
      const v = new Uint8Array(8);
      const read = (k: number) => {
        mapLookupElem(out, key(k), v);
        return Number(new DataView(v.buffer).getBigInt64(0, true));
      };
      expect([read(0), read(1), read(2), read(3)]).toEqual([process.pid, process.pid, process.ppid, 0]);
    } finally {
      close(filter);
      close(out);
    }
  });

  it('a poisoned ld_imm64 in dead code is removed by the verifier', () => {
    const { spec, btf, ext } = load('core.bpf.c');
    const p = spec.programs.get('guarded64')!;
    const { instructions } = applyCoreRelocations(p, ext, btf, syntheticTarget());
    close(progLoad({ progType: p.sectionDef.progType, insns: instructions, license: 'GPL' }));
  });

  it('a reachable poisoned relocation fails verification, and the log names the relocation', () => {
    const missing = applyCoreRelocations(
      fixture.spec.programs.get('read_missing')!,
      fixture.ext,
      fixture.btf,
      vmlinux,
    );
    const out = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    try {
      let error: unknown;
      try {
        close(loadProgram('read_missing', missing.instructions, { out }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BpfSyscallError);
      const log = (error as BpfSyscallError).log ?? '';
      expect(log).toContain('invalid func unknown#195896080');
      const failure = explainCoreFailure(log, missing.results)!;
      expect(failure.relocation).toBeDefined();
      expect(failure.insn).toBe(failure.relocation!.insn);
      expect(failure.message).toMatch(
        /field_byte_offset of struct task_struct___nope.no_such_member \(0:0\), target not found/,
      );
    } finally {
      close(out);
    }
  });

  it('loadCollection names the program and the relocation, and hints at CO-RE, not at a helper', () => {
    const error = thrownBy(() =>
      loadCollection(readFileSync(fixture.object), { programs: ['read_missing'] }),
    );
    expect(error).toBeInstanceOf(CollectionVerifierError);
    const e = error as CollectionVerifierError;
    expect(e.programName).toBe('read_missing');
    expect(e.coreFailure).toMatch(/struct task_struct___nope.no_such_member/);
    expect(e.verifierHint).toMatch(/poison a CO-RE loader writes/);
    expect(e.message).not.toMatch(/helper is not available/);
  });
});

/**
 * A tiny libbpf program: opens an object (against `argv[2]` as the kernel BTF, when
 * given), prints libbpf's debug log, and loads it. The log says how libbpf relocated
 * every instruction, whether or not the programs then pass the verifier.
 */
const LIBBPF_ORACLE = `
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
static int print(enum libbpf_print_level level, const char *fmt, va_list args) {
  return vfprintf(stdout, fmt, args);
}
int main(int argc, char **argv) {
  libbpf_set_print(print);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argc > 2 ? argv[2] : NULL);
  struct bpf_object *obj = bpf_object__open_file(argv[1], &opts);
  if (!obj) return 1;
  bpf_object__load(obj);
  bpf_object__close(obj);
  return 0;
}
`;

/** "prog #insn old -> new" or "prog #insn poison" for every instruction libbpf relocated. */
function libbpfRelocations(oracle: string, object: string, targetBtf?: string): string[] {
  const args = targetBtf ? [object, targetBtf] : [object];
  const log = execFileSync(oracle, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out: string[] = [];
  for (const line of log.split('\n')) {
    const patched =
      /prog '(\w+)': relo #\d+: patched insn #(\d+) \([^)]*\) (?:imm64|imm|off) (-?\d+) -> (\d+)/.exec(line);
    if (patched) out.push(`${patched[1]} #${patched[2]} ${patched[3]} -> ${patched[4]}`);
    const poisoned = /prog '(\w+)': relo #\d+: substituting insn #(\d+)/.exec(line);
    if (poisoned) out.push(`${poisoned[1]} #${poisoned[2]} poison`);
  }
  return out.sort();
}

/** The same lines from our results (a poisoned ld_imm64 counts both of its slots). */
function ourRelocations(f: Fixture, target: Btf): string[] {
  const out: string[] = [];
  for (const p of f.spec.programs.values()) {
    const { instructions, results } = applyCoreRelocations(p, f.ext, f.btf, target);
    for (const r of results) {
      if (!r.poisoned) {
        out.push(`${p.name} #${r.insn} ${BigInt.asIntN(64, r.oldValue)} -> ${r.newValue}`);
        continue;
      }
      out.push(`${p.name} #${r.insn} poison`);
      if (insnAt(p.instructions, r.insn).code === 0x18 && insnAt(instructions, r.insn + 1).code === 0x85)
        out.push(`${p.name} #${r.insn + 1} poison`);
    }
  }
  return out.sort();
}

describeKernel('CO-RE relocations agree with libbpf', () => {
  let dir: string;
  let oracle: string;
  let vmlinux: Btf;
  beforeAll(() => {
    dir = tempDir();
    oracle = join(dir, 'oracle');
    writeFileSync(`${oracle}.c`, LIBBPF_ORACLE);
    execFileSync('gcc', ['-o', oracle, `${oracle}.c`, '-lbpf']);
    vmlinux = loadKernelBtf();
  });

  it('on every kind against the synthetic target', () => {
    const f = load('core.bpf.c', dir);
    const target = join(dir, 'target.btf');
    const btf = syntheticTarget();
    writeFileSync(target, btf.bytes);
    const ours = ourRelocations(f, btf);
    expect(ours.length).toBeGreaterThan(35);
    expect(ours).toEqual(libbpfRelocations(oracle, f.object, target));
  });

  it('on task_struct against this kernel', () => {
    const f = load('core-task.bpf.c', dir);
    const ours = ourRelocations(f, vmlinux);
    expect(ours).toHaveLength(6);
    expect(ours).toEqual(libbpfRelocations(oracle, f.object));
  });

  it('on real kernel types from a bpftool-generated vmlinux.h (bitfields, anonymous unions, arrays)', () => {
    const header = execFileSync(
      'bpftool',
      ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'],
      {
        maxBuffer: 1 << 30,
      },
    );
    writeFileSync(join(dir, 'vmlinux.h'), header);
    const f = load('core-kernel.bpf.c', dir);
    const ours = ourRelocations(f, vmlinux);
    expect(ours.length).toBeGreaterThan(20);
    expect(ours).toEqual(libbpfRelocations(oracle, f.object));
  });
});
