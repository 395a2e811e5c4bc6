// The logic of dsl-tc's portFilter template ({ ports: [53, 8080], both protocols }) in C,
// for the instruction-count comparison in port-filter.bench.ts: up to two VLAN tags, IPv4
// with options, IPv6 with up to four extension headers, TCP or UDP destination port.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))
#define bswap16(x) __builtin_bswap16(x)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define net16(x) ((__u16)bswap16(x))
#define host16(x) ((__u16)bswap16(x))
#else
#define net16(x) ((__u16)(x))
#define host16(x) ((__u16)(x))
#endif

struct vlan_tag {
	__u16 tci;
	__u16 proto;
};

SEC("tcx/ingress")
int port_filter(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	__u16 proto = eth->h_proto;
	void *pos = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != net16(ETH_P_8021Q) && proto != net16(ETH_P_8021AD))
			break;
		struct vlan_tag *tag = pos;
		if ((void *)(tag + 1) > end)
			return TC_ACT_OK;
		proto = tag->proto;
		pos = tag + 1;
	}
	__u8 l4proto;
	if (proto == net16(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = pos;
		if ((void *)(ip6 + 1) > end)
			return TC_ACT_OK;
		l4proto = ip6->nexthdr;
		pos = ip6 + 1;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			if (l4proto == IPPROTO_FRAGMENT) {
				__u8 *ext = pos;
				if ((void *)(ext + 8) > end)
					return TC_ACT_OK;
				l4proto = ext[0];
				pos = ext + 8;
			} else if (l4proto == IPPROTO_HOPOPTS || l4proto == IPPROTO_ROUTING ||
				   l4proto == IPPROTO_DSTOPTS) {
				__u8 *ext = pos;
				if ((void *)(ext + 8) > end)
					return TC_ACT_OK;
				l4proto = ext[0];
				pos = ext + ((ext[1] + 1) << 3);
			} else {
				break;
			}
		}
	} else if (proto == net16(ETH_P_IP)) {
		struct iphdr *ip = pos;
		if ((void *)(ip + 1) > end)
			return TC_ACT_OK;
		if (ip->ihl < 5)
			return TC_ACT_OK;
		l4proto = ip->protocol;
		pos = (__u8 *)ip + (ip->ihl << 2);
	} else {
		return TC_ACT_OK;
	}
	__u16 dport;
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *tcp = pos;
		if ((void *)(tcp + 1) > end)
			return TC_ACT_OK;
		dport = host16(tcp->dest);
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *udp = pos;
		if ((void *)(udp + 1) > end)
			return TC_ACT_OK;
		dport = host16(udp->dest);
	} else {
		return TC_ACT_OK;
	}
	if (dport == 53 || dport == 8080)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
