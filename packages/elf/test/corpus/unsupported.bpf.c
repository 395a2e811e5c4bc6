// Sections this machine cannot load (no CONFIG_KPROBES; ftrace trampolines are
// blocked for fentry and LSM): each loads alone or fails with a probe's reason.
#include "common.h"

u64 hits = 0;

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(on_kprobe) {
  __sync_fetch_and_add(&hits, 1);
  return 0;
}

SEC("fentry/do_nanosleep")
int BPF_PROG(on_fentry) {
  __sync_fetch_and_add(&hits, 1);
  return 0;
}

SEC("lsm/file_open")
int BPF_PROG(on_lsm, struct file *file) {
  __sync_fetch_and_add(&hits, 1);
  return 0;
}
