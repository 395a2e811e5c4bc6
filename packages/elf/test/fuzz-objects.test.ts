import { Btf, BtfError, parseBtfExt } from '@ts-ebpf/btf';
import { seededRandom as rng } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, loadCollectionSpec, parseBtfMaps, parseElf } from '../src/index.js';
import { CORPUS, CorpusBuild } from './corpus/build.js';

/** Parses an object the way loadCollection does before it touches the kernel. */
function parseAll(bytes: Uint8Array): void {
  const spec = loadCollectionSpec(bytes);
  if (!spec.btf) return;
  const btf = Btf.parse(spec.btf);
  if (spec.btfExt) parseBtfExt(spec.btfExt, btf);
  parseBtfMaps(spec.elf, btf);
}

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;
const pick = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATIONS: Record<string, Mutation> = {
  /** A few random bytes anywhere. */
  flip: (b, r) => {
    const out = b.slice();
    for (let n = 1 + pick(r, 8); n > 0; n--) out[pick(r, out.length)] = pick(r, 256);
    return out;
  },
  /** Cut the file short. */
  truncate: (b, r) => b.slice(0, pick(r, b.length)),
  /** Bytes of the headers (ELF header, section headers at the end): where offsets and sizes live. */
  headers: (b, r) => {
    const out = b.slice();
    for (let n = 1 + pick(r, 4); n > 0; n--) {
      const at = r() < 0.3 ? pick(r, 64) : out.length - 1 - pick(r, Math.min(out.length, 4096));
      out[at] = r() < 0.5 ? 0xff : pick(r, 256);
    }
    return out;
  },
  /** A 32-bit field set to an extreme value (lengths, counts, offsets). */
  word: (b, r) => {
    const out = b.slice();
    const at = pick(r, out.length - 4) & ~3;
    new DataView(out.buffer).setUint32(at, [0, 0xffffffff, 0x7fffffff, 0x80000000, 1][pick(r, 5)]!, true);
    return out;
  },
};

let build: CorpusBuild;
const objects: Uint8Array[] = [];

describe('fuzzed corpus objects', () => {
  beforeAll(() => {
    build = new CorpusBuild();
    for (const name of CORPUS) objects.push(build.object(name));
  }, 60_000);
  afterAll(() => build?.cleanup());

  it('the unmutated objects parse', () => {
    for (const o of objects) parseAll(o);
  });

  // Two crashes the fuzzer found (both fixed in collection-spec.ts), made by hand.
  it('a relocation whose symbol lies in a section index past the end is an ElfError', () => {
    const bytes = objects[1]!.slice(); // maps.bpf.c: relocations against .maps symbols
    const elf = parseElf(bytes);
    const symtab = elf.sections.find((s) => s.type === 2)!; // SHT_SYMTAB
    const maps = elf.section('.maps')!;
    const sym = elf.symbols.find((x) => x.section === maps.index && x.name === 'm_hash')!;
    new DataView(bytes.buffer).setUint16(symtab.offset + sym.index * 24 + 6, 0xff00, true); // st_shndx
    expect(() => loadCollectionSpec(bytes)).toThrow(ElfError);
  });

  it('a .bss larger than any map value is an ElfError, not a huge allocation', () => {
    const bytes = objects[0]!.slice(); // tracing.bpf.c has a .bss
    const elf = parseElf(bytes);
    const bss = elf.section('.bss')!;
    new DataView(bytes.buffer).setBigUint64(elf.header.shoff + bss.index * 64 + 32, 1n << 44n, true); // sh_size
    expect(() => loadCollectionSpec(bytes)).toThrow(/too large/);
  });

  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    it(`${name}: throws only ElfError or BtfError, never hangs`, () => {
      const r = rng(0x5eed ^ name.length ^ name.charCodeAt(0));
      const iterations = 800;
      let slowest = 0;
      const kinds = new Map<string, number>();
      for (let i = 0; i < iterations; i++) {
        const input = mutate(objects[i % objects.length]!, r);
        const start = performance.now();
        try {
          parseAll(input);
          kinds.set('ok', (kinds.get('ok') ?? 0) + 1);
        } catch (e) {
          if (!(e instanceof ElfError || e instanceof BtfError)) {
            throw new Error(
              `${name} #${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} (not ElfError/BtfError)`,
              { cause: e },
            );
          }
          kinds.set(e.constructor.name, (kinds.get(e.constructor.name) ?? 0) + 1);
        }
        slowest = Math.max(slowest, performance.now() - start);
      }
      expect(slowest).toBeLessThan(2000);
      expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBe(iterations);
    }, 60_000);
  }
});
