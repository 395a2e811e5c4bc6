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

/** True for `'little'`: the `littleEndian` argument of `DataView` accessors. */
export function isLittleEndian(order: ByteOrder): boolean {
  return order === 'little';
}
