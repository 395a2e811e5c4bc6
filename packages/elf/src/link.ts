/**
 * Linking a program out of an object's code sections: each function it calls (or takes the
 * address of) is copied in once, calls and function pointers between them are rebased, and the
 * other relocations become the program's references to maps, globals and kernel symbols.
 */
import {
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
  SHN_UNDEF,
  SymbolBind,
  SymbolType,
} from '@ts-ebpf/elf-reader';
import type { ByteArena } from './byte-arena.js';
import type { ProgramSpec, Reference } from './collection-spec.js';
import { ElfError } from './errors.js';
import { CALL, INSN_SIZE, InsnView, LD_IMM64, PSEUDO_CALL, PSEUDO_FUNC } from './instructions.js';
import type { ResolvedSection } from './sections.js';

/** Names of global-data sections: `.data`, `.rodata`, `.bss`, each optionally with a suffix (`.rodata.str1.1`, `.data.counters`). */
export const DATA_SECTION = /^\.(data|rodata|bss)(\..+)?$/;

/**
 * Whether `name` is a global-data section's ({@link DATA_SECTION}). The prefixes are checked
 * first: most sections are none of these, and a string comparison costs far less than a
 * regular expression's match.
 */
export function isDataSection(name: string): boolean {
  return (
    (name.startsWith('.data') || name.startsWith('.rodata') || name.startsWith('.bss')) &&
    DATA_SECTION.test(name)
  );
}

/** A relocation of an instruction of a code section. */
export interface CodeRelocation {
  /** The index of the instruction it patches in its section. */
  insn: number;
  symbol: ElfSymbol;
  type: number;
}

export interface CodeSection {
  section: ElfSection;
  code: InsnView;
  /** Functions by first instruction index. */
  functions: ElfSymbol[];
  /** Relocations in the order of the instructions they patch (one per instruction). */
  relocations: CodeRelocation[];
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
export function linkProgram(
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
  } else if (isDataSection(section.name)) {
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
export function relocationsOf(elf: ElfFile, s: ElfSection, rel: ElfSection | undefined): CodeRelocation[] {
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
