import { type Btf, type BtfExtLayout, type BtfExtSpan, btfExtLayout } from '@ts-ebpf/btf';
import type { ByteArena } from './byte-arena.js';
import type { ProgramSpec } from './collection-spec.js';
import { INSN_SIZE } from './instructions.js';

/** func_info and line_info records of one linked program, as BPF_PROG_LOAD takes them. */
export interface ProgramExtInfo {
  /** `bpf_func_info` records: insn index, BTF type id (8 bytes each). */
  funcInfo: Uint8Array;
  /** `bpf_line_info` records: insn index, file name and line string offsets, line/column (16 bytes each). */
  lineInfo: Uint8Array;
}

/** One ELF section's records, in instruction order: where each starts in the `.BTF.ext` bytes. */
interface SortedRecords {
  /** Byte offset of each record in the section's instructions, ascending. */
  readonly insnOffs: number[];
  /** Byte offset of each record in the `.BTF.ext` bytes, in the same order. */
  readonly at: number[];
}

/**
 * A `.BTF.ext` section read for one load: its bytes and layout, and each ELF section's
 * func_info and line_info records sorted by instruction, indexed once (a collection places the
 * records of every program, often many programs in one section, and scanning them all for
 * each program made that quadratic). Records are copied from the bytes, never decoded into
 * objects: the kernel takes them as they are, with the instruction moved.
 */
export class ExtInfoSource {
  readonly #view: DataView;
  readonly #le: boolean;
  readonly #funcs = new Map<string, SortedRecords>();
  readonly #lines = new Map<string, SortedRecords>();

  constructor(bytes: Uint8Array, layout: BtfExtLayout) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#le = layout.byteOrder === 'little';
    for (const span of layout.funcInfo) this.#funcs.set(span.section, this.#sorted(span));
    for (const span of layout.lineInfo) this.#lines.set(span.section, this.#sorted(span));
  }

  #sorted(span: BtfExtSpan): SortedRecords {
    const insnOffs: number[] = new Array(span.count);
    const at: number[] = new Array(span.count);
    let sorted = true;
    for (let i = 0, p = span.offset; i < span.count; i++, p += span.recordSize) {
      insnOffs[i] = this.#view.getUint32(p, this.#le);
      at[i] = p;
      if (i > 0 && insnOffs[i]! < insnOffs[i - 1]!) sorted = false;
    }
    if (sorted) return { insnOffs, at };
    const order = at.map((_, i) => i).sort((a, b) => insnOffs[a]! - insnOffs[b]!);
    return { insnOffs: order.map((i) => insnOffs[i]!), at: order.map((i) => at[i]!) };
  }

  /**
   * Moves the section-relative records that fall inside the program's functions to their
   * instruction indexes in the linked program (in a block of `arena`, when given).
   */
  programExtInfo(program: ProgramSpec, arena?: ByteArena): ProgramExtInfo {
    // Functions in program order, each section's records in instruction order: the records come
    // out sorted, as the kernel wants them. Counted first, then written into their final arrays.
    const origins =
      program.origins.length > 1 ? [...program.origins].sort((a, b) => a.start - b.start) : program.origins;
    let nFuncs = 0;
    let nLines = 0;
    const spans: { fr: SortedRecords; f0: number; f1: number; lr: SortedRecords; l0: number; l1: number }[] =
      new Array(origins.length);
    for (let k = 0; k < origins.length; k++) {
      const o = origins[k]!;
      const first = o.sectionStart * INSN_SIZE;
      const end = o.sectionEnd * INSN_SIZE;
      const fr = this.#funcs.get(o.section) ?? NO_RECORDS;
      const f0 = firstAt(fr.insnOffs, first);
      const f1 = firstAt(fr.insnOffs, end, f0);
      const lr = this.#lines.get(o.section) ?? NO_RECORDS;
      const l0 = firstAt(lr.insnOffs, first);
      const l1 = firstAt(lr.insnOffs, end, l0);
      spans[k] = { fr, f0, f1, lr, l0, l1 };
      nFuncs += f1 - f0;
      nLines += l1 - l0;
    }
    // One block for both record arrays: func_info (8 bytes a record), then line_info (16).
    const size = nFuncs * 8 + nLines * 16;
    const block = arena ? arena.alloc(size) : new Uint8Array(size);
    const records = new Uint32Array(block.buffer, block.byteOffset, nFuncs * 2 + nLines * 4);
    const v = this.#view;
    const le = this.#le;
    let f = 0;
    let l = nFuncs * 2;
    for (let k = 0; k < origins.length; k++) {
      const o = origins[k]!;
      const { fr, f0, f1, lr, l0, l1 } = spans[k]!;
      const shift = o.start - o.sectionStart;
      for (let i = f0; i < f1; i++) {
        records[f++] = fr.insnOffs[i]! / INSN_SIZE + shift;
        records[f++] = v.getUint32(fr.at[i]! + 4, le);
      }
      for (let i = l0; i < l1; i++) {
        const p = lr.at[i]!;
        records[l++] = lr.insnOffs[i]! / INSN_SIZE + shift;
        records[l++] = v.getUint32(p + 4, le);
        records[l++] = v.getUint32(p + 8, le);
        records[l++] = v.getUint32(p + 12, le);
      }
    }
    return {
      funcInfo: block.subarray(0, nFuncs * 8),
      lineInfo: block.subarray(nFuncs * 8, nFuncs * 8 + nLines * 16),
    };
  }
}

/**
 * Moves the section-relative `.BTF.ext` records (func_info, line_info) that fall inside the
 * program's functions to their instruction indexes in the linked program, as BPF_PROG_LOAD takes
 * them. `btfExt` is the object's raw `.BTF.ext` (`spec.btfExt`), `btf` its parsed `.BTF`.
 * @throws BtfError for a corrupt `.BTF.ext`
 */
export function programExtInfo(program: ProgramSpec, btfExt: Uint8Array, btf: Btf): ProgramExtInfo {
  return new ExtInfoSource(btfExt, btfExtLayout(btfExt, btf)).programExtInfo(program);
}

const NO_RECORDS: SortedRecords = { insnOffs: [], at: [] };

/** Index of the first of the ascending `offsets` (from `lo` on) at or after byte offset `offset`. */
function firstAt(offsets: readonly number[], offset: number, lo = 0): number {
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid]! < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
