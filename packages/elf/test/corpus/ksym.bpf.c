// A typed data ksym: the kernel resolves it through kallsyms, which lists
// variables only with CONFIG_KALLSYMS_ALL.
#include "common.h"

extern const int bpf_prog_active __ksym;
int active = -1;

SEC("syscall")
int read_ksym(void *ctx) {
  int *p = bpf_this_cpu_ptr(&bpf_prog_active);
  active = *p;
  return 0;
}
