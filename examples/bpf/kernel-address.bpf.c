// docs/guides/elf.md: kernel addresses. A typeless __ksym extern is the address of a kernel
// symbol, which the loader reads from /proc/kallsyms; a __weak one the kernel lacks is 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const void _stext __ksym;                      // where the kernel's code starts
extern const void no_kernel_has_this __ksym __weak;  // absent: its address is 0

__u64 text_start = 0; // .bss: read from user space
__u64 absent = 1;

SEC("syscall")
int read_addresses(void *ctx) {
  text_start = (__u64)&_stext;
  absent = (__u64)&no_kernel_has_this;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
