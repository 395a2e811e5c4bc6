/** A tiny BPF instruction encoder for test programs (the dsl package is built concurrently). */
export function ins(op: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, op);
  v.setUint8(1, ((src & 15) << 4) | (dst & 15));
  v.setInt16(2, off, true);
  v.setInt32(4, imm | 0, true);
  return [...b];
}

/** Joins instructions into program bytes. */
export const prog = (...insns: number[][]): Uint8Array => new Uint8Array(insns.flat());

/** `dst = imm` (64-bit). */
export const movImm = (dst: number, imm: number) => ins(0xb7, dst, 0, 0, imm);
/** `dst = src` (64-bit). */
export const movReg = (dst: number, src: number) => ins(0xbf, dst, src);
/** `dst += imm`. */
export const addImm = (dst: number, imm: number) => ins(0x07, dst, 0, 0, imm);
/** `dst &= imm`. */
export const andImm = (dst: number, imm: number) => ins(0x57, dst, 0, 0, imm);
/** `*(u64 *)(dst + off) = src`. */
export const stxDw = (dst: number, off: number, src: number) => ins(0x7b, dst, src, off);
/** `*(u32 *)(dst + off) = imm`. */
export const stW = (dst: number, off: number, imm: number) => ins(0x62, dst, 0, off, imm);
/** `*(u64 *)(dst + off) = imm`. */
export const stDw = (dst: number, off: number, imm: number) => ins(0x7a, dst, 0, off, imm);
/** `dst = *(u64 *)(src + off)`. */
export const ldxDw = (dst: number, src: number, off: number) => ins(0x79, dst, src, off);
/** `dst = map_fd` (ld_imm64 with BPF_PSEUDO_MAP_FD): two instruction slots. */
export const ldMap = (dst: number, fd: number) => [...ins(0x18, dst, 1, 0, fd), ...ins(0, 0, 0, 0, 0)];
/** `call helper`. */
export const call = (helper: number) => ins(0x85, 0, 0, 0, helper);
/** `if dst == imm goto +off`. */
export const jeqImm = (dst: number, imm: number, off: number) => ins(0x15, dst, 0, off, imm);
/** `if dst != imm goto +off`. */
export const jneImm = (dst: number, imm: number, off: number) => ins(0x55, dst, 0, off, imm);
/** `goto +off`. */
export const ja = (off: number) => ins(0x05, 0, 0, off);
/** `lock *(u64 *)(dst + off) += src` with fetch: src receives the old value. */
export const fetchAdd = (dst: number, off: number, src: number) => ins(0xdb, dst, src, off, 0x01);
/** `exit`. */
export const exit = () => ins(0x95);

/** Helper ids. */
export const H = {
  map_lookup_elem: 1,
  perf_event_output: 25,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  user_ringbuf_drain: 209,
} as const;

/** A jump to a label, resolved by {@link assemble}. */
export interface Jump {
  op: number;
  dst: number;
  imm: number;
  target: string;
}

/** An instruction (bytes), a jump, or a label (a string). */
export type Item = number[] | Jump | string;

/** `if dst == imm goto label` (and friends: pass the opcode). */
export const jmp = (op: number, dst: number, imm: number, target: string): Jump => ({ op, dst, imm, target });
/** `goto label`. */
export const goto = (target: string): Jump => ({ op: 0x05, dst: 0, imm: 0, target });

/** Lays out items, resolving jump labels to slot offsets. */
export function assemble(items: Item[]): Uint8Array {
  const labels = new Map<string, number>();
  let slot = 0;
  for (const it of items) {
    if (typeof it === 'string') labels.set(it, slot);
    else slot += Array.isArray(it) ? it.length / 8 : 1;
  }
  const out: number[] = [];
  for (const it of items) {
    if (typeof it === 'string') continue;
    if (Array.isArray(it)) out.push(...it);
    else {
      const to = labels.get(it.target);
      if (to === undefined) throw new Error(`no label ${it.target}`);
      out.push(...ins(it.op, it.dst, 0, to - (out.length / 8 + 1), it.imm));
    }
  }
  return new Uint8Array(out);
}

/** `dst = imm` as a 32-bit move (zero-extends: 0xffffffff stays 32-bit). */
export const movImm32 = (dst: number, imm: number) => ins(0xb4, dst, 0, 0, imm);
/** `lock *(u64 *)(dst + off) += src` (no fetch). */
export const atomicAdd = (dst: number, off: number, src: number) => ins(0xdb, dst, src, off, 0);
