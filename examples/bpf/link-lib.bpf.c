// docs/guides/elf.md: link several objects. The library: a global (not static) function,
// verified on its own, that counts in its map; it reads the program's `step`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} totals SEC(".maps");

extern const volatile __u32 step; // defined in link-counter.bpf.c
__u32 calls = 0;

__attribute__((noinline)) int count(__u32 by) {
  __u32 key = 0;
  __u64 *total = bpf_map_lookup_elem(&totals, &key);
  if (!total) return 0;
  *total += by * step;
  calls++;
  return 1;
}
