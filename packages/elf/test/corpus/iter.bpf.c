// A task iterator (read through the programs package's IterLink) and a sleepable
// syscall program run with BPF_PROG_TEST_RUN.
#include "common.h"

struct args {
  u32 a, b;
  u64 out;
};

const volatile int target_pid = 0;
u64 tasks_seen = 0, syscall_runs = 0, syscall_pid = 0;

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *t = ctx->task;
  if (!t) return 0;
  __sync_fetch_and_add(&tasks_seen, 1);
  if (t->tgid == target_pid && t->pid == target_pid) BPF_SEQ_PRINTF(seq, "me %d %s\n", t->pid, t->comm);
  return 0;
}

SEC("syscall")
int sys_prog(struct args *ctx) {
  __sync_fetch_and_add(&syscall_runs, 1);
  syscall_pid = bpf_get_current_pid_tgid() >> 32;
  ctx->out = (u64)ctx->a * ctx->b;
  return ctx->a + ctx->b;
}
