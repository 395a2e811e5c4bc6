// docs/guides/cgroup.md: a cgroup guard. Counts the packets the cgroup's sockets send, and
// refuses the cgroup's IPv4 connects to one port (blocked_port, a constant set at load time).
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u16 blocked_port = 0; // host byte order
__u64 sent = 0;                        // .bss: read from user space

SEC("cgroup_skb/egress")
int count_sent(struct __sk_buff *skb) {
  __sync_fetch_and_add(&sent, 1);
  return 1; // 1: let the packet go, 0: drop it
}

SEC("cgroup/connect4")
int refuse_port(struct bpf_sock_addr *ctx) {
  // user_port is in network byte order; returning 0 makes connect() fail with EPERM
  return ctx->user_port == bpf_htons(blocked_port) ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
