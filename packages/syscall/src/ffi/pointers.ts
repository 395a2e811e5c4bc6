/** Native addresses of JavaScript buffers, for the kernel to follow. */
import { BpfArgumentError } from '../errors.js';
import { n } from './native.js';

/**
 * The native address of a typed array's first byte (valid while the array is alive and not
 * transferred), for a struct field the kernel follows. Nothing downstream can check such an
 * address: whoever writes it into a struct must keep the array alive (held in a variable used
 * after the call) and at least as long as the length the struct gives with it.
 */
export function addressOf(bytes: ArrayBufferView): bigint {
  if (!ArrayBuffer.isView(bytes))
    throw new BpfArgumentError('bytes', `expected a typed array or DataView, got ${describe(bytes)}`);
  return BigInt(pointerOf(bytes));
}

// Base addresses of ArrayBuffers, cached: a (non-detached) ArrayBuffer's backing
// store never moves once materialized, and asking for `.buffer` materializes it.
const baseAddresses = new WeakMap<ArrayBufferLike, number>();

/**
 * The native address of a typed array's first byte as a number (user-space
 * addresses fit in 53 bits), cached per ArrayBuffer. Valid while the array is
 * alive; throws for a detached buffer.
 */
export function pointerOf(bytes: ArrayBufferView): number {
  const buffer = bytes.buffer;
  let base = baseAddresses.get(buffer);
  if (base === undefined) {
    // (a plain array or other object has no `buffer`: it is not cached, so it always comes here)
    if (!ArrayBuffer.isView(bytes))
      throw new BpfArgumentError('buffer', `expected a typed array or DataView, got ${describe(bytes)}`);
    if (buffer.byteLength === 0)
      throw new BpfArgumentError('buffer', 'is empty or detached: nothing to pass to the kernel');
    base = Number(n().koffi.address(new Uint8Array(buffer)));
    baseAddresses.set(buffer, base);
  } else if (buffer.byteLength === 0) {
    throw new BpfArgumentError('buffer', 'is detached (its ArrayBuffer was transferred)');
  }
  return base + bytes.byteOffset;
}

/** What a value that is not a buffer is, for messages. */
function describe(value: unknown): string {
  return value === null
    ? 'null'
    : typeof value === 'object'
      ? (value.constructor?.name ?? 'object')
      : typeof value;
}
