import type { Btf } from '@ts-ebpf/btf';
import { readBtfObject } from '@ts-ebpf/btf/kernel';
import type { ProgLoadAttr } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/**
 * The C source of an instruction, from the `bpf_line_info` record the load gave for it (or the
 * nearest one before it): what clang's `-g` recorded in the object's `.BTF.ext`.
 */
export interface SourceLocation {
  /** The source file's name as the BTF string table holds it (clang writes the path it compiled). */
  readonly file: string;
  /** The line number (1-based). */
  readonly line: number;
  /** The column (1-based), or undefined when the record has none (0). */
  readonly column: number | undefined;
  /**
   * The source line's text as the BTF string table holds it (leading indentation included), or
   * undefined when the record names no text.
   */
  readonly sourceLine: string | undefined;
}

/** Where the func_info and line_info of a load place an instruction. */
export interface ExtInfoLocation {
  /** The function (the BTF `FUNC` of the func_info record) the instruction falls in. */
  readonly function?: string;
  /** Instructions (slots) from the function's first. */
  readonly functionOffset?: number;
  /** The instruction's C source, from line_info. */
  readonly source?: SourceLocation;
}

/**
 * A `bpf_line_info` record decoded: the first instruction of a run that came from one C source
 * line, and that line.
 */
export interface LineInfo extends SourceLocation {
  /** The instruction (slot) the run starts at. */
  readonly instruction: number;
}

/** A `bpf_func_info` record decoded: where a function starts, and its BTF `FUNC`. */
export interface FuncInfo {
  /** The instruction (slot) the function starts at. */
  readonly instruction: number;
  /** The function's name (its BTF `FUNC`'s). */
  readonly name: string;
  /** The id of its BTF `FUNC` in the program's BTF (its prototype is that type's). */
  readonly typeId: number;
}

/** `bpf_line_info.line_col`: the line above these bits, the column in them (linux/bpf.h). */
const LINE_SHIFT = 10;
const COLUMN_MASK = 0x3ff;
/** Bytes of `struct bpf_func_info` and `struct bpf_line_info` (linux/bpf.h). */
export const FUNC_INFO_SIZE = 8;
export const LINE_INFO_SIZE = 16;

/** Each whole record of `size` bytes in `records` as a DataView (the kernel's records start with their u32 fields). */
function eachRecord(records: Uint8Array, size: number): DataView[] {
  // the kernel refuses a record size under the record's, which leaves nothing to decode
  if (size <= 0) return [];
  const out: DataView[] = [];
  for (let p = 0; p + size <= records.byteLength; p += size)
    out.push(new DataView(records.buffer, records.byteOffset + p, size));
  return out;
}

/**
 * Decodes `bpf_line_info` records (`{ insn_off, file_name_off, line_off, line_col }`, each
 * `recordSize` bytes, host byte order), naming files and source text from `btf`'s strings.
 */
export function decodeLineInfo(records: Uint8Array, recordSize: number, btf: Btf): LineInfo[] {
  if (recordSize < LINE_INFO_SIZE) return [];
  return eachRecord(records, recordSize).map((v) => {
    const lineOff = v.getUint32(8, HOST_LITTLE_ENDIAN);
    const lineCol = v.getUint32(12, HOST_LITTLE_ENDIAN);
    const column = lineCol & COLUMN_MASK;
    return {
      instruction: v.getUint32(0, HOST_LITTLE_ENDIAN),
      file: btf.string(v.getUint32(4, HOST_LITTLE_ENDIAN)),
      line: lineCol >>> LINE_SHIFT,
      column: column === 0 ? undefined : column,
      sourceLine: lineOff === 0 ? undefined : btf.string(lineOff),
    };
  });
}

/**
 * Decodes `bpf_func_info` records (`{ insn_off, type_id }`, each `recordSize` bytes, host byte
 * order), naming each function from its `FUNC` in `btf`.
 */
export function decodeFuncInfo(records: Uint8Array, recordSize: number, btf: Btf): FuncInfo[] {
  if (recordSize < FUNC_INFO_SIZE) return [];
  return eachRecord(records, recordSize).map((v) => {
    const typeId = v.getUint32(4, HOST_LITTLE_ENDIAN);
    return { instruction: v.getUint32(0, HOST_LITTLE_ENDIAN), name: btf.nameOf(typeId), typeId };
  });
}

/** The last of `records` (in instruction order) that starts at or before `slot`. */
function lastAtOrBefore<T extends { readonly instruction: number }>(
  records: readonly T[],
  slot: number,
): T | undefined {
  let found: T | undefined;
  for (const r of records) {
    if (r.instruction > slot) break;
    found = r;
  }
  return found;
}

/**
 * The function and C source line that the func_info and line_info of a load give for the
 * instruction in slot `slot`: the nearest record at or before it. Empty when the load gave no
 * program BTF or records, or none lies at or before the slot. Called once the kernel has accepted
 * the BTF and the records (the verifier names an instruction only after checking them).
 * @throws BpfSyscallError when the program BTF cannot be read back from `attr.progBtfFd`
 */
export function extInfoLocation(attr: ProgLoadAttr, slot: number): ExtInfoLocation {
  const { progBtfFd, funcInfo, lineInfo } = attr;
  if (progBtfFd === undefined || (!funcInfo?.byteLength && !lineInfo?.byteLength)) return {};
  const btf = readBtfObject(progBtfFd);
  const f =
    funcInfo && lastAtOrBefore(decodeFuncInfo(funcInfo, attr.funcInfoRecSize ?? FUNC_INFO_SIZE, btf), slot);
  const l =
    lineInfo && lastAtOrBefore(decodeLineInfo(lineInfo, attr.lineInfoRecSize ?? LINE_INFO_SIZE, btf), slot);
  return {
    ...(f && { function: f.name, functionOffset: slot - f.instruction }),
    ...(l && {
      source: { file: l.file, line: l.line, column: l.column, sourceLine: l.sourceLine },
    }),
  };
}
