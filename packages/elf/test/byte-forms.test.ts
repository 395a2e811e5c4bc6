import { readFileSync } from 'node:fs';
import { Btf } from '@ts-ebpf/btf';
import { bpffsTestDir, describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildKconfig,
  type CollectionSpec,
  fixupObjectBtf,
  loadCollection,
  loadCollectionSpec,
  readKernelConfig,
} from '../src/index.js';
import { CORPUS, CorpusBuild } from './corpus/build.js';
import { hex, programSummaries } from './spec-summary.js';

/**
 * The same object as the three forms users hand over: a Buffer from readFileSync (a view into
 * Node's pool), a subarray at an odd offset of a larger buffer whose other bytes are junk, and
 * a plain Uint8Array of its own.
 */
function forms(path: string): Record<string, Uint8Array> {
  const buffer = readFileSync(path);
  const big = new Uint8Array(buffer.byteLength + 64).fill(0xa5);
  big.set(buffer, 13);
  return {
    buffer,
    oddSubarray: big.subarray(13, 13 + buffer.byteLength),
    plain: new Uint8Array(buffer),
  };
}

/** True when the bytes are as they were (same content as `before`). */
const unchanged = (bytes: Uint8Array, before: string) => hex(bytes) === before;

/** What a spec says, as plain data to compare. */
function summary(spec: CollectionSpec) {
  return {
    byteOrder: spec.byteOrder,
    programs: programSummaries(spec),
    legacyMaps: [...spec.legacyMaps.values()],
    data: [...spec.dataSections.values()].map((d) => ({
      name: d.name,
      contents: hex(d.contents),
      variables: [...d.variables],
    })),
    btfMapNames: spec.btfMapNames,
    btf: hex(spec.btf),
    btfExt: hex(spec.btfExt),
    license: spec.license,
  };
}

let build: CorpusBuild;
const paths = new Map<string, string>();

beforeAll(() => {
  build = new CorpusBuild();
  for (const name of CORPUS) paths.set(name, build.compile(name));
}, 120_000);
afterAll(() => build?.cleanup());

it('loadCollectionSpec, object BTF fix-up and kconfig give the same results for every byte form, and leave the input alone', () => {
  const config = readKernelConfig();
  for (const [name, path] of paths) {
    const results = Object.entries(forms(path)).map(([form, bytes]) => {
      const before = hex(bytes);
      const spec = loadCollectionSpec(bytes);
      const btf = Btf.parse(spec.btf!);
      const kconfig = buildKconfig(btf, config, 0x060c00, () => true);
      const fixed = fixupObjectBtf(btf, spec.elf, kconfig);
      expect(unchanged(bytes, before), `${name} as ${form} was written to`).toBe(true);
      return { form, summary: summary(spec), kconfig: hex(kconfig.contents), fixed: hex(fixed) };
    });
    for (const r of results.slice(1)) {
      expect(r.summary, `${name}: ${r.form} differs from ${results[0]!.form}`).toEqual(results[0]!.summary);
      expect(r.kconfig).toEqual(results[0]!.kconfig);
      expect(r.fixed).toEqual(results[0]!.fixed);
    }
    expect(results[0]!.summary.programs.length, `${name} has programs`).toBeGreaterThan(0);
  }
});

describeKernel('loadCollection and byte forms', () => {
  it('loads every corpus object from each byte form into the same programs, leaving the input alone', () => {
    // maps the corpus pins by name go here, not to bpffs' root
    const pinRoot = bpffsTestDir('ts-ebpf-byte-forms');
    for (const [name, path] of paths) {
      const loaded = Object.entries(forms(path)).map(([form, bytes]) => {
        const before = hex(bytes);
        using c = loadCollection(bytes, { pinRoot });
        expect(unchanged(bytes, before), `${name} as ${form} was written to`).toBe(true);
        return {
          form,
          programs: [...c.programs].map(([n, p]) => [n, p.info().tag]),
          maps: [...c.maps.keys()],
          data: [...c.dataMaps.keys()],
        };
      });
      for (const l of loaded.slice(1)) {
        expect({ ...l, form: '' }, `${name}: ${l.form} loads differently`).toEqual({
          ...loaded[0]!,
          form: '',
        });
      }
    }
  }, 60_000);
});
