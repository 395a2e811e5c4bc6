import type { ByteOrder } from '@ts-ebpf/uapi';
import { CodecError } from '../errors.js';

/**
 * A codec turns a JS value into the bytes the kernel stores and back. Codecs
 * are typed so that `BpfMap<K, V>` infers K and V from them.
 */
export interface Codec<T> {
  /** A short description (`'u32'`, `'struct'`) for error messages. */
  readonly name: string;
  /** Encoded size in bytes. */
  readonly size: number;
  /** C alignment in bytes (used by `struct`). */
  readonly align: number;
  /**
   * Writes `value` at `offset` of `view`, validating it; `path` names the field in errors.
   * Every byte of [offset, offset + size) is written (padding as zeros). Multi-byte numbers are
   * written in `order` (maps pass `HOST_BYTE_ORDER`: the running kernel's); fixed-order codecs
   * (`be16`, `ipv4` …) ignore it.
   */
  write(view: DataView, offset: number, value: T, path: string, order: ByteOrder): void;
  /** Reads a value at `offset` of `view`, multi-byte numbers in `order`. */
  read(view: DataView, offset: number, order: ByteOrder): T;
}

/** The JS type a codec produces. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

/**
 * Encodes one value into a new byte array, multi-byte numbers in `order` (`HOST_BYTE_ORDER` from
 * `@ts-ebpf/uapi` for what this kernel reads).
 */
export function encode<T>(codec: Codec<T>, value: T, order: ByteOrder, path = 'value'): Uint8Array {
  const storage = new ArrayBuffer(codec.size);
  codec.write(new DataView(storage), 0, value, path, order);
  return new Uint8Array(storage);
}

/**
 * Decodes one value from `bytes` (any Uint8Array: a Buffer, a subarray at any offset; at least
 * `codec.size` long), multi-byte numbers in `order`. `bytes` is only read.
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, order: ByteOrder): T {
  if (bytes.byteLength < codec.size)
    throw new CodecError(codec.name, `needs ${codec.size} bytes to decode, got ${bytes.byteLength}`);
  return codec.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, order);
}

/**
 * What `value` is when it is not a codec (untyped callers can pass anything where one goes), for
 * a message: `'undefined'`, `'null'`, `'number'`, `"the string 'u32'"`, or `'an object without
 * read(), write() and a size'`; undefined when it is one. A codec is an object with the functions
 * `use` names (`'read'` for a decoder of records, `'read and write'` for a map's key or value)
 * and a whole `size` of 0 or more.
 */
export function notACodec(value: unknown, use: 'read' | 'read and write'): string | undefined {
  const methods = use === 'read' ? (['read'] as const) : (['read', 'write'] as const);
  if (typeof value === 'object' && value !== null) {
    const c = value as Partial<Codec<unknown>>;
    const size = c.size as number;
    if (methods.every((m) => typeof c[m] === 'function') && Number.isSafeInteger(size) && size >= 0)
      return undefined;
    return `an object without ${methods.map((m) => `${m}()`).join(', ')} and a size`;
  }
  if (value === null) return 'null';
  return typeof value === 'string' ? `the string '${value}'` : typeof value;
}
