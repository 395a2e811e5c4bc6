// The README's examples, run as written (with real inputs for the placeholders).
import { readFileSync } from 'node:fs';
import { alignOf, Btf, BtfBuilder, dumpC, fieldPath, membersOf, parseBtfExt, sizeOf } from '@ts-ebpf/btf';
import { loadBtf, loadKernelBtf } from '@ts-ebpf/btf/kernel';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { compileBpf } from './helpers.js';

function readmeBuilder(): BtfBuilder {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const node = b.struct('node', []);
  b.setMembers(node, [
    { name: 'next', type: b.ptr(node) },
    { name: 'value', type: int },
    { name: 'flags', type: int, bitfieldSize: 3 },
  ]);
  const proto = b.funcProto(int, [{ name: 'n', type: b.ptr(node) }]);
  b.func('handle', proto, 'global');
  return b;
}

describe('README examples', () => {
  const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));

  it('parse and query', () => {
    expect(loadKernelBtf().typeCount).toBe(btf.typeCount);
    const task = btf.get('task_struct', 'struct');
    expect(sizeOf(btf, task.id)).toBe(task.size);
    expect(alignOf(btf, task.id)).toBeGreaterThanOrEqual(8);
    expect(membersOf(btf, task.id)[0]).toHaveProperty('byteOffset');
    const tgid = fieldPath(btf, 'task_struct.real_parent->tgid');
    expect(tgid).toMatchObject({
      size: 4,
      signed: true,
      derefs: [fieldPath(btf, 'task_struct.real_parent').byteOffset],
    });
    expect(fieldPath(btf, 'task_struct.comm[3]').size).toBe(1);
    expect(fieldPath(btf, 'task_struct.real_parent.tgid', { throughPointers: true })).toEqual(tgid);
  });

  it('build', () => {
    const b = readmeBuilder();
    expect(b.toBytes().length).toBeGreaterThan(24);
    const built = b.build();
    expect(built.get('node', 'struct')).toMatchObject({ size: 16 });
    expect(Btf.parse(b.toBytes({ byteOrder: 'big' })).byteOrder).toBe('big');
  });

  it('dump as C', () => {
    expect(dumpC(btf)).toContain('#ifndef __VMLINUX_H__');
    expect(dumpC(btf, [btf.get('iphdr', 'struct').id])).toContain('struct iphdr {');
  });

  it('BTF.ext', () => {
    const { btf: btfBytes, ext: btfExtBytes } = compileBpf('int f(int *p) { return *p + 1; }\n');
    const ext = parseBtfExt(btfExtBytes, Btf.parse(btfBytes));
    expect(ext.funcInfo[0]!.records[0]!.insnOff).toBe(0);
    expect(ext.lineInfo[0]!.records.length).toBeGreaterThan(0);
  });
});

describeKernel('README: load into the kernel', () => {
  it('loads with using', () => {
    const b = readmeBuilder();
    let fd = -1;
    {
      using handle = loadBtf(b);
      fd = handle.fd;
    }
    expect(fd).toBeGreaterThan(2);
  });
});
