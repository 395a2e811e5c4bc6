import { editDistance, findHelper, HELPER_SIGNATURES } from '@ts-ebpf/uapi';
import { AssemblyError } from './errors.js';
import type { HelperInfo } from './helper-types.js';
import type { Instruction } from './instruction.js';
import { Class, JmpOp, PseudoCall } from './opcodes.js';

export type { HelperInfo } from './helper-types.js';
export { editDistance, findHelper };

/** Every BPF helper with its C signature, in id order: `HELPER_SIGNATURES` of `@ts-ebpf/uapi`. */
export const HELPERS: readonly HelperInfo[] = HELPER_SIGNATURES;

/** The opcode of a call instruction (`BPF_JMP | BPF_CALL`). */
const CALL = Class.JMP | JmpOp.CALL;

/**
 * The helper a helper call (`call 113`: a call whose source is {@link PseudoCall.HELPER})
 * calls, or undefined for any other instruction and for an id that names no helper.
 */
export function calledHelper(insn: Instruction): HelperInfo | undefined {
  return insn.code === CALL && insn.src === PseudoCall.HELPER ? findHelper(insn.imm) : undefined;
}

/**
 * A helper as the kernel's verifier log and bpftool name it, with its id:
 * `bpf_get_socket_cookie#46`; for an id that names no known helper, `#<id>` after the word
 * the kernel's log uses there, `unknown#9999`.
 */
export function helperLabel(id: number): string {
  const h = findHelper(id);
  return `${h ? `bpf_${h.name}` : 'unknown'}#${id}`;
}

function bare(name: string): string {
  return name.startsWith('bpf_') ? name.slice(4) : name;
}

/** The known helper name closest to `name` by edit distance. */
export function nearestHelperName(name: string): string {
  const wanted = bare(name);
  let best = HELPERS[0]!.name;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const h of HELPERS) {
    const d = editDistance(wanted, h.name);
    if (d < bestDistance) {
      best = h.name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The helper with this id or name; throws an {@link AssemblyError} for an unknown one,
 * suggesting the nearest name for a misspelling.
 */
export function helper(idOrName: number | string): HelperInfo {
  const found = findHelper(idOrName);
  if (found) return found;
  if (typeof idOrName === 'number') throw new AssemblyError(`unknown helper id ${idOrName}`);
  throw new AssemblyError(`unknown helper '${idOrName}'; did you mean '${nearestHelperName(idOrName)}'?`);
}
