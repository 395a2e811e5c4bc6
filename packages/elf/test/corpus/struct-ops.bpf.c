// A TCP congestion control written the libbpf way: SEC("struct_ops/…") programs and a
// struct tcp_congestion_ops variable in .struct_ops.link (or .struct_ops with -DCC_SECTION='".struct_ops"')
// whose function pointers name them. Every callback is counted in `calls`.
#include "common.h"

#ifndef CC_NAME
#define CC_NAME "tsebpf_cc"
#endif
#ifndef CC_SECTION
#define CC_SECTION ".struct_ops.link"
#endif
/* The section of cc_undo_cwnd: sleepable by default; -DUNDO_SECTION='"struct_ops/cc_undo_cwnd"'
 * gives an object libbpf 1.1 (which has no struct_ops.s) loads too. */
#ifndef UNDO_SECTION
#define UNDO_SECTION "struct_ops.s/cc_undo_cwnd"
#endif

#define TCP_CONG_NON_RESTRICTED 0x1
/* The data members can be given values the kernel refuses (-DCC_FLAGS=0x100, -DCC_KEY=7, a
 * CC_NAME of 16 characters or with a '-'): the loader must refuse them before the kernel. */
#ifndef CC_FLAGS
#define CC_FLAGS TCP_CONG_NON_RESTRICTED
#endif
#ifndef CC_KEY
#define CC_KEY 0
#endif

enum { CALL_INIT, CALL_SSTHRESH, CALL_CONG_AVOID, CALL_UNDO_CWND, CALL_STATE, CALL_CWND_EVENT, CALL_MAX };

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CALL_MAX);
  __type(key, u32);
  __type(value, u64);
} calls SEC(".maps");

static void count(u32 which) {
  u64 *n = bpf_map_lookup_elem(&calls, &which);
  if (n) __sync_fetch_and_add(n, 1);
}

SEC("struct_ops/cc_init")
void BPF_PROG(cc_init, struct sock *sk) { count(CALL_INIT); }

SEC("struct_ops/cc_ssthresh")
u32 BPF_PROG(cc_ssthresh, struct sock *sk) {
  const struct tcp_sock *tp = (struct tcp_sock *)sk;
  count(CALL_SSTHRESH);
  return tp->snd_cwnd > 4 ? tp->snd_cwnd >> 1 : 2;
}

SEC("struct_ops/cc_cong_avoid")
void BPF_PROG(cc_cong_avoid, struct sock *sk, u32 ack, u32 acked) {
  struct tcp_sock *tp = (struct tcp_sock *)sk;
  count(CALL_CONG_AVOID);
  /* grow by one segment per ACK up to a cap: enough to move data */
  if (tp->snd_cwnd < 64) tp->snd_cwnd = tp->snd_cwnd + 1;
}

SEC("struct_ops/cc_set_state")
void BPF_PROG(cc_set_state, struct sock *sk, u8 new_state) { count(CALL_STATE); }

SEC("struct_ops/cc_cwnd_event")
void BPF_PROG(cc_cwnd_event, struct sock *sk, enum tcp_ca_event ev) { count(CALL_CWND_EVENT); }

SEC(UNDO_SECTION)
u32 BPF_PROG(cc_undo_cwnd, struct sock *sk) {
  const struct tcp_sock *tp = (struct tcp_sock *)sk;
  count(CALL_UNDO_CWND);
  return tp->snd_cwnd;
}

SEC(CC_SECTION)
struct tcp_congestion_ops tsebpf_cc = {
  .init = (void *)cc_init,
  .ssthresh = (void *)cc_ssthresh,
  .cong_avoid = (void *)cc_cong_avoid,
  .set_state = (void *)cc_set_state,
  .cwnd_event = (void *)cc_cwnd_event,
  .undo_cwnd = (void *)cc_undo_cwnd,
  .flags = CC_FLAGS,
  .key = CC_KEY,
  .name = CC_NAME,
};
