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
  SHN_UNDEF,
  SymbolBind,
  SymbolType,
} from '@ts-ebpf/elf-reader';
import { type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import type { MapLoadSettings } from './btf-maps.js';
import { ByteArena } from './byte-arena.js';
import { EM_BPF } from './constants.js';
import { ElfError, ElfTargetError, UnknownSectionError } from './errors.js';
import {
  CALL,
  INSN_SIZE,
  InsnView,
  LD_IMM64,
  littleEndianView,
  PSEUDO_CALL,
  PSEUDO_FUNC,
} from './instructions.js';
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
  /** The ELF section it came from (`xdp`, `kprobe/do_unlinkat` …). */
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
  /** Load the program with the collection (default true); set by `spec.adjust.program(name).setAutoload()`. */
  autoload?: boolean;
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

const DATA_SECTION = /^\.(data|rodata|bss)(\..+)?$/;
const MAX_DATA_SECTION = 1 << 30;

function isExec(s: ElfSection): boolean {
  return s.type === SectionType.PROGBITS && (s.flags & BigInt(SectionFlag.EXECINSTR)) !== 0n;
}

/** A relocation of an instruction of a code section. */
interface CodeRelocation {
  /** The index of the instruction it patches in its section. */
  insn: number;
  symbol: ElfSymbol;
  type: number;
}

interface CodeSection {
  section: ElfSection;
  code: InsnView;
  /** Functions by first instruction index. */
  functions: ElfSymbol[];
  /** Relocations in the order of the instructions they patch (one per instruction). */
  relocations: CodeRelocation[];
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

  const dataSections = readDataSections(elf);
  const programs = new Map<string, ProgramSpec>();
  const skipped: SkippedProgram[] = [];
  for (const cs of code.values()) {
    const def = resolveSection(cs.section.name);
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
      programs.set(fn.name, linkProgram(elf, code, cs, fn, def, license, arena));
    }
  }

  const parts = {
    elf,
    byteOrder: order,
    programs,
    skipped,
    legacyMaps: readLegacyMaps(elf),
    dataSections,
    btfMapNames: symbolsIn(elf, '.maps').map((s) => s.name),
    structOps: readStructOpsMaps(elf, programs),
    license,
    btf: copyOf(elf, '.BTF', arena),
    btfExt: copyOf(elf, '.BTF.ext', arena),
  };
  return { ...parts, adjust: new SpecAdjuster(parts) };
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

/**
 * The end (one past the last instruction) of function `fn` starting at instruction `from` of
 * `cs`; a function of size 0 runs to the end of the section.
 * @throws ElfError when the function does not lie inside the section
 */
function functionEnd(cs: CodeSection, fn: ElfSymbol, from: number): number {
  const size = Number(fn.size) / INSN_SIZE;
  if (!Number.isInteger(from) || !Number.isInteger(size) || from + size > cs.code.count) {
    throw new ElfError(`function ${fn.name} lies outside section ${cs.section.name}`, cs.section.offset);
  }
  return from + (size || cs.code.count - from);
}

/** File offset of instruction `i` of a linked part in its code section, for errors. */
function insnFileOffset(part: LinkedPart, i: number): number {
  return part.cs.section.offset + (part.from + i) * INSN_SIZE;
}

/**
 * The function starting at instruction `index` of `target`, which `from`'s instruction at
 * file offset `at` refers to by a `what` (call, function pointer).
 * @throws ElfError when no function starts there
 */
function functionAt(
  target: CodeSection,
  index: number,
  what: string,
  from: ElfSymbol,
  at: number,
): ElfSymbol {
  for (const f of target.functions) if (Number(f.value) / INSN_SIZE === index) return f;
  throw new ElfError(`${what} from ${from.name} to ${target.section.name}+${index} hits no function`, at);
}

/** One function copied into a linked program. */
interface LinkedPart {
  cs: CodeSection;
  fn: ElfSymbol;
  /** Its first instruction in the linked program. */
  start: number;
  /** Its instructions [from, to) in its section. */
  from: number;
  to: number;
  /** Its instructions, copied, patched as the links are made. */
  insns: InsnView;
  /** The next of its instructions to link. */
  next: number;
  /** Index in `cs.relocations` of the first relocation at or after instruction `next`. */
  relocation: number;
}

/** One program being linked (a module function, not a closure per program, places its parts). */
interface Linking {
  /** Where the copies are made. */
  readonly arena: ByteArena;
  /** The program's entry function, which names it in errors. */
  readonly entry: ElfSymbol;
  /** The functions copied into the program, in program order. */
  readonly parts: LinkedPart[];
  /** Parts being linked, innermost last. */
  readonly stack: LinkedPart[];
  /** Instructions placed so far. */
  total: number;
}

/** Copies function `fn` of `cs` into the program once; returns its first instruction there. */
function place(l: Linking, cs: CodeSection, fn: ElfSymbol): number {
  const from = Number(fn.value) / INSN_SIZE;
  // A program holds a few functions: a scan finds one placed already (by where it starts).
  for (const p of l.parts) if (p.cs === cs && p.from === from) return p.start;
  const to = functionEnd(cs, fn, from);
  const insns = new InsnView(
    l.arena.copy(cs.code.bytes.subarray(from * INSN_SIZE, to * INSN_SIZE)),
    l.entry.name,
  );
  const relocation = firstRelocation(cs.relocations, from);
  const part: LinkedPart = { cs, fn, start: l.total, from, to, insns, next: 0, relocation };
  l.parts.push(part);
  l.stack.push(part);
  l.total += to - from;
  return part.start;
}

/** Index of the first of `relocations` (in instruction order) at or after instruction `insn`. */
function firstRelocation(relocations: readonly CodeRelocation[], insn: number): number {
  let lo = 0;
  let hi = relocations.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (relocations[mid]!.insn < insn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Copies `entry`, then every subprogram it calls or passes by pointer (a callback given
 * to `bpf_loop`, `bpf_for_each_map_elem`, `bpf_timer_set_callback` …), transitively, in
 * libbpf's order: depth first, each subprogram appended when first referenced and linked
 * before the rest of the function that referenced it, so that one object gives the same
 * instructions (and program tag) under both loaders. Calls get their relative offsets,
 * function pointers become ld_imm64 `BPF_PSEUDO_FUNC` with the relative offset; references
 * to maps, data sections and kernel symbols are recorded for `relocate`.
 */
function linkProgram(
  elf: ElfFile,
  code: Map<number, CodeSection>,
  home: CodeSection,
  entry: ElfSymbol,
  def: ResolvedSection,
  license: string,
  arena: ByteArena,
): ProgramSpec {
  const linking: Linking = { arena, entry, parts: [], stack: [], total: 0 };
  const { parts, stack } = linking;
  const references: Reference[] = [];
  place(linking, home, entry);

  while (stack.length > 0) {
    const depth = stack.length;
    const part = stack[depth - 1]!;
    const { cs, start, from, insns } = part;
    const bytes = insns.bytes;
    const relocations = cs.relocations;
    let r = part.relocation;
    // The instruction the next relocation patches, relative to this part (past its end: none).
    let relocated = r < relocations.length ? relocations[r]!.insn - from : insns.count;
    // This part's instructions in order, until a callee is placed (it is linked first, on top
    // of the stack) or the part ends.
    let i = part.next;
    for (; i < insns.count && stack.length === depth; i++) {
      if (i === relocated) {
        const rel = relocations[r++]!;
        relocated = r < relocations.length ? relocations[r]!.insn - from : insns.count;
        linkRelocated(linking, elf, code, part, i, rel, references);
        continue;
      }
      const op = bytes[i * INSN_SIZE]!;
      const src = bytes[i * INSN_SIZE + 1]! >> 4;
      if (op === CALL && src === PSEUDO_CALL) {
        // A call inside the same section with no relocation: relative already.
        const callee = functionAt(cs, from + i + insns.imm(i) + 1, 'call', entry, insnFileOffset(part, i));
        insns.setImm(i, place(linking, cs, callee) - (start + i) - 1);
      } else if (op === LD_IMM64 && src === PSEUDO_FUNC) {
        throw new ElfError(
          `${entry.name}: function pointer at instruction ${i} has no relocation`,
          insnFileOffset(part, i),
        );
      }
    }
    part.next = i;
    part.relocation = r;
    if (i === insns.count && stack.length === depth) stack.pop();
  }
  // A program without subprograms is its one part, already a copy of its own.
  let instructions = parts[0]!.insns.bytes;
  if (parts.length > 1) {
    instructions = arena.alloc(linking.total * INSN_SIZE);
    for (const p of parts) instructions.set(p.insns.bytes, p.start * INSN_SIZE);
  }
  return {
    name: entry.name,
    section: home.section.name,
    sectionDef: def,
    instructions,
    subprograms: parts.slice(1).map((p) => ({ name: p.fn.name, start: p.start })),
    origins: parts.map((p) => ({
      name: p.fn.name,
      section: p.cs.section.name,
      sectionStart: p.from,
      sectionEnd: p.to,
      start: p.start,
    })),
    references,
    license,
  };
}

/**
 * Links instruction `i` of `part`, which a relocation patches: a call or function pointer
 * places its callee; a reference to a map, a data section or a kernel symbol is recorded.
 */
function linkRelocated(
  linking: Linking,
  elf: ElfFile,
  code: Map<number, CodeSection>,
  part: LinkedPart,
  i: number,
  rel: CodeRelocation,
  references: Reference[],
): void {
  const { start, insns } = part;
  const entry = linking.entry;
  const op = insns.opcode(i);
  const isCall = op === CALL && insns.src(i) === PSEUDO_CALL;
  const sym = rel.symbol;
  if (sym.section === SHN_UNDEF) {
    const weak = sym.bind === SymbolBind.WEAK;
    if (op === CALL) references.push({ kind: 'kfunc', insn: start + i, name: sym.name, weak });
    else
      references.push({
        kind: 'extern',
        insn: start + i,
        name: sym.name,
        section: externSection(sym),
        weak,
      });
    return;
  }
  const target = code.get(sym.section);
  if (target && isCall) {
    // sym.value + imm + 1 is the callee's index in its section (a FUNC symbol
    // carries imm = -1; a section symbol, the callee's offset in imm).
    const callee = functionAt(
      target,
      Number(sym.value) / INSN_SIZE + insns.imm(i) + 1,
      'call',
      entry,
      insnFileOffset(part, i),
    );
    insns.setImm(i, place(linking, target, callee) - (start + i) - 1);
    return;
  }
  if (target && op === LD_IMM64) {
    // A function's address (a callback): sym.value + imm is its byte offset in its section.
    const offset = Number(sym.value) + insns.imm(i);
    if (offset % INSN_SIZE !== 0)
      throw new ElfError(
        `${entry.name}: function pointer to ${target.section.name}+${offset} bytes is not on an instruction`,
        insnFileOffset(part, i),
      );
    const callee = functionAt(target, offset / INSN_SIZE, 'function pointer', entry, insnFileOffset(part, i));
    insns.setSrc(i, PSEUDO_FUNC);
    insns.setImm(i, place(linking, target, callee) - (start + i) - 1);
    return;
  }
  const section = elf.sections[sym.section];
  if (!section)
    throw new ElfError(
      `${entry.name}: relocation against ${sym.name} in section index ${sym.section}`,
      insnFileOffset(part, i),
    );
  if (op !== LD_IMM64)
    throw new ElfError(
      `${entry.name}: relocation against ${sym.name || section.name} (section ${section.name}) on instruction ${i}, which is not ld_imm64`,
      insnFileOffset(part, i),
    );
  if (section.name === '.maps' || section.name === 'maps') {
    references.push({ kind: 'map', insn: start + i, name: sym.name });
  } else if (DATA_SECTION.test(section.name)) {
    const offset = (sym.type === SymbolType.SECTION ? 0 : Number(sym.value)) + insns.imm(i);
    references.push({ kind: 'data', insn: start + i, section: section.name, offset });
  } else {
    throw new ElfError(
      `${entry.name}: relocation against ${sym.name || section.name} in unsupported section ${section.name}`,
      insnFileOffset(part, i),
    );
  }
}

/**
 * A code section's relocations in the order of the instructions they patch; of two for one
 * instruction, the later in the table.
 */
function relocationsOf(elf: ElfFile, s: ElfSection, rel: ElfSection | undefined): CodeRelocation[] {
  const out: CodeRelocation[] = [];
  let sorted = true;
  for (const r of rel ? elf.relocations(rel) : []) {
    const insn = Number(r.offset) / INSN_SIZE;
    if (!Number.isInteger(insn))
      throw new ElfError(`relocation at byte ${r.offset} of ${s.name} is not on an instruction`, rel!.offset);
    if (out.length > 0 && insn <= out[out.length - 1]!.insn) sorted = false;
    out.push({ insn, symbol: elf.symbols[r.symbol]!, type: r.type });
  }
  if (sorted) return out;
  // clang writes them in order; otherwise sorted (stably), the last of each instruction kept.
  out.sort((a, b) => a.insn - b.insn);
  return out.filter((r, k) => k === out.length - 1 || out[k + 1]!.insn !== r.insn);
}

function externSection(sym: ElfSymbol): string {
  // libbpf puts kconfig externs in .kconfig and kernel symbols in .ksyms; an
  // undefined symbol keeps no section, so the name decides: CONFIG_* and libbpf's
  // LINUX_* (kernel version, virtual externs) are kconfig.
  return sym.name.startsWith('CONFIG_') || sym.name.startsWith('LINUX_') ? '.kconfig' : '.ksyms';
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

function readDataSections(elf: ElfFile): Map<string, DataSectionSpec> {
  const out = new Map<string, DataSectionSpec>();
  for (const s of elf.sections) {
    if (!DATA_SECTION.test(s.name)) continue;
    const variables = new Map<string, { offset: number; size: number }>();
    for (const sym of elf.symbols) {
      if (sym.section === s.index && sym.type === SymbolType.OBJECT && sym.name) {
        variables.set(sym.name, { offset: Number(sym.value), size: Number(sym.size) });
      }
    }
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
