import { Btf, btfExtLayout, parseBtfExt } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { ByteArena } from '../src/byte-arena.js';
import { INSN_SIZE, loadCollectionSpec, programExtInfo } from '../src/index.js';
import { compileFixture } from './compile.js';

describe('programExtInfo', () => {
  const spec = loadCollectionSpec(compileFixture('sample.bpf.c'));
  const btf = Btf.parse(spec.btf!);
  const ext = parseBtfExt(spec.btfExt!, btf);

  it('moves each linked function’s func_info and line_info records to its place in the program', () => {
    const xdp = spec.programs.get('on_xdp')!;
    expect(xdp.origins.length).toBe(2); // on_xdp and its subprogram bump
    const info = programExtInfo(xdp, spec.btfExt!, btf);
    // Expected from the decoded records: those inside each function, in program order.
    const funcs: number[] = [];
    const lines: number[] = [];
    for (const o of [...xdp.origins].sort((a, b) => a.start - b.start)) {
      const inside = (r: { insnOff: number }) =>
        r.insnOff >= o.sectionStart * INSN_SIZE && r.insnOff < o.sectionEnd * INSN_SIZE;
      const at = (r: { insnOff: number }) => r.insnOff / INSN_SIZE - o.sectionStart + o.start;
      for (const s of ext.funcInfo.filter((s) => s.section === o.section))
        for (const r of s.records.filter(inside)) funcs.push(at(r), r.typeId);
      for (const s of ext.lineInfo.filter((s) => s.section === o.section))
        for (const r of s.records.filter(inside))
          lines.push(at(r), r.fileNameOff, r.lineOff, (r.lineNumber << 10) | r.column);
    }
    const u32 = (b: Uint8Array) => [...new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4)];
    expect(funcs.length).toBe(4);
    expect(u32(info.funcInfo)).toEqual(funcs);
    expect(u32(info.lineInfo)).toEqual(lines);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('places records written out of instruction order as it places sorted ones', () => {
    const xdp = spec.programs.get('on_xdp')!;
    // The same .BTF.ext with every section's func_info and line_info records reversed.
    const reversed = new Uint8Array(spec.btfExt!);
    const layout = btfExtLayout(spec.btfExt!, btf);
    for (const span of [...layout.funcInfo, ...layout.lineInfo]) {
      for (let i = 0; i < span.count; i++) {
        const from = span.offset + i * span.recordSize;
        const to = span.offset + (span.count - 1 - i) * span.recordSize;
        reversed.set(spec.btfExt!.subarray(from, from + span.recordSize), to);
      }
    }
    expect(layout.lineInfo.some((s) => s.count > 1)).toBe(true);
    const sorted = programExtInfo(xdp, spec.btfExt!, btf);
    const unsorted = programExtInfo(xdp, reversed, btf);
    expect([...unsorted.funcInfo]).toEqual([...sorted.funcInfo]);
    expect([...unsorted.lineInfo]).toEqual([...sorted.lineInfo]);
  });

  it('never hands out views of the spec’s .BTF.ext', () => {
    const info = programExtInfo(spec.programs.get('on_connect')!, spec.btfExt!, btf);
    expect(info.funcInfo.buffer).not.toBe(spec.btfExt!.buffer);
  });
});

describe('ByteArena', () => {
  it('hands out zero-filled, 8-byte aligned blocks that do not overlap', () => {
    const arena = new ByteArena(256);
    const a = arena.alloc(13);
    const b = arena.alloc(40);
    expect(a.byteLength).toBe(13);
    expect(b.byteOffset % 8).toBe(0);
    expect([...a, ...b].every((x) => x === 0)).toBe(true);
    a.fill(0xff);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 13);
  });

  it('gives a block larger than a chunk a buffer of its own, and goes on cutting from the chunk', () => {
    const arena = new ByteArena(128);
    const small = arena.alloc(8);
    const big = arena.alloc(1000);
    const next = arena.alloc(8);
    expect(big.buffer.byteLength).toBe(1000);
    expect(next.buffer).toBe(small.buffer);
    // A chunk that is full makes a new one.
    const rest = arena.alloc(128 - 16);
    const after = arena.alloc(8);
    expect(rest.buffer).toBe(small.buffer);
    expect(after.buffer).not.toBe(small.buffer);
  });

  it('copies into a block of its own, leaving the source alone', () => {
    const arena = new ByteArena(64);
    const source = new Uint8Array([1, 2, 3, 4, 5]).subarray(1);
    const copy = arena.copy(source);
    copy[0] = 9;
    expect([...source]).toEqual([2, 3, 4, 5]);
    expect([...copy]).toEqual([9, 3, 4, 5]);
  });
});
