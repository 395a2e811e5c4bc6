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
   * Every byte of [offset, offset + size) is written (padding as zeros).
   */
  write(view: DataView, offset: number, value: T, path: string): void;
  /** Reads a value at `offset` of `view`. */
  read(view: DataView, offset: number): T;
}

/** The JS type a codec produces. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

/** Encodes one value into a new byte array. */
export function encode<T>(codec: Codec<T>, value: T, path = 'value'): Uint8Array {
  const out = new Uint8Array(codec.size);
  codec.write(new DataView(out.buffer), 0, value, path);
  return out;
}

/** Decodes one value from `bytes` (at least `codec.size` long). */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array): T {
  return codec.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
}
