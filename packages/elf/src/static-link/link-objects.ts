/**
 * Static linking of BPF objects: several clang objects combined into one relocatable object,
 * what libbpf's `bpf_linker` and `bpftool gen object` do.
 */
import { StringTable, writeBtf } from '@ts-ebpf/btf';
import {
  Elf64Size,
  encodeRelocations,
  type SectionToWrite,
  SectionType,
  symbolTableSections,
  writeElfObject,
} from '@ts-ebpf/elf-reader';
import { LinkError } from '../errors.js';
import { mergeBtfExt } from './btf-ext-merge.js';
import { mergeBtf } from './btf-merge.js';
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
  const sections: SectionToWrite[] = [];
  const rels: { target: number; entries: Uint8Array }[] = [];
  for (const m of layout.sections) {
    const data = layout.contents(m);
    const relocations = relocateSection(m, data, layout, table, byteOrder);
    sections.push({ name: m.name, type: m.type, flags: m.flags, addralign: m.addralign, data, size: m.size });
    if (relocations.length > 0)
      rels.push({ target: m.index, entries: encodeRelocations(relocations, byteOrder) });
  }
  const btf: SectionToWrite[] = [];
  if (inputs[0]!.btf) {
    const merged = mergeBtf(inputs, layout, globals);
    const strings = new StringTable();
    const ext = mergeBtfExt(inputs, layout, merged, strings, byteOrder);
    btf.push(plain('.BTF', writeBtf(merged.types, { byteOrder, strings })));
    if (ext) btf.push(plain('.BTF.ext', ext));
  }
  const symtabIndex = sections.length + rels.length + btf.length + 1;
  for (const r of rels)
    sections.push({
      name: `.rel${sections[r.target - 1]!.name}`,
      type: SectionType.REL,
      addralign: 8,
      link: symtabIndex,
      info: r.target,
      entsize: Elf64Size.REL,
      data: r.entries,
    });
  sections.push(...btf);
  try {
    sections.push(...symbolTableSections(table.symbols, new StringTable(), byteOrder, symtabIndex), {
      name: '.shstrtab',
      type: SectionType.STRTAB,
    });
    return writeElfObject(sections, { byteOrder, names: new StringTable(), namesSection: sections.length });
  } catch (e) {
    const all = inputs.map((i) => i.name);
    throw new LinkError(`the linked object cannot be written: ${(e as Error).message}`, all, undefined, e);
  }
}

/** A non-allocated PROGBITS section holding `data` (`.BTF`, `.BTF.ext`), 4-byte aligned. */
function plain(name: string, data: Uint8Array): SectionToWrite {
  return { name, type: SectionType.PROGBITS, addralign: 4, data };
}
