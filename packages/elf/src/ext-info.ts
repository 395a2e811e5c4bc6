import type { BtfExt } from '@ts-ebpf/btf';
import type { ProgramSpec } from './collection-spec.js';
import { INSN_SIZE } from './instructions.js';

/** func_info and line_info records of one linked program, as BPF_PROG_LOAD takes them. */
export interface ProgramExtInfo {
  /** `bpf_func_info` records: insn index, BTF type id (8 bytes each). */
  funcInfo: Uint8Array;
  /** `bpf_line_info` records: insn index, file name and line string offsets, line/column (16 bytes each). */
  lineInfo: Uint8Array;
}

// Each BTF.ext's records by section, sorted by instruction, indexed once: a collection places
// the records of every program (often many programs in one section), and scanning them all for
// each program made that quadratic.
const bySection = new WeakMap<
  BtfExt,
  { funcs: Map<string, FuncRecord[]>; lines: Map<string, LineRecord[]> }
>();

type FuncRecord = BtfExt['funcInfo'][number]['records'][number];
type LineRecord = BtfExt['lineInfo'][number]['records'][number];

const byInsn = (a: { insnOff: number }, b: { insnOff: number }) => a.insnOff - b.insnOff;

/** Index of the first record of `sorted` at or after instruction `insn`. */
function firstAt(sorted: readonly { insnOff: number }[], insn: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.insnOff < insn * INSN_SIZE) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sectionsOf(ext: BtfExt) {
  let index = bySection.get(ext);
  if (!index) {
    index = {
      funcs: new Map(ext.funcInfo.map((s) => [s.section, [...s.records].sort(byInsn)])),
      lines: new Map(ext.lineInfo.map((s) => [s.section, [...s.records].sort(byInsn)])),
    };
    bySection.set(ext, index);
  }
  return index;
}

/**
 * Moves the section-relative BTF.ext records that fall inside the program's
 * functions to their instruction indexes in the linked program.
 */
export function programExtInfo(program: ProgramSpec, ext: BtfExt): ProgramExtInfo {
  const { funcs: funcSections, lines: lineSections } = sectionsOf(ext);
  // Functions in program order, each section's records in instruction order: the records come
  // out sorted, as the kernel wants them.
  const origins = [...program.origins].sort((a, b) => a.start - b.start);
  const funcs: number[] = [];
  const lines: number[] = [];
  for (const o of origins) {
    const shift = o.start - o.sectionStart;
    const end = o.sectionEnd * INSN_SIZE;
    const fr = funcSections.get(o.section) ?? [];
    for (let i = firstAt(fr, o.sectionStart); i < fr.length && fr[i]!.insnOff < end; i++) {
      const r = fr[i]!;
      funcs.push(r.insnOff / INSN_SIZE + shift, r.typeId);
    }
    const lr = lineSections.get(o.section) ?? [];
    for (let i = firstAt(lr, o.sectionStart); i < lr.length && lr[i]!.insnOff < end; i++) {
      const r = lr[i]!;
      lines.push(r.insnOff / INSN_SIZE + shift, r.fileNameOff, r.lineOff, (r.lineNumber << 10) | r.column);
    }
  }
  return {
    funcInfo: new Uint8Array(new Uint32Array(funcs).buffer),
    lineInfo: new Uint8Array(new Uint32Array(lines).buffer),
  };
}
