/**
 * HAND-WRITTEN: constants newer than the installed linux/bpf.h (6.1).
 *
 * Everything else comes from src/generated/bpf-constants.generated.ts, made by
 * scripts/generate-constants.ts. The values here follow the kernel's
 * include/uapi/linux/bpf.h of 6.2 and later; when the build machine's header
 * catches up, the generator produces them and these entries go away.
 */

/** bpf() commands added after 6.1. */
export const BpfCmdNewer = {
  TOKEN_CREATE: 36,
  PROG_STREAM_READ_BY_FD: 37,
  PROG_ASSOC_STRUCT_OPS: 38,
} as const;

/** Map types added after 6.1. */
export const BpfMapTypeNewer = {
  CGRP_STORAGE: 32,
  ARENA: 33,
  INSN_ARRAY: 34,
} as const;

/** Program types added after 6.1. */
export const BpfProgTypeNewer = {
  NETFILTER: 32,
} as const;

/** Attach types added after 6.1. */
export const BpfAttachTypeNewer = {
  STRUCT_OPS: 44,
  NETFILTER: 45,
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
  TRACE_UPROBE_MULTI: 48,
  CGROUP_UNIX_CONNECT: 49,
  CGROUP_UNIX_SENDMSG: 50,
  CGROUP_UNIX_RECVMSG: 51,
  CGROUP_UNIX_GETPEERNAME: 52,
  CGROUP_UNIX_GETSOCKNAME: 53,
  NETKIT_PRIMARY: 54,
  NETKIT_PEER: 55,
  TRACE_KPROBE_SESSION: 56,
  TRACE_UPROBE_SESSION: 57,
  TRACE_FSESSION: 58,
} as const;

/** `enum bpf_perf_event_type` (link info of perf_event links), added after 6.1. */
export const BpfPerfEventType = {
  UNSPEC: 0,
  UPROBE: 1,
  URETPROBE: 2,
  KPROBE: 3,
  KRETPROBE: 4,
  TRACEPOINT: 5,
  EVENT: 6,
} as const;

/** Helper functions added after 6.1 (the helper list is frozen after these: new work uses kfuncs). */
export const BpfFuncNewer = {
  cgrp_storage_get: 210,
  cgrp_storage_delete: 211,
} as const;

/** Link types added after 6.1. */
export const BpfLinkTypeNewer = {
  STRUCT_OPS: 9,
  NETFILTER: 10,
  TCX: 11,
  UPROBE_MULTI: 12,
  NETKIT: 13,
  SOCKMAP: 14,
} as const;

/** Flags added after 6.1. */
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
/** Prog load flag: test the verifier's register invariants. */
export const BPF_F_TEST_REG_INVARIANTS = 1 << 7;
/** Netfilter link flag: defragment IP packets before the hook. */
export const BPF_F_NETFILTER_IP_DEFRAG = 1 << 0;
/** uprobe_multi link flag: attach as uretprobes. */
export const BPF_F_UPROBE_MULTI_RETURN = 1 << 0;
/** Map update flag: the upper 32 bits of flags name the CPU of a per-CPU value. */
export const BPF_F_CPU = 8;
/** Map update flag: write the one value to every CPU of a per-CPU map. */
export const BPF_F_ALL_CPUS = 16;
/** Ring buffer map flag: overwrite the oldest records when full. */
export const BPF_F_RB_OVERWRITE = 1 << 19;
/** cgroup attach flag: run before the parent's programs. */
export const BPF_F_PREORDER = 1 << 6;
/** mprog (tcx, netkit) attach flags. */
export const BPF_F_BEFORE = 1 << 3;
/** Place after the relative program or link. */
export const BPF_F_AFTER = 1 << 4;
/** The relative object is given by id, not fd. */
export const BPF_F_ID = 1 << 5;
/** The relative object is a link (with BPF_F_BEFORE/AFTER). */
export const BPF_F_LINK = 1 << 13;
/** Map/prog/BTF create flag: the token fd field is set. */
export const BPF_F_TOKEN_FD = 1 << 16;
/** OBJ_PIN/OBJ_GET flag: `path_fd` is a directory fd the path is relative to. */
export const BPF_F_PATH_FD = 1 << 14;
/** Arena map flag: fault instead of reading zeros. */
export const BPF_F_SEGV_ON_FAULT = 1 << 17;
/** Arena map flag: no user-space address conversion. */
export const BPF_F_NO_USER_CONV = 1 << 18;
/** Map create flag: `value_type_btf_obj_fd` is set. */
export const BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15;
