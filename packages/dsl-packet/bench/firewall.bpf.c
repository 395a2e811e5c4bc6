// The XDP firewall of the dsl-packet benchmark, in C: parse Ethernet / IPv4 (with IHL) /
// IPv6 / TCP / UDP, drop sources in an LPM-trie blocklist, drop blocked destination ports,
// count packets per protocol. A later IPv4 fragment carries no L4 header: it counts as other
// after the source check. bench/firewall.ts builds the same logic with dsl-packet.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

// The fragment offset bits of the IPv4 frag_off field (include/net/ip.h; not in the uapi headers).
#define IP_OFFSET 0x1fff

enum { C_OTHER, C_TCP, C_UDP, C_ICMP, C_BLOCKED, C_COUNT };

struct lpm4_key { __u32 prefixlen; __u32 addr; };
struct lpm6_key { __u32 prefixlen; __u32 addr[4]; };

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, struct lpm4_key);
  __type(value, __u32);
} block4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, struct lpm6_key);
  __type(value, __u32);
} block6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u32);
} ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, C_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

static __always_inline int count(__u32 idx, int action) {
  __u64 *v = bpf_map_lookup_elem(&counters, &idx);
  if (v) *v += 1;
  return action;
}

SEC("xdp")
int firewall(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  void *l4;
  __u8 proto;
  if ((void *)(eth + 1) > end) return XDP_DROP;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end) return XDP_DROP;
    if (ip->ihl < 5) return XDP_DROP;
    struct lpm4_key k = { 32, ip->saddr };
    if (bpf_map_lookup_elem(&block4, &k)) return count(C_BLOCKED, XDP_DROP);
    // A fragment other than the first: what follows the header is payload, not ports.
    if (ip->frag_off & bpf_htons(IP_OFFSET)) return count(C_OTHER, XDP_PASS);
    proto = ip->protocol;
    l4 = (void *)ip + ip->ihl * 4;
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > end) return XDP_DROP;
    struct lpm6_key k = { 128 };
    __builtin_memcpy(k.addr, &ip6->saddr, 16);
    if (bpf_map_lookup_elem(&block6, &k)) return count(C_BLOCKED, XDP_DROP);
    proto = ip6->nexthdr;
    l4 = ip6 + 1;
  } else {
    return count(C_OTHER, XDP_PASS);
  }
  __u32 port, idx;
  if (proto == IPPROTO_TCP) {
    struct tcphdr *t = l4;
    if ((void *)(t + 1) > end) return XDP_DROP;
    port = bpf_ntohs(t->dest);
    idx = C_TCP;
  } else if (proto == IPPROTO_UDP) {
    struct udphdr *u = l4;
    if ((void *)(u + 1) > end) return XDP_DROP;
    port = bpf_ntohs(u->dest);
    idx = C_UDP;
  } else {
    return count(proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 ? C_ICMP : C_OTHER, XDP_PASS);
  }
  __u32 *blocked = bpf_map_lookup_elem(&ports, &port);
  if (blocked && *blocked) return count(C_BLOCKED, XDP_DROP);
  return count(idx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
