import { HOST_LITTLE_ENDIAN } from './arch.js';
import { allocPermanent, pointerOf } from './ffi.js';

const encoder = new TextEncoder();

/**
 * A reusable, zero-filled `union bpf_attr` (or any small kernel struct) with
 * little helpers to place fields. One instance per command shape is kept for
 * the life of the process, so a hot call marshals nothing but its fields.
 *
 * Buffers whose addresses are written here must be kept alive by the caller
 * until the system call returns; the wrappers in this package hold them in
 * their own locals for that reason.
 */
export class Attr {
  /** The bytes passed to the kernel (native memory, never moved). */
  readonly bytes: Uint8Array;
  /** The native address of `bytes`. */
  readonly address: number;
  private readonly view: DataView;
  private readonly le: boolean;
  // The object whose address each 8-byte slot holds, so a buffer passed again
  // (the common case: reused key/value buffers) costs one identity check.
  private readonly slots: (ArrayBufferView | null | undefined)[] = [];

  constructor(size: number) {
    const { address, buffer } = allocPermanent(size);
    this.address = address;
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.le = HOST_LITTLE_ENDIAN;
  }

  /** Zero the whole struct (call before filling a new request). */
  reset(): this {
    this.bytes.fill(0);
    this.slots.length = 0;
    return this;
  }

  /** Write a 32-bit unsigned field. */
  u32(offset: number, value: number): this {
    this.slots[offset >> 3] = undefined;
    this.view.setUint32(offset, value >>> 0, this.le);
    return this;
  }

  /** Write a 32-bit signed field. */
  s32(offset: number, value: number): this {
    this.slots[offset >> 3] = undefined;
    this.view.setInt32(offset, value, this.le);
    return this;
  }

  /** Write a 64-bit field. */
  u64(offset: number, value: bigint | number): this {
    this.slots[offset >> 3] = undefined;
    this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), this.le);
    return this;
  }

  /** Write the address of `bytes` (or 0 for null) into a 64-bit pointer field. */
  ptr(offset: number, bytes: ArrayBufferView | null | undefined): this {
    const slot = offset >> 3;
    // `length` rather than `byteLength`: the latter costs ~18 ns on Node 20. A detached buffer
    // has length 0; a DataView has no length and always takes the checked path below.
    if (bytes && this.slots[slot] === bytes && ((bytes as { length?: number }).length ?? 0) > 0) return this;
    this.slots[slot] = bytes ?? null;
    const address = bytes ? pointerOf(bytes) : 0;
    const low = address % 0x100000000;
    const high = (address - low) / 0x100000000;
    this.view.setUint32(offset + (this.le ? 0 : 4), low, this.le);
    this.view.setUint32(offset + (this.le ? 4 : 0), high, this.le);
    return this;
  }

  /** Write a 64-bit field from a number that fits 32 bits (flags), without BigInt. */
  u64small(offset: number, value: number): this {
    this.slots[offset >> 3] = undefined;
    this.view.setUint32(offset + (this.le ? 0 : 4), value >>> 0, this.le);
    this.view.setUint32(offset + (this.le ? 4 : 0), 0, this.le);
    return this;
  }

  /** Copy a string into a fixed char array field (NUL-padded). */
  chars(offset: number, length: number, value: string): this {
    for (let slot = offset >> 3; slot <= (offset + length - 1) >> 3; slot++) this.slots[slot] = undefined;
    this.bytes.fill(0, offset, offset + length);
    this.bytes.set(encoder.encode(value).subarray(0, length - 1), offset);
    return this;
  }

  /** Read a 32-bit unsigned field (for values the kernel writes back). */
  getU32(offset: number): number {
    return this.view.getUint32(offset, this.le);
  }

  /** Read a 64-bit unsigned field. */
  getU64(offset: number): bigint {
    return this.view.getBigUint64(offset, this.le);
  }
}

/** A NUL-terminated UTF-8 copy of `s`, for pointer fields that take a C string. */
export function cString(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Decodes a NUL-terminated string from a fixed char array. */
export function readChars(bytes: Uint8Array, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
}

/** Holds the buffers of the latest call; an escaping object, so no compiler can drop the stores. */
export const keepAliveSink: { last: unknown } = { last: undefined };

/**
 * Keeps buffers whose addresses were written into an attr reachable until
 * after the system call: call it after the call with every temporary buffer.
 */
export function keepAlive(...objects: unknown[]): void {
  keepAliveSink.last = objects;
}
