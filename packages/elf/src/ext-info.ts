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

/**
 * Moves the section-relative BTF.ext records that fall inside the program's
 * functions to their instruction indexes in the linked program.
 */
export function programExtInfo(program: ProgramSpec, ext: BtfExt): ProgramExtInfo {
  const place = (section: string, byteOff: number): number | undefined => {
    const insn = byteOff / INSN_SIZE;
    for (const o of program.origins) {
      if (o.section === section && insn >= o.sectionStart && insn < o.sectionEnd)
        return o.start + insn - o.sectionStart;
    }
    return undefined;
  };
  const funcs: [number, number][] = [];
  for (const sec of ext.funcInfo) {
    for (const r of sec.records) {
      const at = place(sec.section, r.insnOff);
      if (at !== undefined) funcs.push([at, r.typeId]);
    }
  }
  const lines: [number, number, number, number][] = [];
  for (const sec of ext.lineInfo) {
    for (const r of sec.records) {
      const at = place(sec.section, r.insnOff);
      if (at !== undefined) lines.push([at, r.fileNameOff, r.lineOff, (r.lineNumber << 10) | r.column]);
    }
  }
  funcs.sort((a, b) => a[0] - b[0]);
  lines.sort((a, b) => a[0] - b[0]);
  return {
    funcInfo: new Uint8Array(new Uint32Array(funcs.flat()).buffer),
    lineInfo: new Uint8Array(new Uint32Array(lines.flat()).buffer),
  };
}
