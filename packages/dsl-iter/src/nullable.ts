import { formatInstruction, type Instruction } from '@ts-ebpf/dsl';
import { UncheckedPointerError } from './errors.js';
import type { IterContext } from './targets.js';

/** What a register holds, as far as nullable context pointers go. */
type State =
  | { readonly k: 'ctx' }
  | { readonly k: 'maybe-null'; readonly field: string; readonly id: number }
  | { readonly k: 'checked'; readonly field: string; readonly id: number }
  | undefined;

type Regs = readonly State[];

const CLASS_LDX = 1;
const CLASS_ST = 2;
const CLASS_STX = 3;
const CLASS_ALU = 4;
const CLASS_JMP = 5;
const CLASS_JMP32 = 6;
const CLASS_ALU64 = 7;
const MODE_MEM = 0x60;
const MODE_MEMSX = 0x80;
const MODE_ATOMIC = 0xc0;

function same(a: State, b: State): boolean {
  if (a === b) return true;
  if (!a || !b || a.k !== b.k) return false;
  return a.k === 'ctx' || (a as { id: number }).id === (b as { id: number }).id;
}

/** Where paths meet: a pointer unchecked on one path stays unchecked. */
function join(a: Regs, b: Regs): Regs {
  return a.map((s, r) => {
    const t = b[r];
    if (same(s, t)) return s;
    if (s?.k === 'maybe-null') return s;
    if (t?.k === 'maybe-null') return t;
    return undefined;
  });
}

function equal(a: Regs, b: Regs): boolean {
  return a.every((s, r) => same(s, b[r]));
}

function set(regs: Regs, r: number, s: State): Regs {
  const out = [...regs];
  out[r] = s;
  return out;
}

/** After `if rX == 0` is known false: every copy of that pointer is checked. */
function markChecked(regs: Regs, id: number): Regs {
  return regs.map((s) => (s?.k === 'maybe-null' && s.id === id ? { k: 'checked', field: s.field, id } : s));
}

/** Successor instruction indexes with the register states on each edge. */
function step(
  insns: readonly Instruction[],
  i: number,
  regs: Regs,
  context: IterContext,
  targetIndex: (i: number) => number,
): [number, Regs][] {
  const insn = insns[i]!;
  const cls = insn.code & 7;
  const fail = (r: number, what: string): never => {
    const s = regs[r] as { field: string };
    throw new UncheckedPointerError(s.field, i, `${what}: ${formatInstruction(insn)}`);
  };
  const isMaybeNull = (r: number): boolean => regs[r]?.k === 'maybe-null';
  const next = (r: Regs): [number, Regs][] => [[i + 1, r]];
  if (insn.code === 0x18) return next(set(regs, insn.dst, undefined)); // ld_imm64
  if (cls === CLASS_LDX) {
    const mode = insn.code & 0xe0;
    if ((mode === MODE_MEM || mode === MODE_MEMSX) && isMaybeNull(insn.src))
      fail(insn.src, 'a load through it');
    if (regs[insn.src]?.k === 'ctx') {
      const f = Object.values(context.fields).find((x) => x.offset === insn.off);
      if (f && f.kind === 'pointer' && f.nullable)
        return next(set(regs, insn.dst, { k: 'maybe-null', field: f.name, id: i }));
    }
    return next(set(regs, insn.dst, undefined));
  }
  if (cls === CLASS_ST || cls === CLASS_STX) {
    if (isMaybeNull(insn.dst)) fail(insn.dst, 'a store through it');
    if ((insn.code & 0xe0) === MODE_ATOMIC && cls === CLASS_STX && insn.imm & 1) {
      // atomic fetch: the source register receives the old value (cmpxchg: R0)
      return next(set(regs, insn.imm === 0xf1 ? 0 : insn.src, undefined));
    }
    return next(regs);
  }
  if (cls === CLASS_ALU || cls === CLASS_ALU64) {
    const op = insn.code & 0xf0;
    const fromReg = (insn.code & 0x08) !== 0;
    if (cls === CLASS_ALU64 && op === 0xb0 && fromReg && insn.off === 0)
      return next(set(regs, insn.dst, regs[insn.src]));
    if (isMaybeNull(insn.dst) && op !== 0xb0) fail(insn.dst, 'arithmetic on it');
    return next(set(regs, insn.dst, undefined));
  }
  if (cls === CLASS_JMP || cls === CLASS_JMP32) {
    const op = insn.code & 0xf0;
    if (op === 0x90) return []; // exit
    if (op === 0x80) {
      // call: R1–R5 are clobbered, R0 is the result; a bpf-to-bpf call is checked from the caller only
      const out = [...regs];
      for (let r = 0; r <= 5; r++) out[r] = undefined;
      return next(out);
    }
    if (op === 0x00) return [[targetIndex(i), regs]]; // ja, gotol
    const fromReg = (insn.code & 0x08) !== 0;
    const s = regs[insn.dst];
    if (cls === CLASS_JMP && !fromReg && insn.imm === 0 && s?.k === 'maybe-null') {
      if (op === 0x10)
        return [
          [targetIndex(i), regs],
          [i + 1, markChecked(regs, s.id)],
        ]; // if rX == 0
      if (op === 0x50)
        return [
          [targetIndex(i), markChecked(regs, s.id)],
          [i + 1, regs],
        ]; // if rX != 0
    }
    return [
      [targetIndex(i), regs],
      [i + 1, regs],
    ];
  }
  return next(regs);
}

/**
 * Refuses, with {@link UncheckedPointerError} naming the context field, a program that loads
 * or stores through a maybe-NULL context pointer (or does arithmetic on it) on some path
 * before comparing it with 0 — as the verifier would, but before loading, and naming the
 * field. The context is in R1 at the start; copies (`rY = rX`) are followed, helper calls
 * clobber R1–R5. Only the main program is walked: subprograms get no context pointer.
 */
export function checkNullablePointers(insns: readonly Instruction[], context: IterContext): void {
  const labels = new Map<string, number>();
  const slotIndex = new Map<number, number>();
  let slot = 0;
  insns.forEach((insn, i) => {
    if (insn.label !== undefined) labels.set(insn.label, i);
    slotIndex.set(slot, i);
    slot += insn.code === 0x18 ? 2 : 1;
  });
  const slots: number[] = [];
  slot = 0;
  for (const insn of insns) {
    slots.push(slot);
    slot += insn.code === 0x18 ? 2 : 1;
  }
  const targetIndex = (i: number): number => {
    const insn = insns[i]!;
    if (insn.target !== undefined) return labels.get(insn.target) ?? insns.length;
    const off = insn.code === 0x06 ? insn.imm : insn.off; // gotol keeps its offset in imm
    return slotIndex.get(slots[i]! + 1 + off) ?? insns.length;
  };
  const entry: Regs = Array.from({ length: 11 }, (_, r) => (r === 1 ? { k: 'ctx' } : undefined));
  const states = new Map<number, Regs>([[0, entry]]);
  const work = [0];
  let budget = insns.length * 64 + 1024;
  while (work.length > 0 && budget-- > 0) {
    const i = work.pop()!;
    if (i >= insns.length) continue;
    for (const [to, out] of step(insns, i, states.get(i)!, context, targetIndex)) {
      const old = states.get(to);
      const merged = old ? join(old, out) : out;
      if (old && equal(old, merged)) continue;
      states.set(to, merged);
      work.push(to);
    }
  }
}
