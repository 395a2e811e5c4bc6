import { type BpfToken, btfLoad, close } from '@ts-ebpf/syscall';
import { btfBlob } from './btf-blob.js';
import type { MapBtf } from './map-spec.js';
import { isLocalStorage } from './type-rules.js';

/**
 * A minimal BTF blob for a map whose key is `int` (type 1) and whose value is
 * `struct value { unsigned char data[size]; }` (type 4): what local-storage maps
 * need when no program BTF is at hand.
 */
export function storageBtf(valueSize: number): { btf: Uint8Array; keyTypeId: number; valueTypeId: number } {
  // biome-ignore format: one BTF type record per line
  const types = new Uint32Array([
    1, 1 << 24, 4, (1 << 24) | 32, // [1] int: signed, 32 bits
    5, 1 << 24, 1, 8, // [2] char: unsigned, 8 bits
    0, 3 << 24, 0, 2, 1, valueSize, // [3] char[valueSize] indexed by int
    10, (4 << 24) | 1, valueSize, 16, 3, 0, // [4] struct value { data @0 }
  ]);
  return { btf: btfBlob(types, '\0int\0char\0value\0data\0'), keyTypeId: 1, valueTypeId: 4 };
}

/**
 * @internal Runs `create` with the BTF a map of `type` is created with: `given`, or, for a
 * local-storage map without any (the kernel creates none without key and value BTF), a
 * {@link storageBtf} of its `valueSize`-byte values, loaded for the call and closed after it.
 */
export function withMapBtf<T>(
  type: number,
  valueSize: number,
  given: MapBtf | undefined,
  token: BpfToken | undefined,
  create: (btf: MapBtf | undefined) => T,
): T {
  if (given !== undefined || !isLocalStorage(type)) return create(given);
  const { btf, keyTypeId, valueTypeId } = storageBtf(valueSize);
  const fd = btfLoad({ btf, logSize: 0, btfTokenFd: token?.fd });
  try {
    return create({ fd, keyTypeId, valueTypeId });
  } finally {
    close(fd);
  }
}
