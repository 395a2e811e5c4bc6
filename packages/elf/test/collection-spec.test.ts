import {
  BpfMapCreateFlag,
  BpfMapType,
  BpfProgType,
  close,
  mapCreate,
  mapLookupElem,
  mapUpdateElem,
  progLoad,
  progTestRun,
} from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { ElfError, loadCollectionSpec, relocate, resolveSection } from '../src/index.js';
import { compileFixture } from './compile.js';

describe('collection spec', () => {
  const spec = loadCollectionSpec(compileFixture('sample.bpf.c'));

  it('finds every program with its section conventions, license and data sections', () => {
    expect([...spec.programs.keys()].sort()).toEqual(['on_connect', 'on_getpid', 'on_xdp']);
    expect(spec.programs.get('on_xdp')!.sectionDef.progType).toBe(BpfProgType.XDP);
    expect(spec.programs.get('on_getpid')!.sectionDef.target).toBe('syscalls/sys_enter_getpid');
    expect(spec.license).toBe('GPL');
    expect(spec.btfMapNames).toEqual(['counts']);
    expect(spec.dataSections.get('.bss')!.variables.get('hits')).toEqual({ offset: 0, size: 8 });
    expect(spec.dataSections.get('.rodata')!.readOnly).toBe(true);
    expect(spec.btf?.byteLength).toBeGreaterThan(0);
  });

  it("gives each spec section definitions of its own, equal to resolveSection's", () => {
    const bytes = compileFixture('sample.bpf.c');
    const first = loadCollectionSpec(bytes).programs.get('on_getpid')!;
    const second = loadCollectionSpec(bytes).programs.get('on_getpid')!;
    expect(first.sectionDef).toStrictEqual(resolveSection(first.section));
    expect(Object.keys(first.sectionDef)).toEqual(Object.keys(resolveSection(first.section)!));
    // Changing one spec's definition in place leaves every other spec's as it was.
    first.sectionDef.target = 'changed';
    expect(second.sectionDef).toStrictEqual(resolveSection(second.section));
    expect(loadCollectionSpec(bytes).programs.get('on_getpid')!.sectionDef.target).toBe(
      'syscalls/sys_enter_getpid',
    );
  });

  it('links the static subprogram into each program that calls it, once', () => {
    const xdp = spec.programs.get('on_xdp')!;
    expect(xdp.subprograms.map((s) => s.name)).toEqual(['bump']);
    expect(spec.programs.get('on_connect')!.subprograms).toEqual([]);
    const kinds = xdp.references.map((r) =>
      r.kind === 'data' ? `data ${r.section}+${r.offset}` : `${r.kind} ${'name' in r ? r.name : ''}`,
    );
    expect(kinds.sort()).toEqual(['data .bss+0', 'data .rodata+0', 'map counts']);
  });

  it('big-endian objects yield the same little-endian instructions', () => {
    const be = loadCollectionSpec(compileFixture('sample.bpf.c', 'bpfeb'));
    expect(be.programs.get('on_xdp')!.instructions).toEqual(spec.programs.get('on_xdp')!.instructions);
  });

  it('an unresolvable reference is an ElfError naming the instruction', () => {
    const xdp = spec.programs.get('on_xdp')!;
    expect(() => relocate(xdp, { mapFd: () => undefined, dataFd: () => 3 })).toThrow(ElfError);
    expect(() => relocate(xdp, { mapFd: () => undefined, dataFd: () => 3 })).toThrow(
      /on_xdp: instruction \d+: map 'counts'/,
    );
  });
});

describeKernel('collection spec loaded into the kernel', () => {
  it('the linked and relocated XDP program runs: subprogram, map, .bss and .rodata all work', () => {
    const spec = loadCollectionSpec(compileFixture('sample.bpf.c'));
    const counts = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const bss = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const rodata = mapCreate({
      mapType: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      mapFlags: BpfMapCreateFlag.RDONLY_PROG,
    });
    const zero = new Uint8Array(4);
    mapUpdateElem(rodata, zero, spec.dataSections.get('.rodata')!.contents);
    const fds: Record<string, number> = { '.bss': bss, '.rodata': rodata };
    try {
      const xdp = spec.programs.get('on_xdp')!;
      const insns = relocate(xdp, {
        mapFd: (n) => (n === 'counts' ? counts : undefined),
        dataFd: (s) => fds[s],
      });
      const prog = progLoad({ progType: xdp.sectionDef.progType, insns, license: spec.license });
      try {
        for (let i = 0; i < 3; i++)
          expect(progTestRun({ progFd: prog, dataIn: new Uint8Array(64) }).retval).toBe(2);
      } finally {
        close(prog);
      }
      const v = new Uint8Array(8);
      mapLookupElem(counts, zero, v);
      expect(new DataView(v.buffer).getBigUint64(0, true)).toBe(3n);
      mapLookupElem(bss, zero, v);
      expect(new DataView(v.buffer).getBigUint64(0, true)).toBe(3n);
    } finally {
      close(counts);
      close(bss);
      close(rodata);
    }
  });
});
