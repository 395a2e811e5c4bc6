/**
 * Byte offsets of the kernel structs this package encodes, by C field name,
 * with `SIZE` the bytes passed to the kernel. test/layouts.test.ts checks
 * every field that the installed header has against the C compiler's offsetof;
 * fields newer than that header are listed in `NEWER_FIELDS`.
 */

/** `union bpf_attr`, BPF_MAP_CREATE. */
export const MAP_CREATE = {
  map_type: 0,
  key_size: 4,
  value_size: 8,
  max_entries: 12,
  map_flags: 16,
  inner_map_fd: 20,
  numa_node: 24,
  map_name: 28,
  map_ifindex: 44,
  btf_fd: 48,
  btf_key_type_id: 52,
  btf_value_type_id: 56,
  btf_vmlinux_value_type_id: 60,
  map_extra: 64,
  value_type_btf_obj_fd: 72,
  map_token_fd: 76,
  SIZE: 80,
} as const;

/** `union bpf_attr`, BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY. */
export const MAP_ELEM = { map_fd: 0, key: 8, value: 16, next_key: 16, flags: 24, SIZE: 32 } as const;

/** `union bpf_attr`, BPF_MAP_*_BATCH (the `batch` struct). */
export const MAP_BATCH = {
  in_batch: 0,
  out_batch: 8,
  keys: 16,
  values: 24,
  count: 32,
  map_fd: 36,
  elem_flags: 40,
  flags: 48,
  SIZE: 56,
} as const;

/** `union bpf_attr`, BPF_PROG_LOAD. */
export const PROG_LOAD = {
  prog_type: 0,
  insn_cnt: 4,
  insns: 8,
  license: 16,
  log_level: 24,
  log_size: 28,
  log_buf: 32,
  kern_version: 40,
  prog_flags: 44,
  prog_name: 48,
  prog_ifindex: 64,
  expected_attach_type: 68,
  prog_btf_fd: 72,
  func_info_rec_size: 76,
  func_info: 80,
  func_info_cnt: 88,
  line_info_rec_size: 92,
  line_info: 96,
  line_info_cnt: 104,
  attach_btf_id: 108,
  attach_prog_fd: 112,
  core_relo_cnt: 116,
  fd_array: 120,
  core_relos: 128,
  core_relo_rec_size: 136,
  log_true_size: 140,
  prog_token_fd: 144,
  SIZE: 148,
} as const;

/** `union bpf_attr`, BPF_OBJ_PIN and BPF_OBJ_GET. */
export const OBJ = { pathname: 0, bpf_fd: 8, file_flags: 12, path_fd: 16, SIZE: 16 } as const;

/** `union bpf_attr`, BPF_PROG_ATTACH and BPF_PROG_DETACH. */
export const PROG_ATTACH = {
  target_fd: 0,
  attach_bpf_fd: 4,
  attach_type: 8,
  attach_flags: 12,
  replace_bpf_fd: 16,
  relative_fd: 20,
  expected_revision: 24,
  SIZE: 32,
} as const;

/** `union bpf_attr`, BPF_PROG_TEST_RUN (the `test` struct). */
export const PROG_TEST_RUN = {
  prog_fd: 0,
  retval: 4,
  data_size_in: 8,
  data_size_out: 12,
  data_in: 16,
  data_out: 24,
  repeat: 32,
  duration: 36,
  ctx_size_in: 40,
  ctx_size_out: 44,
  ctx_in: 48,
  ctx_out: 56,
  flags: 64,
  cpu: 68,
  batch_size: 72,
  SIZE: 76,
} as const;

/** `union bpf_attr`, BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID. */
export const GET_ID = { start_id: 0, next_id: 4, open_flags: 8, SIZE: 12 } as const;

/** `union bpf_attr`, BPF_OBJ_GET_INFO_BY_FD (the `info` struct). */
export const OBJ_INFO = { bpf_fd: 0, info_len: 4, info: 8, SIZE: 16 } as const;

/** `union bpf_attr`, BPF_PROG_QUERY (the `query` struct). */
export const PROG_QUERY = {
  target_fd: 0,
  attach_type: 4,
  query_flags: 8,
  attach_flags: 12,
  prog_ids: 16,
  prog_cnt: 24,
  prog_attach_flags: 32,
  link_ids: 40,
  link_attach_flags: 48,
  revision: 56,
  SIZE: 64,
} as const;

/** `union bpf_attr`, BPF_RAW_TRACEPOINT_OPEN. */
export const RAW_TRACEPOINT = { name: 0, prog_fd: 8, cookie: 16, SIZE: 16 } as const;

/** `union bpf_attr`, BPF_BTF_LOAD. */
export const BTF_LOAD = {
  btf: 0,
  btf_log_buf: 8,
  btf_size: 16,
  btf_log_size: 20,
  btf_log_level: 24,
  btf_log_true_size: 28,
  btf_flags: 32,
  btf_token_fd: 36,
  SIZE: 32,
} as const;

/** `union bpf_attr`, BPF_TOKEN_CREATE (`token_create`, Linux 6.9+). */
export const TOKEN_CREATE = { flags: 0, bpffs_fd: 4, SIZE: 8 } as const;

/** `union bpf_attr`, BPF_LINK_CREATE (`link_create`), with the per-type union members flattened. */
export const LINK_CREATE = {
  prog_fd: 0,
  target_fd: 4,
  attach_type: 8,
  flags: 12,
  target_btf_id: 16,
  iter_info: 16,
  iter_info_len: 24,
  perf_event_bpf_cookie: 16,
  kprobe_multi_flags: 16,
  kprobe_multi_cnt: 20,
  kprobe_multi_syms: 24,
  kprobe_multi_addrs: 32,
  kprobe_multi_cookies: 40,
  tracing_target_btf_id: 16,
  tracing_cookie: 24,
  netfilter_pf: 16,
  netfilter_hooknum: 20,
  netfilter_priority: 24,
  netfilter_flags: 28,
  tcx_relative_fd: 16,
  tcx_expected_revision: 24,
  uprobe_multi_path: 16,
  uprobe_multi_offsets: 24,
  uprobe_multi_ref_ctr_offsets: 32,
  uprobe_multi_cookies: 40,
  uprobe_multi_cnt: 48,
  uprobe_multi_flags: 52,
  uprobe_multi_pid: 56,
  SIZE: 64,
} as const;

/** `union bpf_attr`, BPF_LINK_UPDATE. */
export const LINK_UPDATE = { link_fd: 0, new_prog_fd: 4, flags: 8, old_prog_fd: 12, SIZE: 16 } as const;

/**
 * Fields newer than the 6.1 header installed on the build machine, checked
 * against the kernel's current include/uapi/linux/bpf.h by hand.
 */
export const NEWER_FIELDS: Readonly<Record<string, readonly string[]>> = {
  MAP_CREATE: ['value_type_btf_obj_fd', 'map_token_fd'],
  PROG_LOAD: ['log_true_size', 'prog_token_fd'],
  OBJ: ['path_fd'],
  PROG_ATTACH: ['relative_fd', 'expected_revision'],
  PROG_QUERY: ['link_ids', 'link_attach_flags', 'revision'],
  RAW_TRACEPOINT: ['cookie'],
  BTF_LOAD: ['btf_log_true_size', 'btf_flags', 'btf_token_fd'],
  TOKEN_CREATE: ['flags', 'bpffs_fd'],
  LINK_CREATE: [
    'netfilter_pf',
    'netfilter_hooknum',
    'netfilter_priority',
    'netfilter_flags',
    'tcx_relative_fd',
    'tcx_expected_revision',
    'uprobe_multi_path',
    'uprobe_multi_offsets',
    'uprobe_multi_ref_ctr_offsets',
    'uprobe_multi_cookies',
    'uprobe_multi_cnt',
    'uprobe_multi_flags',
    'uprobe_multi_pid',
  ],
};
