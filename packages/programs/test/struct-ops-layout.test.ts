import { BtfBuilder, BtfError, structOpsLayout } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { structOpsValueType } from '@ts-ebpf/maps';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { structOpsMember } from '../src/index.js';

/** A BTF with `struct demo_ops { int (*init)(void *); unsigned int flags; char name[16]; }` and its value type. */
function demoBtf() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const uint = b.int('unsigned int', 4);
  const char = b.int('char', 1, { char: true });
  const voidPtr = b.ptr(0);
  const proto = b.funcProto(int, [{ name: 'ctx', type: voidPtr }]);
  const fnPtr = b.ptr(proto);
  const ops = b.struct('demo_ops', [
    { name: 'init', type: fnPtr },
    { name: 'flags', type: uint },
    { name: 'name', type: b.array(char, 16) },
  ]);
  b.struct('bpf_struct_ops_demo_ops', [
    { name: 'refcnt', type: uint },
    { name: 'state', type: uint },
    { name: 'data', type: ops },
  ]);
  return b.build();
}

describe('structOpsLayout (pure, over any BTF)', () => {
  it('lays out the ops struct, its function pointers and the wrapping value', () => {
    const btf = demoBtf();
    const l = structOpsLayout(btf, 'demo_ops');
    expect(l.type).toBe('demo_ops');
    expect(l.size).toBe(32);
    expect(l.dataOffset).toBe(8);
    expect(l.valueSize).toBe(40);
    expect(
      l.members.map(({ name, index, offset, size, funcPointer }) => ({
        name,
        index,
        offset,
        size,
        funcPointer,
      })),
    ).toEqual([
      { name: 'init', index: 0, offset: 0, size: 8, funcPointer: true },
      { name: 'flags', index: 1, offset: 8, size: 4, funcPointer: false },
      { name: 'name', index: 2, offset: 12, size: 16, funcPointer: false },
    ]);
    expect(structOpsLayout(btf, 'bpf_struct_ops_demo_ops')).toEqual(l);
  });

  it('names the ops struct when the BTF lacks it or its value type', () => {
    expect(() => structOpsLayout(demoBtf(), 'other_ops')).toThrow(BtfError);
    expect(() => structOpsLayout(demoBtf(), 'other_ops')).toThrow(/'other_ops'.*bpf_struct_ops_other_ops/);
  });
});

describeKernel('structOpsLayout of kernel BTF', () => {
  it('is the one layout maps and programs use for tcp_congestion_ops', () => {
    const l = structOpsLayout(kernelBtf(), 'tcp_congestion_ops');
    expect(structOpsValueType('tcp_congestion_ops')).toEqual(l);
    const ssthresh = l.members.find((m) => m.name === 'ssthresh')!;
    expect(ssthresh.funcPointer).toBe(true);
    expect(l.members.find((m) => m.name === 'name')!.funcPointer).toBe(false);
    expect(structOpsMember('tcp_congestion_ops', 'ssthresh')).toEqual({
      attachBtfId: l.typeId,
      expectedAttachType: ssthresh.index,
      offset: ssthresh.offset,
      size: 8,
    });
  });
});
