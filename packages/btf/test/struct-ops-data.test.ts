import {
  type Btf,
  BtfBuilder,
  BtfError,
  checkStructOpsData,
  StructOpsDataError,
  structOpsLayout,
} from '@ts-ebpf/btf';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';

/**
 * The data members of `tcp_congestion_ops` (a function pointer, `key`, `flags`, `name`) and its
 * map value, in BTF of `byteOrder`: the bytes a member holds are read in that order.
 */
function tcpBtf(byteOrder: ByteOrder): Btf {
  const b = new BtfBuilder();
  const u32 = b.int('u32', 4);
  const u64 = b.int('u64', 8);
  const char = b.int('char', 1, { char: true });
  const ops = b.struct('tcp_congestion_ops', [
    { name: 'ssthresh', type: b.ptr(b.funcProto(u32, [])) },
    { name: 'key', type: u32 },
    { name: 'flags', type: u32 },
    { name: 'name', type: b.array(char, 16) },
  ]);
  b.struct('bpf_struct_ops_tcp_congestion_ops', [
    { name: 'refcnt', type: u64 },
    { name: 'data', type: ops },
  ]);
  return b.build({ byteOrder });
}

function u32Bytes(n: number, order: ByteOrder): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, order === 'little');
  return out;
}

/** What `checkStructOpsData` throws for `bytes` in `member`, or undefined. */
function refusal(btf: Btf, member: string, bytes: Uint8Array, map?: string): unknown {
  const m = structOpsLayout(btf, 'tcp_congestion_ops').members.find((x) => x.name === member)!;
  try {
    checkStructOpsData(btf, 'tcp_congestion_ops', m, bytes, map);
  } catch (e) {
    return e;
  }
  return undefined;
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe.each(['little', 'big'] as const)('checkStructOpsData, %s-endian BTF', (order) => {
  const btf = tcpBtf(order);

  it('takes the flags the kernel knows and refuses other bits, read in the BTF byte order', () => {
    expect(refusal(btf, 'flags', u32Bytes(0x1f, order))).toBeUndefined();
    const e = refusal(btf, 'flags', u32Bytes(0x100, order), 'my_cc');
    expect(e).toBeInstanceOf(StructOpsDataError);
    expect(e).toMatchObject({ type: 'tcp_congestion_ops', member: 'flags', rule: 'flags', map: 'my_cc' });
    expect((e as Error).message).toMatch(/^struct_ops map my_cc: tcp_congestion_ops\.flags: 0x100 has bits/);
  });

  it('takes a name with its NUL; refuses one cut to its array, other characters and none', () => {
    expect(refusal(btf, 'name', ascii('my.cc_2'))).toBeUndefined();
    for (const bad of ['abcdefghijklmnop', 'my-cc', ''])
      expect(refusal(btf, 'name', ascii(bad)), bad).toMatchObject({ rule: 'name', member: 'name' });
    expect((refusal(btf, 'name', ascii('abcdefghijklmnop')) as Error).message).toContain(
      "'abcdefghijklmnop' (no NUL)",
    );
  });

  it('refuses a non-zero member the kernel does not take, and takes it zero (or absent)', () => {
    expect(refusal(btf, 'key', u32Bytes(7, order))).toMatchObject({ rule: 'zero', member: 'key' });
    expect(refusal(btf, 'key', u32Bytes(0, order))).toBeUndefined();
    expect(refusal(btf, 'key', new Uint8Array(0))).toBeUndefined();
  });

  it('refuses bytes longer than the member (BtfError), and checks nothing of a type without known rules', () => {
    expect(refusal(btf, 'flags', new Uint8Array(5))).toBeInstanceOf(BtfError);
    const m = structOpsLayout(btf, 'tcp_congestion_ops').members.find((x) => x.name === 'key')!;
    expect(() => checkStructOpsData(btf, 'tsebpf_unknown_ops', m, u32Bytes(7, order))).not.toThrow();
  });
});
