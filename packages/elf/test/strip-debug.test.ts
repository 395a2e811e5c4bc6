import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKernel } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { afterAll, expect, it } from 'vitest';
import { type CollectionSpec, loadCollection, loadCollectionSpec, stripDebugSections } from '../src/index.js';
import { hex, programSummaries } from './spec-summary.js';

// An object built as users build theirs (-g, vmlinux.h): its DWARF is most of its bytes.
const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-strip-debug-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'vmlinux.h'),
  execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
    maxBuffer: 1 << 28,
  }),
);
compileBpfC(new URL('./fixtures/strip-debug.bpf.c', import.meta.url).pathname, join(dir, 'strip-debug.o'), {
  include: [dir],
});
const original = readFileSync(join(dir, 'strip-debug.o'));
const stripped = stripDebugSections(original);

/** What a spec holds, as plain data: programs, maps, data sections, BTF and BTF.ext. */
function summary(spec: CollectionSpec) {
  return {
    programs: programSummaries(spec),
    btfMaps: spec.btfMapNames,
    data: [...spec.dataSections.values()].map((d) => ({ ...d, contents: hex(d.contents) })),
    license: spec.license,
    btf: hex(spec.btf),
    btfExt: hex(spec.btfExt),
  };
}

it('leaves no .debug_* section and a fraction of the bytes', () => {
  const names = (b: Uint8Array) => loadCollectionSpec(b).elf.sections.map((s) => s.name);
  expect(names(original).filter((n) => n.includes('debug')).length).toBeGreaterThan(5);
  expect(names(stripped).filter((n) => n.includes('debug'))).toEqual([]);
  expect(stripped.byteLength).toBeLessThan(original.byteLength / 5);
});

it('gives the same collection spec: programs, CO-RE and BTF.ext records, maps, data, BTF', () => {
  const before = summary(loadCollectionSpec(original));
  expect(before.programs.map((p) => p.name)).toEqual(['count_packet']);
  expect(before.btfExt).not.toBe('');
  expect(summary(loadCollectionSpec(stripped))).toEqual(before);
});

describeKernel('a stripped object in the kernel', () => {
  it('loads, runs and writes its globals as the original, with the same func_info and line_info', () => {
    const run = (bytes: Uint8Array) => {
      using c = loadCollection(bytes);
      const p = c.program('count_packet');
      const retval = p.testRun({ data: new Uint8Array(64) }).retval;
      return {
        retval,
        layout: c.variable('layout').getBigInt(),
        seen: hex(c.map('bytes_seen').get(new Uint8Array(4).fill(1, 0, 1))),
        funcInfo: p.funcInfo(),
        lineInfo: p.lineInfo(),
      };
    };
    const before = run(original);
    expect(before.retval).toBe(2); // XDP_PASS: CO-RE gave the enum's value, the subprogram ran
    expect(before.layout).toBeGreaterThan(10000n);
    expect(before.funcInfo.length).toBe(2);
    expect(before.lineInfo.length).toBeGreaterThan(3);
    expect(run(stripped)).toEqual(before);
  });
});
