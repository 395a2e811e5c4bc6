import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { AssemblyError } from './errors.js';
import { formatInstructionWithHelperName } from './format.js';
import { findHelper, nearestHelperName } from './helpers.js';
import type { Instruction } from './instruction.js';
import { KIND_OF, Kind } from './kinds.js';
import { LD_IMM64 } from './opcodes.js';
import { validateInstruction } from './validate.js';

/** Resolves map names used by `ld_imm64` map loads to file descriptors. */
export type MapResolver =
  | ((name: string) => number | { readonly fd: number } | undefined)
  | Readonly<Record<string, number | { readonly fd: number }>>;

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /**
   * Byte order of the output: `'little'` for `bpfel` (x86, arm64), `'big'` for `bpfeb`
   * (s390x). Default {@link HOST_BYTE_ORDER}, the order the running kernel loads.
   */
  readonly byteOrder?: ByteOrder;
  /** Binds map names to file descriptors. */
  readonly maps?: MapResolver;
}

function fail(reason: string, index: number, insn: Instruction): never {
  throw new AssemblyError(reason, index, formatInstructionWithHelperName(insn));
}

function resolveMap(maps: MapResolver | undefined, name: string, index: number, insn: Instruction): number {
  const found = typeof maps === 'function' ? maps(name) : maps?.[name];
  const fd = typeof found === 'object' && found !== null ? found.fd : found;
  if (fd === undefined) fail(`map '${name}' is not resolved (pass it in the maps option)`, index, insn);
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff)
    fail(`map '${name}' resolved to bad fd ${fd}`, index, insn);
  return fd;
}

function resolveTarget(labels: Map<string, number> | undefined, insn: Instruction, index: number): number {
  const slot = labels?.get(insn.target!);
  if (slot !== undefined) return slot;
  // Suggested as it was written: `call bpf_map_lookup_elm` (the text syntax) gets the bpf_ prefix.
  const prefix = insn.target!.startsWith('bpf_') ? 'bpf_' : '';
  const hint = findHelper(insn.target!)
    ? ''
    : `; for a helper call, did you mean '${prefix}${nearestHelperName(insn.target!)}'?`;
  return fail(`undefined label '${insn.target}'${KIND_OF[insn.code] === Kind.CALL ? hint : ''}`, index, insn);
}

/** Validates every instruction and maps labels to their slot numbers. */
function firstPass(insns: readonly Instruction[]): {
  slots: number;
  labels: Map<string, number> | undefined;
  refs: boolean;
} {
  let slots = 0;
  let labels: Map<string, number> | undefined;
  let refs = false;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (typeof insn !== 'object' || insn === null || Array.isArray(insn)) {
      throw new AssemblyError('not an instruction (nested fragments go through program)', i, String(insn));
    }
    const reason = validateInstruction(insn);
    if (reason !== undefined) fail(reason, i, insn);
    if (insn.label !== undefined) {
      labels ??= new Map();
      if (labels.has(insn.label)) fail(`duplicate label '${insn.label}'`, i, insn);
      labels.set(insn.label, slots);
    }
    if (insn.target !== undefined || insn.map !== undefined) refs = true;
    slots += insn.code === LD_IMM64 ? 2 : 1;
  }
  return { slots, labels, refs };
}

/**
 * Encodes instructions into bytes (8 per slot, 16 for `ld_imm64`). Validates every
 * instruction first, resolves labels (counting `ld_imm64` as two slots) and map names.
 * Throws {@link AssemblyError} naming the instruction index and text.
 */
export function assemble(insns: readonly Instruction[], options: AssembleOptions = {}): Uint8Array {
  if (!Array.isArray(insns)) {
    const given = typeof insns === 'string' ? 'text (parse it with parse or bpf``)' : `a ${typeof insns}`;
    throw new AssemblyError(`assemble takes an array of instructions, not ${given}`);
  }
  const { slots, labels, refs } = firstPass(insns);
  const out = new Uint8Array(slots * 8);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const little = (options.byteOrder ?? HOST_BYTE_ORDER) === 'little';
  let p = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const code = insn.code;
    let off = insn.off;
    let imm = insn.imm;
    if (refs) {
      if (insn.target !== undefined) {
        const rel = resolveTarget(labels, insn, i) - (p >> 3) - 1;
        const kind = KIND_OF[code];
        if (kind === Kind.JA || kind === Kind.JCOND) {
          if (rel < -0x8000 || rel > 0x7fff)
            fail(`jump to '${insn.target}' (${rel}) does not fit 16 bits`, i, insn);
          off = rel;
        } else imm = rel;
      }
      if (insn.map !== undefined) imm = resolveMap(options.maps, insn.map, i, insn);
    }
    out[p] = code;
    out[p + 1] = little ? (insn.src << 4) | insn.dst : (insn.dst << 4) | insn.src;
    view.setInt16(p + 2, off, little);
    view.setInt32(p + 4, imm, little);
    if (code === LD_IMM64) {
      view.setInt32(p + 12, insn.imm2 ?? 0, little);
      p += 16;
    } else p += 8;
  }
  return out;
}
