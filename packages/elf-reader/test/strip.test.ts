import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sameForEveryView, thrownBy } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { afterAll, describe, expect, it } from 'vitest';
import { ElfError, parseElf, SectionType, stripDebugSections } from '../src/index.js';

// Our own program: CO-RE field offsets (a struct with preserve_access_index), a BTF-defined map,
// .bss, .data and .rodata, a subprogram (a call relocation and func_info for two functions).
const SOURCE = `
typedef unsigned int u32;
typedef unsigned long long u64;
#define SEC(name) __attribute__((section(name), used))
struct task { int pid; long state; char comm[16]; } __attribute__((preserve_access_index));
struct { int (*type)[2]; int (*max_entries)[4]; u32 *key; u64 *value; } counts SEC(".maps");
u64 seen;
u32 factor = 3;
const volatile u32 bias = 7;
static __attribute__((noinline)) u64 mix(u64 a) { return a * factor + bias; }
SEC("xdp") int probe(struct task *t) {
  seen = __builtin_preserve_field_info(t->state, 0) + __builtin_preserve_field_info(t->comm, 1);
  return mix(seen) & 3;
}
char LICENSE[] SEC("license") = "GPL";
`;

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-strip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles SOURCE (with -g unless `debug` is false), once, and returns the object's path. */
function compile(byteOrder: ByteOrder, debug = true): string {
  const out = join(dir, `strip.${byteOrder}${debug ? '' : '.nodebug'}.o`);
  if (existsSync(out)) return out;
  const src = join(dir, 'strip.bpf.c');
  // CO-RE needs -g: without it, the program only counts.
  writeFileSync(src, debug ? SOURCE : SOURCE.replace(/seen = .*;/, 'seen++;'));
  compileBpfC(src, out, { byteOrder, debug });
  return out;
}

/** Writes `bytes` beside the objects and returns the path. */
function save(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

interface ReadelfJson {
  Sections: {
    Section: { Name: { Name: string }; Type: { Name: string }; Size: number; Link: number; Info: number };
  }[];
  Relocations: {
    SectionIndex: number;
    Relocs: { Relocation: { Offset: number; Type: { Name: string }; Symbol: { Name: string } } }[];
  }[];
  Symbols: {
    Symbol: {
      Name: { Name: string };
      Value: number;
      Size: number;
      Binding: { Name: string };
      Type: { Name: string };
      Section: { Name: string };
    };
  }[];
}

/**
 * What llvm-readelf-19 (an independent reader) finds in an object, by name instead of index:
 * its sections (with the sections their sh_link and a relocation section's sh_info name),
 * relocations, symbols and address-significant symbols. Fails on any warning it prints.
 */
function readelf(path: string) {
  const r = spawnSync('llvm-readelf-19', ['--elf-output-style=JSON', '-S', '-r', '-s', path], {
    encoding: 'utf8',
  });
  expect(r.stderr, `llvm-readelf's warnings on ${path}`).toBe('');
  const json = (JSON.parse(r.stdout) as ReadelfJson[])[0]!;
  const names = json.Sections.map((s) => s.Section.Name.Name);
  const sections = json.Sections.map(({ Section: s }) => ({
    name: s.Name.Name,
    type: s.Type.Name,
    link: s.Link === 0 ? '' : names[s.Link],
    info: s.Type.Name === 'SHT_REL' ? names[s.Info] : s.Type.Name === 'SHT_SYMTAB' ? 'first global' : s.Info,
  }));
  const relocations = json.Relocations.flatMap((rs) =>
    rs.Relocs.map(
      ({ Relocation: x }) => `${names[rs.SectionIndex]}+${x.Offset} ${x.Type.Name} ${x.Symbol.Name}`,
    ),
  );
  const symbols = json.Symbols.map(
    ({ Symbol: s }) =>
      `${s.Name.Name} ${s.Type.Name} ${s.Binding.Name} ${s.Section.Name} ${s.Value} ${s.Size}`,
  );
  const a = spawnSync('llvm-readelf-19', ['--addrsig', path], { encoding: 'utf8' });
  expect(a.stderr, `llvm-readelf's warnings on ${path}`).toBe('');
  const addrsig = a.stdout.split('\n').flatMap((line) => /^\s+\d+: (.*)$/.exec(line)?.[1] ?? []);
  return { sections, relocations, symbols, addrsig };
}

const isDebug = (name: string) => /debug/.test(name);

describe('stripDebugSections', () => {
  for (const order of ['little', 'big'] as const) {
    it(`removes the sections llvm-strip -g removes and renumbers the rest consistently (${order}-endian)`, () => {
      const object = compile(order);
      const original = readFileSync(object);
      const ours = save(`ours.${order}.o`, stripDebugSections(original));
      const oracle = join(dir, `llvm.${order}.o`);
      execFileSync('llvm-strip-19', ['-g', object, '-o', oracle]);

      const before = readelf(object);
      const after = readelf(ours);
      expect(before.sections.some((s) => isDebug(s.name))).toBe(true);
      // The same sections as llvm-strip leaves, in the same order (llvm-strip's own
      // .llvm_addrsig is left with stale symbol indexes, which llvm-readelf warns about).
      const left = parseElf(readFileSync(oracle)).sections.map((s) => s.name);
      expect(after.sections.map((s) => s.name)).toEqual(left);
      // What they link to is unchanged, by name; relocations, symbols and address-significant
      // symbols are the original's without those of the debug sections.
      expect(after.sections).toEqual(
        before.sections.filter((s) => !isDebug(s.name) && !isDebug(s.info as string)),
      );
      expect(after.relocations).toEqual(before.relocations.filter((r) => !isDebug(r.split(' ')[0]!)));
      expect(after.symbols).toEqual(before.symbols.filter((s) => !isDebug(s.split(' ')[3]!)));
      expect(after.addrsig).toEqual(before.addrsig);
      expect(after.addrsig.length).toBeGreaterThan(0);

      // Every section left other than the symbol table, relocations and .llvm_addrsig keeps its bytes.
      const a = parseElf(original);
      const b = parseElf(readFileSync(ours));
      expect(b.header.byteOrder).toBe(order);
      for (const s of b.sections) {
        if ([SectionType.SYMTAB, SectionType.REL, SectionType.LLVM_ADDRSIG].includes(s.type as never))
          continue;
        expect(Buffer.from(b.data(s)).equals(a.data(a.section(s.name)!)), s.name).toBe(true);
      }
      const debugBytes = a.sections.filter((s) => isDebug(s.name)).reduce((n, s) => n + s.size, 0);
      expect(readFileSync(ours).byteLength).toBeLessThanOrEqual(original.byteLength - debugBytes);
    });
  }

  it('accepts a Buffer, a subarray at an odd offset or a plain Uint8Array alike and never writes into it', () => {
    const original = readFileSync(compile('little'));
    const hex = sameForEveryView(original, (bytes) => Buffer.from(stripDebugSections(bytes)).toString('hex'));
    expect(hex).toBe(Buffer.from(stripDebugSections(new Uint8Array(original))).toString('hex'));
  });

  it('gives an object without debug sections back as a copy, so stripping twice is stripping once', () => {
    const plain = readFileSync(compile('little', false));
    const copy = stripDebugSections(plain);
    expect(Buffer.from(copy).equals(plain)).toBe(true);
    expect(copy.buffer).not.toBe(plain.buffer);
    const once = stripDebugSections(readFileSync(compile('little')));
    expect(Buffer.from(stripDebugSections(once)).equals(once)).toBe(true);
  });

  it('refuses what it cannot rewrite: not a relocatable object, a relocation left that uses a removed symbol', () => {
    const original = new Uint8Array(readFileSync(compile('little')));
    const executable = original.slice();
    new DataView(executable.buffer).setUint16(16, 2, true);
    expect(thrownBy(() => stripDebugSections(executable))).toBeInstanceOf(ElfError);
    expect(() => stripDebugSections(executable)).toThrow(/e_type 2 is not a relocatable object/);

    // Point a relocation of the program at the section symbol of a debug section.
    const elf = parseElf(original);
    const debugSymbol = elf.symbols.find((s) => isDebug(elf.sections[s.section]?.name ?? ''))!;
    const rel = elf.section('.relxdp')!;
    const bad = original.slice();
    new DataView(bad.buffer).setUint32(rel.offset + 12, debugSymbol.index, true);
    expect(() => stripDebugSections(bad)).toThrow(
      new RegExp(
        `relocation 0 of section ${rel.index} \\(\\.relxdp\\) uses symbol ${debugSymbol.index}, which is in a removed section`,
      ),
    );
  });
});
