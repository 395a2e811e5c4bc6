import {
  type AssembleOptions,
  assemble,
  disassemble,
  formatInstructionWithHelperName,
  type Instruction,
  LD_IMM64,
  type MapResolver,
} from '@ts-ebpf/dsl';
import { BpfArgumentError } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { ExtInfoLocation } from './source-location.js';

/** What `Program.load` accepts as code: encoded bytes (8 per slot) or `@ts-ebpf/dsl` instructions. */
export type ProgramCode = Uint8Array | readonly Instruction[];

/** Encoded code plus what is needed to map a slot back to the instruction it came from. */
export interface EncodedCode {
  /** The bytes given to the kernel. */
  readonly bytes: Uint8Array;
  /** The dsl instructions, when the code came as instructions. */
  readonly instructions?: readonly Instruction[];
  /** For each slot, the index of the dsl instruction occupying it (ld_imm64 takes 2 slots). */
  readonly slotToIndex?: Int32Array;
}

/**
 * Where a verifier-reported slot lands in the program the caller wrote: for `@ts-ebpf/dsl`
 * instructions their index and nearest label; for a load given func_info and line_info (a
 * program from a clang object) the function it falls in and its C source line.
 */
export interface InstructionLocation extends ExtInfoLocation {
  /** The kernel's instruction (slot) index. */
  readonly slot: number;
  /** Index in the dsl instruction array (same as slot for raw bytes). */
  readonly index: number;
  /** The nearest label at or before this instruction, with the distance from it. */
  readonly label?: string;
  /** Instructions after `label` (0 when the instruction itself carries it). */
  readonly labelOffset?: number;
  /**
   * The instruction in verifier syntax (disassembled when the code came as bytes); a helper call
   * names its helper as the kernel's log does (`call bpf_probe_read_kernel#113`).
   */
  readonly text?: string;
}

/** True for a dsl instruction array (as opposed to encoded bytes). */
function isInstructions(code: ProgramCode): code is readonly Instruction[] {
  return Array.isArray(code);
}

/**
 * Encodes program code: bytes pass through (checked to be whole slots), dsl instructions
 * are assembled with `assemble` in the host's byte order using the given map resolver.
 * @param subject - names the program in errors (`"instructions of program 'xdp_pass'"`)
 * @throws BpfArgumentError for text, an empty program, or bytes that are not whole 8-byte slots
 */
export function encodeCode(code: ProgramCode, maps?: MapResolver, subject = 'instructions'): EncodedCode {
  if (!isInstructions(code)) {
    const given = code as unknown;
    if (typeof given === 'string') {
      const start = given.trim().split('\n')[0]!.slice(0, 40);
      throw new BpfArgumentError(
        subject,
        `got text ('${start}'), not instructions: assemble it with the @ts-ebpf/dsl \`bpf\` template tag or parse() first`,
      );
    }
    if (!(given instanceof Uint8Array))
      throw new BpfArgumentError(
        subject,
        `expected encoded bytes (a Uint8Array) or an array of @ts-ebpf/dsl instructions, got ${given === null ? 'null' : typeof given}`,
      );
    if (given.byteLength === 0) throw new BpfArgumentError(subject, 'the program is empty (0 bytes)');
    if (given.byteLength % 8 !== 0)
      throw new BpfArgumentError(
        subject,
        `${given.byteLength} bytes is not a multiple of 8 (one instruction slot is 8 bytes; ${given.byteLength % 8} bytes left over)`,
      );
    return { bytes: given };
  }
  if (code.length === 0) throw new BpfArgumentError(subject, 'the program has no instructions');
  const options: AssembleOptions = { byteOrder: HOST_BYTE_ORDER, ...(maps !== undefined && { maps }) };
  const bytes = assemble(code, options);
  const slotToIndex = new Int32Array(bytes.byteLength / 8);
  let slot = 0;
  code.forEach((insn, i) => {
    slotToIndex[slot++] = i;
    if (insn.code === LD_IMM64) slotToIndex[slot++] = i;
  });
  return { bytes, instructions: code, slotToIndex };
}

/** The instruction at `slot` of encoded bytes (two slots for an ld_imm64), disassembled. */
function instructionAt(bytes: Uint8Array, slot: number): Instruction {
  const at = slot * 8;
  const end = bytes[at] === LD_IMM64 ? at + 16 : at + 8;
  return disassemble(bytes.subarray(at, end), { byteOrder: HOST_BYTE_ORDER, allowInvalid: true })[0]!;
}

/** Maps a kernel slot index back to the caller's instruction (index, label, text). */
export function locateSlot(code: EncodedCode, slot: number): InstructionLocation {
  const { instructions, slotToIndex } = code;
  if (!Number.isInteger(slot) || slot < 0 || slot * 8 >= code.bytes.byteLength) return { slot, index: slot };
  if (!instructions || !slotToIndex)
    return { slot, index: slot, text: formatInstructionWithHelperName(instructionAt(code.bytes, slot)) };
  const index = slotToIndex[slot]!;
  const insn = instructions[index]!;
  let labelAt = -1;
  for (let i = index; i >= 0; i--) {
    if (instructions[i]!.label !== undefined) {
      labelAt = i;
      break;
    }
  }
  const text = formatInstructionWithHelperName(insn);
  if (labelAt < 0) return { slot, index, text };
  return { slot, index, text, label: instructions[labelAt]!.label!, labelOffset: index - labelAt };
}
