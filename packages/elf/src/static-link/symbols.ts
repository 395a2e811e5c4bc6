/**
 * The symbol table and relocations of the output of {@link linkObjects}: one section symbol per
 * output section, each object's local symbols (so equal static names of two objects never
 * clash), then one symbol per global name; each relocation moved to its part's place, with the
 * addend an instruction or datum holds moved too when it is relative to a section symbol.
 */
import {
  SectionType,
  SHN_ABS,
  SHN_UNDEF,
  SymbolBind,
  type SymbolToWrite,
  SymbolType,
} from '@ts-ebpf/elf-reader';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { BpfReloc } from '../constants.js';
import { LinkError } from '../errors.js';
import type { LinkInput } from './inputs.js';
import type { MergedSection, SectionLayout } from './layout.js';
import { type GlobalSymbol, isGlobal, outputBind } from './resolve.js';

/** The output's symbols and the index each input symbol became (-1: none). */
export interface SymbolTable {
  /** Index 0 (the null symbol) first; locals, then globals. */
  readonly symbols: SymbolToWrite[];
  /** Output index of symbol `symbol` of `input` (-1 for a file symbol or one of a section left out). */
  index(input: LinkInput, symbol: number): number;
}

/** Builds the symbol table; output sections must have their indexes. */
export function buildSymbols(
  inputs: readonly LinkInput[],
  layout: SectionLayout,
  globals: ReadonlyMap<string, GlobalSymbol>,
): SymbolTable {
  const symbols: SymbolToWrite[] = [
    {
      name: '',
      bind: SymbolBind.LOCAL,
      type: SymbolType.NOTYPE,
      visibility: 0,
      section: 0,
      value: 0n,
      size: 0n,
    },
  ];
  const sectionSymbol = new Map<MergedSection, number>();
  for (const m of layout.sections) {
    sectionSymbol.set(m, symbols.length);
    symbols.push({
      name: '',
      bind: SymbolBind.LOCAL,
      type: SymbolType.SECTION,
      visibility: 0,
      section: m.index,
      value: 0n,
      size: 0n,
    });
  }
  const indexes = new Map<LinkInput, Int32Array>();
  for (const input of inputs) {
    const map = new Int32Array(input.elf.symbols.length).fill(-1);
    indexes.set(input, map);
    for (const sym of input.elf.symbols) {
      if (sym.index === 0) {
        map[0] = 0;
        continue;
      }
      if (isGlobal(sym) || sym.type === SymbolType.FILE) continue;
      const part = layout.part(input, sym.section);
      if (sym.type === SymbolType.SECTION) {
        if (part) map[sym.index] = sectionSymbol.get(part.merged)!;
        continue;
      }
      if (!part && sym.section !== SHN_ABS) continue;
      map[sym.index] = symbols.length;
      symbols.push({
        ...sym,
        section: part ? part.merged.index : sym.section,
        value: part ? sym.value + BigInt(part.offset) : sym.value,
      });
    }
  }
  for (const g of globals.values()) {
    const at = symbols.length;
    const w = g.winner;
    const part = w && layout.part(w.input, w.symbol.section);
    if (w && !part && w.symbol.section !== SHN_ABS)
      throw new LinkError(
        `'${g.name}' of ${w.input.name} is defined in section ${w.input.elf.sections[w.symbol.section]?.name ?? w.symbol.section}, which is not linked (not allocated code or data)`,
        [w.input.name],
        g.name,
      );
    const first = g.refs[0]!.symbol;
    symbols.push({
      name: g.name,
      bind: outputBind(g),
      type: w ? w.symbol.type : first.type,
      visibility: (w ?? g.refs[0]!).symbol.visibility,
      section: part ? part.merged.index : w ? w.symbol.section : SHN_UNDEF,
      value: w ? w.symbol.value + BigInt(part?.offset ?? 0) : 0n,
      size: w ? w.symbol.size : 0n,
    });
    for (const r of g.refs) indexes.get(r.input)![r.symbol.index] = at;
  }
  return { symbols, index: (input, symbol) => indexes.get(input)![symbol] ?? -1 };
}

/** One output relocation. */
export interface OutputRelocation {
  offset: bigint;
  symbol: number;
  type: number;
}

/**
 * The relocations of output section `merged`, and its contents with the addends of relocations
 * against section symbols moved by where the target's part now starts (a call's in
 * instructions, the rest in bytes).
 * @throws LinkError for RELA relocations, a relocation against a symbol that is not linked, or a
 * relocation type this linker does not know
 */
export function relocateSection(
  merged: MergedSection,
  contents: Uint8Array,
  layout: SectionLayout,
  table: SymbolTable,
  order: ByteOrder,
): OutputRelocation[] {
  const le = order === 'little';
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  const out: OutputRelocation[] = [];
  for (const part of merged.parts) {
    const { input, section } = part;
    const rel = input.elf.relocationSections().get(section.index);
    if (!rel) continue;
    if (rel.type === SectionType.RELA)
      throw new LinkError(
        `${input.name}: section ${rel.name} holds RELA relocations, which BPF objects do not use`,
        [input.name],
      );
    for (const r of input.elf.relocations(rel)) {
      const sym = input.elf.symbols[r.symbol]!;
      const symbol = table.index(input, r.symbol);
      const offset = BigInt(part.offset) + r.offset;
      if (symbol < 0)
        throw new LinkError(
          `${input.name}: relocation at ${section.name}+${r.offset} refers to '${sym.name || `symbol ${r.symbol}`}', which is in a section that is not linked`,
          [input.name],
          sym.name,
        );
      out.push({ offset, symbol, type: r.type });
      if (sym.type !== SymbolType.SECTION || merged.type === SectionType.NOBITS) continue;
      const delta = layout.part(input, sym.section)!.offset;
      if (delta !== 0) moveAddend(view, Number(offset), r.type, delta, le, input, section.name);
    }
  }
  return out;
}

/** Adds `delta` (bytes) to the addend a relocation of `type` at `at` holds in place. */
function moveAddend(
  view: DataView,
  at: number,
  type: number,
  delta: number,
  le: boolean,
  input: LinkInput,
  section: string,
): void {
  switch (type) {
    case BpfReloc.R_BPF_64_64: // ld_imm64: imm is a byte offset
      view.setInt32(at + 4, view.getInt32(at + 4, le) + delta, le);
      return;
    case BpfReloc.R_BPF_64_32: // call: imm counts instructions
      view.setInt32(at + 4, view.getInt32(at + 4, le) + delta / 8, le);
      return;
    case BpfReloc.R_BPF_64_ABS64:
      view.setBigUint64(at, view.getBigUint64(at, le) + BigInt(delta), le);
      return;
    case BpfReloc.R_BPF_64_ABS32:
    case BpfReloc.R_BPF_64_NODYLD32:
      view.setUint32(at, (view.getUint32(at, le) + delta) >>> 0, le);
      return;
    default:
      throw new LinkError(
        `${input.name}: relocation type ${type} at ${section}+${at} is not known to the linker`,
        [input.name],
      );
  }
}
