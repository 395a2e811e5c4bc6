import { assemble } from './assemble.js';
import { disassemble } from './disassemble.js';
import { formatInstruction } from './format.js';
import { calledHelper } from './helpers.js';
import type { Instruction } from './instruction.js';
import { LD_IMM64 } from './opcodes.js';

function hex(bytes: Uint8Array, from: number, to: number): string {
  const parts: string[] = [];
  for (let i = from; i < to; i++) parts.push(bytes[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/**
 * A human-readable listing: slot number, encoded bytes and text of every instruction,
 * with jump targets turned into labels (`L<slot>:`) and helper calls annotated with the
 * helper name. Map names must resolve (`maps` option), or pass the instructions unresolved
 * and they are shown with fd 0.
 */
export function listing(insns: readonly Instruction[]): string {
  const bytes = assemble(insns, { maps: () => 0 });
  const labelled = disassemble(bytes, { labels: true });
  const slots: number[] = [];
  const names = new Map<number, string>();
  let slot = 0;
  insns.forEach((insn, i) => {
    slots.push(slot);
    if (insn.label !== undefined) names.set(slot, insn.label);
    slot += insn.code === LD_IMM64 ? 2 : 1;
    const t = labelled[i]!.target;
    if (t !== undefined && insns[i]!.target === undefined) {
      const s = Number(t.slice(1));
      if (!names.has(s)) names.set(s, t);
    }
  });
  const lines: string[] = [];
  labelled.forEach((decoded, i) => {
    const at = slots[i]!;
    const name = names.get(at);
    if (name !== undefined) lines.push(`${name}:`);
    const original = insns[i]!;
    let shown: Instruction = original;
    if (decoded.target !== undefined && original.target === undefined) {
      const target = names.get(Number(decoded.target.slice(1)))!;
      shown = { ...decoded, label: undefined, target } as Instruction;
    }
    let text = formatInstruction(shown);
    const h = calledHelper(decoded);
    if (h) text += ` // bpf_${h.name}`;
    const size = decoded.code === LD_IMM64 ? 16 : 8;
    lines.push(`${String(at).padStart(5)}: ${hex(bytes, at * 8, at * 8 + size).padEnd(47)}  ${text}`);
  });
  return `${lines.join('\n')}\n`;
}
