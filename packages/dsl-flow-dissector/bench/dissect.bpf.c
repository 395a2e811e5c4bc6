// The logic of dsl-flow-dissector's dissect template (two VLAN tags, other protocols
// dropped) in C, for the instruction-count comparison in dissect.bench.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define net16(x) ((__u16)__builtin_bswap16(x))
#define net32(x) ((__u32)__builtin_bswap32(x))
#else
#define net16(x) ((__u16)(x))
#define net32(x) ((__u32)(x))
#endif

struct vlan_tag {
	__u16 tci;
	__u16 proto;
};

static __always_inline int ports(struct bpf_flow_keys *keys, void *pos, void *end, __u8 proto)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pos;
		if ((void *)(tcp + 1) > end)
			return BPF_DROP;
		keys->sport = tcp->source;
		keys->dport = tcp->dest;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *udp = pos;
		if ((void *)(udp + 1) > end)
			return BPF_DROP;
		keys->sport = udp->source;
		keys->dport = udp->dest;
	}
	return BPF_OK;
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct bpf_flow_keys *keys = skb->flow_keys;
	__u16 nhoff = keys->nhoff;
	if (nhoff > 0x0fff)
		return BPF_DROP;
	void *pos = data + nhoff;
	__u16 proto = keys->n_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != net16(ETH_P_8021Q) && proto != net16(ETH_P_8021AD))
			break;
		struct vlan_tag *tag = pos;
		if ((void *)(tag + 1) > end)
			return BPF_DROP;
		proto = tag->proto;
		pos = tag + 1;
		keys->n_proto = proto;
		keys->nhoff = pos - data;
	}
	if (proto == net16(ETH_P_IP)) {
		struct iphdr *ip = pos;
		if ((void *)(ip + 1) > end)
			return BPF_DROP;
		if (ip->ihl < 5)
			return BPF_DROP;
		keys->ipv4_src = ip->saddr;
		keys->ipv4_dst = ip->daddr;
		keys->addr_proto = ETH_P_IP;
		keys->ip_proto = ip->protocol;
		pos = (__u8 *)ip + (ip->ihl << 2);
		keys->thoff = pos - data;
		if (ip->frag_off & net16(0x3fff)) {
			keys->is_frag = 1;
			if (ip->frag_off & net16(0x1fff))
				return BPF_OK;
			keys->is_first_frag = 1;
			if (!(keys->flags & BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG))
				return BPF_OK;
		}
		return ports(keys, pos, end, ip->protocol);
	}
	if (proto != net16(ETH_P_IPV6))
		return BPF_DROP;
	struct ipv6hdr *ip6 = pos;
	if ((void *)(ip6 + 1) > end)
		return BPF_DROP;
	__builtin_memcpy(keys->ipv6_src, &ip6->saddr, 32);
	keys->flow_label = *(__u32 *)ip6 & net32(0x000fffff);
	keys->addr_proto = ETH_P_IPV6;
	__u8 nh = ip6->nexthdr;
	pos = ip6 + 1;
	if (nh == IPPROTO_FRAGMENT) {
		__u8 *frag = pos;
		if ((void *)(frag + 8) > end)
			return BPF_DROP;
		keys->is_frag = 1;
		__u16 off = *(__u16 *)(frag + 2);
		keys->ip_proto = frag[0];
		pos = frag + 8;
		keys->thoff = pos - data;
		if (off & net16(0xfff8))
			return BPF_OK;
		keys->is_first_frag = 1;
		if (!(keys->flags & BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG))
			return BPF_OK;
		return ports(keys, pos, end, frag[0]);
	}
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (nh != IPPROTO_FRAGMENT && nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS)
			break;
		__u8 *ext = pos;
		if ((void *)(ext + 8) > end)
			return BPF_DROP;
		pos = ext + (nh == IPPROTO_FRAGMENT ? 8 : (ext[1] + 1) << 3);
		nh = ext[0];
	}
	keys->ip_proto = nh;
	keys->thoff = pos - data;
	if (keys->flow_label && (keys->flags & BPF_FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL))
		return BPF_OK;
	return ports(keys, pos, end, nh);
}

char LICENSE[] SEC("license") = "GPL";
