/** A C argument of a helper: its type and name as `linux/bpf.h` documents them. */
export interface HelperArg {
  /** C type, e.g. `const void *`; `...` marks a variadic tail. */
  readonly type: string;
  /** Argument name, empty for `void` and `...`. */
  readonly name: string;
}

/** A BPF helper function: its id, name (without the `bpf_` prefix) and C signature. */
export interface HelperSignature {
  /** Helper id, the immediate of `call`. */
  readonly id: number;
  /** Name without the `bpf_` prefix, e.g. `map_lookup_elem`. */
  readonly name: string;
  /** C return type, e.g. `void *` or `long`. */
  readonly returns: string;
  /** C arguments in order (`...` marks a variadic tail). */
  readonly args: readonly HelperArg[];
}
