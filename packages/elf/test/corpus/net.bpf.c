// Networking sections: xdp, tc/tcx, socket filter, flow_dissector, cgroup_skb,
// cgroup sock_addr, sockops (with sk_storage), sk_lookup, netfilter, sk_msg, sk_skb.
#include "common.h"

#define ETH_P_IP 0x0800
#define NF_ACCEPT 1
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, u64);
} sk_store SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_SOCKMAP);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u64);
} sock_map SEC(".maps");

const volatile u16 watch_port = 0; /* host order */
u64 tc_runs = 0, socket_runs = 0, dissect_runs = 0, skb_egress = 0, sendmsg4_runs = 0;
u64 sockops_runs = 0, sockops_storage = 0, lookup_runs = 0, netfilter_runs = 0, msg_bytes = 0, skb_bytes = 0;
u32 last_dissect_proto = 0;
u64 xdp_runs = 0, xdp_arp = 0;

SEC("xdp")
int xdp_count(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  __sync_fetch_and_add(&xdp_runs, 1);
  if ((void *)(eth + 1) <= end && eth->h_proto == bpf_htons(0x0806)) __sync_fetch_and_add(&xdp_arp, 1);
  return XDP_PASS;
}

SEC("tcx/ingress")
int tc_count(struct __sk_buff *skb) {
  __sync_fetch_and_add(&tc_runs, 1);
  return skb->len > 1000 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("socket")
int socket_count(struct __sk_buff *skb) {
  __sync_fetch_and_add(&socket_runs, 1);
  return skb->len; /* keep the whole packet */
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb) {
  struct bpf_flow_keys *keys = skb->flow_keys;
  __sync_fetch_and_add(&dissect_runs, 1);
  last_dissect_proto = bpf_ntohs(keys->n_proto);
  keys->nhoff = 0;
  keys->thoff = 0;
  return BPF_OK;
}

SEC("cgroup_skb/egress")
int egress_count(struct __sk_buff *skb) {
  __sync_fetch_and_add(&skb_egress, 1);
  return 1;
}

SEC("cgroup/sendmsg4")
int on_sendmsg4(struct bpf_sock_addr *ctx) {
  if (bpf_ntohs(ctx->user_port) == watch_port) __sync_fetch_and_add(&sendmsg4_runs, 1);
  return 1;
}

SEC("sockops")
int on_sockops(struct bpf_sock_ops *ops) {
  if (bpf_ntohl(ops->remote_port) != watch_port && ops->local_port != watch_port) return 1;
  __sync_fetch_and_add(&sockops_runs, 1);
  struct bpf_sock *sk = ops->sk;
  if (ops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && sk) {
    u64 *v = bpf_sk_storage_get(&sk_store, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (v) sockops_storage = ++*v;
  }
  return 1;
}

SEC("sk_lookup")
int on_lookup(struct bpf_sk_lookup *ctx) {
  if (ctx->local_port == watch_port) __sync_fetch_and_add(&lookup_runs, 1);
  return SK_PASS;
}

SEC("netfilter")
int on_netfilter(struct bpf_nf_ctx *ctx) {
  __sync_fetch_and_add(&netfilter_runs, 1);
  return NF_ACCEPT;
}

SEC("sk_msg")
int on_msg(struct sk_msg_md *msg) {
  __sync_fetch_and_add(&msg_bytes, msg->size);
  return SK_PASS;
}

SEC("sk_skb/stream_verdict")
int on_skb_verdict(struct __sk_buff *skb) {
  __sync_fetch_and_add(&skb_bytes, skb->len);
  return SK_PASS;
}
