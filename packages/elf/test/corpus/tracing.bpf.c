// Tracing sections (tracepoint, tp, raw_tp, tp_btf), CO-RE on task_struct,
// kconfig, global data of every kind, subprograms, kfuncs and ksyms.
#include "common.h"

extern int CONFIG_HZ __kconfig;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_TS_EBPF_NOT_A_THING __kconfig __weak;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

const volatile int target_pid = 0;  /* .rodata, set through `constants` */
const volatile u32 tp_bonus = 1;    /* .rodata */
u64 tp_hits = 0;                    /* .bss */
u64 tp_short_hits = 0;              /* .bss */
u64 raw_hits = 0;
u64 btf_hits = 0;
int seen_pid = 0, seen_tgid = 0, seen_ppid = 0;
u32 reset_on_fork = 7;              /* .data: overwritten from a bitfield */
int has_pid_field = -1, has_nope_field = -1;
u64 ringbuf_enum = 0, missing_enum = 7;
u64 hz = 0, version = 0, weak_missing = 99;
int kfunc_pid = 0, ksym_ok = 0;
char comm[16] = {};
u64 custom_counter SEC(".data.custom") = 1000;
char greeting[8] = {};

struct task_struct___nope {
  int no_such_member;
} __attribute__((preserve_access_index));

enum bpf_map_type___local {
  BPF_MAP_TYPE_RINGBUF___local = 0,
  BPF_MAP_TYPE_NO_SUCH___local = 1,
};

static __always_inline bool mine(void) {
  return (bpf_get_current_pid_tgid() >> 32) == (u64)target_pid;
}

/* a static subprogram, kept out of line */
static __noinline u64 add_bonus(u64 v) {
  return v + tp_bonus;
}

/* a global subprogram, verified on its own */
__noinline int global_double(int x) {
  return x * 2;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx) {
  if (!mine()) return 0;
  tp_hits = add_bonus(tp_hits);
  struct task_struct *t = (void *)bpf_get_current_task();
  seen_pid = BPF_CORE_READ(t, pid);
  seen_tgid = BPF_CORE_READ(t, tgid);
  seen_ppid = BPF_CORE_READ(t, real_parent, tgid);
  reset_on_fork = BPF_CORE_READ_BITFIELD_PROBED(t, sched_reset_on_fork);
  has_pid_field = bpf_core_field_exists(t->pid);
  has_nope_field = bpf_core_field_exists(((struct task_struct___nope *)t)->no_such_member);
  ringbuf_enum = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
  missing_enum = bpf_core_enum_value_exists(enum bpf_map_type___local, BPF_MAP_TYPE_NO_SUCH___local);
  hz = CONFIG_HZ;
  version = LINUX_KERNEL_VERSION;
  weak_missing = CONFIG_TS_EBPF_NOT_A_THING;
  bpf_get_current_comm(comm, sizeof(comm));
  bpf_probe_read_kernel_str(greeting, sizeof(greeting), "hello!"); /* the literal lives in .rodata.str1.1 */
  custom_counter += global_double(1);
  return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  if (mine()) __sync_fetch_and_add(&tp_short_hits, 1);
  return 0;
}

SEC("raw_tp/sys_enter")
int on_raw_sys_enter(struct bpf_raw_tracepoint_args *ctx) {
  if (mine() && ctx->args[1] == 110 /* __NR_getppid on x86_64 */) __sync_fetch_and_add(&raw_hits, 1);
  return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_btf_sys_enter, struct pt_regs *regs, long id) {
  if (!mine() || id != 110) return 0;
  __sync_fetch_and_add(&btf_hits, 1);
  struct task_struct *t = bpf_task_from_pid(target_pid);
  if (t) {
    kfunc_pid = t->pid;
    bpf_task_release(t);
  }
  ksym_ok = bpf_get_current_task_btf()->tgid == target_pid;
  return 0;
}
