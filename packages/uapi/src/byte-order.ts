import { describeValue } from './describe-value.js';

/**
 * Byte order, from one place. Pure layers (assembler, BTF, ELF, codecs) take a
 * {@link ByteOrder} argument; the layers that talk to this kernel pass {@link HOST_BYTE_ORDER}.
 */

/** The order of a multi-byte integer's bytes in memory. */
export type ByteOrder = 'little' | 'big';

/** True when this process runs on a little-endian CPU. */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The byte order of this process's CPU: what the running kernel reads and writes. */
export const HOST_BYTE_ORDER: ByteOrder = HOST_LITTLE_ENDIAN ? 'little' : 'big';

/**
 * Why `value` (an option given as a byte order, untyped callers give anything) is not one, or
 * `undefined` when it is `'little'` or `'big'`: the one wording of that mistake, which callers
 * throw with their own error naming the option.
 */
export function byteOrderMistake(value: unknown): string | undefined {
  if (value === 'little' || value === 'big') return undefined;
  return `${describeValue(value)} is not 'little' or 'big': give the kernel's byte order (HOST_BYTE_ORDER of @ts-ebpf/uapi for this machine)`;
}

/** True for `'little'`: the `littleEndian` argument of `DataView` accessors. */
export function isLittleEndian(order: ByteOrder): boolean {
  return order === 'little';
}
