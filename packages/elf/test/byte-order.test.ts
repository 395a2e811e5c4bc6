import { Btf } from '@ts-ebpf/btf';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildKconfig,
  type CollectionSpec,
  ElfTargetError,
  loadCollection,
  loadCollectionSpec,
  rewriteConstants,
} from '../src/index.js';
import { compileFixture } from './compile.js';
import { CORPUS, CorpusBuild } from './corpus/build.js';
import { programSummaries } from './spec-summary.js';

/** What must not depend on the object's byte order. */
function orderFree(spec: CollectionSpec) {
  return {
    programs: programSummaries(spec),
    legacyMaps: [...spec.legacyMaps.values()],
    data: [...spec.dataSections.values()].map((d) => ({
      name: d.name,
      size: d.contents.byteLength,
      variables: [...d.variables],
    })),
    btfMapNames: spec.btfMapNames,
    license: spec.license,
  };
}

/**
 * Programs whose C code reads parts of wider values (narrow loads of context fields,
 * bitfields, bytes of a u64): clang emits other offsets or shifts for bpfeb, so their
 * instructions differ by design and only their structure is compared.
 */
const ORDER_DEPENDENT = new Set([
  'tracing.bpf.c:on_getpid',
  'maps.bpf.c:exercise',
  'net.bpf.c:xdp_count',
  'net.bpf.c:dissect',
  'net.bpf.c:on_sendmsg4',
  'net.bpf.c:on_sockops',
  'core.bpf.c:bf_mid',
  'core.bpf.c:bf_sbits',
]);

let build: CorpusBuild;
beforeAll(() => {
  build = new CorpusBuild();
}, 60_000);
afterAll(() => build?.cleanup());

describe('byte order of BPF objects', () => {
  it('clang -target bpfeb objects parse into the same specs and instructions as bpfel ones', () => {
    const pairs: [string, Uint8Array, Uint8Array][] = CORPUS.map((n) => [
      n,
      build.object(n, { target: 'bpfel' }),
      build.object(n, { target: 'bpfeb' }),
    ]);
    for (const f of ['sample.bpf.c', 'maps.bpf.c', 'kconfig.bpf.c', 'core.bpf.c'])
      pairs.push([f, compileFixture(f, 'bpfel'), compileFixture(f, 'bpfeb')]);
    let compared = 0;
    for (const [name, elBytes, ebBytes] of pairs) {
      const el = loadCollectionSpec(elBytes);
      const eb = loadCollectionSpec(ebBytes);
      expect([el.byteOrder, eb.byteOrder]).toEqual(['little', 'big']);
      const a = orderFree(el);
      const b = orderFree(eb);
      expect(
        b.programs.map((p) => p.name),
        name,
      ).toEqual(a.programs.map((p) => p.name));
      expect({ ...b, programs: [] }, name).toEqual({ ...a, programs: [] });
      for (const [i, p] of a.programs.entries()) {
        const q = b.programs[i]!;
        if (ORDER_DEPENDENT.has(`${name}:${p.name}`)) {
          expect([q.section, q.references.map((r) => r.kind)], `${name}:${p.name}`).toEqual([
            p.section,
            p.references.map((r) => r.kind),
          ]);
          continue;
        }
        expect(q, `${name}:${p.name}`).toEqual(p);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  }, 120_000);

  it("constants and kconfig values are written in the object's byte order", () => {
    for (const [target, order] of [
      ['bpfel', 'little'],
      ['bpfeb', 'big'],
    ] as const) {
      const spec = loadCollectionSpec(compileFixture('sample.bpf.c', target));
      const rodata = spec.dataSections.get('.rodata')!;
      const at = rodata.variables.get('limit')!.offset;
      const view = (c: Uint8Array) => new DataView(c.buffer, c.byteOffset, c.byteLength);
      expect(view(rodata.contents).getUint32(at, order === 'little'), target).toBe(7);
      const rewritten = rewriteConstants(spec.dataSections, { limit: 0x01020304 }, spec.byteOrder);
      expect(view(rewritten.get('.rodata')!.contents).getUint32(at, order === 'little'), target).toBe(
        0x01020304,
      );
      expect(
        view(rodata.contents).getUint32(at, order === 'little'),
        `${target}: the spec was written to`,
      ).toBe(7);
      const kspec = loadCollectionSpec(compileFixture('kconfig.bpf.c', target));
      const btf = Btf.parse(kspec.btf!);
      const k = buildKconfig(btf, new Map([['CONFIG_HZ', '250']]), 0x060c00, () => true);
      const hz = k.externs.get('CONFIG_HZ')!;
      expect(hz.size, target).toBe(4);
      expect(view(k.contents).getUint32(hz.offset, order === 'little'), target).toBe(250);
    }
  });

  it('an object of the other byte order than this kernel is refused, naming the order', () => {
    const other = HOST_BYTE_ORDER === 'little' ? 'bpfeb' : 'bpfel';
    const bytes = build.object('net.bpf.c', { target: other });
    let error: unknown;
    try {
      loadCollection(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ElfTargetError);
    expect((error as ElfTargetError).byteOrder).toBe(HOST_BYTE_ORDER === 'little' ? 'big' : 'little');
    expect((error as Error).message).toMatch(
      HOST_BYTE_ORDER === 'little' ? /object is big-endian .* kernel is little-endian/ : /little-endian/,
    );
  }, 60_000);
});
