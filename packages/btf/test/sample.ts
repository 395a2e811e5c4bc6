import { BtfBuilder } from '@ts-ebpf/btf';

/** One of every kind the builder makes, with a self-referential struct. */
export function sampleBuilder(): BtfBuilder {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const u8 = b.int('unsigned char', 1, { char: true });
  const u64 = b.int('long long unsigned int', 8);
  const bool = b.int('_Bool', 1, { bool: true });
  const dbl = b.float('double', 8);
  const node = b.struct('node', []);
  const nodePtr = b.ptr(node);
  const arr = b.array(u8, 6);
  const e = b.enum('color', { RED: 0, GREEN: 1, NEG: -1 });
  const e64 = b.enum64('big', { HUGE: 0xffff_ffff_ffffn, SMALL: 1n });
  b.setMembers(node, [
    { name: 'next', type: nodePtr },
    { name: 'value', type: int },
    { name: 'mac', type: arr },
    { name: 'flags', type: int, bitfieldSize: 3 },
    { name: 'kind', type: int, bitfieldSize: 5 },
    { name: 'total', type: u64 },
    { name: 'ok', type: bool },
    { name: 'ratio', type: dbl },
    { name: 'color', type: e },
    { name: 'big', type: e64 },
  ]);
  const u = b.union('either', [
    { name: 'i', type: int },
    { name: 'bytes', type: b.array(u8, 8) },
  ]);
  const cint = b.const(int);
  b.volatile(int);
  b.restrict(b.ptr(int));
  b.typeTag('user', int);
  const td = b.typedef('node_t', node);
  b.fwd('opaque', 'union');
  const proto = b.funcProto(int, [
    { name: 'n', type: b.ptr(td) },
    { name: 'c', type: cint },
    { name: '', type: 0 },
  ]);
  const fn = b.func('handle', proto, 'global');
  b.declTag('kfunc', fn, -1);
  const v = b.var('counter', u64, 'global');
  b.var('either_var', u, 'static');
  b.datasec('.data', [{ type: v, offset: 0, size: 8 }]);
  return b;
}
