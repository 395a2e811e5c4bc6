/** Where one field (or one array element) of a kernel struct sits: byte offset and size. */
export interface StructField {
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: 1 | 2 | 4 | 8;
}

/**
 * The layout of a kernel struct as user space and BPF programs see it: its C name, its size in
 * bytes, and its fields by C name (array elements as `name[i]`).
 */
export interface StructLayout<F extends string> {
  /** The C type, e.g. `struct __sk_buff`. */
  readonly type: string;
  /** Size in bytes. */
  readonly size: number;
  /** The fields by name. */
  readonly fields: Readonly<Record<F, StructField>>;
}
