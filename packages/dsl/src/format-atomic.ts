/**
 * Printing of `BPF_ATOMIC` instructions: `lock` operations, `atomic_fetch_*`, `xchg`, `cmpxchg`,
 * `load_acquire` and `store_release`.
 * @module
 */
import { address, cast, mem, R, raw, reg, W } from './format-parts.js';
import type { Instruction } from './instruction.js';
import { AtomicOp, Size } from './opcodes.js';
import type { TextSink } from './text-sink.js';

const ATOMIC_NAMES: Record<number, string> = {
  [AtomicOp.ADD]: 'add',
  [AtomicOp.OR]: 'or',
  [AtomicOp.AND]: 'and',
  [AtomicOp.XOR]: 'xor',
};
const ATOMIC_SYMBOLS: Record<number, string> = {
  [AtomicOp.ADD]: '+',
  [AtomicOp.OR]: '|',
  [AtomicOp.AND]: '&',
  [AtomicOp.XOR]: '^',
};

/** One atomic instruction. */
export function formatAtomic(w: TextSink, i: Instruction): void {
  const p = (i.code & 0x18) === Size.DW ? R : W;
  const wide = p === R;
  switch (i.imm) {
    case AtomicOp.XCHG:
      reg(w, p, i.src);
      w.text(wide ? ' = xchg_64(' : ' = xchg32_32(');
      address(w, i.dst, i.off);
      w.text(', ');
      reg(w, p, i.src);
      w.char(41);
      return;
    case AtomicOp.CMPXCHG:
      w.text(wide ? 'r0 = cmpxchg_64(' : 'w0 = cmpxchg32_32(');
      address(w, i.dst, i.off);
      w.text(wide ? ', r0, ' : ', w0, ');
      reg(w, p, i.src);
      w.char(41);
      return;
    case AtomicOp.LOAD_ACQ:
      reg(w, p, i.dst);
      w.text(' = load_acquire(');
      cast(w, i.code, false);
      mem(w, i.src, i.off);
      w.char(41);
      return;
    case AtomicOp.STORE_REL:
      w.text('store_release(');
      castMemAndSource(w, i, p);
      return;
  }
  const op = i.imm & ~AtomicOp.FETCH;
  if (ATOMIC_NAMES[op] === undefined || (i.imm & ~0xf1) !== 0) {
    raw(w, i);
    return;
  }
  if (i.imm & AtomicOp.FETCH) {
    reg(w, p, i.src);
    w.text(' = atomic_fetch_');
    w.text(ATOMIC_NAMES[op]);
    w.char(40);
    castMemAndSource(w, i, p);
    return;
  }
  w.text('lock ');
  cast(w, i.code, true);
  mem(w, i.dst, i.off);
  w.char(32);
  w.text(ATOMIC_SYMBOLS[op]!);
  w.text('= ');
  reg(w, p, i.src);
}

/** `(u64 *)(rD + off), rS)`: the arguments of `store_release` and `atomic_fetch_*`. */
function castMemAndSource(w: TextSink, i: Instruction, p: number): void {
  cast(w, i.code, false);
  mem(w, i.dst, i.off);
  w.text(', ');
  reg(w, p, i.src);
  w.char(41);
}
