import { type ByteOrder, HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { readChars } from './attr.js';
import { BpfArgumentError } from './errors.js';
import { describeFdTarget, fdTarget } from './fd-kind.js';
import { addressOf } from './ffi/pointers.js';
import { objGetInfoByFd } from './object-commands.js';
import { checkBuffer, checkFd } from './validate.js';

/** `struct bpf_map_info`, decoded. */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  name: string;
  ifindex: number;
  btfVmlinuxValueTypeId: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  mapExtra: bigint;
}

/** `struct bpf_prog_info`, decoded (the scalar fields). */
export interface ProgInfo {
  type: number;
  id: number;
  /** The program tag, 16 hex digits. */
  tag: string;
  jitedProgLen: number;
  xlatedProgLen: number;
  /** Nanoseconds since boot. */
  loadTime: bigint;
  createdByUid: number;
  mapIds: number[];
  name: string;
  ifindex: number;
  gplCompatible: boolean;
  btfId: number;
  /** Total run time in ns (only counted while stats are enabled). */
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
  attachBtfObjId: number;
  attachBtfId: number;
}

/** `struct bpf_link_info`: the common fields and the raw per-type union. */
export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
  /** The type-specific part (from byte 16), undecoded. */
  extra: Uint8Array;
}

/** `struct bpf_btf_info`, decoded. */
export interface BtfInfo {
  btfSize: number;
  id: number;
  name: string;
  kernelBtf: boolean;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes of `struct bpf_map_info` this package reads. */
export const MAP_INFO_SIZE = 88;
/** Bytes of `struct bpf_prog_info` this package reads. */
export const PROG_INFO_SIZE = 232;
/** Bytes of `struct bpf_link_info` this package reads. */
export const LINK_INFO_SIZE = 128;
/** Bytes of `struct bpf_btf_info`. */
export const BTF_INFO_SIZE = 32;

/** Decodes a `struct bpf_map_info` written in `order`. */
export function decodeMapInfo(b: Uint8Array, order: ByteOrder): MapInfo {
  const v = view(b);
  const le = isLittleEndian(order);
  const u = (o: number) => v.getUint32(o, le);
  return {
    type: u(0),
    id: u(4),
    keySize: u(8),
    valueSize: u(12),
    maxEntries: u(16),
    mapFlags: u(20),
    name: readChars(b, 24, 16),
    ifindex: u(40),
    btfVmlinuxValueTypeId: u(44),
    btfId: u(64),
    btfKeyTypeId: u(68),
    btfValueTypeId: u(72),
    mapExtra: v.getBigUint64(80, le),
  };
}

/** Reads a map's type, sizes, flags and BTF ids. */
export function mapInfo(fd: number): MapInfo {
  const b = new Uint8Array(MAP_INFO_SIZE);
  objGetInfoByFd(fd, b);
  return decodeMapInfo(b, HOST_BYTE_ORDER);
}

/** Decodes a `struct bpf_prog_info` written in `order`; `mapIds` are given separately. */
export function decodeProgInfo(b: Uint8Array, mapIds: number[], order: ByteOrder): ProgInfo {
  const v = view(b);
  const le = isLittleEndian(order);
  const u = (o: number) => v.getUint32(o, le);
  return {
    type: u(0),
    id: u(4),
    tag: Array.from(b.subarray(8, 16), (x) => x.toString(16).padStart(2, '0')).join(''),
    jitedProgLen: u(16),
    xlatedProgLen: u(20),
    loadTime: v.getBigUint64(40, le),
    createdByUid: u(48),
    mapIds,
    name: readChars(b, 64, 16),
    ifindex: u(80),
    gplCompatible: (u(84) & 1) === 1,
    btfId: u(128),
    runTimeNs: v.getBigUint64(192, le),
    runCnt: v.getBigUint64(200, le),
    recursionMisses: v.getBigUint64(208, le),
    verifiedInsns: u(216),
    attachBtfObjId: u(220),
    attachBtfId: u(224),
  };
}

/**
 * An info-struct field the kernel fills through a user pointer: its pointer (u64) and its
 * length (u32) fields, where `unit` is the size of one element the length counts.
 */
interface InfoBufferLayout {
  /** The `/proc/self/fd` link target of the objects whose info struct has the field. */
  kind: typeof PROG | typeof BTF;
  infoSize: number;
  pointer: number;
  length: number;
  unit: number;
  /**
   * The field where the caller says how large it takes one record to be (`func_info_rec_size`,
   * `line_info_rec_size`): set to `unit`, the record size the kernel requires, on every call.
   */
  recordSize?: number;
}

/**
 * The buffer fields of the info structs (`struct bpf_prog_info`, `struct bpf_btf_info` in
 * linux/bpf.h), by name: `progJitedInsns` (`jited_prog_insns` / `jited_prog_len`),
 * `progXlatedInsns` (`xlated_prog_insns` / `xlated_prog_len`), `progMapIds` (`map_ids` /
 * `nr_map_ids`, 4-byte ids), `progJitedKsyms` (`jited_ksyms` / `nr_jited_ksyms`: the kernel
 * address of each JIT-compiled function, main program first, then the subprograms in order;
 * 8-byte addresses), `progJitedFuncLens` (`jited_func_lens` / `nr_jited_func_lens`: the byte
 * length of each JIT-compiled function, in the same order; 4-byte lengths), `progFuncInfo` (`func_info` / `nr_func_info`: a `struct bpf_func_info`
 * { insn_off, type_id } for each function, 8 bytes), `progLineInfo` (`line_info` /
 * `nr_line_info`: a `struct bpf_line_info` { insn_off, file_name_off, line_off, line_col } for
 * each source line, 16 bytes), `btfData` (`btf` / `btf_size`), `btfName` (`name` / `name_len`).
 * The record sizes of func_info and line_info are given to the kernel too (it refuses any but
 * its own).
 */
const PROG = 'anon_inode:bpf-prog';
const BTF = 'anon_inode:btf';

const INFO_BUFFERS = {
  progJitedInsns: { kind: PROG, infoSize: PROG_INFO_SIZE, pointer: 24, length: 16, unit: 1 },
  progXlatedInsns: { kind: PROG, infoSize: PROG_INFO_SIZE, pointer: 32, length: 20, unit: 1 },
  progMapIds: { kind: PROG, infoSize: PROG_INFO_SIZE, pointer: 56, length: 52, unit: 4 },
  progJitedKsyms: { kind: PROG, infoSize: PROG_INFO_SIZE, pointer: 112, length: 104, unit: 8 },
  progJitedFuncLens: { kind: PROG, infoSize: PROG_INFO_SIZE, pointer: 120, length: 108, unit: 4 },
  progFuncInfo: { kind: PROG, infoSize: PROG_INFO_SIZE, pointer: 136, length: 144, unit: 8, recordSize: 132 },
  progLineInfo: {
    kind: PROG,
    infoSize: PROG_INFO_SIZE,
    pointer: 152,
    length: 148,
    unit: 16,
    recordSize: 172,
  },
  btfData: { kind: BTF, infoSize: BTF_INFO_SIZE, pointer: 0, length: 8, unit: 1 },
  btfName: { kind: BTF, infoSize: BTF_INFO_SIZE, pointer: 16, length: 24, unit: 1 },
} as const satisfies Record<string, InfoBufferLayout>;

/** A buffer field of `struct bpf_prog_info` or `struct bpf_btf_info` (see {@link infoBuffer}). */
export type InfoBufferField = keyof typeof INFO_BUFFERS;

/** What the kernel reported for an {@link infoBuffer} call. */
export interface InfoBufferResult {
  /**
   * The field's full size in bytes as the kernel reported it (it copies at most the buffer's
   * size: a larger figure means the buffer was too small, or the object changed).
   */
  byteLength: number;
  /**
   * True when the kernel cleared the pointer instead of copying: it withheld the contents from
   * this caller (e.g. raw program dumps not allowed: kptr_restrict, or no CAP_SYSLOG).
   */
  withheld: boolean;
}

/**
 * Copies one pointer-filled info field of the object `fd` into `into` with
 * BPF_OBJ_GET_INFO_BY_FD, using this package's layout of the info struct. `into` is written
 * from its byteOffset, at most its byteLength bytes (a whole number of elements of the field).
 * @throws BufferSizeError when `into` is detached
 * @throws BpfArgumentError when `into` is not a whole number of the field's elements
 * @throws BpfArgumentError when `fd` is not a program (`prog*` fields) or a BTF object (`btf*`)
 * @throws BpfSyscallError when the kernel refuses
 */
export function infoBuffer(fd: number, field: InfoBufferField, into: Uint8Array): InfoBufferResult {
  const layout: InfoBufferLayout = INFO_BUFFERS[field];
  checkBuffer(into, 'BPF_OBJ_GET_INFO_BY_FD', field, 0, `the ${field} field`);
  // Another object's info struct has other fields at these offsets: a kprobe_multi link's takes
  // the length as a count of 8-byte addresses, and the kernel would write past `into`.
  const kind = fdTarget(checkFd(fd));
  if (kind !== undefined && kind !== layout.kind) {
    throw new BpfArgumentError(
      'fd',
      `${field} is a field of a ${describeFdTarget(layout.kind)}'s info, and fd ${fd} is a ${describeFdTarget(kind)}`,
    );
  }
  if (into.byteLength % layout.unit !== 0) {
    throw new BpfArgumentError(
      field,
      `buffer of ${into.byteLength} bytes is not a whole number of ${layout.unit}-byte elements`,
    );
  }
  const le = isLittleEndian(HOST_BYTE_ORDER);
  const info = new Uint8Array(layout.infoSize);
  const v = view(info);
  v.setUint32(layout.length, into.byteLength / layout.unit, le);
  if (layout.recordSize !== undefined) v.setUint32(layout.recordSize, layout.unit, le);
  if (into.byteLength > 0) v.setBigUint64(layout.pointer, addressOf(into), le);
  objGetInfoByFd(fd, info);
  return {
    byteLength: v.getUint32(layout.length, le) * layout.unit,
    withheld: into.byteLength > 0 && v.getBigUint64(layout.pointer, le) === 0n,
  };
}

/** Reads a program's type, tag, name, sizes, map ids and run statistics. */
export function progInfo(fd: number): ProgInfo {
  const le = isLittleEndian(HOST_BYTE_ORDER);
  const b = new Uint8Array(PROG_INFO_SIZE);
  objGetInfoByFd(fd, b);
  const nrMapIds = view(b).getUint32(INFO_BUFFERS.progMapIds.length, le);
  let mapIds: number[] = [];
  if (nrMapIds > 0) {
    // Second call with room for the map ids.
    const storage = new ArrayBuffer(nrMapIds * 4);
    const ids = new Uint32Array(storage);
    infoBuffer(fd, 'progMapIds', new Uint8Array(storage));
    mapIds = Array.from(ids);
  }
  return decodeProgInfo(b, mapIds, HOST_BYTE_ORDER);
}

/** Decodes the common part of a `struct bpf_link_info` written in `order`. */
export function decodeLinkInfo(b: Uint8Array, order: ByteOrder): LinkInfo {
  const v = view(b);
  const le = isLittleEndian(order);
  return {
    type: v.getUint32(0, le),
    id: v.getUint32(4, le),
    progId: v.getUint32(8, le),
    extra: b.slice(16),
  };
}

/** Reads a link's type, id, program id and the raw type-specific part. */
export function linkInfo(fd: number): LinkInfo {
  const b = new Uint8Array(LINK_INFO_SIZE);
  objGetInfoByFd(fd, b);
  return decodeLinkInfo(b, HOST_BYTE_ORDER);
}

/** Decodes a `struct bpf_btf_info` written in `order`, with the name the kernel wrote to `name`. */
export function decodeBtfInfo(b: Uint8Array, name: Uint8Array, order: ByteOrder): BtfInfo {
  const v = view(b);
  const le = isLittleEndian(order);
  return {
    btfSize: v.getUint32(8, le),
    id: v.getUint32(12, le),
    name: readChars(name, 0, name.byteLength),
    kernelBtf: v.getUint32(28, le) !== 0,
  };
}

/** Reads a BTF object's size, id, name and whether it is kernel BTF. */
export function btfInfo(fd: number): BtfInfo {
  const le = isLittleEndian(HOST_BYTE_ORDER);
  const name = new Uint8Array(64);
  const b = new Uint8Array(BTF_INFO_SIZE);
  const v = view(b);
  v.setBigUint64(INFO_BUFFERS.btfName.pointer, addressOf(name), le);
  v.setUint32(INFO_BUFFERS.btfName.length, name.byteLength, le);
  objGetInfoByFd(fd, b);
  return decodeBtfInfo(b, name, HOST_BYTE_ORDER);
}
