// docs/guides/elf.md: link several objects. The program: it calls count(), a global function
// link-lib.bpf.c defines, and reads that object's `calls` global.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int count(__u32 step); // defined in link-lib.bpf.c
extern __u32 calls;           // a .data global of link-lib.bpf.c

const volatile __u32 step = 2; // .rodata of this object, read by the library too

SEC("xdp")
int counter(struct xdp_md *ctx) {
  return count(step) > 0 && calls > 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
