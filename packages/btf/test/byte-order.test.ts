import { Btf, BtfBuilder, BtfError, type BtfTypeSpec, parseBtfExt, writeBtf } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { parseHeader } from '../src/header.js';
import { compileBpf } from './helpers.js';
import { sampleBuilder } from './sample.js';

/** The bytes with every 4-byte word after `from` reversed (a BTF type section is all u32 words). */
function swapWords(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out = bytes.slice();
  for (let p = from; p < to; p += 4) out.set(bytes.slice(p, p + 4).reverse(), p);
  return out;
}

function specs(btf: Btf): BtfTypeSpec[] {
  return [...btf.types()].map(({ id: _id, ...spec }) => spec as BtfTypeSpec);
}

const SOURCE = `
enum e { A = -2, B = 7 };
struct s { int a; unsigned f: 3, g: 9; struct s *n; enum e k; char name[5]; };
int g(struct s *p) { return p->n->a + p->g; }
`;

describe('BTF in both byte orders', () => {
  const el = compileBpf(SOURCE, 'bpfel');
  const eb = compileBpf(SOURCE, 'bpfeb');

  it('clang -target bpfeb BTF is bpfel BTF with each header and type word byte-swapped', () => {
    const h = parseHeader(eb.btf);
    expect(h.byteOrder).toBe('big');
    expect(Array.from(eb.btf.subarray(0, 4))).toEqual([0xeb, 0x9f, 1, 0]);
    const typeEnd = h.hdrLen + h.typeOff + h.typeLen;
    expect(el.btf.slice(0, 2).reverse()).toEqual(eb.btf.subarray(0, 2));
    // the string sections differ only in the temporary directory clang compiled in
    expect(swapWords(el.btf, 4, typeEnd).subarray(4, typeEnd)).toEqual(eb.btf.subarray(4, typeEnd));
  });

  it('parses to the same types either way, and BTF.ext too', () => {
    const le = Btf.parse(el.btf);
    const be = Btf.parse(eb.btf);
    expect(be.byteOrder).toBe('big');
    expect([...be.types()]).toStrictEqual([...le.types()]);
    const { byteOrder: extLe, ...restLe } = parseBtfExt(el.ext, le);
    const { byteOrder: extBe, ...restBe } = parseBtfExt(eb.ext, be);
    expect([extLe, extBe]).toEqual(['little', 'big']);
    const noDir = (x: object) => JSON.parse(JSON.stringify(x).replace(/ts-ebpf-btf-\w+/g, 'DIR'));
    expect(noDir(restBe)).toStrictEqual(noDir(restLe));
    expect(restBe.lineInfo[0]!.records.length).toBeGreaterThan(2);
  });

  it('writes either order: big output is little output word-swapped, and parses back equal', () => {
    const types = specs(Btf.parse(el.btf));
    const le = writeBtf(types, { byteOrder: 'little' });
    const be = writeBtf(types, { byteOrder: 'big' });
    const h = parseHeader(le);
    expect(Array.from(be.subarray(0, 2))).toEqual([0xeb, 0x9f]);
    expect(swapWords(le, 4, h.hdrLen + h.typeOff + h.typeLen).subarray(2)).toEqual(be.subarray(2));
    expect(specs(Btf.parse(be))).toStrictEqual(types);
    expect(writeBtf(specs(Btf.parse(be)), { byteOrder: 'big' })).toEqual(be);
  });

  it.each(['little', 'big'] as const)('the builder builds %s-endian BTF that round-trips', (byteOrder) => {
    const b = sampleBuilder();
    const btf = b.build({ byteOrder });
    expect(btf.byteOrder).toBe(byteOrder);
    expect(specs(btf)).toStrictEqual(
      specs(sampleBuilder().build({ byteOrder: byteOrder === 'big' ? 'little' : 'big' })),
    );
    expect(writeBtf(specs(btf), { byteOrder })).toEqual(b.toBytes({ byteOrder }));
  });

  it('refuses data in an order other than the one asked for or the base has', () => {
    expect(() => Btf.parse(eb.btf, { byteOrder: 'little' })).toThrow(/BTF is big-endian, but little-endian/);
    expect(Btf.parse(eb.btf, { byteOrder: 'big' }).byteOrder).toBe('big');
    expect(() => parseBtfExt(eb.ext, Btf.parse(el.btf))).toThrow(BtfError);
    const base = sampleBuilder().build({ byteOrder: 'little' });
    const split = new BtfBuilder(base);
    split.ptr(1);
    expect(() => split.toBytes({ byteOrder: 'big' })).toThrow(
      /split BTF must be little-endian like its base/,
    );
    const bigBase = sampleBuilder().build({ byteOrder: 'big' });
    expect(() => Btf.parse(split.toBytes(), { base: bigBase })).toThrow(/little-endian, but big-endian/);
  });
});
