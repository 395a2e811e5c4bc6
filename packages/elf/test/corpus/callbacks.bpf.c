// Callbacks: static functions passed by pointer (ld_imm64 with a relocation against
// .text, loaded as BPF_PSEUDO_FUNC) to bpf_loop, bpf_for_each_map_elem,
// bpf_timer_set_callback, bpf_find_vma, bpf_user_ringbuf_drain and the kfunc
// bpf_wq_set_callback_impl. Some callbacks
// call further subprograms, and some programs call a subprogram after passing a
// callback, so that the order subprograms are appended in shows.
#include "common.h"

#define CLOCK_MONOTONIC 1
#define VM_EXEC 0x4

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, u32);
  __type(value, u64);
} values SEC(".maps");

struct timer_elem {
  struct bpf_timer timer;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct timer_elem);
} timers SEC(".maps");

struct wq_elem {
  struct bpf_wq work;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct wq_elem);
} works SEC(".maps");

extern int bpf_wq_init(struct bpf_wq *wq, void *p__map, unsigned int flags) __ksym;
extern int bpf_wq_start(struct bpf_wq *wq, unsigned int flags) __ksym;
extern int bpf_wq_set_callback_impl(struct bpf_wq *wq, int (callback_fn)(void *map, int *key, void *value),
                                    unsigned int flags, void *aux__prog) __ksym;

struct {
  __uint(type, BPF_MAP_TYPE_USER_RINGBUF);
  __uint(max_entries, 4096);
} requests SEC(".maps");

u64 loop_iterations = 0, loop_sum = 0, loop_result = 0, loop_tail = 0;
u64 map_elems = 0, map_sum = 0;
u64 timer_armed = 0, timer_fired = 0;
u64 work_queued = 0, work_done = 0;
u64 drained = 0, drained_sum = 0;
s64 drain_result = 0;
u64 vma_calls = 0, vma_ip = 0, vma_start = 0, vma_end = 0, vma_flags = 0;
s64 vma_result = -1;
char vma_file[32] = {};

/* called from a callback: appended after the callback that calls it */
static __noinline u64 square(u64 x) {
  return x * x;
}

/* called by run_loop after it passed loop_step: appended after loop_step and square */
static __noinline u64 plus_one(u64 x) {
  return x + 1;
}

static int loop_step(u32 i, void *ctx) {
  loop_iterations++;
  loop_sum += square(i);
  return 0;
}

SEC("xdp")
int run_loop(struct xdp_md *ctx) {
  loop_result = bpf_loop(10, loop_step, NULL, 0);
  loop_tail = plus_one(loop_tail);
  return XDP_PASS;
}

struct sum_ctx {
  u64 sum, count;
};

static long sum_elem(struct bpf_map *map, u32 *key, u64 *value, struct sum_ctx *c) {
  c->sum += *value;
  c->count++;
  return 0;
}

SEC("xdp")
int sum_values(struct xdp_md *ctx) {
  struct sum_ctx c = {};
  bpf_for_each_map_elem(&values, sum_elem, &c, 0);
  map_sum = c.sum;
  map_elems = c.count;
  return XDP_PASS;
}

/* what a deferred callback leaves in `values` for the test to find */
static __always_inline void mark(u32 slot, u64 value) {
  bpf_map_update_elem(&values, &slot, &value, BPF_ANY);
}

static int timer_done(void *map, u32 *key, struct timer_elem *e) {
  mark(7, 4242);
  timer_fired++;
  return 0;
}

SEC("tc")
int arm_timer(struct __sk_buff *skb) {
  u32 key = 0;
  struct timer_elem *e = bpf_map_lookup_elem(&timers, &key);
  if (!e) return 1;
  if (bpf_timer_init(&e->timer, &timers, CLOCK_MONOTONIC)) return 2;
  if (bpf_timer_set_callback(&e->timer, timer_done)) return 3;
  if (bpf_timer_start(&e->timer, 1000 /* ns */, 0)) return 4;
  timer_armed++;
  return 0;
}

static int work_fn(void *map, int *key, void *value) {
  mark(6, 77);
  work_done++;
  return 0;
}

/* bpf_wq callbacks sleep: only a sleepable program may set one */
SEC("syscall")
int queue_work(void *ctx) {
  u32 key = 0;
  struct wq_elem *e = bpf_map_lookup_elem(&works, &key);
  if (!e) return 1;
  if (bpf_wq_init(&e->work, &works, 0)) return 2;
  if (bpf_wq_set_callback_impl(&e->work, work_fn, 0, NULL)) return 3;
  if (bpf_wq_start(&e->work, 0)) return 4;
  work_queued++;
  return 0;
}

static long drain_one(struct bpf_dynptr *record, void *ctx) {
  u64 v = 0;
  if (bpf_dynptr_read(&v, sizeof(v), record, 0, 0)) return 1;
  drained++;
  drained_sum += square(v);
  return 0;
}

SEC("xdp")
int drain(struct xdp_md *ctx) {
  drain_result = bpf_user_ringbuf_drain(&requests, drain_one, NULL, 0);
  return XDP_PASS;
}

static long on_vma(struct task_struct *task, struct vm_area_struct *vma, void *ctx) {
  vma_start = vma->vm_start;
  vma_end = vma->vm_end;
  vma_flags = vma->vm_flags;
  if (vma->vm_file) bpf_probe_read_kernel_str(vma_file, sizeof(vma_file), vma->vm_file->f_path.dentry->d_name.name);
  return 0;
}

SEC("uprobe/corpus_target")
int BPF_KPROBE(find_vma, int x) {
  if (vma_calls++) return 0;
  vma_ip = PT_REGS_IP(ctx);
  vma_result = bpf_find_vma(bpf_get_current_task_btf(), vma_ip, on_vma, NULL, 0);
  return 0;
}
