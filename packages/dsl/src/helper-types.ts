/** A BPF helper function: its id, name (without the `bpf_` prefix) and C signature. */
export interface HelperInfo {
  /** Helper id, the immediate of `call`. */
  readonly id: number;
  /** Name without the `bpf_` prefix, e.g. `map_lookup_elem`. */
  readonly name: string;
  /** C return type, e.g. `void *` or `long`. */
  readonly returns: string;
  /** C arguments in order (`...` marks a variadic tail). */
  readonly args: readonly { readonly type: string; readonly name: string }[];
}
