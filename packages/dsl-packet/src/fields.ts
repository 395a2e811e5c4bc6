import { be, type Fragment, isRegister, ldx, mov, type Register, type SizeName, st, stx } from '@ts-ebpf/dsl';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { checkOffset, type PacketCursor, type PacketPosition } from './cursor.js';
import { PacketDslError } from './errors.js';

/** Byte order of a value in a register: as the packet holds it (`'network'`) or numeric (`'host'`). */
export type ValueOrder = 'network' | 'host';

/**
 * `order`, checked: `'network'` or `'host'` (a typo would otherwise pick one of them
 * silently); `what` names the option.
 * @throws PacketDslError for anything else
 */
export function checkOrder(order: ValueOrder, what: string): ValueOrder {
  if (order !== 'network' && order !== 'host')
    throw new PacketDslError(`${what} must be 'host' or 'network', not ${JSON.stringify(order)}`);
  return order;
}

function swap(value: number, bytes: 2 | 4): number {
  if (bytes === 2) return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

function checkValue(value: number, bits: 16 | 32): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits)
    throw new PacketDslError(`network-order constant ${value} does not fit ${bits} bits`);
}

/**
 * A 16-bit value as a raw 2-byte packet load gives it on a machine of `order`: compare a
 * loaded field with `net16(0x0800, order)` and no byte swap is needed (`htons`).
 */
export function net16(value: number, order: ByteOrder): number {
  checkValue(value, 16);
  return order === 'little' ? swap(value, 2) : value;
}

/**
 * A 32-bit value as a raw 4-byte packet load gives it on a machine of `order` (`htonl`),
 * as a signed 32-bit immediate ready for a compare or store (a 32-bit compare, `jeq32`, is
 * the one that matches a zero-extended load for values of 2^31 and up).
 */
export function net32(value: number, order: ByteOrder): number {
  checkValue(value, 32);
  return (order === 'little' ? swap(value, 4) : value) | 0;
}

const SIZES: Record<number, SizeName> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

function sizeName(bytes: number): SizeName {
  const s = SIZES[bytes];
  if (s === undefined) throw new PacketDslError(`packet field size ${bytes} is not 1, 2, 4 or 8 bytes`);
  return s;
}

/** A packet field: `bytes` wide at `field` bytes past a header position. */
export interface PacketField {
  /** The header's position. */
  readonly at: PacketPosition;
  /** Offset of the field inside the header. */
  readonly field: number;
  /** Width in bytes: 1, 2, 4 or 8. */
  readonly bytes: 1 | 2 | 4 | 8;
}

/**
 * `dst = field`, in host order (numeric, byte-swapped from network order; the default) or
 * network order (as the packet holds it). The field must be inside a bounds check.
 * @throws PacketDslError for a bad size, offset or order
 */
export function loadField(dst: Register, f: PacketField, order: ValueOrder = 'host'): Fragment {
  checkOrder(order, "loadField 'order'");
  const size = sizeName(f.bytes);
  const off = checkOffset(f.at.offset + f.field, 'packet field');
  const load = ldx(size, dst, f.at.base, off);
  return order === 'host' && f.bytes > 1 ? [load, be(dst, (f.bytes * 8) as 16 | 32 | 64)] : [load];
}

/**
 * `field = value`: a register (in `order`; a host-order register is swapped in `cursor.scratch`
 * so the caller's register keeps its value) or a constant given in host order (at most 32 bits,
 * stored in network order). The field must be inside a bounds check.
 * @throws PacketDslError for a bad size, offset, order or constant
 */
export function storeField(
  cursor: PacketCursor,
  f: PacketField,
  value: Register | number,
  order: ValueOrder = 'host',
): Fragment {
  checkOrder(order, "storeField 'order'");
  const size = sizeName(f.bytes);
  const off = checkOffset(f.at.offset + f.field, 'packet field');
  if (isRegister(value)) {
    if (order === 'network' || f.bytes === 1) return [stx(size, f.at.base, value, off)];
    return [
      mov(cursor.scratch, value),
      be(cursor.scratch, (f.bytes * 8) as 16 | 32 | 64),
      stx(size, f.at.base, cursor.scratch, off),
    ];
  }
  if (f.bytes === 8) throw new PacketDslError('an 8-byte packet field takes a register, not a constant');
  if (f.bytes === 1) {
    checkValue(value, 16);
    if (value > 0xff) throw new PacketDslError(`constant ${value} does not fit a 1-byte packet field`);
    return [st(size, f.at.base, off, value)];
  }
  const raw = f.bytes === 2 ? net16(value, cursor.byteOrder) : net32(value, cursor.byteOrder);
  return [st(size, f.at.base, off, order === 'network' ? value | 0 : raw)];
}
