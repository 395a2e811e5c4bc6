// Reads the arguments of the probes of usdt-target.c with libbpf's usdt.bpf.h.
#include "common.h"
#include <bpf/usdt.bpf.h>

#ifndef TARGET_BINARY
#define TARGET_BINARY "/nonexistent"
#endif

long regs_args[8], mem_args[5], const_args[3], sem_args[1];
long arg_counts[4], cookies[4], hits[4], errors = 0;

static __always_inline void record(struct pt_regs *ctx, int probe, long *out, int n) {
  __sync_fetch_and_add(&hits[probe], 1);
  arg_counts[probe] = bpf_usdt_arg_cnt(ctx);
  cookies[probe] = bpf_usdt_cookie(ctx);
  for (int i = 0; i < n; i++)
    if (bpf_usdt_arg(ctx, i, &out[i]) != 0) __sync_fetch_and_add(&errors, 1);
}

SEC("usdt")
int on_regs(struct pt_regs *ctx) {
  record(ctx, 0, regs_args, 8);
  return 0;
}

SEC("usdt")
int on_mem(struct pt_regs *ctx) {
  record(ctx, 1, mem_args, 5);
  return 0;
}

SEC("usdt/" TARGET_BINARY ":tsebpf:consts")
int BPF_USDT(on_consts, int a, int b, int c) {
  __sync_fetch_and_add(&hits[2], 1);
  arg_counts[2] = bpf_usdt_arg_cnt(ctx);
  const_args[0] = a;
  const_args[1] = b;
  const_args[2] = c;
  return 0;
}

SEC("usdt")
int on_sem(struct pt_regs *ctx) {
  record(ctx, 3, sem_args, 1);
  return 0;
}
