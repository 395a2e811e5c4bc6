import { type Btf, BtfBuilder } from '@ts-ebpf/btf';
import { format, R1, R2 } from '@ts-ebpf/dsl';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { describeStructOps, loadKernelField } from '../src/index.js';

/** A toy ops type (`toy_ops`, its map value and a state struct with bitfields) in BTF of `byteOrder`. */
function toyBtf(byteOrder: ByteOrder): Btf {
  const b = new BtfBuilder();
  const u8 = b.int('u8', 1);
  const u16 = b.int('u16', 2);
  const u32 = b.int('u32', 4);
  const s32 = b.int('int', 4, { signed: true });
  const u64 = b.int('u64', 8);
  const char = b.int('char', 1, { char: true });
  const state = b.struct('toy_state', [
    { name: 'a', type: u32, bitOffset: 0, bitfieldSize: 3 },
    { name: 'b', type: u32, bitOffset: 3, bitfieldSize: 5 },
    { name: 'c', type: u32, bitOffset: 12, bitfieldSize: 7 },
  ]);
  const proto = b.funcProto(s32, [
    { name: '', type: b.ptr(state) },
    { name: 'flag', type: u8 },
    { name: 'w', type: u16 },
  ]);
  const ops = b.struct('toy_ops', [
    { name: 'go', type: b.ptr(proto) },
    { name: 'name', type: b.array(char, 8) },
  ]);
  b.struct('bpf_struct_ops_toy_ops', [
    { name: 'refcnt', type: u64 },
    { name: 'data', type: ops },
  ]);
  return b.build({ byteOrder });
}

describe('dsl-struct-ops: byte order comes from the BTF', () => {
  it.each([
    ['little', [0, 8, 16]],
    ['big', [0, 15, 22]],
  ] as const)('%s-endian: arguments are read from the low bytes of their u64 slots', (order, offsets) => {
    const ops = describeStructOps(toyBtf(order), 'toy_ops');
    const go = ops.callbacks.get('go')!;
    expect(go.args.map((a) => a.contextOffset)).toEqual(offsets);
    expect(go.args.map((a) => a.name)).toEqual(['', 'flag', 'w']);
    expect(go.returns).toMatchObject({ size: 4, signed: true });
    expect(ops.data.get('name')).toMatchObject({ cType: 'char[8]', size: 8 });
  });

  it.each([
    ['little', 'b', 'r2 = *(u8 *)(r1 + 0)\nr2 >>= 3\nr2 &= 31'],
    ['big', 'b', 'r2 = *(u8 *)(r1 + 0)\nr2 &= 31'],
    ['little', 'c', 'r2 = *(u16 *)(r1 + 1)\nr2 >>= 4\nr2 &= 127'],
    ['big', 'c', 'r2 = *(u16 *)(r1 + 1)\nr2 >>= 5\nr2 &= 127'],
  ] as const)('%s-endian: bitfield %s is shifted from its end of the unit', (order, field, listing) => {
    const btf = toyBtf(order);
    expect(format(loadKernelField(btf, 'toy_state', field, R2, R1)).trimEnd()).toBe(listing);
  });
});
