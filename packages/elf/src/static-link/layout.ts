/**
 * Where each input section goes in the output of {@link linkObjects}: allocated sections of one
 * name (a program section, `.text`, `.data`, `.rodata*`, `.bss`, `.maps`, `license` …) are
 * concatenated in input order, each part at its own alignment.
 */
import { type ElfSection, SectionFlag, SectionType, SymbolType } from '@ts-ebpf/elf-reader';
import { LinkError } from '../errors.js';
import type { LinkInput } from './inputs.js';

/** One input section's place in an output section. */
export interface Part {
  readonly input: LinkInput;
  readonly section: ElfSection;
  /** Its first byte in the output section. */
  readonly offset: number;
}

/** An output section and the input sections it is made of. */
export interface MergedSection {
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  addralign: number;
  size: number;
  readonly parts: Part[];
  /** Its index in the output (set when the output is laid out). */
  index: number;
}

/** Whether an input section is carried into the output (allocated contents: code, data, maps). */
export function isCarried(s: ElfSection): boolean {
  return (
    (s.type === SectionType.PROGBITS || s.type === SectionType.NOBITS) &&
    (s.flags & BigInt(SectionFlag.ALLOC)) !== 0n
  );
}

/** Whether an input section holds code. */
export function isCode(s: { flags: bigint }): boolean {
  return (s.flags & BigInt(SectionFlag.EXECINSTR)) !== 0n;
}

const alignUp = (n: number, a: number): number => (a > 1 ? Math.ceil(n / a) * a : n);

/**
 * Sections every object may have that the output holds once (as libbpf's linker keeps them):
 * the license and the kernel version, whose contents must then be the same in every object.
 */
export const SHARED_SECTIONS: ReadonlySet<string> = new Set(['license', 'version']);

/** Whether two byte ranges are equal. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The output sections and, by input and input section index, where each part lies. */
export class SectionLayout {
  /** Output sections in order of first appearance (empty ones no symbol is in left out). */
  readonly sections: MergedSection[] = [];
  readonly #parts = new Map<LinkInput, Map<number, Part & { merged: MergedSection }>>();

  /** @throws LinkError for sections of one name whose types or flags differ */
  constructor(inputs: readonly LinkInput[]) {
    const byName = new Map<string, MergedSection>();
    for (const input of inputs) {
      const mine = new Map<number, Part & { merged: MergedSection }>();
      this.#parts.set(input, mine);
      const symbolIn = new Set<number>();
      for (const sym of input.elf.symbols) if (sym.type !== SymbolType.SECTION) symbolIn.add(sym.section);
      for (const s of input.elf.sections) {
        if (!isCarried(s) || (s.size === 0 && !symbolIn.has(s.index))) continue;
        let merged = byName.get(s.name);
        if (!merged) {
          merged = { name: s.name, type: s.type, flags: s.flags, addralign: 1, size: 0, parts: [], index: 0 };
          byName.set(s.name, merged);
          this.sections.push(merged);
        } else if (merged.type !== s.type || merged.flags !== s.flags) {
          const first = merged.parts[0]!.input.name;
          throw new LinkError(
            `section ${s.name} of ${input.name} (type ${s.type}, flags 0x${s.flags.toString(16)}) differs from that of ${first} (type ${merged.type}, flags 0x${merged.flags.toString(16)})`,
            [input.name, first],
            s.name,
          );
        }
        if (SHARED_SECTIONS.has(s.name) && merged.parts.length > 0) {
          const first = merged.parts[0]!;
          if (!sameBytes(input.elf.data(s), first.input.elf.data(first.section)))
            throw new LinkError(
              `section ${s.name} of ${input.name} differs from that of ${first.input.name}: the linked object holds one`,
              [input.name, first.input.name],
              s.name,
            );
          const part = { input, section: s, offset: 0 };
          merged.parts.push(part);
          mine.set(s.index, { ...part, merged });
          continue;
        }
        const align = Math.max(1, s.addralign, isCode(s) ? 8 : 1);
        const offset = alignUp(merged.size, align);
        merged.addralign = Math.max(merged.addralign, align);
        merged.size = offset + s.size;
        const part = { input, section: s, offset };
        merged.parts.push(part);
        mine.set(s.index, { ...part, merged });
      }
    }
  }

  /** Where input section `index` of `input` went, or undefined when it is not carried. */
  part(input: LinkInput, index: number): (Part & { merged: MergedSection }) | undefined {
    return this.#parts.get(input)!.get(index);
  }

  /** The output section's contents: its parts' bytes at their offsets, zeros between (none for NOBITS). */
  contents(merged: MergedSection): Uint8Array {
    const out = new Uint8Array(merged.type === SectionType.NOBITS ? 0 : merged.size);
    if (merged.type !== SectionType.NOBITS)
      for (const p of merged.parts) out.set(p.input.elf.data(p.section), p.offset);
    return out;
  }
}
