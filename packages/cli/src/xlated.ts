import type { Btf } from '@ts-ebpf/btf';
import {
  Class,
  disassemble,
  formatInstruction,
  type Instruction,
  JmpOp,
  LD_IMM64,
  PseudoCall,
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

/** What names the calls of translated code: read only when a call needs it. */
export interface XlatedNames {
  /** The kernel's symbols (helpers, and JIT-compiled functions). */
  readonly symbols: () => KernelSymbols;
  /**
   * The address of each JIT-compiled function of the program, by subprogram index (the
   * kernel's `jited_ksyms`); undefined when the program is not JIT-compiled or the kernel
   * withheld them.
   */
  readonly functions: () => readonly bigint[] | undefined;
  /** The kernel's BTF, which names kfuncs by id. */
  readonly kernelBtf: () => Btf;
}

/**
 * Prints translated instructions. The kernel hands them out with map pointers replaced by map
 * ids (`map[id:12]`), helper calls as offsets from `__bpf_call_base` (named from the kernel's
 * symbols), bpf-to-bpf calls with the pc-relative offset in `off` and the subprogram's index in
 * `imm` (`call pc+8`, named by the JIT-compiled function's symbol:
 * `call pc+8#bpf_prog_715e0f2e5866e0b2_f1`), and kfunc calls like helper calls, or with the
 * kfunc's vmlinux BTF id where the JIT calls far (`call bpf_rcu_read_lock#303856`). A call it cannot name is printed with its raw
 * number and says why. Instructions only the kernel uses internally are printed as
 * `<invalid …>`, never dropped.
 */
export function xlatedListing(code: Uint8Array, names: XlatedNames): XlatedLine[] {
  const insns = disassemble(code, { byteOrder: HOST_BYTE_ORDER, allowInvalid: true });
  const lines: XlatedLine[] = [];
  let pc = 0;
  for (const insn of insns) {
    lines.push({ pc, opcode: insn.code, text: text(insn, names) });
    pc += insn.code === LD_IMM64 ? 2 : 1;
  }
  return lines;
}

function text(insn: Instruction, names: XlatedNames): string {
  if (insn.code === NOSPEC) return 'nospec';
  if (insn.code === LD_IMM64 && (insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_VALUE)) {
    return formatInstruction({ ...insn, map: `id:${insn.imm}` } as Instruction);
  }
  if (insn.code === CALL && insn.src === PseudoCall.HELPER) {
    return `call ${helperName(insn.imm, names.symbols())}`;
  }
  if (insn.code === CALL && insn.src === PseudoCall.CALL) return `call ${subprogramCall(insn, names)}`;
  if (insn.code === CALL && insn.src === PseudoCall.KFUNC && insn.off === 0) {
    return `call ${kfuncName(insn.imm, names)}`;
  }
  return formatInstruction(insn);
}

/**
 * A bpf-to-bpf call's target: `pc+8` (the offset the kernel keeps in `off`), then the symbol of
 * the JIT-compiled subprogram `imm` (`#bpf_prog_<tag>_<name>`), or its address when no symbol
 * is there. An interpreted program's subprograms have no address: the offset alone.
 */
function subprogramCall(insn: Instruction, names: XlatedNames): string {
  const pcRelative = `pc${insn.off < 0 ? '' : '+'}${insn.off}`;
  const address = names.functions()?.[insn.imm];
  if (address === undefined || address === 0n) return pcRelative;
  const symbol = names.symbols().at(address);
  return `${pcRelative}#${symbol ?? `0x${address.toString(16)}`}`;
}

/**
 * A kfunc call's target. Where the JIT cannot reach every kernel address from a call (x86-64),
 * the verifier replaces the kfunc's BTF id in `imm` by its offset from `__bpf_call_base`, as
 * for a helper, and the kernel's symbols name it; elsewhere `imm` keeps the kfunc's vmlinux BTF
 * id, and the kernel's BTF names it.
 */
function kfuncName(imm: number, names: XlatedNames): string {
  const symbols = names.symbols();
  if (symbols.callBase !== undefined) {
    const name = symbols.at(symbols.callBase + BigInt(imm));
    if (name !== undefined) return `${name}#${imm}`;
  }
  let btf: Btf;
  try {
    btf = names.kernelBtf();
  } catch (e) {
    return `kfunc#${imm} (kfunc unresolved: not a kernel symbol's offset, and no kernel BTF: ${(e as Error).message})`;
  }
  if (imm > 0 && imm < btf.typeCount && btf.kindOf(imm) === 'func') return `${btf.nameOf(imm)}#${imm}`;
  return `kfunc#${imm} (kfunc unresolved: neither a kernel symbol's offset from __bpf_call_base nor a vmlinux BTF function id)`;
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
