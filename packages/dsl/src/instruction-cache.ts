/**
 * Sharing of equal instructions within one `disassemble` or `parse` call.
 * @module
 */
import { basicInstruction, type Instruction } from './instruction.js';
import { signExtendsImm } from './kinds.js';

/** Entries after which a cache stops taking more (the input is then mostly distinct instructions). */
const LIMIT = 1 << 16;

/**
 * Instructions are immutable, so equal one-slot instructions made in one call can share one
 * frozen object: programs repeat instructions a lot, and allocating and freezing is the main
 * cost of decoding and of parsing common lines. Keys are small integers (fast map lookups):
 * first {@link cacheKey} of (code, dst, src, off), then the 32-bit immediate. A full cache
 * (mostly distinct instructions) stops being consulted.
 */
export class InstructionCache {
  private size = 0;
  private readonly byKey = new Map<number, Map<number, Instruction>>();

  /** The instruction stored for `key` and `imm`; `undefined` when there is none or the cache is full. */
  get(key: number, imm: number): Instruction | undefined {
    if (this.size >= LIMIT) return undefined;
    return this.byKey.get(key)?.get(imm);
  }

  /** Stores `insn` under `key` and `imm`, unless the cache is full. */
  set(key: number, imm: number, insn: Instruction): void {
    if (this.size >= LIMIT) return;
    let byImm = this.byKey.get(key);
    if (byImm === undefined) {
      byImm = new Map();
      this.byKey.set(key, byImm);
    }
    byImm.set(imm, insn);
    this.size += 1;
  }

  /**
   * {@link basicInstruction} of these fields, or the equal one made before through this cache.
   * Fields outside the key's ranges (an `off` beyond 16 bits, an `imm` beyond 32) are not cached;
   * an `imm` in [2^31, 2^32) shares the entry of its negative form only where they build one
   * instruction (not on an opcode that sign-extends its immediate).
   */
  basic(code: number, dst: number, src: number, off: number, imm: number): Instruction {
    if (off < -0x8000 || off > 0x7fff || imm < -0x80000000 || imm > 0xffffffff || dst > 15 || src > 15) {
      return basicInstruction(code, dst, src, off, imm);
    }
    // basicInstruction stores imm as ToInt32 (0xffffffff is -1) and -0 as 0, as the key does,
    // except on an opcode that sign-extends its immediate, which keeps one ≥ 2^31 as written (for
    // validation to refuse): that one is keyed by the unsigned value, apart from its negative.
    const byImm = imm > 0x7fffffff && signExtendsImm(code) ? imm : imm | 0;
    const key = cacheKey(code, dst, src, off);
    const shared = this.get(key, byImm);
    if (shared !== undefined) return shared;
    const made = basicInstruction(code, dst, src, off, imm);
    this.set(key, byImm, made);
    return made;
  }
}

/**
 * The first-level key of an instruction: code (8 bits), dst and src (4 bits each) and off
 * (16 bits). Callers pass fields inside those ranges; others are not cached.
 */
export function cacheKey(code: number, dst: number, src: number, off: number): number {
  // A signed 32-bit value: a small integer to V8, which hashes much faster than a heap number.
  return (code << 24) | (dst << 20) | (src << 16) | (off & 0xffff);
}
