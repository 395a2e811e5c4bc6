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

/**
 * One ELF section's records as they lie in the `.BTF.ext` bytes, read in instruction order:
 * directly when clang wrote them so (it does), else through `order`.
 */
interface SortedRecords {
  /** Byte offset of the first record in the `.BTF.ext` bytes. */
  readonly offset: number;
  readonly count: number;
  readonly recordSize: number;
  /** The records' indexes in instruction order, when they lie in another order. */
  readonly order: number[] | undefined;
}

/**
 * A `.BTF.ext` section read for one load: its bytes and layout, and each ELF section's
 * func_info and line_info records, found in instruction order by binary search (a collection
 * places the records of every program, often many programs in one section, and scanning them
 * all for each program made that quadratic). Records are copied from the bytes, never decoded
 * into objects: the kernel takes them as they are, with the instruction moved.
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
    const { offset, count, recordSize } = span;
    let sorted = true;
    for (let i = 1, p = offset + recordSize; i < count && sorted; i++, p += recordSize)
      sorted = this.#view.getUint32(p, this.#le) >= this.#view.getUint32(p - recordSize, this.#le);
    if (sorted) return { offset, count, recordSize, order: undefined };
    const insnOff = (i: number) => this.#view.getUint32(offset + i * recordSize, this.#le);
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => insnOff(a) - insnOff(b));
    return { offset, count, recordSize, order };
  }

  /** Byte offset in the `.BTF.ext` bytes of the `k`-th of `r`'s records in instruction order. */
  #at(r: SortedRecords, k: number): number {
    return r.offset + (r.order === undefined ? k : r.order[k]!) * r.recordSize;
  }

  /** The instruction byte offset of the `k`-th of `r`'s records in instruction order. */
  #insnOff(r: SortedRecords, k: number): number {
    return this.#view.getUint32(this.#at(r, k), this.#le);
  }

  /** Index of the first of `r`'s records (from `lo` on, in instruction order) at or after byte `offset`. */
  #firstAt(r: SortedRecords, offset: number, lo = 0): number {
    let hi = r.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#insnOff(r, mid) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Moves the section-relative records that fall inside the program's functions to their
   * instruction indexes in the linked program (in a block of `arena`, when given).
   */
  programExtInfo(program: ProgramSpec, arena?: ByteArena): ProgramExtInfo {
    // Functions in program order, each section's records in instruction order: the records come
    // out sorted, as the kernel wants them. Each function's records are found once (their index
    // ranges kept, four numbers a function), counted, then written into their final arrays.
    const origins =
      program.origins.length > 1 ? [...program.origins].sort((a, b) => a.start - b.start) : program.origins;
    const ranges: number[] = new Array(origins.length * 4);
    let nFuncs = 0;
    let nLines = 0;
    for (let k = 0; k < origins.length; k++) {
      const o = origins[k]!;
      const fr = this.#funcs.get(o.section) ?? NO_RECORDS;
      const lr = this.#lines.get(o.section) ?? NO_RECORDS;
      const first = o.sectionStart * INSN_SIZE;
      const end = o.sectionEnd * INSN_SIZE;
      const f0 = this.#firstAt(fr, first);
      const f1 = this.#firstAt(fr, end, f0);
      const l0 = this.#firstAt(lr, first);
      const l1 = this.#firstAt(lr, end, l0);
      ranges[4 * k] = f0;
      ranges[4 * k + 1] = f1;
      ranges[4 * k + 2] = l0;
      ranges[4 * k + 3] = l1;
      nFuncs += f1 - f0;
      nLines += l1 - l0;
    }
    // One block for both record arrays: func_info (8 bytes a record), then line_info (16).
    const size = nFuncs * 8 + nLines * 16;
    const block = arena ? arena.alloc(size) : new Uint8Array(size);
    const records = new Uint32Array(block.buffer, block.byteOffset, nFuncs * 2 + nLines * 4);
    let f = 0;
    let l = nFuncs * 2;
    for (let k = 0; k < origins.length; k++) {
      const o = origins[k]!;
      const shift = o.start - o.sectionStart;
      const fr = this.#funcs.get(o.section) ?? NO_RECORDS;
      const lr = this.#lines.get(o.section) ?? NO_RECORDS;
      f = this.#copyRecords(fr, ranges[4 * k]!, ranges[4 * k + 1]!, shift, 2, records, f);
      l = this.#copyRecords(lr, ranges[4 * k + 2]!, ranges[4 * k + 3]!, shift, 4, records, l);
    }
    return {
      funcInfo: block.subarray(0, nFuncs * 8),
      lineInfo: block.subarray(nFuncs * 8, nFuncs * 8 + nLines * 16),
    };
  }

  /**
   * Writes `r`'s records [`from`, `to`) (in instruction order) into `records` from index `at`,
   * `words` 32-bit words a record, the first (the instruction's byte offset) turned into its
   * instruction index plus `shift`.
   * @returns the index after the last word written
   */
  #copyRecords(
    r: SortedRecords,
    from: number,
    to: number,
    shift: number,
    words: number,
    records: Uint32Array,
    at: number,
  ): number {
    const v = this.#view;
    const le = this.#le;
    for (let i = from; i < to; i++) {
      const p = this.#at(r, i);
      records[at++] = v.getUint32(p, le) / INSN_SIZE + shift;
      for (let w = 1; w < words; w++) records[at++] = v.getUint32(p + 4 * w, le);
    }
    return at;
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

const NO_RECORDS: SortedRecords = { offset: 0, count: 0, recordSize: 0, order: undefined };
