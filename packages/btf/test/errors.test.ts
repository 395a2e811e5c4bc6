import { Btf, BtfBuilder, BtfError, parseBtfExt } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { kernelBtf } from './helpers.js';
import { sampleBuilder } from './sample.js';

function errorOf(f: () => unknown): BtfError {
  try {
    f();
  } catch (e) {
    if (e instanceof BtfError) return e;
    throw e;
  }
  throw new Error('expected a BtfError');
}

describe('BtfError with byte offsets', () => {
  const good = sampleBuilder().toBytes();

  it('reports a bad magic number, version and truncated header', () => {
    expect(errorOf(() => Btf.parse(new Uint8Array([1, 2, 3, 4]))).offset).toBe(0);
    expect(errorOf(() => Btf.parse(new Uint8Array(1))).message).toMatch(/truncated/);
    const v2 = good.slice();
    v2[2] = 2;
    expect(errorOf(() => Btf.parse(v2))).toMatchObject({
      offset: 2,
      message: expect.stringMatching(/version 2/),
    });
    expect(errorOf(() => Btf.parse(good.subarray(0, 20))).offset).toBe(4);
  });

  it('reports sections that run past the data', () => {
    expect(errorOf(() => Btf.parse(good.subarray(0, good.length - 3))).message).toMatch(/past the end/);
  });

  it('reports a type record cut short with its offset', () => {
    const b = new BtfBuilder();
    b.int('int', 4, { signed: true });
    const bytes = b.toBytes();
    const view = new DataView(bytes.buffer);
    view.setUint32(12, 12, true); // the type section now ends 4 bytes into the INT record
    const err = errorOf(() => Btf.parse(bytes));
    expect(err.offset).toBe(24);
    expect(err.message).toMatch(/type 1 runs past the type section/);
  });

  it('reports unknown kinds and string offsets out of range at their byte offset', () => {
    const bytes = good.slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(24 + 4, 25 << 24, true);
    expect(errorOf(() => Btf.parse(bytes))).toMatchObject({ offset: 28 });
    const names = good.slice();
    new DataView(names.buffer).setUint32(24, 0xfffff, true);
    const lazy = Btf.parse(names); // names are read lazily …
    expect(errorOf(() => lazy.type(1))).toMatchObject({ offset: 24 }); // … and checked then
  });

  it('decodes lazily: a corrupt record far into vmlinux only fails when asked for', () => {
    const vmlinux = kernelBtf();
    const fn = vmlinux.get('bpf_map_lookup_elem', 'func');
    const bytes = vmlinux.bytes.slice();
    const view = new DataView(bytes.buffer);
    // find the record of that FUNC by its id and give it an impossible linkage
    let off = vmlinux.header.hdrLen + vmlinux.header.typeOff;
    for (let id = 1; id < fn.id; id++) {
      const info = view.getUint32(off + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const extra = [
        0,
        4,
        0,
        12,
        12 * vlen,
        12 * vlen,
        8 * vlen,
        0,
        0,
        0,
        0,
        0,
        0,
        8 * vlen,
        4,
        12 * vlen,
        0,
        4,
        0,
        12 * vlen,
      ][kind]!;
      off += 12 + extra;
    }
    view.setUint32(off + 4, (12 << 24) | 7, true);
    const corrupt = Btf.parse(bytes);
    expect(corrupt.get('task_struct', 'struct').size).toBe(vmlinux.get('task_struct', 'struct').size);
    expect(errorOf(() => corrupt.type(fn.id))).toMatchObject({ offset: off + 4 });
  });

  it('reports a corrupt BTF.ext', () => {
    const btf = sampleBuilder().build();
    expect(errorOf(() => parseBtfExt(new Uint8Array([0x9f, 0xeb, 1, 0]), btf)).offset).toBe(0);
    expect(errorOf(() => parseBtfExt(new Uint8Array([0, 0]), btf)).message).toMatch(/magic/);
  });

  it('checks line_info string offsets when parsing, naming the byte', () => {
    const btf = sampleBuilder().build();
    // Header (24 bytes), then line_info: record size 16, one section (name at 0) of one record.
    const ext = (fileNameOff: number, lineOff: number) => {
      const words = [24, 0, 0, 0, 28, 16, 0, 1, 0, fileNameOff, lineOff, (7 << 10) | 3];
      const bytes = new Uint8Array(4 + words.length * 4);
      const v = new DataView(bytes.buffer);
      v.setUint16(0, 0xeb9f, true);
      v.setUint8(2, 1);
      for (const [i, w] of words.entries()) v.setUint32(4 + i * 4, w, true);
      return bytes;
    };
    const e = errorOf(() => parseBtfExt(ext(0, btf.stringsLength), btf));
    expect(e.message).toMatch(`string offset ${btf.stringsLength} is outside the string section`);
    expect(e.offset).toBe(24 + 4 + 8 + 8);
    expect(errorOf(() => parseBtfExt(ext(btf.stringsLength + 5, 0), btf)).offset).toBe(24 + 4 + 8 + 4);
    const name = btf.type(1).name;
    const off = [...Array(btf.stringsLength).keys()].find((o) => btf.string(o) === name)!;
    const [record] = parseBtfExt(ext(off, 0), btf).lineInfo[0]!.records;
    expect(record).toMatchObject({ insnOff: 0, fileNameOff: off, lineOff: 0, lineNumber: 7, column: 3 });
    expect([record!.fileName, record!.line]).toEqual([name, '']);
  });
});
