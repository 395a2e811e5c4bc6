import { type ByteOrder, HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { allocNative, allocPermanent } from './ffi/memory.js';
import { pointerOf } from './ffi/pointers.js';

const encoder = new TextEncoder();

// Inputs up to this size are copied into the attr's own native memory instead of passed by
// address: the address of a fresh small typed array costs ~1 µs (V8 first moves its bytes off
// the heap), a copy tens of ns.
const COPY_LIMIT = 64 * 1024;

/**
 * Whether {@link Attr.input} copies an input of `byteLength` bytes into the attr's own native
 * memory (always, up to 64 KiB) rather than passing the caller's buffer by address.
 */
export function inputIsCopied(byteLength: number): boolean {
  return byteLength <= COPY_LIMIT;
}

/** A block of native memory the inputs of a request are copied into. */
interface ArenaBlock {
  readonly address: number;
  readonly bytes: Uint8Array;
  free(): void;
}

function arenaBlock(size: number): ArenaBlock {
  const { address, buffer, free } = allocNative(Math.max(4096, size));
  return { address, bytes: new Uint8Array(buffer), free };
}

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
  // The struct as 32-bit words, for reset (native memory is 8-aligned; the bytes after the last
  // whole word, if any, are zeroed one by one).
  private readonly words: Uint32Array;
  private readonly le: boolean;
  // The object whose address each 8-byte slot holds, so a buffer passed again
  // (the common case: reused key/value buffers) costs one identity check.
  // (One entry per slot from the start: a reset clears them in place, with no array to regrow.)
  private readonly slots: (ArrayBufferView | null | undefined)[];
  // Native memory the inputs of one request are copied into, bump-allocated from 0 at each
  // reset. A request that outgrows it moves on to a new, larger block; the outgrown ones hold
  // addresses written into this request, so they are freed only at the next reset, which also
  // makes the block as large as the whole of the last request (one block in the steady state).
  private arena: ArenaBlock | undefined;
  private readonly outgrown: ArenaBlock[] = [];
  private arenaUsed = 0;
  private requestBytes = 0;

  /**
   * @param size - the struct's size in bytes
   * @param order - the byte order of its fields: the running kernel's ({@link HOST_BYTE_ORDER})
   *   for every attr passed to a system call; the other order only to test the encoders
   */
  constructor(size: number, order: ByteOrder = HOST_BYTE_ORDER) {
    const { address, buffer } = allocPermanent(size);
    this.address = address;
    this.bytes = new Uint8Array(buffer);
    this.words = new Uint32Array(buffer, 0, size >> 2);
    this.view = new DataView(buffer);
    this.le = isLittleEndian(order);
    this.slots = new Array<ArrayBufferView | null | undefined>((size + 7) >> 3).fill(undefined);
  }

  /** Zero the whole struct (call before filling a new request). */
  reset(): this {
    // Plain loops: the fill() builtins call into the runtime, which costs microseconds when its
    // code and data are cold (as after a system call that loads a program).
    const words = this.words;
    for (let i = 0; i < words.length; i++) words[i] = 0;
    const bytes = this.bytes;
    for (let i = words.length << 2; i < bytes.length; i++) bytes[i] = 0;
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) slots[i] = undefined;
    if (this.outgrown.length > 0) for (const block of this.outgrown.splice(0)) block.free();
    if (this.arena && this.requestBytes > this.arena.bytes.byteLength) {
      this.arena.free();
      this.arena = arenaBlock(this.requestBytes);
    }
    this.arenaUsed = 0;
    this.requestBytes = 0;
    return this;
  }

  // Room for `size` bytes (8-aligned) in the arena: its offset in `this.arena`, which moves on to
  // a new block when the current one is full.
  private take(size: number): number {
    const aligned = (size + 7) & ~7;
    this.requestBytes += aligned;
    if (!this.arena || this.arenaUsed + aligned > this.arena.bytes.byteLength) {
      if (this.arena) this.outgrown.push(this.arena);
      this.arena = arenaBlock(Math.max(aligned, this.requestBytes));
      this.arenaUsed = 0;
    }
    const at = this.arenaUsed;
    this.arenaUsed += aligned;
    return at;
  }

  private writeAddress(offset: number, address: number): this {
    this.slots[offset >> 3] = undefined;
    const low = address % 0x100000000;
    const high = (address - low) / 0x100000000;
    this.view.setUint32(offset + (this.le ? 0 : 4), low, this.le);
    this.view.setUint32(offset + (this.le ? 4 : 0), high, this.le);
    return this;
  }

  /**
   * Write the address of a copy of `bytes` (or 0 for null): for inputs the kernel only reads.
   * Those of up to 64 KiB ({@link inputIsCopied}) are always copied into this attr's native
   * memory, which stays valid and unchanged until the next reset (the caller's buffer may then
   * change or go meanwhile); larger ones are passed by address, like {@link Attr.ptr}.
   */
  input(offset: number, bytes: ArrayBufferView | null | undefined): this {
    if (!bytes || !inputIsCopied(bytes.byteLength)) return this.ptr(offset, bytes);
    const at = this.take(bytes.byteLength);
    const arena = this.arena!;
    // A Uint8Array (every caller's but fdArray's) is copied as it is: no view made per input.
    const view =
      bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    arena.bytes.set(view, at);
    return this.writeAddress(offset, arena.address + at);
  }

  /**
   * Write the address of a NUL-terminated UTF-8 copy of `s` (an input the kernel only reads),
   * made in this attr's native memory like a small {@link Attr.input}.
   */
  inputString(offset: number, s: string): this {
    const at = this.take(s.length * 3 + 1);
    const arena = this.arena!;
    const out = arena.bytes;
    const written = asciiInto(s, out, at) ?? encoder.encodeInto(s, out.subarray(at)).written;
    out[at + written] = 0;
    return this.writeAddress(offset, arena.address + at);
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
    this.writeAddress(offset, bytes ? pointerOf(bytes) : 0);
    this.slots[slot] = bytes ?? null;
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
    const head = value.length < length ? value : value.slice(0, length - 1);
    if (asciiInto(head, this.bytes, offset) === undefined)
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

/**
 * An attr made on first use: importing a module that keeps one allocates no native memory
 * (and loads no koffi) until its command is first called.
 */
export function lazyAttr(size: number, order: ByteOrder = HOST_BYTE_ORDER): () => Attr {
  let attr: Attr | undefined;
  return () => (attr ??= new Attr(size, order));
}

/**
 * Writes `s` at `out[at..]` if it is all ASCII and fits (no encoder, no allocation).
 * @returns the bytes written, or undefined (nothing written) otherwise.
 */
function asciiInto(s: string, out: Uint8Array, at: number): number | undefined {
  if (at + s.length > out.byteLength) return undefined;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return undefined;
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  return s.length;
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
