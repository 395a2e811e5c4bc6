/**
 * Static linking of BPF objects: several clang objects combined into one relocatable object,
 * what libbpf's `bpf_linker` and `bpftool gen object` do.
 */
import { StringTable, writeBtf } from '@ts-ebpf/btf';
import { SectionType } from '@ts-ebpf/elf-reader';
import { mergeBtfExt } from './btf-ext-merge.js';
import { mergeBtf } from './btf-merge.js';
import { encodeRel, encodeSymbols, type OutputSection, writeElf } from './elf-writer.js';
import { readInputs } from './inputs.js';
import { SectionLayout } from './layout.js';
import { checkMapDefinitions } from './map-match.js';
import { resolveGlobals } from './resolve.js';
import { buildSymbols, relocateSection } from './symbols.js';

/** Options of {@link linkObjects}. */
export interface LinkObjectsOptions {
  /** How errors name the inputs, one name per object (file names, say); default `object #<index>`. */
  readonly names?: readonly string[];
}

const REL_ENTRY_SIZE = 16;
const SYMBOL_ENTRY_SIZE = 24;

/**
 * Links BPF objects compiled by clang into one relocatable BPF object that `loadCollection`
 * (or libbpf) loads as it would one object, as `bpftool gen object out.o a.o b.o` does:
 *
 * - sections of one name (a program section such as `xdp`, `.text`, `.data`, `.rodata`, `.bss`,
 *   `.maps` …) are concatenated in input order, relocations moved with them; `license` and
 *   `version` are kept once and must be the same in every object;
 * - a global function or variable declared `extern` in one object is resolved by the definition
 *   another gives; a strong definition wins over `__weak` ones (the first weak one wins among
 *   those); an extern no object defines stays extern (a `__ksym`, a `__kconfig`, a kfunc);
 * - static symbols stay each object's own, so equal static names of two objects never clash;
 * - BTF-defined maps of one name (`__weak` in one object or more, or `extern` in one and
 *   defined in another) must have matching definitions and become one map;
 * - `.BTF` types are appended with their ids renumbered, externs replaced by their definitions,
 *   one DATASEC per section, equal types merged as libbpf's `btf__dedup` does (reference
 *   cycles included) and a forward declaration replaced by the one complete struct or union of
 *   its name, if there is exactly one; `.BTF.ext` func_info, line_info and CO-RE relocations
 *   follow their code.
 *
 * DWARF (`.debug_*`) and other sections that are not allocated are left out. Accepts any
 * Uint8Array (Buffers, subarrays at any offset) and never writes into them; the same inputs
 * always give the same bytes.
 * @throws LinkError naming the objects and the symbol at fault: two strong definitions of one
 * name, licenses that differ, a name that is a function in one object and a variable in
 * another, maps of one name defined differently, an extern (or a losing `__weak` function)
 * whose BTF type does not fit its definition's, inputs of different byte orders or that are no BPF objects, some compiled with
 * BTF and some without
 */
export function linkObjects(objects: readonly Uint8Array[], options: LinkObjectsOptions = {}): Uint8Array {
  const { inputs, byteOrder } = readInputs(objects, options.names);
  const globals = resolveGlobals(inputs);
  checkMapDefinitions(inputs, globals);
  const layout = new SectionLayout(inputs);

  // Output sections: the merged ones, their REL sections, .BTF, .BTF.ext, .symtab, .strtab, .shstrtab.
  layout.sections.forEach((m, i) => {
    m.index = i + 1;
  });
  const table = buildSymbols(inputs, layout, globals);
  const sections: OutputSection[] = [];
  const rels: OutputSection[] = [];
  for (const m of layout.sections) {
    const data = layout.contents(m);
    const relocations = relocateSection(m, data, layout, table, byteOrder);
    sections.push({
      name: m.name,
      type: m.type,
      flags: m.flags,
      data,
      size: m.size,
      addralign: m.addralign,
      link: 0,
      info: 0,
      entsize: 0,
    });
    if (relocations.length > 0)
      rels.push({
        name: `.rel${m.name}`,
        type: SectionType.REL,
        flags: 0n,
        data: encodeRel(relocations, byteOrder),
        size: relocations.length * REL_ENTRY_SIZE,
        addralign: 8,
        link: 0, // the symbol table's index, set below
        info: m.index,
        entsize: REL_ENTRY_SIZE,
      });
  }
  sections.push(...rels);
  if (inputs[0]!.btf) {
    const merged = mergeBtf(inputs, layout, globals);
    const strings = new StringTable();
    const ext = mergeBtfExt(inputs, layout, merged, strings, byteOrder);
    const btf = writeBtf(merged.types, { byteOrder, strings });
    sections.push(plain('.BTF', btf, 4));
    if (ext) sections.push(plain('.BTF.ext', ext, 4));
  }
  const symtabIndex = sections.length + 1;
  for (const r of rels) r.link = symtabIndex;
  const names = new StringTable();
  const symtab = encodeSymbols(table.symbols, names, byteOrder);
  sections.push({
    name: '.symtab',
    type: SectionType.SYMTAB,
    flags: 0n,
    data: symtab,
    size: symtab.length,
    addralign: 8,
    link: symtabIndex + 1,
    info: table.firstGlobal,
    entsize: SYMBOL_ENTRY_SIZE,
  });
  const strtab = names.bytes();
  sections.push({ ...plain('.strtab', strtab, 1), type: SectionType.STRTAB });
  const shstrtab = new StringTable();
  sections.push({ ...plain('.shstrtab', new Uint8Array(0), 1), type: SectionType.STRTAB });
  return writeElf(sections, shstrtab, byteOrder);
}

/** A non-allocated PROGBITS section holding `data`. */
function plain(name: string, data: Uint8Array, addralign: number): OutputSection {
  return {
    name,
    type: SectionType.PROGBITS,
    flags: 0n,
    data,
    size: data.length,
    addralign,
    link: 0,
    info: 0,
    entsize: 0,
  };
}
