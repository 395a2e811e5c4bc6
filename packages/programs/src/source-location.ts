import { Btf } from '@ts-ebpf/btf';
import { btfInfo, infoBuffer, type ProgLoadAttr } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

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

/** `bpf_line_info.line_col`: the line above these bits, the column in them (linux/bpf.h). */
const LINE_SHIFT = 10;
const COLUMN_MASK = 0x3ff;

/**
 * Byte offset in `records` of the last record (records of `size` bytes, in instruction order,
 * each starting with its instruction index) at or before `slot`, or -1.
 */
function lastAtOrBefore(records: Uint8Array, size: number, slot: number): number {
  // the kernel refuses a record size under the record's (and so before naming an instruction)
  if (size <= 0) return -1;
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let found = -1;
  for (let p = 0; p + size <= records.byteLength; p += size) {
    if (view.getUint32(p, HOST_LITTLE_ENDIAN) > slot) break;
    found = p;
  }
  return found;
}

/**
 * The program BTF of a load, read back from the kernel (`btfFd`): the string table and the
 * `FUNC` types its func_info and line_info records name, as the kernel holds them.
 * @throws BpfSyscallError when the kernel refuses to copy it out
 */
function programBtf(fd: number): Btf {
  const bytes = new Uint8Array(btfInfo(fd).btfSize);
  infoBuffer(fd, 'btfData', bytes);
  return Btf.parse(bytes, { byteOrder: HOST_BYTE_ORDER });
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
  const btf = programBtf(progBtfFd);
  let location: ExtInfoLocation = {};
  const f = funcInfo ? lastAtOrBefore(funcInfo, attr.funcInfoRecSize ?? 8, slot) : -1;
  if (f >= 0) {
    const v = new DataView(funcInfo!.buffer, funcInfo!.byteOffset + f, 8);
    location = {
      function: btf.nameOf(v.getUint32(4, HOST_LITTLE_ENDIAN)),
      functionOffset: slot - v.getUint32(0, HOST_LITTLE_ENDIAN),
    };
  }
  const l = lineInfo ? lastAtOrBefore(lineInfo, attr.lineInfoRecSize ?? 16, slot) : -1;
  if (l >= 0) {
    const v = new DataView(lineInfo!.buffer, lineInfo!.byteOffset + l, 16);
    const lineOff = v.getUint32(8, HOST_LITTLE_ENDIAN);
    const lineCol = v.getUint32(12, HOST_LITTLE_ENDIAN);
    const column = lineCol & COLUMN_MASK;
    location = {
      ...location,
      source: {
        file: btf.string(v.getUint32(4, HOST_LITTLE_ENDIAN)),
        line: lineCol >>> LINE_SHIFT,
        column: column === 0 ? undefined : column,
        sourceLine: lineOff === 0 ? undefined : btf.string(lineOff),
      },
    };
  }
  return location;
}
