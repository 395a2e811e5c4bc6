import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/** A u32 map key or value in host byte order. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, HOST_LITTLE_ENDIAN);
  return b;
}

/** The u64 in host byte order at the start of `bytes`, as a number. */
export function u64(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, HOST_LITTLE_ENDIAN));
}
