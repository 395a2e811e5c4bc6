// Tutorial 4: a clang-compiled BPF object. Counts getpid() calls of one thread
// (target_tid, a read-only constant set at load time) into a BTF-defined hash map
// keyed by thread id, and a global total in .bss.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);   // thread id
  __type(value, __u64); // calls
} calls SEC(".maps");

const volatile __u32 target_tid = 0; // .rodata: fixed before the program is loaded
__u64 total = 0;                     // .bss: read and written from user space
__u64 step = 1;                      // .data: how much each call adds to total

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid(); // the low 32 bits: the thread id
  if (tid != target_tid) return 0;               // not the thread we count
  __u64 one = 1, *n = bpf_map_lookup_elem(&calls, &tid);
  if (n) __sync_fetch_and_add(n, 1);
  else bpf_map_update_elem(&calls, &tid, &one, BPF_NOEXIST);
  __sync_fetch_and_add(&total, step);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
