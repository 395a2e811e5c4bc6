import {
  Class,
  disassemble,
  formatInstruction,
  type Instruction,
  JmpOp,
  LD_IMM64,
  PseudoLd,
} from '@ts-ebpf/dsl';
import { BpfFunc, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { KernelSymbols } from './kallsyms.js';

/** One translated instruction as `prog dump xlated` prints it. */
export interface XlatedLine {
  /** Its slot (an `ld_imm64` takes two). */
  readonly pc: number;
  /** The opcode byte. */
  readonly opcode: number;
  /** The instruction in verifier syntax, with map ids and helper names. */
  readonly text: string;
}

const CALL = Class.JMP | JmpOp.CALL;
/** `BPF_ST | BPF_NOSPEC`: a speculation barrier the verifier inserts. */
const NOSPEC = 0xc2;

/**
 * Prints translated instructions. The kernel hands them out with map pointers replaced by map
 * ids (`map[id:12]`) and helper calls as offsets from `__bpf_call_base`, which `symbols` turns
 * back into names; a call it cannot resolve is printed with its raw offset and says so.
 * Instructions only the kernel uses internally are printed as `<invalid …>`, never dropped.
 */
export function xlatedListing(code: Uint8Array, symbols: () => KernelSymbols): XlatedLine[] {
  const insns = disassemble(code, { byteOrder: HOST_BYTE_ORDER, allowInvalid: true });
  const lines: XlatedLine[] = [];
  let pc = 0;
  for (const insn of insns) {
    lines.push({ pc, opcode: insn.code, text: text(insn, symbols) });
    pc += insn.code === LD_IMM64 ? 2 : 1;
  }
  return lines;
}

function text(insn: Instruction, symbols: () => KernelSymbols): string {
  if (insn.code === NOSPEC) return 'nospec';
  if (insn.code === LD_IMM64 && (insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_VALUE)) {
    return formatInstruction({ ...insn, map: `id:${insn.imm}` } as Instruction);
  }
  if (insn.code === CALL && insn.src === 0) return `call ${helperName(insn.imm, symbols())}`;
  return formatInstruction(insn);
}

/** A helper call's target: the kernel symbol at `__bpf_call_base + imm`. */
function helperName(imm: number, symbols: KernelSymbols): string {
  if (symbols.callBase !== undefined) {
    const name = symbols.at(symbols.callBase + BigInt(imm));
    if (name !== undefined) return `${name}#${imm}`;
  }
  // A tail call is dumped as a call with the helper's id (not an offset).
  if (imm === BpfFunc.tail_call) return 'bpf_tail_call';
  return `${imm} (helper address unresolved: __bpf_call_base not in /proc/kallsyms for this process)`;
}

/** `0x62`-style opcode. */
export function opcodeHex(code: number): string {
  return code.toString(16).padStart(2, '0');
}
