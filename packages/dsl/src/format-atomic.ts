/**
 * Printing of `BPF_ATOMIC` instructions: `lock` operations, `atomic_fetch_*`, `xchg`, `cmpxchg`,
 * `load_acquire` and `store_release`.
 * @module
 */
import { address, cast, mem, R, raw, reg, W } from './format-parts.js';
import type { Instruction } from './instruction.js';
import { AtomicOp, Size } from './opcodes.js';
import { asciiBytes, type TextSink } from './text-sink.js';

/** ` = atomic_fetch_add(`, … by atomic operation. */
const FETCH_NAMES: Record<number, Uint8Array> = {
  [AtomicOp.ADD]: asciiBytes(' = atomic_fetch_add('),
  [AtomicOp.OR]: asciiBytes(' = atomic_fetch_or('),
  [AtomicOp.AND]: asciiBytes(' = atomic_fetch_and('),
  [AtomicOp.XOR]: asciiBytes(' = atomic_fetch_xor('),
};
/** ` += `, … by atomic operation. */
const LOCK_ASSIGN: Record<number, Uint8Array> = {
  [AtomicOp.ADD]: asciiBytes(' += '),
  [AtomicOp.OR]: asciiBytes(' |= '),
  [AtomicOp.AND]: asciiBytes(' &= '),
  [AtomicOp.XOR]: asciiBytes(' ^= '),
};
const XCHG_64 = asciiBytes(' = xchg_64(');
const XCHG_32 = asciiBytes(' = xchg32_32(');
const CMPXCHG_64 = asciiBytes('r0 = cmpxchg_64(');
const CMPXCHG_32 = asciiBytes('w0 = cmpxchg32_32(');
const R0_ARG = asciiBytes(', r0, ');
const W0_ARG = asciiBytes(', w0, ');
const COMMA = asciiBytes(', ');
const LOAD_ACQUIRE = asciiBytes(' = load_acquire(');
const STORE_RELEASE = asciiBytes('store_release(');
const LOCK = asciiBytes('lock ');

/** One atomic instruction. */
export function formatAtomic(w: TextSink, i: Instruction): void {
  const p = (i.code & 0x18) === Size.DW ? R : W;
  const wide = p === R;
  switch (i.imm) {
    case AtomicOp.XCHG:
      reg(w, p, i.src);
      w.lit(wide ? XCHG_64 : XCHG_32);
      address(w, i.dst, i.off);
      w.lit(COMMA);
      reg(w, p, i.src);
      w.char(41);
      return;
    case AtomicOp.CMPXCHG:
      w.lit(wide ? CMPXCHG_64 : CMPXCHG_32);
      address(w, i.dst, i.off);
      w.lit(wide ? R0_ARG : W0_ARG);
      reg(w, p, i.src);
      w.char(41);
      return;
    case AtomicOp.LOAD_ACQ:
      reg(w, p, i.dst);
      w.lit(LOAD_ACQUIRE);
      cast(w, i.code, false);
      mem(w, i.src, i.off);
      w.char(41);
      return;
    case AtomicOp.STORE_REL:
      w.lit(STORE_RELEASE);
      castMemAndSource(w, i, p);
      return;
  }
  const op = i.imm & ~AtomicOp.FETCH;
  if (FETCH_NAMES[op] === undefined || (i.imm & ~0xf1) !== 0) {
    raw(w, i);
    return;
  }
  if (i.imm & AtomicOp.FETCH) {
    reg(w, p, i.src);
    w.lit(FETCH_NAMES[op]);
    castMemAndSource(w, i, p);
    return;
  }
  w.lit(LOCK);
  cast(w, i.code, true);
  mem(w, i.dst, i.off);
  w.lit(LOCK_ASSIGN[op]!);
  reg(w, p, i.src);
}

/** `(u64 *)(rD + off), rS)`: the arguments of `store_release` and `atomic_fetch_*`. */
function castMemAndSource(w: TextSink, i: Instruction, p: number): void {
  cast(w, i.code, false);
  mem(w, i.dst, i.off);
  w.lit(COMMA);
  reg(w, p, i.src);
  w.char(41);
}
