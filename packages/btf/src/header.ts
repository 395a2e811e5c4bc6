import type { ByteOrder } from '@ts-ebpf/uapi';
import { BtfError } from './errors.js';

/** The BTF magic number, 0xeB9F, read in the file's byte order. */
export const BTF_MAGIC = 0xeb9f;

/** The decoded `struct btf_header`. Offsets are relative to the end of the header. */
export interface BtfHeader {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
  /** The byte order of the data, told by how its magic number reads. */
  readonly byteOrder: ByteOrder;
}

/** Size of the version-1 header. */
export const BTF_HEADER_SIZE = 24;

/**
 * Detects the byte order by the magic number. With `expected`, data in the other order is refused.
 * @throws BtfError when the magic number matches neither order, or not the expected one
 */
export function detectByteOrder(
  view: DataView,
  offset: number,
  magic: number,
  what: string,
  expected?: ByteOrder,
): ByteOrder {
  if (view.byteLength < offset + 2) throw new BtfError(`${what} is truncated: no magic number`, offset);
  const order: ByteOrder | undefined =
    view.getUint16(offset, true) === magic
      ? 'little'
      : view.getUint16(offset, false) === magic
        ? 'big'
        : undefined;
  if (order === undefined) {
    throw new BtfError(
      `${what} has a bad magic number 0x${view.getUint16(offset, true).toString(16)}`,
      offset,
    );
  }
  if (expected !== undefined && order !== expected) {
    throw new BtfError(`${what} is ${order}-endian, but ${expected}-endian data was expected`, offset);
  }
  return order;
}

/**
 * Parses and validates the BTF header (any `Uint8Array` view; never written to).
 * @param byteOrder - when given, data in the other byte order is refused
 * @throws BtfError for a truncated or inconsistent header
 */
export function parseHeader(bytes: Uint8Array, byteOrder?: ByteOrder): BtfHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const order = detectByteOrder(view, 0, BTF_MAGIC, 'BTF', byteOrder);
  const le = order === 'little';
  if (bytes.byteLength < 8) throw new BtfError('BTF header is truncated', 0);
  const version = view.getUint8(2);
  if (version !== 1) throw new BtfError(`unsupported BTF version ${version}`, 2);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < BTF_HEADER_SIZE) throw new BtfError(`BTF header length ${hdrLen} is too small`, 4);
  if (hdrLen > bytes.byteLength) throw new BtfError(`BTF header length ${hdrLen} exceeds the data`, 4);
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (bytes[i] !== 0) throw new BtfError('unknown non-zero field in the BTF header', i);
  }
  const h: BtfHeader = {
    magic: BTF_MAGIC,
    version,
    flags: view.getUint8(3),
    hdrLen,
    typeOff: view.getUint32(8, le),
    typeLen: view.getUint32(12, le),
    strOff: view.getUint32(16, le),
    strLen: view.getUint32(20, le),
    byteOrder: order,
  };
  const avail = bytes.byteLength - hdrLen;
  if (h.typeOff % 4 !== 0) throw new BtfError(`type section offset ${h.typeOff} is not 4-byte aligned`, 8);
  if (h.typeOff + h.typeLen > avail) throw new BtfError('type section runs past the end of the data', 12);
  if (h.strOff + h.strLen > avail) throw new BtfError('string section runs past the end of the data', 20);
  if (h.typeLen % 4 !== 0) throw new BtfError(`type section length ${h.typeLen} is not a multiple of 4`, 12);
  const ts = h.typeOff;
  const te = h.typeOff + h.typeLen;
  const ss = h.strOff;
  const se = h.strOff + h.strLen;
  if (h.typeLen > 0 && h.strLen > 0 && ts < se && ss < te) {
    throw new BtfError('type and string sections overlap', 8);
  }
  return h;
}
