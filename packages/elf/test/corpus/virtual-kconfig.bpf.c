// The .kconfig externs libbpf computes itself: LINUX_HAS_SYSCALL_WRAPPER (declared by
// bpf_tracing.h's BPF_KSYSCALL) and LINUX_HAS_BPF_COOKIE (declared by usdt.bpf.h's way).
#include "common.h"

extern const _Bool LINUX_HAS_BPF_COOKIE __kconfig;
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

u64 has_wrapper = 7, has_cookie = 7, last_pid_arg = 0;

SEC("xdp") int read_virtual(struct xdp_md *ctx) {
  has_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
  has_cookie = LINUX_HAS_BPF_COOKIE;
  return XDP_PASS;
}

// Needs kprobes to attach; must load everywhere.
SEC("ksyscall/kill")
int BPF_KSYSCALL(on_kill, int pid, int sig) {
  last_pid_arg = pid;
  return 0;
}
