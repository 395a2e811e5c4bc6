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
const NO_RECORDS: readonly never[] = [];

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
  // out sorted, as the kernel wants them. Counted first, then written into their final arrays.
  const origins =
    program.origins.length > 1 ? [...program.origins].sort((a, b) => a.start - b.start) : program.origins;
  let nFuncs = 0;
  let nLines = 0;
  const spans: { fr: FuncRecord[]; f0: number; f1: number; lr: LineRecord[]; l0: number; l1: number }[] = [];
  for (const o of origins) {
    const end = o.sectionEnd * INSN_SIZE;
    const fr = funcSections.get(o.section) ?? NO_RECORDS;
    const f0 = firstAt(fr, o.sectionStart);
    let f1 = f0;
    while (f1 < fr.length && fr[f1]!.insnOff < end) f1++;
    const lr = lineSections.get(o.section) ?? NO_RECORDS;
    const l0 = firstAt(lr, o.sectionStart);
    let l1 = l0;
    while (l1 < lr.length && lr[l1]!.insnOff < end) l1++;
    spans.push({ fr: fr as FuncRecord[], f0, f1, lr: lr as LineRecord[], l0, l1 });
    nFuncs += f1 - f0;
    nLines += l1 - l0;
  }
  // One buffer for both record arrays: func_info (8 bytes a record), then line_info (16).
  const records = new Uint32Array(nFuncs * 2 + nLines * 4);
  let f = 0;
  let l = nFuncs * 2;
  for (let k = 0; k < origins.length; k++) {
    const o = origins[k]!;
    const { fr, f0, f1, lr, l0, l1 } = spans[k]!;
    const shift = o.start - o.sectionStart;
    for (let i = f0; i < f1; i++) {
      const r = fr[i]!;
      records[f++] = r.insnOff / INSN_SIZE + shift;
      records[f++] = r.typeId;
    }
    for (let i = l0; i < l1; i++) {
      const r = lr[i]!;
      records[l++] = r.insnOff / INSN_SIZE + shift;
      records[l++] = r.fileNameOff;
      records[l++] = r.lineOff;
      records[l++] = (r.lineNumber << 10) | r.column;
    }
  }
  return {
    funcInfo: new Uint8Array(records.buffer, 0, nFuncs * 8),
    lineInfo: new Uint8Array(records.buffer, nFuncs * 8, nLines * 16),
  };
}
