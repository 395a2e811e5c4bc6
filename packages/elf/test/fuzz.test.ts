/**
 * Fuzz tests of ELF parsing: corpus objects mutated by a seeded random generator go through
 * everything loadCollection does before it asks the kernel (ELF, BTF, BTF.ext, BTF maps,
 * linking, object BTF fix-up, func/line info, relocation). Only the packages' own errors
 * (EbpfError subclasses) may escape, nothing may hang, and the input is never written to.
 *
 * Time-bounded: each mutation kind runs for TS_EBPF_FUZZ_SECONDS / 4 seconds (default 4 s in
 * all, as in CI). For a longer run: `TS_EBPF_FUZZ_SECONDS=600 npx vitest run --project
 * @ts-ebpf/elf test/fuzz.test.ts`; `TS_EBPF_FUZZ_SEED=<n>` replays another sequence (a
 * failure message gives the seed and iteration).
 */
import { Btf, parseBtfExt } from '@ts-ebpf/btf';
import { seededRandom as rng } from '@ts-ebpf/test-utils';
import { EbpfError } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ElfError,
  fixupObjectBtf,
  loadCollectionSpec,
  parseBtfMaps,
  parseElf,
  programExtInfo,
  relocate,
} from '../src/index.js';
import { CORPUS, CorpusBuild } from './corpus/build.js';

const SECONDS = Number(process.env.TS_EBPF_FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.TS_EBPF_FUZZ_SEED ?? 0x5eed);

/** Parses an object the way loadCollection does before it touches the kernel. */
function parseAll(bytes: Uint8Array): void {
  const spec = loadCollectionSpec(bytes, { skipUnknownSections: true });
  const btf = spec.btf ? Btf.parse(spec.btf) : undefined;
  const ext = spec.btfExt && btf ? parseBtfExt(spec.btfExt, btf) : undefined;
  if (btf) {
    parseBtfMaps(spec.elf, btf);
    fixupObjectBtf(btf, spec.elf);
  }
  for (const p of spec.programs.values()) {
    if (ext && spec.btfExt && btf) programExtInfo(p, spec.btfExt, btf);
    relocate(p, {
      mapFd: () => 3,
      dataFd: () => 4,
      kfunc: () => ({ btfId: 5 }),
      extern: () => ({ btfId: 6 }),
    });
  }
}

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;
const pick = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATIONS: Record<string, Mutation> = {
  /** A few random bytes anywhere. */
  flip: (b, r) => {
    const out = new Uint8Array(b);
    for (let n = 1 + pick(r, 8); n > 0; n--) out[pick(r, out.length)] = pick(r, 256);
    return out;
  },
  /** Cut the file short. */
  truncate: (b, r) => b.subarray(0, pick(r, b.length)),
  /** Bytes of the headers (ELF header, section headers at the end): where offsets and sizes live. */
  headers: (b, r) => {
    const out = new Uint8Array(b);
    for (let n = 1 + pick(r, 4); n > 0; n--) {
      const at = r() < 0.3 ? pick(r, 64) : out.length - 1 - pick(r, Math.min(out.length, 4096));
      out[at] = r() < 0.5 ? 0xff : pick(r, 256);
    }
    return out;
  },
  /** A 32-bit field set to an extreme value (lengths, counts, offsets). */
  word: (b, r) => {
    const out = new Uint8Array(b);
    const at = pick(r, out.length - 4) & ~3;
    new DataView(out.buffer).setUint32(at, [0, 0xffffffff, 0x7fffffff, 0x80000000, 1][pick(r, 5)]!, true);
    return out;
  },
};

let build: CorpusBuild;
/** The corpus as readFileSync gives it (Buffers). */
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
    const bytes = new Uint8Array(objects[1]!); // maps.bpf.c: relocations against .maps symbols
    const elf = parseElf(bytes);
    const symtab = elf.sections.find((s) => s.type === 2)!; // SHT_SYMTAB
    const maps = elf.section('.maps')!;
    const sym = elf.symbols.find((x) => x.section === maps.index && x.name === 'm_hash')!;
    new DataView(bytes.buffer).setUint16(symtab.offset + sym.index * 24 + 6, 0xff00, true); // st_shndx
    expect(() => loadCollectionSpec(bytes)).toThrow(ElfError);
  });

  it('a .bss larger than any map value is an ElfError, not a huge allocation', () => {
    const bytes = new Uint8Array(objects[0]!); // tracing.bpf.c has a .bss
    const elf = parseElf(bytes);
    const bss = elf.section('.bss')!;
    new DataView(bytes.buffer).setBigUint64(elf.header.shoff + bss.index * 64 + 32, 1n << 44n, true); // sh_size
    expect(() => loadCollectionSpec(bytes)).toThrow(/too large/);
  });

  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    it(
      `${name}: only EbpfError subclasses escape, nothing hangs, the input is never written`,
      () => {
        const seed = SEED ^ name.length ^ name.charCodeAt(0);
        const r = rng(seed);
        const deadline = performance.now() + (SECONDS * 1000) / Object.keys(MUTATIONS).length;
        let slowest = 0;
        let iterations = 0;
        const kinds = new Map<string, number>();
        for (let i = 0; i < 50 || performance.now() < deadline; i++, iterations++) {
          const input = mutate(objects[i % objects.length]!, r);
          const before = i % 16 === 0 ? Buffer.from(input).toString('base64') : undefined;
          const start = performance.now();
          try {
            parseAll(input);
            kinds.set('ok', (kinds.get('ok') ?? 0) + 1);
          } catch (e) {
            if (!(e instanceof EbpfError)) {
              throw new Error(
                `${name} seed ${seed} #${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} (not an EbpfError)`,
                { cause: e },
              );
            }
            kinds.set(e.constructor.name, (kinds.get(e.constructor.name) ?? 0) + 1);
          }
          slowest = Math.max(slowest, performance.now() - start);
          if (before !== undefined)
            expect(Buffer.from(input).toString('base64'), `${name} #${i} wrote its input`).toBe(before);
        }
        expect(slowest).toBeLessThan(2000);
        expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBe(iterations);
        expect(
          kinds.get('ok') ?? 0,
          `${name} only ever succeeded: the mutations reach no error path`,
        ).toBeLessThan(iterations);
      },
      60_000 + SECONDS * 1000,
    );
  }
});
