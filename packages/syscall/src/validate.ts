import { BpfArgumentError, BufferSizeError } from './errors.js';

const encoder = new TextEncoder();

/** The largest value of a C `int` argument. */
export const INT_MAX = 0x7fffffff;

/** Checks that `fd` is a plausible open file descriptor number. */
export function checkFd(fd: number, argument = 'fd'): number {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new BpfArgumentError(argument, `expected a non-negative integer file descriptor, got ${fd}`);
  }
  return fd;
}

/** Checks that `value` is an integer in [min, max]. */
export function checkInt(value: number, argument: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BpfArgumentError(argument, `expected an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Checks an unsigned 32-bit integer. */
export function checkU32(value: number, argument: string): number {
  return checkInt(value, argument, 0, 0xffffffff);
}

/** Checks an unsigned 64-bit value given as a number or bigint, returning a bigint. */
export function checkU64(value: number | bigint, argument: string): bigint {
  const big = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : -1n;
  if (big < 0n || big > 0xffffffffffffffffn) {
    throw new BpfArgumentError(argument, `expected an unsigned 64-bit integer, got ${value}`);
  }
  return big;
}

/** Checks a string passed to C: no NUL byte inside, at most `maxBytes` UTF-8 bytes. */
export function checkCString(value: string, argument: string, maxBytes = 4095): string {
  if (typeof value !== 'string')
    throw new BpfArgumentError(argument, `expected a string, got ${typeof value}`);
  if (value.includes('\0'))
    throw new BpfArgumentError(argument, `contains a NUL byte: ${JSON.stringify(value)}`);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no encoding to be counted.
  if (value.length * 3 <= maxBytes) return value;
  const bytes = encoder.encode(value).length;
  if (bytes > maxBytes)
    throw new BpfArgumentError(argument, `is ${bytes} bytes long, at most ${maxBytes} allowed`);
  return value;
}

/**
 * Checks a kernel object name (map or program): at most 15 bytes of
 * `[A-Za-z0-9_.]`, which is all BPF_OBJ_NAME_LEN and the kernel allow.
 */
export function checkObjectName(value: string, argument: string): string {
  if (!isObjectName(value)) {
    throw new BpfArgumentError(
      argument,
      `${JSON.stringify(value)} is not a kernel object name (at most 15 characters of A-Z a-z 0-9 _ .)`,
    );
  }
  return value;
}

/**
 * Whether `value` is a kernel object name (map or program): a string of at most 15 characters of
 * `[A-Za-z0-9_.]`. Checked by a loop: a regular expression costs more per call.
 *
 * For code that turns a name of its own into one the kernel takes, rather than refusing it (as
 * {@link checkObjectName} does): `@ts-ebpf/elf` keeps an ELF map name that passes as it is and
 * rewrites one that does not.
 */
export function isObjectName(value: string): boolean {
  if (typeof value !== 'string' || value.length > 15) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // 0-9 A-Z _ a-z .
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95 || (c >= 97 && c <= 122) || c === 46))
      return false;
  }
  return true;
}

/** True when `bytes` sits on a detached (transferred) ArrayBuffer. */
export function isDetached(bytes: ArrayBufferView): boolean {
  const buffer = bytes.buffer as ArrayBuffer & { detached?: boolean };
  if (buffer.detached !== undefined) return buffer.detached;
  // Node 20 has no `detached`: a detached buffer reports byteLength 0, and a view on it cannot be made.
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * True unless `bytes` is a Uint8Array on a live buffer with at least `needed` bytes: the
 * comparison the hot paths inline. Written `!(length >= needed)` so that a value without a
 * `length` (not a Uint8Array) fails too; a detached buffer has length 0, so the slower detached
 * test runs only for empty ones.
 */
export function shortBytes(bytes: Uint8Array | null | undefined, needed: number): boolean {
  return (
    bytes === null ||
    bytes === undefined ||
    !(bytes.length >= needed) ||
    (bytes.length === 0 && isDetached(bytes))
  );
}

/**
 * Throws the {@link BufferSizeError} for a buffer that failed a size check (a separate
 * function, so the hot paths inline only their comparison).
 */
export function bufferError(
  bytes: ArrayBufferView | null | undefined,
  command: string,
  argument: string,
  needed: number,
  why: string,
): never {
  if (bytes !== null && bytes !== undefined && !ArrayBuffer.isView(bytes))
    throw new BpfArgumentError(argument, `${command} expects a Uint8Array, got ${typeof bytes}`);
  // Only the `length` checks of the hot paths (shortBytes) refuse a view long enough in bytes: one
  // whose length counts other units (Int32Array, DataView).
  if (bytes && !(bytes instanceof Uint8Array) && bytes.byteLength >= needed && !isDetached(bytes))
    throw new BpfArgumentError(argument, `${command} expects a Uint8Array, got ${bytes.constructor.name}`);
  const detached = bytes ? isDetached(bytes) : false;
  throw new BufferSizeError(command, argument, bytes?.byteLength ?? 0, needed, why, detached);
}

/**
 * Checks a buffer the kernel reads or writes `needed` bytes of: a typed array on a live
 * ArrayBuffer, at least `needed` bytes long.
 * @param why - where `needed` comes from, for the message
 */
export function checkBuffer<T extends ArrayBufferView>(
  bytes: T,
  command: string,
  argument: string,
  needed: number,
  why = 'the kernel',
): T {
  // a detached buffer has byteLength 0: only then is the (slower) detached test needed
  if (
    !ArrayBuffer.isView(bytes) ||
    bytes.byteLength < needed ||
    (bytes.byteLength === 0 && isDetached(bytes))
  )
    bufferError(bytes, command, argument, needed, why);
  return bytes;
}
