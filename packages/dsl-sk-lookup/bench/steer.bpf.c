// The logic of steerPortRange(sockmap, { from: 8000, to: 8009, protocol: 'tcp' }) in C, for
// the instruction-count comparison of insn-count.bench.ts (clang-19 -O2).
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_SOCKMAP);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} sockmap SEC(".maps");

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx) {
  if (ctx->local_port < 8000 || ctx->local_port > 8009) return SK_PASS;
  if (ctx->protocol != IPPROTO_TCP) return SK_PASS;
  __u32 key = 0;
  struct bpf_sock *sk = bpf_map_lookup_elem(&sockmap, &key);
  if (!sk) return SK_PASS;
  long err = bpf_sk_assign(ctx, sk, 0);
  bpf_sk_release(sk);
  return err ? SK_DROP : SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
