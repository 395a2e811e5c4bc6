import {
  type ContextField,
  contextField,
  type DslPlugin,
  definePlugin,
  type Fragment,
  mov,
  R1,
  R6,
} from '@ts-ebpf/dsl';
import { findHelper } from '@ts-ebpf/uapi';

/** The register the struct_ops plugin's prologue keeps the context (the `u64` argument array) in. */
export const STRUCT_OPS_CTX = R6;

/** The most arguments a BPF-implemented kernel function takes (`MAX_BPF_FUNC_ARGS`). */
export const MAX_CALLBACK_ARGS = 12;

const ARG_FIELDS: Record<string, ContextField> = {};
for (let i = 0; i < MAX_CALLBACK_ARGS; i++) ARG_FIELDS[`args[${i}]`] = contextField(i * 8, 8);

/** A struct_ops program's context: the callback's arguments, each widened to a `u64`, read-only. */
export const STRUCT_OPS_ARGS = Object.freeze({
  type: 'u64 args[12]',
  size: MAX_CALLBACK_ARGS * 8,
  fields: Object.freeze(ARG_FIELDS),
});

/**
 * Helpers struct_ops programs may call: the kernel's base set (`bpf_base_func_proto`) and what
 * TCP congestion control adds (`bpf_tcp_ca_get_func_proto`: socket storage, send ack,
 * get/setsockopt). Which ops type may call which of them is the verifier's last word
 * (`setsockopt` is refused in `release`, for instance).
 */
const HELPER_NAMES = [
  'map_lookup_elem',
  'map_update_elem',
  'map_delete_elem',
  'map_push_elem',
  'map_pop_elem',
  'map_peek_elem',
  'get_prandom_u32',
  'get_smp_processor_id',
  'get_numa_node_id',
  'tail_call',
  'ktime_get_ns',
  'ktime_get_boot_ns',
  'ktime_get_coarse_ns',
  'jiffies64',
  'ringbuf_output',
  'ringbuf_reserve',
  'ringbuf_submit',
  'ringbuf_discard',
  'ringbuf_query',
  'for_each_map_elem',
  'loop',
  'spin_lock',
  'spin_unlock',
  'trace_printk',
  'probe_read_kernel',
  'probe_read_kernel_str',
  'tcp_send_ack',
  'sk_storage_get',
  'sk_storage_delete',
  'setsockopt',
  'getsockopt',
] as const;

const HELPERS: ReadonlySet<number> = new Set(
  HELPER_NAMES.map((n) => findHelper(n)?.id).filter((id): id is number => id !== undefined),
);

/** Ready-made fragments of the struct_ops plugin (ops-level templates are in `TCP_CC_TEMPLATES`). */
const STRUCT_OPS_FRAGMENTS = Object.freeze({});

/** The struct_ops plugin's type. */
export type StructOpsPlugin = DslPlugin<
  typeof STRUCT_OPS_ARGS,
  Readonly<Record<string, number>>,
  typeof STRUCT_OPS_FRAGMENTS
>;

/**
 * The plugin for `BPF_PROG_TYPE_STRUCT_OPS`: sections `struct_ops` and `struct_ops.s`
 * (sleepable). Return values depend on the member implemented, so it names none: a
 * {@link CallbackBuilder} checks them against the member's prototype. Its prologue copies the
 * context from R1 into R6 ({@link STRUCT_OPS_CTX}), where the builders expect it.
 */
export const structOpsPlugin: StructOpsPlugin = definePlugin({
  name: 'struct_ops',
  sections: ['struct_ops', 'struct_ops.s'],
  context: STRUCT_OPS_ARGS,
  returnCodes: Object.freeze({}),
  helpers: () => HELPERS,
  prologue: (): Fragment => [mov(STRUCT_OPS_CTX, R1)],
  templates: STRUCT_OPS_FRAGMENTS,
});
