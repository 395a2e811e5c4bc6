// The Reno template of @ts-ebpf/dsl-struct-ops (renoCc) written in C for the benchmark:
// the same three callbacks, compiled by clang-19 -O2. vmlinux.h is dumped from kernel BTF.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

extern u32 tcp_slow_start(struct tcp_sock *tp, u32 acked) __ksym;
extern void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked) __ksym;

SEC("struct_ops/ssthresh")
u32 BPF_PROG(reno_ssthresh, struct sock *sk) {
  const struct tcp_sock *tp = (struct tcp_sock *)sk;
  u32 half = tp->snd_cwnd >> 1;
  return half < 2 ? 2 : half;
}

SEC("struct_ops/undo_cwnd")
u32 BPF_PROG(reno_undo_cwnd, struct sock *sk) {
  const struct tcp_sock *tp = (struct tcp_sock *)sk;
  return tp->snd_cwnd > tp->prior_cwnd ? tp->snd_cwnd : tp->prior_cwnd;
}

SEC("struct_ops/cong_avoid")
void BPF_PROG(reno_cong_avoid, struct sock *sk, u32 ack, u32 acked) {
  struct tcp_sock *tp = (struct tcp_sock *)sk;
  int limited = tp->is_cwnd_limited ||
                (tp->snd_cwnd < tp->snd_ssthresh && tp->snd_cwnd < 2 * tp->max_packets_out);
  if (!limited) return;
  if (tp->snd_cwnd < tp->snd_ssthresh) {
    acked = tcp_slow_start(tp, acked);
    if (!acked) return;
  }
  tcp_cong_avoid_ai(tp, tp->snd_cwnd, acked);
}

SEC(".struct_ops.link")
struct tcp_congestion_ops reno_c = {
  .ssthresh = (void *)reno_ssthresh,
  .undo_cwnd = (void *)reno_undo_cwnd,
  .cong_avoid = (void *)reno_cong_avoid,
  .name = "tsebpf_bench_c",
};
