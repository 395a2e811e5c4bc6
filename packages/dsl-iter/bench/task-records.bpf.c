// The task iterator of taskDump() (packages/dsl-iter/src/templates.ts) written in C, for the
// records/s benchmark: one 32-byte record { pid, tgid, ppid, uid, comm[16] } per task, written
// with bpf_seq_write. Kernel structs are declared with only the members read; libbpf's CO-RE
// relocations (preserve_access_index) fix their offsets for the running kernel.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct seq_file;

struct bpf_iter_meta {
  struct seq_file *seq;
  __u64 session_id;
  __u64 seq_num;
} __attribute__((preserve_access_index));

typedef struct {
  __u32 val;
} kuid_t;

struct cred {
  kuid_t uid;
} __attribute__((preserve_access_index));

struct task_struct {
  int pid;
  int tgid;
  struct task_struct *real_parent;
  const struct cred *cred;
  char comm[16];
} __attribute__((preserve_access_index));

struct bpf_iter__task {
  struct bpf_iter_meta *meta;
  struct task_struct *task;
} __attribute__((preserve_access_index));

struct task_record {
  __u32 pid;
  __u32 tgid;
  __u32 ppid;
  __u32 uid;
  char comm[16];
};

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task")
int task_records(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  struct task_record r;
  if (!task) return 0;
  r.pid = task->pid;
  r.tgid = task->tgid;
  r.ppid = task->real_parent->tgid;
  r.uid = task->cred->uid.val;
  bpf_probe_read_kernel(r.comm, sizeof(r.comm), task->comm);
  bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
  return 0;
}
