import { readChars } from './attr.js';
import { addressOf } from './ffi.js';
import { objGetInfoByFd } from './object-commands.js';

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

/** Reads a map's type, sizes, flags and BTF ids. */
export function mapInfo(fd: number): MapInfo {
  const b = new Uint8Array(88);
  objGetInfoByFd(fd, b);
  const v = view(b);
  const u = (o: number) => v.getUint32(o, true);
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
    mapExtra: v.getBigUint64(80, true),
  };
}

/** Reads a program's type, tag, name, sizes, map ids and run statistics. */
export function progInfo(fd: number): ProgInfo {
  const b = new Uint8Array(232);
  objGetInfoByFd(fd, b);
  const v = view(b);
  const u = (o: number) => v.getUint32(o, true);
  const nrMapIds = u(52);
  let mapIds: number[] = [];
  if (nrMapIds > 0) {
    // Second call with room for the map ids (info.map_ids @56, nr_map_ids @52).
    const ids = new Uint32Array(nrMapIds);
    const b2 = new Uint8Array(232);
    const v2 = view(b2);
    v2.setUint32(52, nrMapIds, true);
    v2.setBigUint64(56, addressOf(ids), true);
    objGetInfoByFd(fd, b2);
    mapIds = Array.from(ids);
  }
  return {
    type: u(0),
    id: u(4),
    tag: Array.from(b.subarray(8, 16), (x) => x.toString(16).padStart(2, '0')).join(''),
    jitedProgLen: u(16),
    xlatedProgLen: u(20),
    loadTime: v.getBigUint64(40, true),
    createdByUid: u(48),
    mapIds,
    name: readChars(b, 64, 16),
    ifindex: u(80),
    gplCompatible: (u(84) & 1) === 1,
    btfId: u(128),
    runTimeNs: v.getBigUint64(192, true),
    runCnt: v.getBigUint64(200, true),
    recursionMisses: v.getBigUint64(208, true),
    verifiedInsns: u(216),
    attachBtfObjId: u(220),
    attachBtfId: u(224),
  };
}

/** Reads a link's type, id, program id and the raw type-specific part. */
export function linkInfo(fd: number): LinkInfo {
  const b = new Uint8Array(128);
  objGetInfoByFd(fd, b);
  const v = view(b);
  return {
    type: v.getUint32(0, true),
    id: v.getUint32(4, true),
    progId: v.getUint32(8, true),
    extra: b.slice(16),
  };
}

/** Reads a BTF object's size, id, name and whether it is kernel BTF. */
export function btfInfo(fd: number): BtfInfo {
  const name = new Uint8Array(64);
  const b = new Uint8Array(32);
  const v = view(b);
  v.setBigUint64(16, addressOf(name), true);
  v.setUint32(24, name.byteLength, true);
  objGetInfoByFd(fd, b);
  return {
    btfSize: v.getUint32(8, true),
    id: v.getUint32(12, true),
    name: readChars(name, 0, name.byteLength),
    kernelBtf: v.getUint32(28, true) !== 0,
  };
}
