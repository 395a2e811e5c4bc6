import type { ByteOrder } from '@ts-ebpf/uapi';
import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BTF_MAGIC, detectByteOrder } from './header.js';

/** Kinds of CO-RE relocations (`enum bpf_core_relo_kind`). */
export const CoreReloKind = [
  'field_byte_offset',
  'field_byte_size',
  'field_exists',
  'field_signed',
  'field_lshift_u64',
  'field_rshift_u64',
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
] as const;

/** A CO-RE relocation kind name. */
export type CoreReloKindName = (typeof CoreReloKind)[number];

/** `bpf_func_info`: the function type of the function starting at `insnOff`. */
export interface FuncInfo {
  /** Byte offset of the instruction in its section. */
  readonly insnOff: number;
  readonly typeId: number;
}
/** `bpf_line_info`: the source line of the instruction at `insnOff`. */
export interface LineInfo {
  readonly insnOff: number;
  /** Offsets of the file name and source line in the BTF string section, as the kernel wants them. */
  readonly fileNameOff: number;
  readonly lineOff: number;
  readonly fileName: string;
  readonly line: string;
  readonly lineNumber: number;
  readonly column: number;
}
/** `bpf_core_relo`: a CO-RE relocation of the instruction at `insnOff`. */
export interface CoreRelo {
  readonly insnOff: number;
  readonly typeId: number;
  /** The access string, e.g. `0:1:0`. */
  readonly accessString: string;
  readonly kind: CoreReloKindName | number;
}
/** The records of one ELF section. */
export interface ExtSection<R> {
  readonly section: string;
  readonly records: readonly R[];
}
/** A parsed `.BTF.ext` section. */
export interface BtfExt {
  /** The byte order of the section (always that of its `.BTF`). */
  readonly byteOrder: ByteOrder;
  readonly funcInfo: readonly ExtSection<FuncInfo>[];
  readonly lineInfo: readonly ExtSection<LineInfo>[];
  readonly coreRelos: readonly ExtSection<CoreRelo>[];
}

/**
 * Where the records of one ELF section lie in a `.BTF.ext` section: `count` records of
 * `recordSize` bytes from byte `offset` of the bytes given to {@link btfExtLayout}, undecoded.
 */
export interface BtfExtSpan {
  /** The ELF section the records refer to (`xdp`, `.text` …). */
  readonly section: string;
  /** Byte offset of the first record in the `.BTF.ext` bytes. */
  readonly offset: number;
  /** How many records there are (at least one). */
  readonly count: number;
  /** Size of one record: at least the kernel's record, a multiple of 4. */
  readonly recordSize: number;
}

/**
 * A `.BTF.ext` section's layout: its header checked and, for each kind of record, the span of
 * every ELF section's records, checked to lie inside the bytes. What {@link parseBtfExt} decodes;
 * a loader that only copies records (func_info and line_info into BPF_PROG_LOAD) reads them from
 * the spans without decoding a string.
 */
export interface BtfExtLayout {
  /** The byte order of the section (always that of its `.BTF`). */
  readonly byteOrder: ByteOrder;
  /** `bpf_func_info` records (at least 8 bytes each). */
  readonly funcInfo: readonly BtfExtSpan[];
  /** `bpf_line_info` records (at least 16 bytes each). */
  readonly lineInfo: readonly BtfExtSpan[];
  /** `bpf_core_relo` records (at least 16 bytes each). */
  readonly coreRelos: readonly BtfExtSpan[];
}

function spansOf(
  view: DataView,
  le: boolean,
  start: number,
  len: number,
  minRecord: number,
  btf: Btf,
): BtfExtSpan[] {
  const out: BtfExtSpan[] = [];
  if (len === 0) return out;
  const end = start + len;
  if (end > view.byteLength || len < 4) throw new BtfError('BTF.ext info section is truncated', start);
  const recordSize = view.getUint32(start, le);
  if (recordSize < minRecord || recordSize % 4 !== 0)
    throw new BtfError(`BTF.ext record size ${recordSize} is invalid`, start);
  let p = start + 4;
  while (p < end) {
    if (p + 8 > end) throw new BtfError('BTF.ext section header is truncated', p);
    const section = btf.string(view.getUint32(p, le), p);
    const count = view.getUint32(p + 4, le);
    p += 8;
    if (count === 0) throw new BtfError(`BTF.ext section '${section}' has no records`, p - 4);
    if (p + count * recordSize > end) throw new BtfError(`BTF.ext records of '${section}' are truncated`, p);
    out.push({ section, offset: p, count, recordSize });
    p += count * recordSize;
  }
  return out;
}

/**
 * Reads a `.BTF.ext` section's header and the spans of its records (any `Uint8Array` view;
 * never written to), without decoding a record; section names are looked up in the strings of
 * `btf` (the object's `.BTF`), whose byte order the section must share. Offsets are relative to
 * `bytes` (its `byteOffset` is honoured).
 *
 * For a loader that passes func_info and line_info records to `BPF_PROG_LOAD` as they are,
 * copying them from the section's bytes with only the instruction offset changed (as
 * `@ts-ebpf/elf` does); {@link parseBtfExt} decodes every record into objects instead, for
 * reading them.
 * @throws BtfError for truncated or corrupt data, or a byte order other than the BTF's
 */
export function btfExtLayout(bytes: Uint8Array, btf: Btf): BtfExtLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const byteOrder = detectByteOrder(view, 0, BTF_MAGIC, 'BTF.ext', btf.byteOrder);
  const le = byteOrder === 'little';
  if (bytes.byteLength < 24) throw new BtfError('BTF.ext header is truncated', 0);
  if (view.getUint8(2) !== 1) throw new BtfError(`unsupported BTF.ext version ${view.getUint8(2)}`, 2);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.byteLength)
    throw new BtfError(`BTF.ext header length ${hdrLen} is invalid`, 4);
  const sec = (at: number, minRecord: number): BtfExtSpan[] => {
    const off = view.getUint32(at, le);
    const len = view.getUint32(at + 4, le);
    if (hdrLen + off + len > bytes.byteLength) throw new BtfError('BTF.ext section runs past the end', at);
    return spansOf(view, le, hdrLen + off, len, minRecord, btf);
  };
  const funcInfo = sec(8, 8);
  const lineInfo = sec(16, 16);
  return { byteOrder, funcInfo, lineInfo, coreRelos: hdrLen >= 32 ? sec(24, 16) : [] };
}

type Decoder<R> = (v: DataView, p: number) => R;

function decodeSpans<R>(view: DataView, spans: readonly BtfExtSpan[], decode: Decoder<R>): ExtSection<R>[] {
  return spans.map(({ section, offset, count, recordSize }) => {
    const records: R[] = new Array(count);
    for (let i = 0, p = offset; i < count; i++, p += recordSize) records[i] = decode(view, p);
    return { section, records };
  });
}

/**
 * Parses a `.BTF.ext` section (any `Uint8Array` view; never written to); names are looked up
 * in the strings of `btf` (the object's `.BTF`), whose byte order the section must share.
 * @throws BtfError for truncated or corrupt data, or a byte order other than the BTF's
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const layout = btfExtLayout(bytes, btf);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = layout.byteOrder === 'little';
  // Every line_info record names its file, and many share a line: each string is decoded once.
  const strings = new Map<number, string>();
  const stringOnce = (offset: number, at: number): string => {
    let text = strings.get(offset);
    if (text === undefined) {
      text = btf.string(offset, at);
      strings.set(offset, text);
    }
    return text;
  };
  return {
    byteOrder: layout.byteOrder,
    funcInfo: decodeSpans(view, layout.funcInfo, (v, p) => ({
      insnOff: v.getUint32(p, le),
      typeId: v.getUint32(p + 4, le),
    })),
    lineInfo: decodeSpans(view, layout.lineInfo, (v, p) => {
      const lineCol = v.getUint32(p + 12, le);
      return {
        insnOff: v.getUint32(p, le),
        fileNameOff: v.getUint32(p + 4, le),
        lineOff: v.getUint32(p + 8, le),
        fileName: stringOnce(v.getUint32(p + 4, le), p + 4),
        line: stringOnce(v.getUint32(p + 8, le), p + 8),
        lineNumber: lineCol >>> 10,
        column: lineCol & 0x3ff,
      };
    }),
    coreRelos: decodeSpans(view, layout.coreRelos, (v, p) => {
      const k = v.getUint32(p + 12, le);
      return {
        insnOff: v.getUint32(p, le),
        typeId: v.getUint32(p + 4, le),
        accessString: btf.string(v.getUint32(p + 8, le), p + 8),
        kind: CoreReloKind[k] ?? k,
      };
    }),
  };
}
