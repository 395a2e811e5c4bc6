import { sectionNamesOf } from '@ts-ebpf/uapi';
import { mov } from '../builders/alu.js';
import { exit, jne } from '../builders/jump.js';
import type { Instruction } from '../instruction.js';
import { mark, program } from '../labels.js';
import { ProgramType } from '../program-types.js';
import { R0, R1, R6 } from '../registers.js';
import { type ContextField, type DslPlugin, loadContext } from './plugin.js';

function f(offset: number, size: 1 | 2 | 4 | 8, readable: boolean, writable = false): ContextField {
  return Object.freeze({ offset, size, readable, writable });
}

function u32Fields(names: readonly string[], start: number, readable: boolean): Record<string, ContextField> {
  return Object.fromEntries(names.map((n, i) => [n, f(start + i * 4, 4, readable)]));
}

/**
 * `struct __sk_buff` (linux/bpf.h) with what a socket filter may access, after the kernel's
 * `sk_filter_is_valid_access`: only `cb[0..4]` is writable; packet pointers, socket
 * addresses, tstamp, wire_len and hwtstamp are not readable.
 */
const SK_BUFF_FIELDS: Record<string, ContextField> = {
  ...u32Fields(
    [
      'len',
      'pkt_type',
      'mark',
      'queue_mapping',
      'protocol',
      'vlan_present',
      'vlan_tci',
      'vlan_proto',
      'priority',
      'ingress_ifindex',
      'ifindex',
      'tc_index',
    ],
    0,
    true,
  ),
  ...Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`cb[${i}]`, f(48 + i * 4, 4, true, true)])),
  hash: f(68, 4, true),
  tc_classid: f(72, 4, false),
  data: f(76, 4, false),
  data_end: f(80, 4, false),
  napi_id: f(84, 4, true),
  ...u32Fields(['family', 'remote_ip4', 'local_ip4'], 88, false),
  ...Object.fromEntries([0, 1, 2, 3].map((i) => [`remote_ip6[${i}]`, f(100 + i * 4, 4, false)])),
  ...Object.fromEntries([0, 1, 2, 3].map((i) => [`local_ip6[${i}]`, f(116 + i * 4, 4, false)])),
  remote_port: f(132, 4, false),
  local_port: f(136, 4, false),
  data_meta: f(140, 4, false),
  flow_keys: f(144, 8, false),
  tstamp: f(152, 8, false),
  wire_len: f(160, 4, false),
  gso_segs: f(164, 4, true),
  sk: f(168, 8, true),
  gso_size: f(176, 4, true),
  tstamp_type: f(180, 1, false),
  hwtstamp: f(184, 8, false),
};

/** Helpers a socket filter may call (`sk_filter_func_proto` and the base set). */
const SOCKET_FILTER_HELPERS = [
  'skb_load_bytes',
  'skb_load_bytes_relative',
  'get_socket_cookie',
  'get_socket_uid',
  'perf_event_output',
  'map_lookup_elem',
  'map_update_elem',
  'map_delete_elem',
  'map_push_elem',
  'map_pop_elem',
  'map_peek_elem',
  'map_lookup_percpu_elem',
  'get_prandom_u32',
  'get_smp_processor_id',
  'get_numa_node_id',
  'tail_call',
  'ktime_get_ns',
  'ktime_get_boot_ns',
  'ktime_get_tai_ns',
  'ringbuf_output',
  'ringbuf_reserve',
  'ringbuf_submit',
  'ringbuf_discard',
  'ringbuf_query',
  'for_each_map_elem',
  'loop',
  'strncmp',
  'spin_lock',
  'spin_unlock',
  'jiffies64',
  'per_cpu_ptr',
  'this_cpu_ptr',
  'timer_init',
  'timer_set_callback',
  'timer_start',
  'timer_cancel',
  'trace_printk',
  'snprintf',
  'kptr_xchg',
  'dynptr_from_mem',
  'dynptr_read',
  'dynptr_write',
  'dynptr_data',
] as const;

/** Swaps the bytes of a 16-bit value (host to network order on little-endian hosts). */
function htons(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

/** Return codes: the number of packet bytes to keep; 0 drops the packet. */
const RETURN_CODES = { DROP: 0, KEEP_ALL: -1 } as const;

/** The built-in plugin for `BPF_PROG_TYPE_SOCKET_FILTER`. */
export const socketFilterPlugin = Object.freeze({
  name: 'socket_filter',
  programType: ProgramType.SOCKET_FILTER,
  sectionNames: Object.freeze(sectionNamesOf(ProgramType.SOCKET_FILTER)),
  context: Object.freeze({ type: 'struct __sk_buff', size: 192, fields: Object.freeze(SK_BUFF_FIELDS) }),
  returnCodes: Object.freeze(RETURN_CODES),
  helpers: SOCKET_FILTER_HELPERS,
  /** Saves the context in R6, as legacy packet loads (ld_abs/ld_ind) require. */
  prologue: (): readonly Instruction[] => [mov(R6, R1)],
  templates: Object.freeze({
    /** Keeps every packet whole. */
    acceptAll: (): readonly Instruction[] => [mov(R0, RETURN_CODES.KEEP_ALL), exit()],
    /** Drops every packet. */
    dropAll: (): readonly Instruction[] => [mov(R0, RETURN_CODES.DROP), exit()],
    /** Keeps the first `bytes` bytes of every packet. */
    truncate: (bytes: number): readonly Instruction[] => [mov(R0, bytes), exit()],
    /** Keeps packets whose EtherType (`skb->protocol`, e.g. 0x0800) matches; drops the rest. */
    etherType: (etherType: number): readonly Instruction[] =>
      program(
        loadContext(socketFilterPlugin, 'protocol', R0),
        jne(R0, htons(etherType), '.drop'),
        mov(R0, RETURN_CODES.KEEP_ALL),
        exit(),
        mark('.drop'),
        mov(R0, RETURN_CODES.DROP),
        exit(),
      ),
  }),
} satisfies DslPlugin);
