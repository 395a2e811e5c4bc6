// The one home of the kernel's struct_ops rules: both the TypeScript-built ops of
// `@ts-ebpf/dsl-struct-ops` and the `.struct_ops` maps of clang objects (`@ts-ebpf/elf`) are
// checked against this table (with `checkStructOpsData`), so it sits below both.

/**
 * What the kernel asks of each struct_ops type, beyond its BTF: which members must be given,
 * which it refuses from BPF, and which kernel struct fields its programs may write. Facts from
 * the kernel sources: `net/ipv4/bpf_tcp_ca.c` (`bpf_tcp_ca_init_member`, `unsupported_ops`,
 * `bpf_tcp_ca_btf_struct_access`), `net/ipv4/tcp_cong.c` (`tcp_validate_congestion_control`)
 * and `net/bpf/bpf_dummy_struct_ops.c`.
 */
export interface StructOpsRules {
  /**
   * Members that must be given. An entry with several names needs one of them
   * (`tcp_congestion_ops` needs `cong_avoid` or `cong_control`).
   */
  readonly required: readonly (readonly string[])[];
  /** Members the kernel refuses to take from BPF (`tcp_congestion_ops.get_info`). */
  readonly unsupported: readonly string[];
  /**
   * Fields programs may write, by the BTF struct the pointer has (the `struct sock *`
   * argument of a TCP congestion control callback is a `tcp_sock` to the verifier):
   * field paths inside that struct, base structs included (`icsk_ca_priv`, `snd_cwnd`).
   * A write is allowed when it lies inside one of them.
   */
  readonly writable: Readonly<Record<string, readonly string[]>>;
  /**
   * BTF structs the verifier gives pointer arguments instead of the declared ones
   * (`sock` → `tcp_sock` for TCP congestion control).
   */
  readonly promote: Readonly<Record<string, string>>;
  /**
   * Callback argument names from the kernel header, for prototypes whose BTF parameters are
   * unnamed (vmlinux BTF names no `func_proto` parameter).
   */
  readonly argNames: Readonly<Record<string, readonly string[]>>;
  /**
   * The data members the type's `init_member` takes from BPF, with what it accepts in each;
   * the kernel refuses any other data member that is not all zero bytes
   * (`bpf_struct_ops_map_update_elem`). Undefined when not known (then only the member's type
   * is checked).
   */
  readonly data?: Readonly<Record<string, DataMemberRule>>;
}

/**
 * What the kernel accepts in a data member: `name`, a name `bpf_obj_name_cpy` copies (letters,
 * digits, `_` and `.`, at least one, with its NUL in the member); `flags`, bits of `mask` only.
 */
export type DataMemberRule =
  | { readonly kind: 'name' }
  | { readonly kind: 'flags'; readonly mask: number; readonly bits: string };

const NO_RULES: StructOpsRules = Object.freeze({
  required: Object.freeze([]),
  unsupported: Object.freeze([]),
  writable: Object.freeze({}),
  promote: Object.freeze({}),
  argNames: Object.freeze({}),
});

const RULES: Readonly<Record<string, StructOpsRules>> = Object.freeze({
  tcp_congestion_ops: Object.freeze({
    required: Object.freeze([['name'], ['ssthresh'], ['undo_cwnd'], ['cong_avoid', 'cong_control']]),
    unsupported: Object.freeze(['get_info']),
    writable: Object.freeze({
      tcp_sock: Object.freeze([
        'sk_pacing_rate',
        'sk_pacing_status',
        'icsk_ca_priv',
        'icsk_ack.pending',
        'snd_cwnd',
        'snd_cwnd_cnt',
        'snd_cwnd_stamp',
        'snd_ssthresh',
        'ecn_flags',
        'app_limited',
      ]),
    }),
    promote: Object.freeze({ sock: 'tcp_sock' }),
    // bpf_tcp_ca_init_member: name (bpf_obj_name_cpy) and flags (TCP_CONG_MASK of
    // include/net/tcp.h in 6.18: NON_RESTRICTED, NEEDS_ECN, NEEDS_ACCECN, ECT_1_NEGOTIATION,
    // NO_FALLBACK_RFC3168)
    data: Object.freeze({
      name: Object.freeze({ kind: 'name' }),
      flags: Object.freeze({
        kind: 'flags',
        mask: 0x1f,
        bits: 'TCP_CONG_NON_RESTRICTED 0x1, TCP_CONG_NEEDS_ECN 0x2, TCP_CONG_NEEDS_ACCECN 0x4, TCP_CONG_ECT_1_NEGOTIATION 0x8, TCP_CONG_NO_FALLBACK_RFC3168 0x10',
      }),
    }),
    // include/net/tcp.h, struct tcp_congestion_ops
    argNames: Object.freeze({
      ssthresh: ['sk'],
      cong_avoid: ['sk', 'ack', 'acked'],
      set_state: ['sk', 'new_state'],
      cwnd_event: ['sk', 'ev'],
      in_ack_event: ['sk', 'flags'],
      pkts_acked: ['sk', 'sample'],
      min_tso_segs: ['sk'],
      cong_control: ['sk', 'ack', 'flag', 'rs'],
      undo_cwnd: ['sk'],
      sndbuf_expand: ['sk'],
      get_info: ['sk', 'ext', 'attr', 'info'],
      init: ['sk'],
      release: ['sk'],
    }),
  }),
  // net/bpf/bpf_dummy_struct_ops.c, include/linux/bpf.h struct bpf_dummy_ops
  bpf_dummy_ops: Object.freeze({
    required: Object.freeze([]),
    unsupported: Object.freeze([]),
    writable: Object.freeze({}),
    promote: Object.freeze({}),
    data: Object.freeze({}),
    argNames: Object.freeze({
      test_1: ['state'],
      test_2: ['state', 'a1', 'a2', 'a3', 'a4'],
      test_sleepable: ['state'],
    }),
  }),
});

/** The kernel's rules for the struct_ops type `type` (none known: nothing required, nothing writable). */
export function structOpsRules(type: string): StructOpsRules {
  return RULES[type] ?? NO_RULES;
}
