import {
  type ElfFile,
  type ElfHeader,
  type ElfSection,
  type ElfSymbol,
  machineName,
  parseElf,
  parseElfHeader,
  SectionFlag,
  SectionType,
  SymbolBind,
  SymbolType,
} from '@ts-ebpf/elf-reader';
import type { Program } from '@ts-ebpf/programs';
import { type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import type { MapLoadSettings } from './btf-maps.js';
import { ByteArena } from './byte-arena.js';
import { EM_BPF } from './constants.js';
import { DataRelocationError, ElfError, ElfTargetError, UnknownSectionError } from './errors.js';
import { InsnView, littleEndianView } from './instructions.js';
import { type CodeSection, isDataSection, linkProgram, relocationsOf } from './link.js';
import { type ResolvedSection, resolveSection } from './sections.js';
import { SpecAdjuster } from './spec-adjust.js';
import { readStructOpsMaps, type StructOpsMapSpec } from './struct-ops.js';

/** What an instruction of a program refers to, to be patched at load time. */
export type Reference =
  /** ld_imm64 of a map: becomes BPF_PSEUDO_MAP_FD with the map's fd. */
  | { kind: 'map'; insn: number; name: string }
  /** ld_imm64 of a global variable: BPF_PSEUDO_MAP_VALUE into a data section's map at `offset`. */
  | { kind: 'data'; insn: number; section: string; offset: number }
  /** call of a kernel function (kfunc), by name: BPF_PSEUDO_KFUNC_CALL with its BTF id. `weak`: declared `__weak`. */
  | { kind: 'kfunc'; insn: number; name: string; weak: boolean }
  /** ld_imm64 of an extern: a kernel symbol (.ksyms) or a kconfig value (.kconfig). `weak`: declared `__weak`. */
  | { kind: 'extern'; insn: number; name: string; section: string; weak: boolean };

/** One program found in an object, with its subprograms linked in. */
export interface ProgramSpec {
  /** The function's name. */
  name: string;
  /**
   * The ELF section it came from (`xdp`, `kprobe/do_unlinkat` …), without the leading `?` of
   * libbpf's `SEC("?xdp")`, which sets {@link ProgramSpec.autoload} to false.
   */
  section: string;
  /** What the section name says: program type, attach type, target, flags. */
  sectionDef: ResolvedSection;
  /**
   * Little-endian instructions (whatever the object's byte order), the entry function
   * first, then its subprograms: every function it calls or passes by pointer (a callback,
   * as ld_imm64 `BPF_PSEUDO_FUNC`), transitively, in the order libbpf appends them.
   */
  instructions: Uint8Array;
  /** Subprograms (callees and callbacks) appended after the entry function, with their first instruction index. */
  subprograms: { name: string; start: number }[];
  /**
   * Where each linked function came from: instructions [sectionStart, sectionEnd) of
   * `section` now start at instruction `start` of this program. Maps section-relative
   * BTF.ext records (func_info, line_info, CO-RE relocations) onto the program.
   */
  origins: { name: string; section: string; sectionStart: number; sectionEnd: number; start: number }[];
  /** Instructions the loader must patch. */
  references: Reference[];
  license: string;
  /**
   * Load the program with the collection (default true); false for a `SEC("?…")` program, as in
   * libbpf; set by `spec.adjust.program(name).setAutoload()`.
   */
  autoload?: boolean;
  /**
   * `BPF_F_*` load flags (`prog_flags`) set by `spec.adjust.program(name).setFlags()`, in place of
   * those the section gives (`.s`: `BPF_F_SLEEPABLE`, `xdp.frags`: `BPF_F_XDP_HAS_FRAGS`).
   */
  flags?: number;
  /** The verifier log level of this program, set by `setLogLevel()`: wins over `options.logLevel`. */
  logLevel?: number;
  /**
   * The loaded BPF program whose function {@link ResolvedSection.target} names, set by
   * `setAttachTarget(func, { program })`: an freplace program replaces that function, an
   * fentry/fexit program traces it (libbpf's `attach_prog_fd`).
   */
  attachProgram?: Program;
}

/** A map defined in the legacy `maps` section (struct bpf_map_def). */
export interface LegacyMapSpec extends MapLoadSettings {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

/** A global-data section (`.data`, `.rodata*`, `.bss`, `.data.*`), loaded as a one-element array map. */
export interface DataSectionSpec {
  name: string;
  /** Initial contents (zeros for `.bss`). */
  contents: Uint8Array;
  readOnly: boolean;
  /** Variables defined in it: name → offset and size. */
  variables: Map<string, { offset: number; size: number }>;
}

/** A program {@link loadCollectionSpec} left out because its section's program type is unknown. */
export interface SkippedProgram {
  /** The function's name. */
  name: string;
  /** The section it is in. */
  section: string;
}

/** Options of {@link loadCollectionSpec} (and of `loadCollection`). */
export interface CollectionSpecOptions {
  /**
   * Leave out programs in sections whose program type is unknown (no libbpf SEC() name
   * matches) instead of refusing the object with {@link UnknownSectionError}. The programs
   * left out are listed in {@link CollectionSpec.skipped}. Default false.
   */
  skipUnknownSections?: boolean;
}

/** Everything the object holds, before anything touches the kernel. */
export interface CollectionSpec {
  /** The ELF container. */
  elf: ElfFile;
  /** The object's byte order (`EI_DATA`): `clang -target bpfel` is little, `bpfeb` big. */
  byteOrder: ByteOrder;
  /** Programs by function name. */
  programs: Map<string, ProgramSpec>;
  /** Programs left out under `skipUnknownSections` (empty otherwise). */
  skipped: SkippedProgram[];
  legacyMaps: Map<string, LegacyMapSpec>;
  dataSections: Map<string, DataSectionSpec>;
  /** Names of variables of the `.maps` section (BTF-defined maps; their layout is in BTF). */
  btfMapNames: string[];
  /** struct_ops maps (variables of `.struct_ops` / `.struct_ops.link`) by name. */
  structOps: Map<string, StructOpsMapSpec>;
  license: string;
  /** Raw `.BTF` and `.BTF.ext`, when present. */
  btf: Uint8Array | undefined;
  btfExt: Uint8Array | undefined;
  /**
   * Changes to maps and programs before `loadCollection(spec)` (value sizes, max entries,
   * types, pin paths, autoload, attach targets …), each checked when made.
   */
  readonly adjust: SpecAdjuster;
}

const MAX_DATA_SECTION = 1 << 30;

function isExec(s: ElfSection): boolean {
  return s.type === SectionType.PROGBITS && (s.flags & BigInt(SectionFlag.EXECINSTR)) !== 0n;
}

/**
 * Refuses an object whose `e_machine` is not BPF (an x86-64 object, say), from the header
 * alone, before any section is read.
 * @returns the header it read
 * @throws ElfTargetError naming the machine; ElfError for a file that is not ELF64
 */
export function checkBpfTarget(bytes: Uint8Array): ElfHeader {
  const header = parseElfHeader(bytes);
  if (header.machine !== EM_BPF) {
    throw new ElfTargetError(
      `not a BPF object: e_machine is ${header.machine} (${machineName(header.machine)}), expected ${EM_BPF} (BPF); compile with clang -target bpf`,
      header.machine,
      header.byteOrder,
      18,
    );
  }
  return header;
}

/**
 * Reads an object's programs, maps, data sections and license. Accepts any Uint8Array
 * (a Buffer from `readFileSync`, a subarray at any offset) and never writes into it: what
 * the spec holds are copies.
 * @throws ElfTargetError for a non-BPF object; UnknownSectionError for a program in a
 * section of unknown type (unless `skipUnknownSections`); ElfError for a corrupt one
 */
export function loadCollectionSpec(bytes: Uint8Array, options: CollectionSpecOptions = {}): CollectionSpec {
  checkBpfTarget(bytes);
  const elf = parseElf(bytes);
  const order = elf.header.byteOrder;
  const licenseSection = elf.section('license');
  const license = licenseSection ? cString(elf.data(licenseSection)) : '';

  const relocationSections = elf.relocationSections();
  // The spec's copies (each program's linked instructions, .BTF, .BTF.ext) are cut from one
  // buffer: sized for every function copied once, more is allocated for shared subprograms.
  let copied = 0;
  for (const s of elf.sections) if (isExec(s) || s.name === '.BTF' || s.name === '.BTF.ext') copied += s.size;
  // (A corrupt header's sizes are no measure: the file's own length bounds the chunk.)
  const arena = new ByteArena(Math.min(copied, bytes.byteLength) + 64);
  const code = new Map<number, CodeSection>();
  for (const s of elf.sections) {
    if (!isExec(s) || s.size === 0) continue;
    const functions = elf.symbols
      .filter((sym) => sym.section === s.index && sym.type === SymbolType.FUNC)
      .sort((a, b) => Number(a.value - b.value));
    code.set(s.index, {
      section: s,
      // Read only: linkProgram copies each function out of it before patching.
      code: new InsnView(littleEndianView(elf.data(s), order, s.name), s.name),
      functions,
      relocations: relocationsOf(elf, s, relocationSections.get(s.index)),
    });
  }

  const dataSections = readDataSections(elf, relocationSections);
  const programs = new Map<string, ProgramSpec>();
  const skipped: SkippedProgram[] = [];
  for (const cs of code.values()) {
    // libbpf's `SEC("?…")`: the program is not loaded unless asked for, and its section is the
    // name after the '?' (BTF.ext records keep the ELF section's name: see ProgramSpec.origins).
    const optional = cs.section.name.startsWith('?');
    const sectionName = optional ? cs.section.name.slice(1) : cs.section.name;
    const def = sectionDefOf(sectionName);
    for (const fn of cs.functions) {
      if (fn.bind === SymbolBind.LOCAL) continue; // static functions are subprograms, as in libbpf
      if (!def) {
        // .text holds subprograms (global functions called by programs); any other
        // executable section must say its program type.
        if (cs.section.name === '.text') continue;
        if (!options.skipUnknownSections) throw new UnknownSectionError(cs.section.name, fn.name);
        skipped.push({ name: fn.name, section: cs.section.name });
        continue;
      }
      const prog = linkProgram(elf, code, cs, fn, def, license, arena);
      if (optional) {
        prog.section = sectionName;
        prog.autoload = false;
      }
      programs.set(fn.name, prog);
    }
  }

  const legacyMaps = readLegacyMaps(elf);
  const btfMapNames = symbolsIn(elf, '.maps').map((s) => s.name);
  const structOps = readStructOpsMaps(elf, programs);
  const btf = copyOf(elf, '.BTF', arena);
  const btfExt = copyOf(elf, '.BTF.ext', arena);
  // Two literals, not a spread of one into the other: a spread result took a new hidden class on
  // every load, so that each load added a property through the runtime's slow path and every
  // later read of the spec missed its inline caches.
  const adjust = new SpecAdjuster({ elf, programs, legacyMaps, dataSections, btf });
  return {
    elf,
    byteOrder: order,
    programs,
    skipped,
    legacyMaps,
    dataSections,
    btfMapNames,
    structOps,
    license,
    btf,
    btfExt,
    adjust,
  };
}

/**
 * Section names resolved so far (null: no convention matches) and what they resolved to: a
 * name's resolution depends on nothing else, and matching it against the table again for every
 * load cost more than the rest of reading a section. Never handed out: each caller gets a copy.
 */
const resolvedSections = new Map<string, ResolvedSection | null>();
/** Names kept in `resolvedSections` at most (objects use a handful; the rest are resolved each time). */
const RESOLVED_SECTIONS_KEPT = 256;

/**
 * What a code section's name says ({@link resolveSection}), as a plain object of its own with
 * the same properties in the same order. resolveSection's objects take a new hidden class on
 * every call: each program's reads of its definition (in the checks before a load, in its load
 * options) then missed their inline caches on every load; a copy made property by property takes
 * the hidden class of the copies before it.
 */
function sectionDefOf(name: string): ResolvedSection | undefined {
  let def = resolvedSections.get(name);
  if (def === undefined) {
    def = resolveSection(name) ?? null;
    if (resolvedSections.size < RESOLVED_SECTIONS_KEPT) resolvedSections.set(name, def);
  }
  return def === null ? undefined : Object.assign({}, def);
}

const decoder = new TextDecoder();

/** The text of `bytes` up to its first NUL (all of it without one). */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** A copy of a section's contents (never a view of the caller's bytes), or undefined. */
function copyOf(elf: ElfFile, name: string, arena: ByteArena): Uint8Array | undefined {
  const s = elf.section(name);
  return s ? arena.copy(elf.data(s)) : undefined;
}

function symbolsIn(elf: ElfFile, sectionName: string): ElfSymbol[] {
  const s = elf.section(sectionName);
  if (!s) return [];
  return elf.symbols.filter((sym) => sym.section === s.index && sym.type !== SymbolType.SECTION && sym.name);
}

function readLegacyMaps(elf: ElfFile): Map<string, LegacyMapSpec> {
  const out = new Map<string, LegacyMapSpec>();
  const section = elf.section('maps');
  if (!section) return out;
  const data = elf.data(section);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = isLittleEndian(elf.header.byteOrder);
  for (const sym of symbolsIn(elf, 'maps')) {
    const o = Number(sym.value);
    if (o + 20 > data.byteLength)
      throw new ElfError(`legacy map ${sym.name} is truncated`, section.offset + o);
    out.set(sym.name, {
      name: sym.name,
      type: v.getUint32(o, le),
      keySize: v.getUint32(o + 4, le),
      valueSize: v.getUint32(o + 8, le),
      maxEntries: v.getUint32(o + 12, le),
      flags: v.getUint32(o + 16, le),
    });
  }
  return out;
}

/** Refuses a data section with relocations (addresses in global data): see {@link DataRelocationError}. */
function refuseRelocations(
  elf: ElfFile,
  s: ElfSection,
  rel: ElfSection | undefined,
  variables: Map<string, { offset: number; size: number }>,
): void {
  const [r] = rel ? elf.relocations(rel) : [];
  if (!r) return;
  const at = Number(r.offset);
  const variable = [...variables].find(([, v]) => at >= v.offset && at < v.offset + v.size)?.[0];
  // A string literal's relocation names its section's symbol (`.rodata.str1.1`), not a variable.
  const target = elf.symbols[r.symbol];
  const targetName = target?.name || elf.sections[target?.section ?? -1]?.name || `symbol ${r.symbol}`;
  throw new DataRelocationError(s.name, variable, targetName, s.offset + at);
}

function readDataSections(
  elf: ElfFile,
  relocationSections: Map<number, ElfSection>,
): Map<string, DataSectionSpec> {
  const out = new Map<string, DataSectionSpec>();
  for (const s of elf.sections) {
    if (!isDataSection(s.name)) continue;
    const variables = new Map<string, { offset: number; size: number }>();
    for (const sym of elf.symbols) {
      if (sym.section === s.index && sym.type === SymbolType.OBJECT && sym.name) {
        variables.set(sym.name, { offset: Number(sym.value), size: Number(sym.size) });
      }
    }
    refuseRelocations(elf, s, relocationSections.get(s.index), variables);
    // A data section becomes one map value; the kernel caps those far below 1 GiB.
    if (s.type === SectionType.NOBITS && s.size > MAX_DATA_SECTION)
      throw new ElfError(`section ${s.name} of ${s.size} bytes is too large for a map value`, s.offset);
    out.set(s.name, {
      name: s.name,
      contents: s.type === SectionType.NOBITS ? new Uint8Array(s.size) : new Uint8Array(elf.data(s)),
      readOnly: s.name.startsWith('.rodata'),
      variables,
    });
  }
  return out;
}
