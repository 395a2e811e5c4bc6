// One BTF-defined map of every kind, exercised by an XDP program run with
// BPF_PROG_TEST_RUN (and a tp_btf program for task storage).
#include "common.h"

struct lpm_key {
  u32 prefixlen;
  u32 addr;
};

struct event {
  u32 kind;
  u32 value;
};

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, u32); __type(value, u64); } m_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, u32); __type(value, u64); } m_array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 4); __type(key, u32); __type(value, u64); } m_percpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 4); __type(key, u32); __type(value, u64); } m_percpu_array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 16); __type(key, u32); __type(value, u64); } m_lru SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH); __uint(max_entries, 16); __type(key, u32); __type(value, u64); } m_lru_percpu SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 8);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct lpm_key);
  __type(value, u32);
} m_lpm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 8); __type(value, u32); } m_queue SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 8); __type(value, u32); } m_stack SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 64); __uint(map_extra, 3); __type(value, u32); } m_bloom SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } m_ringbuf SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u32)); } m_perf SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, u64);
} m_task_storage SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} m_pinned SEC(".maps");

struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); };
struct inner inner_a SEC(".maps"), inner_b SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, u32);
  __array(values, struct inner);
} m_array_of_maps SEC(".maps") = { .values = { [1] = &inner_a } };
struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, u32);
  __array(values, struct inner);
} m_hash_of_maps SEC(".maps") = { .values = { [0] = &inner_b } };

int tail_target(struct xdp_md *ctx);
struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 2);
  __type(key, u32);
  __array(values, int(struct xdp_md *));
} m_jumps SEC(".maps") = { .values = { [1] = (void *)&tail_target } };

const volatile int target_pid = 0;
u64 tail_runs = 0, storage_value = 0;
int popped_queue = -1, popped_stack = -1, bloom_hit = -1, bloom_miss = -1, lpm_value = -1;

SEC("xdp")
int exercise(struct xdp_md *ctx) {
  u32 k = 1, v32 = 0;
  u64 one = 1, *v;
  v = bpf_map_lookup_elem(&m_hash, &k);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&m_hash, &k, &one, BPF_ANY);
  if ((v = bpf_map_lookup_elem(&m_array, &k))) __sync_fetch_and_add(v, 1);
  v = bpf_map_lookup_elem(&m_percpu_hash, &k);
  if (v) *v += 1; else bpf_map_update_elem(&m_percpu_hash, &k, &one, BPF_ANY);
  if ((v = bpf_map_lookup_elem(&m_percpu_array, &k))) *v += 1;
  v = bpf_map_lookup_elem(&m_lru, &k);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&m_lru, &k, &one, BPF_ANY);
  v = bpf_map_lookup_elem(&m_lru_percpu, &k);
  if (v) *v += 1; else bpf_map_update_elem(&m_lru_percpu, &k, &one, BPF_ANY);
  v = bpf_map_lookup_elem(&m_pinned, &k);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&m_pinned, &k, &one, BPF_ANY);

  struct lpm_key lk = {.prefixlen = 32, .addr = 0x0100000a}; /* 10.0.0.1 */
  u32 *lv = bpf_map_lookup_elem(&m_lpm, &lk);
  lpm_value = lv ? *lv : -2;

  if (bpf_map_pop_elem(&m_queue, &v32) == 0) popped_queue = v32;
  if (bpf_map_pop_elem(&m_stack, &v32) == 0) popped_stack = v32;
  v32 = 42;
  bloom_hit = bpf_map_peek_elem(&m_bloom, &v32) == 0;
  v32 = 43;
  bloom_miss = bpf_map_peek_elem(&m_bloom, &v32) == 0;

  void *inner = bpf_map_lookup_elem(&m_array_of_maps, &k);
  u32 zero = 0;
  if (inner && (v = bpf_map_lookup_elem(inner, &zero))) __sync_fetch_and_add(v, 1);
  inner = bpf_map_lookup_elem(&m_hash_of_maps, &zero);
  if (inner && (v = bpf_map_lookup_elem(inner, &zero))) __sync_fetch_and_add(v, 10);

  struct event *e = bpf_ringbuf_reserve(&m_ringbuf, sizeof(*e), 0);
  if (e) {
    e->kind = 1;
    e->value = 0xabcd;
    bpf_ringbuf_submit(e, 0);
  }
  struct event pe = {.kind = 2, .value = 0x1234};
  bpf_perf_event_output(ctx, &m_perf, BPF_F_CURRENT_CPU, &pe, sizeof(pe));

  bpf_tail_call(ctx, &m_jumps, 1);
  return XDP_PASS; /* reached only when the tail call fails */
}

SEC("xdp")
int tail_target(struct xdp_md *ctx) {
  __sync_fetch_and_add(&tail_runs, 1);
  return XDP_TX;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(task_store, struct pt_regs *regs, long id) {
  struct task_struct *t = bpf_get_current_task_btf();
  if (t->tgid != target_pid || id != 110 /* getppid */) return 0;
  u64 *v = bpf_task_storage_get(&m_task_storage, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (v) storage_value = ++*v;
  return 0;
}
