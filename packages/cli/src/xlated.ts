import type { Btf } from '@ts-ebpf/btf';
import { Class, type Instruction, JmpOp, LD_IMM64, PseudoCall } from '@ts-ebpf/dsl';
import type { KernelSymbolTable } from '@ts-ebpf/syscall';
import { findHelper } from '@ts-ebpf/uapi';
import { kernelSyntax } from './kernel-syntax.js';

/** One translated instruction as `prog dump xlated` prints it. */
export interface XlatedLine {
  /** Its slot (an `ld_imm64` takes two). */
  readonly pc: number;
  /** The opcode byte. */
  readonly opcode: number;
  /** The instruction in verifier syntax, with map ids and helper names. */
  readonly text: string;
  /** The prototype of the function that starts here (`int f1(int x)`), when its BTF says. */
  readonly proto?: string;
  /** The source line whose instructions start here (leading white space taken off), when its BTF says. */
  readonly src?: string;
}

/** What heads instructions in a listing, from the program's BTF (func_info and line_info). */
export interface XlatedAnnotations {
  /** Each function's prototype, by the pc of its first instruction. */
  readonly prototypes: ReadonlyMap<number, string>;
  /** The source line records in pc order, each with the pc its instructions start at. */
  readonly lines: readonly { readonly pc: number; readonly text: string }[];
}

/** What names the calls of translated code: read only when a call needs it. */
export interface XlatedNames {
  /** The kernel's symbols (helpers, and JIT-compiled functions). */
  readonly symbols: () => KernelSymbolTable;
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
 * Prints translated instructions (`Program.instructions()`), in the kernel's syntax as `bpftool prog dump xlated` does
 * (`r0 = *(u32 *)(r1 +0)`, `if r1 == 0x1 goto pc+1`). The kernel hands them out with map pointers replaced by map
 * ids (`map[id:12]`), helper calls as offsets from `__bpf_call_base` (named from the kernel's
 * symbols), bpf-to-bpf calls with the pc-relative offset in `off` and the subprogram's index in
 * `imm` (`call pc+8`, named by the JIT-compiled function's symbol:
 * `call pc+8#bpf_prog_715e0f2e5866e0b2_f1`), and kfunc calls like helper calls, or with the
 * kfunc's vmlinux BTF id where the JIT calls far (`call bpf_rcu_read_lock#303856`). A call it cannot name is printed with its raw
 * number and says why. An encoding the kernel has no text for is printed as it prints it
 * (`BUG_…`), never dropped. With `annotations` (the program's func_info and line_info), the
 * first instruction of each function carries its prototype and of each source line its text.
 */
export function xlatedListing(
  insns: readonly Instruction[],
  names: XlatedNames,
  annotations?: XlatedAnnotations,
): XlatedLine[] {
  const lines: XlatedLine[] = [];
  const source = sourceLines(annotations?.lines ?? []);
  let pc = 0;
  for (const insn of insns) {
    const proto = annotations?.prototypes.get(pc);
    const src = source(pc);
    lines.push({
      pc,
      opcode: insn.code,
      text: text(insn, names),
      ...(proto !== undefined && { proto }),
      ...(src !== undefined && { src }),
    });
    pc += insn.code === LD_IMM64 ? 2 : 1;
  }
  return lines;
}

/**
 * The source line printed before the instruction at each pc, asked in pc order, as bpftool picks
 * it: when the first record not yet counted starts at or before the pc, the last record that
 * starts there is printed and one record more counts as printed. Records start at distinct pcs
 * (the verifier sees to it) and each is printed at its own pc; were two at one pc, the later
 * would be printed there and again at the next instruction, as bpftool prints them.
 */
function sourceLines(records: XlatedAnnotations['lines']): (pc: number) => string | undefined {
  let next = 0;
  return (pc) => {
    if (next >= records.length || records[next]!.pc > pc) return undefined;
    let last = next;
    while (last + 1 < records.length && records[last + 1]!.pc <= pc) last++;
    next++;
    return records[last]!.text;
  };
}

function text(insn: Instruction, names: XlatedNames): string {
  const cls = insn.code & 0x07;
  if ((insn.code & 0xf0) !== JmpOp.CALL || (cls !== Class.JMP && cls !== Class.JMP32))
    return kernelSyntax(insn);
  if (insn.src === PseudoCall.CALL) return `call ${subprogramCall(insn, names)}`;
  if (insn.src === PseudoCall.KFUNC) return `call ${kfuncName(insn, names)}`;
  return `call ${helperName(insn.imm, names.symbols())}`;
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
  const symbol = symbolStartingAt(names.symbols(), address);
  return `${pcRelative}#${symbol ?? `0x${address.toString(16)}`}`;
}

/**
 * A kfunc call's target. Where the JIT cannot reach every kernel address from a call (x86-64),
 * the verifier replaces the kfunc's BTF id in `imm` by its offset from `__bpf_call_base`, as
 * for a helper, and the kernel's symbols name it; elsewhere `imm` keeps the kfunc's vmlinux BTF
 * id, and the kernel's BTF names it.
 */
function kfuncName({ imm, off }: Instruction, names: XlatedNames): string {
  const symbols = names.symbols();
  const base = callBase(symbols);
  if (base !== undefined) {
    const name = symbolStartingAt(symbols, base + BigInt(imm));
    if (name !== undefined) return `${name}#${imm}`;
  }
  // a kfunc of a module (off: its BTF's index in the fd array) has an id in the module's BTF
  if (off !== 0)
    return `kfunc#${imm} (kfunc unresolved: not a kernel symbol's offset, and its id is in a module's BTF)`;
  let btf: Btf;
  try {
    btf = names.kernelBtf();
  } catch (e) {
    return `kfunc#${imm} (kfunc unresolved: not a kernel symbol's offset, and no kernel BTF: ${(e as Error).message})`;
  }
  if (imm > 0 && imm < btf.typeCount && btf.kindOf(imm) === 'func') return `${btf.nameOf(imm)}#${imm}`;
  return `kfunc#${imm} (kfunc unresolved: neither a kernel symbol's offset from __bpf_call_base nor a vmlinux BTF function id)`;
}

/**
 * A helper call's target, as the kernel names it: an `imm` that is a helper's id by the helper
 * (`bpf_tail_call#12`: a tail call is handed out with its id), any other by the kernel symbol at
 * `__bpf_call_base + imm`.
 */
function helperName(imm: number, symbols: KernelSymbolTable): string {
  const helper = findHelper(imm);
  if (helper !== undefined) return `bpf_${helper.name}#${imm}`;
  const base = callBase(symbols);
  if (base === undefined)
    return `${imm} (helper address unresolved: __bpf_call_base not in /proc/kallsyms for this process)`;
  const name = symbolStartingAt(symbols, base + BigInt(imm));
  if (name !== undefined) return `${name}#${imm}`;
  return `${imm} (helper address unresolved: no kernel symbol at __bpf_call_base${imm < 0 ? '' : '+'}${imm})`;
}

const callBases = new WeakMap<KernelSymbolTable, bigint | undefined>();

/**
 * The address helper-call immediates of translated code are relative to (`__bpf_call_base`);
 * undefined when the table hides its addresses or lacks it. Searched once per table.
 */
function callBase(symbols: KernelSymbolTable): bigint | undefined {
  if (!callBases.has(symbols))
    callBases.set(symbols, symbols.hidden ? undefined : symbols.addresses('__bpf_call_base')[0]);
  return callBases.get(symbols);
}

/** The name of the kernel symbol starting exactly at `address` (a call target is a function's first byte). */
function symbolStartingAt(symbols: KernelSymbolTable, address: bigint): string | undefined {
  const symbol = symbols.symbolAt(address);
  return symbol?.offset === 0n ? symbol.name : undefined;
}

/** `0x62`-style opcode. */
export function opcodeHex(code: number): string {
  return code.toString(16).padStart(2, '0');
}
